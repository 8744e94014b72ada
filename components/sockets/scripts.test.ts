import { describe } from "node:test";
import { itPassesShellcheck } from "../testing/shellcheck";
import { restoreSocketPermissionsScript, socketPermissionsScript } from "./scripts";

const sockets = { masterSocket: "/run/haproxy-master.sock", adminSocket: "/run/haproxy/admin.sock", configFile: "/etc/haproxy/haproxy.cfg" };

describe("socket permission scripts", () => {
    itPassesShellcheck({
        socketPermissions: socketPermissionsScript(sockets),
        restoreSocketPermissions: restoreSocketPermissionsScript(sockets),
    });
});
