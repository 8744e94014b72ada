import { createHash, createHmac } from "node:crypto";

/**
 * SHA-512 crypt ("$6$"), as glibc's crypt(3) and `openssl passwd -6` compute it.
 *
 * HAProxy userlists and the Data Plane API both accept this form, and computing
 * it here means the plaintext password never has to reach the host. Node has no
 * built-in for it and the project's dependency list is fixed, hence this file.
 * The "rounds=" prefix is deliberately never emitted: Data Plane API 3.2.1
 * splits the hash on "$" and rejects anything that is not exactly 4 parts.
 */
export function sha512Crypt(password: string, salt: string): string {
    if (!/^[./0-9A-Za-z]{1,16}$/.test(salt)) {
        throw new Error(`sha512Crypt: salt must be 1-16 characters of [./0-9A-Za-z]; got ${salt.length} characters`);
    }
    const rounds = 5000;
    const p = Buffer.from(password, "utf8");
    const s = Buffer.from(salt, "ascii");
    const sha = () => createHash("sha512");

    const b = sha().update(p).update(s).update(p).digest();
    const aCtx = sha().update(p).update(s);
    let i: number;
    for (i = p.length; i > 64; i -= 64) aCtx.update(b);
    aCtx.update(b.subarray(0, i));
    for (i = p.length; i > 0; i >>= 1) aCtx.update(i & 1 ? b : p);
    const a = aCtx.digest();

    const dpCtx = sha();
    for (i = 0; i < p.length; i++) dpCtx.update(p);
    const pSeq = repeatTo(dpCtx.digest(), p.length);

    const dsCtx = sha();
    for (i = 0; i < 16 + a[0]; i++) dsCtx.update(s);
    const sSeq = repeatTo(dsCtx.digest(), s.length);

    let c = a;
    for (let r = 0; r < rounds; r++) {
        const ctx = sha();
        ctx.update(r & 1 ? pSeq : c);
        if (r % 3) ctx.update(sSeq);
        if (r % 7) ctx.update(pSeq);
        ctx.update(r & 1 ? c : pSeq);
        c = ctx.digest();
    }

    let out = "";
    const order = [
        [0, 21, 42],
        [22, 43, 1],
        [44, 2, 23],
        [3, 24, 45],
        [25, 46, 4],
        [47, 5, 26],
        [6, 27, 48],
        [28, 49, 7],
        [50, 8, 29],
        [9, 30, 51],
        [31, 52, 10],
        [53, 11, 32],
        [12, 33, 54],
        [34, 55, 13],
        [56, 14, 35],
        [15, 36, 57],
        [37, 58, 16],
        [59, 17, 38],
        [18, 39, 60],
        [40, 61, 19],
        [62, 20, 41],
    ];
    for (const [x, y, z] of order) out += b64From24(c[x], c[y], c[z], 4);
    out += b64From24(0, 0, c[63], 2);
    return `$6$${salt}$${out}`;
}

/**
 * A salt that stays the same from one run to the next, so an unchanged password
 * gives an unchanged hash and `pulumi up` has nothing to do, yet cannot be
 * predicted without `seed` (a secret kept in stack state).
 */
export function deriveSalt(seed: string, context: string): string {
    const digest = createHmac("sha256", seed).update(context).digest();
    let salt = "";
    for (let i = 0; i < 16; i++) salt += CRYPT_ALPHABET[digest[i] & 0x3f];
    return salt;
}

const CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function b64From24(b2: number, b1: number, b0: number, n: number): string {
    let w = (b2 << 16) | (b1 << 8) | b0;
    let out = "";
    for (let i = 0; i < n; i++) {
        out += CRYPT_ALPHABET[w & 0x3f];
        w >>= 6;
    }
    return out;
}

function repeatTo(block: Buffer, length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = block[i % block.length];
    return out;
}
