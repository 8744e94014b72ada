/**
 * The load client (load.ts, loadgen.ts) against local servers on loopback
 * that misbehave in each way it must tell apart: it counts what it should,
 * in the class it should, at the rate it was asked for.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import * as path from "node:path";
import { describe, it } from "node:test";
import { describeLoad, Load, type LoadOptions, type LoadReport, type LoadSettings, loadSettings, underLoad } from "../../lab/load";

interface TestServer {
    url: string;
    server: http.Server;
    /** Requests the server received. */
    requests: () => number;
    /** TCP connections the server accepted. */
    connections: () => number;
    close: () => Promise<void>;
}

/** An HTTP server on 127.0.0.1 whose handler gets each request with its number (from 1) and its number on its connection (from 1). */
async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number, onConnection: number) => void): Promise<TestServer> {
    let requests = 0;
    let connections = 0;
    const perSocket = new WeakMap<Socket, number>();
    const server = http.createServer((req, res) => {
        requests++;
        const k = (perSocket.get(req.socket) ?? 0) + 1;
        perSocket.set(req.socket, k);
        handler(req, res, requests, k);
    });
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}/`,
        server,
        requests: () => requests,
        connections: () => connections,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a load for `ms` against `url`, printing its report line. */
async function loadFor(url: string, ms: number, opts: LoadOptions = {}): Promise<LoadReport> {
    const load = await Load.start(url, opts);
    await sleep(ms);
    const r = await load.stop();
    console.log(describeLoad(r));
    return r;
}

/** The classes add up to `sent`, whatever the test is about. */
function assertConsistent(r: LoadReport): void {
    assert.equal(r.ok + r.failed, r.sent, describeLoad(r));
    assert.equal(r.refused + r.reset + r.timeout + r.status5xx + r.statusOther + r.otherError, r.failed, describeLoad(r));
}

describe("the load client", () => {
    it("against a healthy server: every request ok, at the asked rate, one connection per request", async () => {
        const s = await serve((_req, res) => res.end("ok"));
        try {
            const load = await Load.start(s.url, { rate: 200 });
            const t = Date.now();
            await sleep(2000);
            const elapsed = (Date.now() - t) / 1000;
            const r = await load.stop();
            console.log(describeLoad(r));
            assertConsistent(r);
            assert.equal(r.mode, "new");
            assert.equal(r.url, s.url);
            assert.equal(r.failed, 0, describeLoad(r));
            assert.ok(r.sent > 0);
            assert.equal(r.ok, r.sent);
            assert.equal(s.requests(), r.sent, "the server saw every request the client counted");
            assert.equal(s.connections(), r.sent, "each request on a new connection");
            assert.ok(r.durationSeconds >= 1.8 && r.durationSeconds < 4, `ran ${r.durationSeconds} s`);
            assert.ok(Math.abs(r.achievedRate - 200) <= 40, `achieved ${r.achievedRate}/s of 200/s`);
            const expected = 200 * r.durationSeconds;
            assert.ok(Math.abs(r.sent - expected) <= 0.2 * expected, `sent ${r.sent}, expected about ${expected}`);
            // Measured by this side, from the server's count: the client's own figures above could agree with themselves and still be wrong.
            assert.ok(Math.abs(s.requests() - 200 * elapsed) <= 0.2 * 200 * elapsed, `the server got ${s.requests()} in about ${elapsed} s`);
            assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p50 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.max, JSON.stringify(r.latencyMs));
            assert.deepEqual(r.errors, []);
        } finally {
            await s.close();
        }
    });

    it("counts 5xx answers as status5xx and other non-2xx answers as statusOther", async () => {
        let served503 = 0;
        let served404 = 0;
        const s = await serve((_req, res, n) => {
            if (n % 3 === 0) {
                served503++;
                res.statusCode = 503;
            } else if (n % 7 === 0) {
                served404++;
                res.statusCode = 404;
            }
            res.end("x");
        });
        try {
            const r = await loadFor(s.url, 1000, { rate: 100 });
            assertConsistent(r);
            assert.ok(served503 > 5 && served404 > 2, `${served503} 503s, ${served404} 404s`);
            assert.equal(r.status5xx, served503, describeLoad(r));
            assert.equal(r.statusOther, served404, describeLoad(r));
            assert.equal(r.ok, s.requests() - served503 - served404);
            assert.equal(r.failed, served503 + served404);
            assert.ok(r.errors.includes("status5xx: HTTP 503") && r.errors.includes("statusOther: HTTP 404"), r.errors.join(" | "));
        } finally {
            await s.close();
        }
    });

    it("counts the requests after the listener closed as refused", async () => {
        const s = await serve((_req, res) => res.end("ok"));
        const load = await Load.start(s.url, { rate: 100 });
        await sleep(800);
        // Stops accepting; the requests in flight are still answered.
        const closed = new Promise<void>((resolve) => s.server.close(() => resolve()));
        await sleep(1000);
        const r = await load.stop();
        console.log(describeLoad(r));
        await closed;
        assertConsistent(r);
        assert.equal(r.ok, s.requests(), "every request the server got was answered ok");
        assert.ok(r.ok >= 40, `ok before the close: ${r.ok}`);
        assert.ok(r.refused >= 50, `refused after the close: ${r.refused}`);
        // A connection the kernel accepted into the backlog just as the listener closed is reset, not refused.
        assert.ok(r.reset <= 3, describeLoad(r));
        assert.equal(r.failed, r.refused + r.reset, describeLoad(r));
        assert.ok(
            r.errors.some((e) => e.startsWith("refused: ECONNREFUSED")),
            r.errors.join(" | "),
        );
    });

    it("counts connections broken without an answer as reset", async () => {
        // Half closed with a FIN ("socket hang up"), half with a RST (ECONNRESET).
        const s = await serve((req, _res, n) => (n % 2 ? req.socket.destroy() : req.socket.resetAndDestroy()));
        try {
            const r = await loadFor(s.url, 1000, { rate: 100 });
            assertConsistent(r);
            assert.ok(r.sent >= 50, describeLoad(r));
            assert.equal(r.reset, r.sent, describeLoad(r));
            assert.equal(r.ok, 0);
            assert.equal(r.retried, 0, "a new connection is never retried");
            assert.equal(s.requests(), r.sent);
        } finally {
            await s.close();
        }
    });

    it("counts a request without an answer within timeoutMs as timeout, and its drain waits no longer than that", async () => {
        const s = await serve(() => {}); // never answers
        try {
            const load = await Load.start(s.url, { rate: 50, timeoutMs: 300 });
            await sleep(700);
            const t = Date.now();
            const r = await load.stop();
            const stopMs = Date.now() - t;
            console.log(`${describeLoad(r)}; stop took ${stopMs} ms`);
            assertConsistent(r);
            assert.ok(r.sent >= 20, describeLoad(r));
            assert.equal(r.timeout, r.sent, describeLoad(r));
            assert.equal(r.ok, 0);
            assert.ok(stopMs < 300 + 1000 + 1500, `stop took ${stopMs} ms`);
        } finally {
            await s.close();
        }
    });

    it("keepalive: reuses each connection for its calls", async () => {
        const s = await serve((_req, res) => res.end("ok"));
        try {
            const r = await loadFor(s.url, 2000, { mode: "keepalive", rate: 20, callsPerConnection: 10 });
            assertConsistent(r);
            assert.equal(r.mode, "keepalive");
            assert.equal(r.failed, 0, describeLoad(r));
            assert.equal(r.ok, r.sent);
            assert.equal(s.requests(), r.sent);
            assert.ok(r.sent >= 200, describeLoad(r));
            // 10 calls a connection, less for those cut short by the stop.
            assert.ok(s.connections() * 5 < r.sent, `${s.connections()} connections for ${r.sent} requests`);
            assert.ok(s.connections() * 10 >= r.sent, `${s.connections()} connections for ${r.sent} requests: more than 10 calls on one`);
            assert.ok(Math.abs(r.achievedRate - 20) <= 5, `achieved ${r.achievedRate} connections/s of 20/s`);
        } finally {
            await s.close();
        }
    });

    it("keepalive: a server that answers Connection: close every time costs new connections, not failures", async () => {
        const s = await serve((_req, res) => {
            res.setHeader("connection", "close");
            res.end("ok");
        });
        try {
            const r = await loadFor(s.url, 1000, { mode: "keepalive", rate: 20, callsPerConnection: 5 });
            assertConsistent(r);
            assert.equal(r.failed, 0, describeLoad(r));
            assert.equal(r.retried, 0, describeLoad(r));
            assert.ok(r.sent >= 50, describeLoad(r));
            assert.equal(s.connections(), r.sent, "the close was honoured: one connection per request");
        } finally {
            await s.close();
        }
    });

    it("keepalive: a request lost on a reused idle connection is retried once on a new one, and not failed", async () => {
        // The race of a server closing an idle connection as the next request arrives: the second request on every connection is dropped unanswered.
        const s = await serve((req, res, _n, onConnection) => (onConnection === 1 ? res.end("ok") : req.socket.destroy()));
        try {
            const r = await loadFor(s.url, 1000, { mode: "keepalive", rate: 10, callsPerConnection: 4 });
            assertConsistent(r);
            assert.equal(r.failed, 0, describeLoad(r));
            assert.ok(r.retried >= 10, describeLoad(r));
            // Each retry costs the server one request it dropped.
            assert.equal(s.requests(), r.sent + r.retried);
        } finally {
            await s.close();
        }
    });

    it("keepalive: a retry that fails too counts, and a request on a new connection is not retried", async () => {
        // Answers only the very first request: the second one breaks on a reused connection, is retried, breaks again; all later ones break on new connections.
        const s = await serve((req, res, n) => (n === 1 ? res.end("ok") : req.socket.destroy()));
        try {
            const r = await loadFor(s.url, 1000, { mode: "keepalive", rate: 10, callsPerConnection: 3 });
            assertConsistent(r);
            assert.equal(r.ok, 1, describeLoad(r));
            assert.equal(r.retried, 1, describeLoad(r));
            assert.equal(r.reset, r.sent - 1, describeLoad(r));
            assert.ok(r.sent >= 10, describeLoad(r));
            assert.equal(s.requests(), r.sent + 1);
        } finally {
            await s.close();
        }
    });

    it("the child alone: stops on SIGTERM like on the end of its stdin, with one report line, exit code 0", async () => {
        const s = await serve((_req, res) => res.end("ok"));
        try {
            const settings: LoadSettings = { ...loadSettings(s.url), rate: 50 };
            const child = spawn(
                process.execPath,
                ["--require", "ts-node/register", path.join(__dirname, "..", "..", "lab", "loadgen.ts"), JSON.stringify(settings)],
                {
                    cwd: path.resolve(__dirname, "..", ".."),
                    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
                    stdio: ["pipe", "pipe", "inherit"],
                },
            );
            let out = "";
            child.stdout.setEncoding("utf8");
            child.stdout.on("data", (c: string) => (out += c));
            const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
            const deadline = Date.now() + 15_000;
            while (!out.includes("\n") && Date.now() < deadline) await sleep(20);
            assert.equal(out, '{"started":true}\n');
            await sleep(500);
            child.kill("SIGTERM"); // stdin stays open: the signal alone stops it
            assert.equal(await exited, 0);
            const lines = out.trimEnd().split("\n");
            assert.equal(lines.length, 2, out);
            const r = JSON.parse(lines[1]) as LoadReport;
            assertConsistent(r);
            assert.ok(r.sent > 0 && r.failed === 0, describeLoad(r));
            assert.equal(s.requests(), r.sent);
        } finally {
            await s.close();
        }
    });

    it("Load.start rejects with the child's stderr when the load cannot run", async () => {
        await assert.rejects(Load.start("not a url"), /without a report; stderr:[\s\S]*Invalid URL/);
    });

    it("underLoad: runs a new and a keepalive load per url around fn and returns its result with their reports", async () => {
        const a = await serve((_req, res) => res.end("a"));
        const b = await serve((_req, res) => res.end("b"));
        try {
            const { result, reports } = await underLoad([a.url, b.url], async () => {
                await sleep(800);
                return 42;
            });
            for (const r of reports) console.log(describeLoad(r));
            assert.equal(result, 42);
            assert.deepEqual(
                reports.map((r) => [r.url, r.mode]),
                [
                    [a.url, "new"],
                    [a.url, "keepalive"],
                    [b.url, "new"],
                    [b.url, "keepalive"],
                ],
            );
            for (const r of reports) {
                assertConsistent(r);
                assert.equal(r.failed, 0, describeLoad(r));
                assert.ok(r.sent > 0, describeLoad(r));
            }
            assert.equal(a.requests(), reports[0].sent + reports[1].sent);
            assert.equal(b.requests(), reports[2].sent + reports[3].sent);
        } finally {
            await a.close();
            await b.close();
        }
    });

    it("underLoad: stops the loads when fn throws, and rethrows fn's error", async () => {
        const s = await serve((_req, res) => res.end("ok"));
        try {
            await assert.rejects(
                underLoad([s.url], async () => {
                    await sleep(500);
                    throw new Error("the step failed");
                }),
                /^Error: the step failed$/,
            );
            const before = s.requests();
            assert.ok(before > 0, "the loads ran");
            await sleep(600);
            assert.equal(s.requests(), before, "no request after underLoad returned: the loads are stopped");
        } finally {
            await s.close();
        }
    });
});
