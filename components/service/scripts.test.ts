import { describe } from "node:test";
import { PATHS } from "../shared/paths";
import { itPassesShellcheck } from "../testing/shellcheck";
import { disableServiceScript, enableServiceScript, startServiceScript, stopServiceScript } from "./scripts";

const start = {
    restartKey: "0123abcd",
    restartReasons: { binary: "dataplaneapi 3.2.1 (abc)", config: "def" },
    probeUrl: "https://lb1:5555/v3/info",
    resolve: "lb1:5555:127.0.0.1",
    caFile: PATHS.tlsCa,
    tls: true,
    timeoutSeconds: 90,
};

describe("service scripts", () => {
    itPassesShellcheck({
        enableService: enableServiceScript(),
        disableService: disableServiceScript(),
        startService: startServiceScript(start),
        startServicePlainHttp: startServiceScript({ ...start, tls: false, caFile: undefined, probeUrl: "http://lb1:5555/v3/info" }),
        stopService: stopServiceScript(),
    });
});
