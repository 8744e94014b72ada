/**
 * A minimal DER encoder and reader: just what the tls stand-in needs to lay
 * out certificates, CSRs and keys byte for byte the way Go's crypto/x509 does
 * (the real plugin is Go). Test equipment only.
 */

export const TAG = {
    BOOLEAN: 0x01,
    INTEGER: 0x02,
    BIT_STRING: 0x03,
    OCTET_STRING: 0x04,
    NULL: 0x05,
    OID: 0x06,
    UTF8_STRING: 0x0c,
    PRINTABLE_STRING: 0x13,
    IA5_STRING: 0x16,
    UTC_TIME: 0x17,
    GENERALIZED_TIME: 0x18,
    SEQUENCE: 0x30,
    SET: 0x31,
} as const;

function lengthBytes(n: number): Buffer {
    if (n < 0x80) return Buffer.from([n]);
    const bytes: number[] = [];
    while (n > 0) {
        bytes.unshift(n & 0xff);
        n = Math.floor(n / 256);
    }
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
    return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(TAG.SEQUENCE, Buffer.concat(items));

/** SET OF, sorted by encoding as DER requires (Go's encoding/asn1 sorts too). */
export const setOf = (...items: Buffer[]): Buffer => tlv(TAG.SET, Buffer.concat([...items].sort(Buffer.compare)));

export function integer(value: bigint | number): Buffer {
    const v = BigInt(value);
    if (v < 0n) throw new Error("negative integers are not needed here");
    let hex = v.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, "hex");
    if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return tlv(TAG.INTEGER, bytes);
}

export function oid(dotted: string): Buffer {
    const parts = dotted.split(".").map((p) => BigInt(p));
    const out: number[] = [Number(parts[0] * 40n + parts[1])];
    for (const p of parts.slice(2)) {
        const chunk: number[] = [];
        let v = p;
        do {
            chunk.unshift(Number(v & 0x7fn));
            v >>= 7n;
        } while (v > 0n);
        for (let i = 0; i < chunk.length - 1; i++) chunk[i] |= 0x80;
        out.push(...chunk);
    }
    return tlv(TAG.OID, Buffer.from(out));
}

export function oidToString(content: Buffer): string {
    const parts: bigint[] = [];
    let v = 0n;
    for (const b of content) {
        v = (v << 7n) | BigInt(b & 0x7f);
        if (!(b & 0x80)) {
            parts.push(v);
            v = 0n;
        }
    }
    const first = parts.shift() ?? 0n;
    const a = first < 80n ? first / 40n : 2n;
    return [a, first - a * 40n, ...parts].join(".");
}

export const bitString = (bytes: Buffer, unusedBits = 0): Buffer => tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes]));
export const octetString = (bytes: Buffer): Buffer => tlv(TAG.OCTET_STRING, bytes);
export const boolean = (v: boolean): Buffer => tlv(TAG.BOOLEAN, Buffer.from([v ? 0xff : 0x00]));
export const nullValue = (): Buffer => tlv(TAG.NULL, Buffer.alloc(0));
/** [n] EXPLICIT */
export const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);
/** [n] IMPLICIT, primitive */
export const implicitPrimitive = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);

/** Go's encoding/asn1 time: UTCTime for 1950..2049, GeneralizedTime otherwise; seconds, UTC. */
export function time(d: Date): Buffer {
    const y = d.getUTCFullYear();
    const p2 = (n: number) => String(n).padStart(2, "0");
    const rest = `${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`;
    return y >= 1950 && y < 2050
        ? tlv(TAG.UTC_TIME, Buffer.from(`${p2(y % 100)}${rest}`, "ascii"))
        : tlv(TAG.GENERALIZED_TIME, Buffer.from(`${String(y).padStart(4, "0")}${rest}`, "ascii"));
}

export interface Node {
    tag: number;
    /** The whole element, header included. */
    raw: Buffer;
    content: Buffer;
}

/** Reads one element at `offset`. */
export function read(buf: Buffer, offset = 0): Node & { end: number } {
    if (offset + 2 > buf.length) throw new Error("DER: truncated");
    const tag = buf[offset];
    let len = buf[offset + 1];
    let header = 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4) throw new Error("DER: unsupported length");
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i];
        header += n;
    }
    const end = offset + header + len;
    if (end > buf.length) throw new Error("DER: truncated");
    return { tag, raw: buf.subarray(offset, end), content: buf.subarray(offset + header, end), end };
}

/** The elements inside a constructed element. */
export function children(node: Node): Node[] {
    const out: Node[] = [];
    let off = 0;
    while (off < node.content.length) {
        const n = read(node.content, off);
        out.push(n);
        off = n.end;
    }
    return out;
}

export function parse(buf: Buffer): Node {
    const n = read(buf, 0);
    if (n.end !== buf.length) throw new Error("DER: trailing data");
    return n;
}
