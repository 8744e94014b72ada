/**
 * The shape of the command contract test program's config: contract.test.ts
 * (through harness.ts) writes it, program/index.ts reads it.
 */

export interface ConnSpec {
    host?: string;
    /** 0: no port (the SDK's default). */
    port?: number;
    /** "": no user (the SDK's default). */
    user?: string;
    /** null: no hostKey; a string: this key instead of the host's. */
    hostKey?: string | null;
    /** Which private key: the host's ("main", default), one it refuses ("alt"), or none. */
    key?: "main" | "alt" | "none";
    /** Send the configured password. */
    password?: boolean;
    dialErrorLimit?: number;
    perDialTimeout?: number;
    agentSocketPath?: string;
    proxy?: ConnSpec;
}

/** One resource of the test program. */
export interface ResourceSpec {
    kind?: "command" | "copy";
    name: string;
    conn?: ConnSpec;
    create?: string;
    update?: string;
    delete?: string;
    stdin?: string;
    environment?: Record<string, string>;
    logging?: string;
    addPreviousOutputInEnv?: boolean;
    triggers?: unknown[];
    /** Inputs given as secrets. */
    secret?: string[];
    source?: { file?: string; text?: string; archive?: string };
    remotePath?: string;
    dependsOn?: string[];
    additionalSecretOutputs?: string[];
    replaceOnChanges?: string[];
}
