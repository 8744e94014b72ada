import { describe } from "node:test";
import { itPassesShellcheck } from "../testing/shellcheck";
import { haproxyEditScript, haproxyRevertScript } from "./scripts";
import { USERS_PLACEHOLDER } from "./sections";

const edit = {
    configFile: "/etc/haproxy/haproxy.cfg",
    adminSocket: "/run/haproxy/admin.sock",
    ownedSections: ["userlist controller", "backend haproxy-dataplane-api"],
    placeholder: USERS_PLACEHOLDER,
    backupsDir: "/etc/haproxy/backups",
    transactionDir: "/etc/haproxy/transactions",
};

describe("haproxy.cfg scripts", () => {
    itPassesShellcheck({
        haproxyEdit: haproxyEditScript(edit),
        haproxyRevert: haproxyRevertScript(edit),
    });
});
