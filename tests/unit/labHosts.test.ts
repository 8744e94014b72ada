import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { LAB_HOSTS } from "../../lab/hosts";
import { ARCHES, RELEASES } from "../../lab/lab";

const TESTHOST = readFileSync(path.join(__dirname, "..", "..", "lab", "testhost.sh"), "utf8");

describe("the lab's table of host indices", () => {
    const rows = Object.entries(LAB_HOSTS).flatMap(([owner, hosts]) =>
        hosts.map(([index, release, arch]: readonly [number, string, string?]) => ({ owner, index, release, arch })),
    );

    it("gives every host an index of its own", () => {
        const seen = new Map<number, string>();
        for (const r of rows) {
            assert.equal(seen.get(r.index), undefined, `index ${r.index}: ${seen.get(r.index)} and ${r.owner}`);
            seen.set(r.index, r.owner);
        }
    });
    it("uses only indices lab/testhost.sh takes, and releases and architectures the lab has", () => {
        const max = Number(/^readonly MAX_INDEX=(\d+)$/m.exec(TESTHOST)?.[1]);
        assert.ok(max > 0, "testhost.sh sets MAX_INDEX");
        for (const r of rows) {
            assert.ok(r.index >= 1 && r.index <= max, `${r.owner}: ${r.index} in 1..${max}`);
            assert.ok((RELEASES as readonly string[]).includes(r.release), `${r.owner}: ${r.release}`);
            assert.ok(r.arch === undefined || (ARCHES as readonly string[]).includes(r.arch), `${r.owner}: ${r.arch}`);
        }
    });
    it("knows the architectures lab/testhost.sh boots, and no other", () => {
        assert.deepEqual(/^readonly ARCHES=\(([^)]*)\)$/m.exec(TESTHOST)?.[1].split(" "), [...ARCHES]);
    });
});
