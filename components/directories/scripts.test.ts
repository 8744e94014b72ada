import { describe } from "node:test";
import { itPassesShellcheck } from "../testing/shellcheck";
import { directoriesScript, removeDirectoriesScript } from "./scripts";

const dirs = { directories: ["/etc/haproxy-dataplane", "/tmp/spoe-haproxy"], tmpfiles: "d /tmp/spoe-haproxy 0750 haproxy haproxy -\n" };

describe("directories scripts", () => {
    itPassesShellcheck({
        directories: directoriesScript(dirs),
        removeDirectories: removeDirectoriesScript(dirs),
    });
});
