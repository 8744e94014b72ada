/**
 * Messages to the engine's log service, attached to a resource, as the real
 * plugin sends them through pulumi-go-provider's logger: `*Status` calls are
 * ephemeral (the progress display's status column), the others are
 * diagnostics. Messages are delivered in order.
 */
import * as grpc from "@grpc/grpc-js";
import { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { LogRequest, LogSeverity } from "@pulumi/pulumi/proto/engine_pb";

export type Severity = "debug" | "info" | "warning" | "error";

const SEVERITY: Record<Severity, LogSeverity> = {
    debug: LogSeverity.DEBUG,
    info: LogSeverity.INFO,
    warning: LogSeverity.WARNING,
    error: LogSeverity.ERROR,
};

/** The engine address among the plugin's arguments, parsed as @pulumi/pulumi/provider does. */
export function engineAddressFromArgs(args: string[]): string | undefined {
    const clean: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--logtostderr" || a.startsWith("-v=")) continue;
        if (a === "--tracing") {
            i++;
            continue;
        }
        clean.push(a);
    }
    return clean[0];
}

export class EngineLog {
    private client: EngineClient | undefined;
    private last: Promise<void> = Promise.resolve();

    constructor(address: string | undefined) {
        if (address) this.client = new EngineClient(address, grpc.credentials.createInsecure());
    }

    /** Sends one message; resolves once the engine has it (never rejects). */
    log(severity: Severity, urn: string, message: string, ephemeral: boolean): Promise<void> {
        const client = this.client;
        this.last = this.last.then(
            () =>
                new Promise<void>((resolve) => {
                    if (!client) {
                        process.stderr.write(`${severity}: ${message}\n`);
                        resolve();
                        return;
                    }
                    const req = new LogRequest();
                    req.setSeverity(SEVERITY[severity]);
                    req.setMessage(message);
                    req.setUrn(urn);
                    req.setEphemeral(ephemeral);
                    client.log(req, () => resolve());
                }),
        );
        return this.last;
    }

    /** Waits until every message sent so far has been delivered. */
    flush(): Promise<void> {
        return this.last;
    }
}

/** The logger of one resource operation. */
export class ResourceLogger {
    constructor(
        private readonly engine: EngineLog,
        private readonly urn: string,
    ) {}
    infoStatus(msg: string): void {
        void this.engine.log("info", this.urn, msg, true);
    }
    debug(msg: string): void {
        void this.engine.log("debug", this.urn, msg, false);
    }
    warning(msg: string): void {
        void this.engine.log("warning", this.urn, msg, false);
    }
    error(msg: string): void {
        void this.engine.log("error", this.urn, msg, false);
    }
    flush(): Promise<void> {
        return this.engine.flush();
    }
}
