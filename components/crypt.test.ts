import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveSalt, sha512Crypt } from "./crypt";

/**
 * Known answers. The first is the test vector of the SHA-crypt specification
 * (Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512"); the others were
 * recorded from `openssl passwd -6 -salt <salt> -stdin` (OpenSSL 3.0, Debian
 * 12), so that this tier needs no openssl binary.
 */
const KNOWN: [password: string, salt: string, crypt: string][] = [
    ["Hello world!", "saltstring", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"],
    ["password", "abc", "$6$abc$rvqzMBuMVukmply9mZJpW0wJMdDfgUKLDrSNxf9l66h/ytQiKNAdqHSj5YPJpxWJpVjRXibQXRddCl9xYHQnd0"],
    ["x".repeat(100), "saltsaltsaltsalt", "$6$saltsaltsaltsalt$.1EZzog1wcpq5JIvV/WT92D.QlINyy6tvU1yafc6nBj5ZGWbzJr6R8/b3LyvPLfO6XPaCrkn5TU0aah/u95/F."],
    ["ünïcødé pass", "./09AZaz", "$6$./09AZaz$gbDfFOSban4q45B4pB44/c.3uc7ryfcQgKdpJZKg7LHDwmyqw/yrZlwQ66OBYfZXCJ6ptFSrye8ilDEIWpIfL/"],
];

describe("SHA-512 crypt", () => {
    for (const [password, salt, crypt] of KNOWN) {
        it(`gives the known answer for a ${password.length}-character password with salt ${salt}`, () => {
            assert.equal(sha512Crypt(password, salt), crypt);
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
