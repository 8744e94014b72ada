import { describe } from "node:test";
import { itPassesShellcheck } from "../testing/shellcheck";
import { hostFactsScript } from "./scripts";

describe("host facts script", () => {
    itPassesShellcheck({
        hostFacts: hostFactsScript({
            configFile: "/etc/haproxy/haproxy.cfg",
            ownedSections: ["userlist controller", "backend haproxy-dataplane-api"],
            adoptSections: false,
            directories: ["/etc/haproxy-dataplane", "/tmp/spoe-haproxy"],
            adoptDirectories: [],
        }),
        hostFactsAdopting: hostFactsScript({
            configFile: "/etc/haproxy/haproxy.cfg",
            ownedSections: ["userlist my.list"],
            adoptSections: true,
            directories: ["/etc/haproxy-dataplane", "/srv/it's"],
            adoptDirectories: ["/srv/it's"],
        }),
    });
});
