/**
 * Property values as the Node provider server hands them over: raw
 * `Struct.toJavaScript()` objects, where secrets, assets, archives and
 * unknowns keep their wire envelopes (NM @pulumi/pulumi/runtime/rpc.js).
 */

import { specialArchiveSig, specialAssetSig, specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";

export const SIG_KEY = specialSigKey;
export const SECRET_SIG = specialSecretSig;
export const ASSET_SIG = specialAssetSig;
export const ARCHIVE_SIG = specialArchiveSig;
export const UNKNOWN = unknownValue;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Props = { [k: string]: Json };

function isObject(v: unknown): v is { [k: string]: Json } {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isSecret(v: unknown): v is { [k: string]: Json } {
    return isObject(v) && v[SIG_KEY] === SECRET_SIG;
}

export function secret(v: Json): Json {
    return isSecret(v) ? v : { [SIG_KEY]: SECRET_SIG, value: v };
}

/** The value with every secret envelope removed, at any depth (assets and archives stay as they are). */
export function reveal(v: unknown): Json {
    if (isSecret(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    return (v === undefined ? null : v) as Json;
}

/** True when the value is, or contains, an unknown (preview only). */
export function hasUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(hasUnknown);
    if (isObject(v)) return Object.values(v).some(hasUnknown);
    return false;
}

/** Deep equality on raw wire values (a change of secrecy counts as a change). */
export function deepEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if ((a === undefined || a === null) && (b === undefined || b === null)) return true;
    if (Array.isArray(a) || Array.isArray(b)) {
        if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
        return a.every((x, i) => deepEqual(x, b[i]));
    }
    if (isObject(a) && isObject(b)) {
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
        return true;
    }
    return false;
}

export interface AssetValue {
    kind: "asset" | "archive";
    hash: string;
    path?: string;
    text?: string;
    uri?: string;
    assets?: unknown;
}

/** An asset or archive envelope, or undefined when the value is neither. */
export function assetOf(v: unknown): AssetValue | undefined {
    const x = isSecret(v) ? v.value : v;
    if (!isObject(x)) return undefined;
    const sig = x[SIG_KEY];
    if (sig !== ASSET_SIG && sig !== ARCHIVE_SIG) return undefined;
    const str = (k: string) => (typeof x[k] === "string" ? (x[k] as string) : undefined);
    return {
        kind: sig === ASSET_SIG ? "asset" : "archive",
        hash: str("hash") ?? "",
        path: str("path"),
        text: str("text"),
        uri: str("uri"),
        assets: x.assets,
    };
}

/**
 * Go's `%q` (strconv.Quote) for the command text in error messages: a
 * double-quoted string with Go escapes for control and non-printable runes.
 */
export function goQuote(s: string): string {
    let out = '"';
    for (const ch of s) {
        const c = ch.codePointAt(0)!;
        switch (ch) {
            case "\x07":
                out += "\\a";
                continue;
            case "\b":
                out += "\\b";
                continue;
            case "\f":
                out += "\\f";
                continue;
            case "\n":
                out += "\\n";
                continue;
            case "\r":
                out += "\\r";
                continue;
            case "\t":
                out += "\\t";
                continue;
            case "\v":
                out += "\\v";
                continue;
            case "\\":
                out += "\\\\";
                continue;
            case '"':
                out += '\\"';
                continue;
        }
        if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
        else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, "0")}`;
        else if (c === 0xfffd && ch !== "\ufffd") out += "\\ufffd";
        else out += ch;
    }
    return `${out}"`;
}
