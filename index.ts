import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig, readRawConfig } from "./components/config";
import { deployStack } from "./components/program";

/**
 * Installs the HAProxy Data Plane API on every host of the stack.
 * Configuration is validated as a whole first: if anything is wrong, the run
 * stops with every problem listed and no resource registered.
 */
function loadConfig() {
    try {
        return parseConfig(readRawConfig());
    } catch (err) {
        // RunError: a clean message, without the stack trace of an unhandled error.
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}

/** Per host: where the API answers, what version runs there, and the CA to trust it with. */
export const dataplane = deployStack(loadConfig());
