import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { deriveSalt, sha512Crypt } from "./crypt";

describe("SHA-512 crypt", () => {
    for (const [password, salt] of [
        ["password", "abc"],
        ["x".repeat(100), "saltsaltsaltsalt"],
        ["ünïcødé pass", "./09AZaz"],
    ]) {
        it(`matches openssl passwd -6 for a ${password.length}-character password`, () => {
            const expected = execFileSync("openssl", ["passwd", "-6", "-salt", salt, "-stdin"], { input: password, encoding: "utf8" }).trim();
            assert.equal(sha512Crypt(password, salt), expected);
        });
    }
    it("has no rounds= part, which Data Plane API 3.2.1 would reject", () => {
        assert.equal(sha512Crypt("pw", "salt").split("$").length, 4);
    });
    it("derives the same salt from the same seed, and another from another seed", () => {
        assert.equal(deriveSalt("seed", "lb1"), deriveSalt("seed", "lb1"));
        assert.notEqual(deriveSalt("seed", "lb1"), deriveSalt("seed2", "lb1"));
        assert.match(deriveSalt("seed", "lb1"), /^[./0-9A-Za-z]{16}$/);
    });
});
