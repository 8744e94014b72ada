import { readFileSync } from "node:fs";
import * as path from "node:path";

/** The repository's top-level assets/: what is shipped to the hosts as files, grouped by step. */
export const ASSETS_DIR = path.join(__dirname, "..", "..", "assets");

/** Each asset's text, read once: a renderer runs once per host. */
const texts = new Map<string, string>();

/** A placeholder in an asset: `@NAME@`, upper case. */
const PLACEHOLDER = /@([A-Z][A-Z0-9_]*)@/g;

/**
 * An asset's text with its `@NAME@` placeholders filled in. Every placeholder
 * must be given a value and every value must be used, so an asset and its
 * renderer cannot drift apart unnoticed. The values are pasted as they are:
 * the caller passes only validated paths, numbers and the program's own text.
 *
 * shellcheck reads each .sh asset as the file it is (tests/lint/repo.test.ts),
 * so a placeholder stands only where the shell sees an ordinary word: a
 * word the caller has quoted with shq (`key=@RESTART_KEY@`), text inside
 * double quotes or a comment, or lines of the program's own shell on a line of
 * their own. shellcheck cannot parse one inside `$((...))`: there the whole
 * expression is the value.
 */
export function renderAsset(file: string, values: Record<string, string | number> = {}): string {
    let text = texts.get(file);
    if (text === undefined) {
        text = readFileSync(path.join(ASSETS_DIR, file), "utf8");
        texts.set(file, text);
    }
    const used = new Set<string>();
    const out = text.replace(PLACEHOLDER, (_, name: string) => {
        if (!(name in values)) throw new Error(`assets/${file}: no value for @${name}@`);
        used.add(name);
        return String(values[name]);
    });
    const unused = Object.keys(values).filter((k) => !used.has(k));
    if (unused.length) throw new Error(`assets/${file} has no placeholder ${unused.map((k) => `@${k}@`).join(", ")}`);
    return out;
}
