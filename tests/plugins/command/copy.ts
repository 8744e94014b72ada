/**
 * CopyToRemote's upload (PC copyController.go:33-62, 156-320): SFTP as the
 * SSH user, parent directories created, no chmod (the server's default mode
 * applies), directories copied recursively.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import type { SFTPWrapper, Stats } from "ssh2";
import type { ResourceLogger } from "./engineLog";
import { type Connection, dial, sftpOf } from "./ssh";

export type CopySource = { kind: "text"; text: string } | { kind: "path"; path: string };

function stat(s: SFTPWrapper, p: string): Promise<Stats | undefined> {
    return new Promise((resolve, reject) =>
        s.stat(p, (err, st) => {
            if (!err) resolve(st);
            else if ((err as Error & { code?: number }).code === 2)
                resolve(undefined); // SSH_FX_NO_SUCH_FILE
            else reject(new Error(`failed to stat remote path ${p}: ${err.message}`));
        }),
    );
}

function mkdir(s: SFTPWrapper, p: string): Promise<void> {
    return new Promise((resolve, reject) => s.mkdir(p, (err) => (err ? reject(err) : resolve())));
}

/** pkg/sftp MkdirAll: every missing directory on the way, an error if a part is a file. */
async function mkdirAll(s: SFTPWrapper, p: string): Promise<void> {
    const st = await stat(s, p);
    if (st) {
        if (st.isDirectory()) return;
        throw new Error(`mkdir ${p}: not a directory`);
    }
    const parent = path.posix.dirname(p);
    if (parent !== p) await mkdirAll(s, parent);
    try {
        await mkdir(s, p);
    } catch (e) {
        const again = await stat(s, p);
        if (!again?.isDirectory()) throw e;
    }
}

/** Create (truncate) and write, sending no attributes: the server's default mode applies. */
function writeFile(s: SFTPWrapper, p: string, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
        s.open(p, "w", (err, handle) => {
            if (err) {
                reject(new Error(`failed to create remote file ${p}: ${err.message}`));
                return;
            }
            const finish = (e?: Error) => s.close(handle, () => (e ? reject(e) : resolve()));
            let offset = 0;
            const next = () => {
                if (offset >= data.length) {
                    finish();
                    return;
                }
                const len = Math.min(32 * 1024, data.length - offset);
                s.write(handle, data, offset, len, offset, (werr) => {
                    if (werr) {
                        finish(new Error(`failed to write to remote path ${p}: ${werr.message}`));
                        return;
                    }
                    offset += len;
                    next();
                });
            };
            next();
        });
    });
}

async function copyDir(s: SFTPWrapper, src: string, dst: string): Promise<void> {
    const st = await stat(s, dst);
    if (!st)
        await mkdir(s, dst).catch((e: Error) => {
            throw new Error(`failed to create remote directory ${dst}: ${e.message}`);
        });
    else if (!st.isDirectory()) throw new Error(`remote path ${dst} exists but is not a directory`);
    for (const entry of readdirSync(src, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const from = path.join(src, entry.name);
        const to = path.posix.join(dst, entry.name);
        if (entry.isDirectory()) await copyDir(s, from, to);
        else await writeFile(s, to, readFileSync(from));
    }
}

export async function copyToRemote(conn: Connection, source: CopySource, remotePath: string, log: ResourceLogger): Promise<void> {
    if (source.kind === "text") log.debug(`Creating file: ${conn.host}:${remotePath} from text asset`);
    else log.debug(`Creating file: ${conn.host}:${remotePath} from local file ${source.path}`);
    const client = await dial(conn, log);
    try {
        const s = await sftpOf(client);
        try {
            const destStat = await stat(s, remotePath);
            if (source.kind === "text") {
                if (destStat?.isDirectory()) {
                    throw new Error(`remote path ${remotePath} is a directory; when using a text asset, remotePath must be a file path`);
                }
                await mkdirAll(s, path.posix.dirname(remotePath)).catch((e: Error) => {
                    throw new Error(`failed to create parent directories for ${remotePath}: ${e.message}`);
                });
                await writeFile(s, remotePath, Buffer.from(source.text, "utf8"));
                return;
            }
            const srcPath = source.path;
            const srcStat = statSync(srcPath);
            let dest = remotePath;
            if (srcStat.isDirectory()) {
                if (!destStat) {
                    await mkdirAll(s, dest).catch((e: Error) => {
                        throw new Error(`failed to create remote directory ${dest}: ${e.message}`);
                    });
                } else if (!destStat.isDirectory()) {
                    throw new Error(`remote path ${dest} exists but is not a directory`);
                }
                if (!srcPath.endsWith("/")) dest = path.posix.join(dest, path.basename(srcPath));
                await copyDir(s, srcPath, dest);
            } else {
                if (destStat?.isDirectory()) dest = path.posix.join(dest, path.basename(srcPath));
                else if (!destStat) {
                    await mkdirAll(s, path.posix.dirname(dest)).catch((e: Error) => {
                        throw new Error(`failed to create parent directories for ${dest}: ${e.message}`);
                    });
                }
                await writeFile(s, dest, readFileSync(srcPath));
            }
        } finally {
            s.end();
        }
    } finally {
        client.end();
    }
}
