import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { CONFIG_KEYS, type ConfigKey, DEFAULT_DIRECTORIES, defaultOf, descriptionOf, SECRET_KEYS, typeOf } from "./schema";

/**
 * schema.ts declares every key; Pulumi.yaml and the configuration table (in
 * README.md, or wherever under docs/ it moves) say it again for their readers.
 * These tests fail when either says something else, and name what to write
 * instead.
 */

const REPO = path.join(__dirname, "..", "..");
const PULUMI_YAML = readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8");
/** The header line of the configuration table. */
const TABLE_HEADER = "| key | default | |";

/** The one Markdown file, README.md or one under docs/, that holds the configuration table. */
function tableFile(): { file: string; text: string } {
    const docs = existsSync(path.join(REPO, "docs"))
        ? readdirSync(path.join(REPO, "docs"), { recursive: true, encoding: "utf8" }).map((f) => path.join("docs", f))
        : [];
    const found = ["README.md", ...docs]
        .filter((f) => f.endsWith(".md"))
        .map((file) => ({ file, text: readFileSync(path.join(REPO, file), "utf8") }))
        .filter((f) => f.text.split("\n").includes(TABLE_HEADER));
    assert.equal(found.length, 1, `one file has the configuration table (a line "${TABLE_HEADER}"); found: ${found.map((f) => f.file).join(", ") || "none"}`);
    return found[0];
}
const TABLE = tableFile();

/** `text` with `from` replaced: a copy for the checks to find fault with. Fails if `from` is not there, so a check is never tried on an unchanged copy. */
function altered(text: string, from: string | RegExp, to: string): string {
    const out = text.replace(from, to);
    assert.notEqual(out, text, `${String(from)} is not in the file any more: change this test's alteration to one that is`);
    return out;
}

/** How a list of keys differs from the schema's: a key missing, one too many, or the order; undefined when it does not. */
function keyListDisagreement(keys: string[]): string | undefined {
    const missing = CONFIG_KEYS.filter((k) => !keys.includes(k));
    const extra = keys.filter((k, i) => !(CONFIG_KEYS as string[]).includes(k) || keys.indexOf(k) !== i);
    if (missing.length) return `lacks ${missing.join(", ")}`;
    if (extra.length) return `has ${extra.join(", ")}, which schema.ts does not declare (or not twice)`;
    const at = keys.findIndex((k, i) => k !== CONFIG_KEYS[i]);
    return at === -1 ? undefined : `has ${keys[at]} where schema.ts has ${CONFIG_KEYS[at]}: keep schema.ts's order`;
}

/** A key's declaration as Pulumi.yaml must have it. */
function pulumiDeclaration(key: ConfigKey): Record<string, unknown> {
    const { type, items } = typeOf(key);
    return { type, ...(items ? { items: { type: items } } : {}), description: descriptionOf(key), default: defaultOf(key) };
}

/** Where Pulumi.yaml's `config:` block disagrees with the schema. */
function pulumiYamlDisagreements(text: string): string[] {
    const config: Record<string, unknown> = parse(text).config ?? {};
    const out: string[] = [];
    const order = keyListDisagreement(Object.keys(config));
    if (order) out.push(`Pulumi.yaml ${order}`);
    for (const key of CONFIG_KEYS) {
        const want = pulumiDeclaration(key);
        try {
            assert.deepStrictEqual(config[key], want);
        } catch {
            out.push(`Pulumi.yaml's ${key} is not the schema's; write:\n${stringify({ [key]: want }, { lineWidth: 0 })}`);
        }
    }
    return out;
}

/**
 * Defaults the table names in words, each with the one value it
 * stands for: the schema's default must be that value.
 */
const IN_WORDS: Partial<Record<ConfigKey, [value: unknown, words: string]>> = {
    dataplaneapiArch: ["", "detect"],
    dataplaneapiBaseUrl: ["https://github.com/haproxytech/dataplaneapi/releases/download", "GitHub releases"],
    apiAdvertisedAddress: ["", "host address"],
    directories: [[...DEFAULT_DIRECTORIES], "the seed's set"],
};

/** A default as the table shows it: empty for "", else in code. */
function defaultCell(key: ConfigKey): string {
    const value = defaultOf(key);
    const words = IN_WORDS[key];
    if (words) return JSON.stringify(value) === JSON.stringify(words[0]) ? words[1] : `(the schema's default is ${JSON.stringify(value)}, not ${words[1]})`;
    if (value === "") return "";
    return `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
}

/** The rows of the configuration table: keys, default cell, notes cell. */
function tableRows(text: string): { keys: string[]; defaults: string; notes: string }[] {
    const lines = text.split("\n");
    const start = lines.indexOf(TABLE_HEADER);
    if (start === -1) return [];
    const end = lines.findIndex((l, i) => i > start && !l.startsWith("|"));
    return lines.slice(start + 2, end === -1 ? undefined : end).map((l) => {
        const [keys, defaults, ...notes] = l.split("|").slice(1, -1);
        return { keys: keys.split(" / ").map((k) => k.trim().replace(/^`(.*)`$/, "$1")), defaults: defaults.trim(), notes: notes.join("|").trim() };
    });
}

/** Where the configuration table disagrees with the schema: its keys, in order, each key's default, and "secret" on a secret's row. */
function tableDisagreements(text: string): string[] {
    const rows = tableRows(text);
    const out: string[] = [];
    const keys = rows.flatMap((r) => r.keys);
    const order = keyListDisagreement(keys);
    if (order) out.push(`the configuration table (${TABLE.file}) ${order}`);
    for (const row of rows) {
        const known = row.keys.filter((k): k is ConfigKey => (CONFIG_KEYS as string[]).includes(k));
        const cells = known.map(defaultCell);
        const want = cells.every((c) => c === "") ? "" : cells.join(" / ");
        if (row.defaults !== want) out.push(`the configuration table's default for ${row.keys.join(" / ")} is "${row.defaults}"; the schema's is "${want}"`);
        if (known.some((k) => SECRET_KEYS.has(k)) && !row.notes.includes("secret"))
            out.push(`the configuration table's row for ${row.keys.join(" / ")} does not say it is a secret`);
    }
    return out;
}

describe("Pulumi.yaml", () => {
    it("declares every key of the schema, in its order, with its type, description and default", () => {
        assert.deepEqual(pulumiYamlDisagreements(PULUMI_YAML), []);
    });

    it("the check finds a default, a description, a type or a key that differs", () => {
        assert.match(pulumiYamlDisagreements(altered(PULUMI_YAML, "default: 5\n", "default: 6\n")).join("\n"), /haproxyReloadDelay is not the schema's/);
        assert.match(
            pulumiYamlDisagreements(altered(PULUMI_YAML, "Data Plane API release to install.", "Release.")).join("\n"),
            /dataplaneapiVersion is not the schema's/,
        );
        assert.match(pulumiYamlDisagreements(altered(PULUMI_YAML, /(apiPort:\n\s+type:) integer/, "$1 string")).join("\n"), /apiPort is not the schema's/);
        assert.match(
            pulumiYamlDisagreements(altered(PULUMI_YAML, /^ {2}rolloutHealthySeconds:\n(?: {4}.*\n)+/m, "")).join("\n"),
            /Pulumi\.yaml lacks rolloutHealthySeconds/,
        );
    });
});

describe("the configuration table", () => {
    it("lists every key of the schema once, in its order, with its default", () => {
        assert.deepEqual(tableDisagreements(TABLE.text), []);
    });

    it("the check finds a default or a key that differs", () => {
        assert.match(
            tableDisagreements(altered(TABLE.text, "| `haproxyReloadDelay` | `5` |", "| `haproxyReloadDelay` | `10` |")).join("\n"),
            /haproxyReloadDelay is "`10`"/,
        );
        assert.match(
            tableDisagreements(altered(TABLE.text, "| `apiBindAddress` / `apiPort` | `0.0.0.0` / `5555` |", "| `apiBindAddress` | `0.0.0.0` |")).join("\n"),
            /configuration table \(\S+\.md\) lacks apiPort/,
        );
        assert.match(tableDisagreements(altered(TABLE.text, /^\| `rolloutCheckUrl` \|.*\n/m, "")).join("\n"), /lacks rolloutCheckUrl/);
        assert.match(
            tableDisagreements(altered(TABLE.text, "| `dataplaneapiArch` | detect |", "| `dataplaneapiArch` | `x86_64` |")).join("\n"),
            /dataplaneapiArch is "`x86_64`"/,
        );
        assert.match(
            tableDisagreements(altered(TABLE.text, "| secret; key for every host |", "| key for every host |")).join("\n"),
            /sshPrivateKey does not say it is a secret/,
        );
    });
});
