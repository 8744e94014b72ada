/**
 * What the tests of haproxy-cfg-edit.awk know about fixtures/: where the
 * fixtures of Debian's own haproxy.cfg come from, and the managed sections
 * every expected result was made with. Shared by cfgedit.test.ts (the editor
 * on this machine) and tests/e2e/cfgedit.test.ts (HAProxy on real hosts).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { renderManagedSections, renderUserLine, USERS_PLACEHOLDER } from "./sections";

/** The managed sections (userlist controller with one user, the API backend on port 5555) of every fixtures/<case>.expected.cfg. */
export function fixtureManagedSections(hash = "$6$salt$hash", user = "dpadmin"): string {
    return renderManagedSections({ userlist: "controller", apiPort: 5555 }).replace(`    ${USERS_PLACEHOLDER}\n`, renderUserLine(user, hash));
}

/** A fixture taken from Debian's haproxy package: the package's conffile /etc/haproxy/haproxy.cfg. */
export interface PackageFixture {
    /** fixtures/<fixture>.cfg */
    fixture: string;
    /** The Debian release, by number. */
    debian: string;
    /** The version of the haproxy package the file comes from. */
    version: string;
    /**
     * Whether the fixture has the lab's application (LAB_APPLICATION) after
     * the package's file, as /etc/haproxy/haproxy.cfg of a lab host has it;
     * otherwise it is the package's file byte for byte.
     */
    withLabApplication: boolean;
}

/**
 * The package fixture of each release the lab runs (lab/testhost.sh).
 * tests/e2e/cfgedit.test.ts checks on a host of each release that haproxy of this
 * version's upstream branch is installed and that dpkg records the md5 of the
 * fixture's package file for /etc/haproxy/haproxy.cfg. At these versions both releases ship the
 * same file (md5 6e882ee7f7a6a3d62d8c3aeb3fe7c80d): debian13-haproxy.cfg
 * differs from debian12-haproxy.cfg only by the lab's application.
 */
export const PACKAGE_FIXTURES: Record<"bookworm" | "trixie", PackageFixture> = {
    bookworm: { fixture: "debian12-haproxy", debian: "Debian 12", version: "2.6.12-1+deb12u3", withLabApplication: true },
    trixie: { fixture: "debian13-haproxy", debian: "Debian 13", version: "3.0.11-1+deb13u4", withLabApplication: false },
};

/** Where a package fixture comes from, in words: its test's title. */
export function provenance(p: PackageFixture): string {
    const how = p.withLabApplication ? "with the lab's application after it, as a lab host has it" : "byte for byte";
    return `/etc/haproxy/haproxy.cfg of ${p.debian}'s haproxy ${p.version}, ${how}`;
}

/**
 * What lab/testhost.sh appends to the package's haproxy.cfg on every lab host, from this
 * same file (fixtures/lab-application.cfg): the application a deployment must leave alone.
 */
export const LAB_APPLICATION = readFileSync(path.join(__dirname, "fixtures", "lab-application.cfg"), "utf8");

/** The package's own file in a package fixture's text: without the lab's application, if it has it (and it must end with it then). */
export function packageFile(p: PackageFixture, text: string): string {
    if (!p.withLabApplication) return text;
    if (!text.endsWith(LAB_APPLICATION)) throw new Error(`${p.fixture}.cfg does not end with the lab's application`);
    return text.slice(0, -LAB_APPLICATION.length);
}
