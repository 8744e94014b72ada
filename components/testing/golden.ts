import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * Compares a whole rendered document with its golden file. After a change to
 * a renderer has been reviewed, UPDATE_GOLDEN=1 writes the new file, and the
 * diff shows in the commit.
 */
export function assertGolden(file: string, actual: string): void {
    if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, actual);
        if (process.env.UPDATE_GOLDEN !== "1") assert.fail(`${file} did not exist; it was written: review it, commit it, and run again`);
    }
    assert.equal(actual, readFileSync(file, "utf8"), `${path.basename(file)} differs from its golden file (UPDATE_GOLDEN=1 rewrites it after review)`);
}

/** The same object with its keys, and those of every nested object, in reverse order; arrays reversed too when asked. */
export function permuted<T>(value: T, reverseArrays = false): T {
    if (Array.isArray(value)) {
        const items = value.map((v) => permuted(v, reverseArrays));
        return (reverseArrays ? items.reverse() : items) as T;
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, permuted(v, reverseArrays)]),
        ) as T;
    }
    return value;
}
