/**
 * The contract of the `command` plugin v1.2.1 (README.md beside this file,
 * from ../../../../shared/docs/providers.md), shown on the real plugin that
 * lab/build-tools.sh builds from its upstream source, under the real
 * engine, against a real test host.
 *
 * Run: cd /work/main && TS_NODE_TRANSPILE_ONLY=true node_modules/.bin/node \
 *   --require ts-node/register --test --test-concurrency=1 tests/plugins/command/contract.test.ts
 */
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { buildTools, describeTools, hostDown, hostUp } from "../../../lab/lab";
import { onlyHost } from "../../../lab/hosts";
import { blackhole, diags, Lab, Listener, opOf, resourceState, type ResourceSpec, shq } from "./harness";

const HOST = "cmd-contract";
const { index: INDEX, release: RELEASE } = onlyHost("commandContract");
const stateDir = mkdtempSync(path.join(tmpdir(), "command-contract-"));
let lab: Lab;
let n = 0;

/** A fresh stack and a fresh log file on the host for one test. */
async function fresh(label: string) {
    n++;
    const log = `/tmp/ct/${n}-${label}.log`;
    const stack = await lab.stack(`t${n}-${label}`);
    return { stack, log, app: (s: string) => `echo ${shq(s)} >> ${log}` };
}

function existsSyncSafe(p: string): boolean {
    return existsSync(p);
}

function sshKeygen(file: string): void {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "contract-test", "-f", file]);
}

describe("command plugin 1.2.1 contract (real engine, real host)", { timeout: 30 * 60_000 }, () => {
    before(() => {
        const tools = buildTools();
        const plugins = tools.plugins;
        console.log(describeTools(tools));
        hostDown(HOST);
        const host = hostUp(HOST, INDEX, RELEASE);
        sshKeygen(path.join(stateDir, "alt"));
        lab = new Lab(
            host,
            {
                privateKey: readFileSync(host.privateKeyFile, "utf8"),
                altKey: readFileSync(path.join(stateDir, "alt"), "utf8"),
                password: `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`,
            },
            plugins,
            tools.binDir,
            stateDir,
        );
        lab.run("install -d -m 0777 /tmp/ct");
        // Variables named CT_* are accepted by sshd; every other one is refused (Debian's default is LANG LC_*).
        lab.sshdDropIn("05-ct-env", "AcceptEnv CT_*");
    });
    after(() => {
        hostDown(HOST);
        rmSync(stateDir, { recursive: true, force: true });
    });

    // -------------------------------------------------------------- diff

    it("diff: a change to any input but triggers is an in-place update", async () => {
        const { stack, log, app } = await fresh("diff-update");
        const base = (name: string): ResourceSpec => ({
            name,
            create: app(`create ${name}`),
            stdin: "x",
            environment: { CT_A: "1" },
            logging: "stdout",
            addPreviousOutputInEnv: true,
            delete: app(`delete ${name}`),
            update: app(`update ${name}`),
        });
        const names = ["create", "update", "delete", "stdin", "environment", "logging", "addPreviousOutputInEnv", "connection"];
        const first = await lab.up(stack, names.map(base));
        assert.ok(first.ok, first.error);
        const changed: ResourceSpec[] = names.map((k) => {
            const r = base(k);
            switch (k) {
                case "create":
                    return { ...r, create: app("create create v2") };
                case "update":
                    return { ...r, update: app("update update v2") };
                case "delete":
                    return { ...r, delete: app("delete delete v2") };
                case "stdin":
                    return { ...r, stdin: "y" };
                case "environment":
                    return { ...r, environment: { CT_A: "2" } };
                case "logging":
                    return { ...r, logging: "none" };
                case "addPreviousOutputInEnv":
                    return { ...r, addPreviousOutputInEnv: false };
                default:
                    return { ...r, conn: { perDialTimeout: 14 } };
            }
        });
        const second = await lab.up(stack, changed);
        assert.ok(second.ok, second.error);
        for (const k of names) assert.deepEqual(opOf(second, k), ["update"], `a change to ${k}`);
        assert.equal(second.changes.replace ?? 0, 0);
        assert.equal(second.changes.update, names.length);
        const lines = lab.lines(log);
        assert.equal(lines.filter((l) => l.startsWith("delete")).length, 0, "no delete ran");
        assert.ok(lines.includes("update update v2"), "the new update command ran");
    });

    it("diff: a trigger change replaces, create-before-delete, the old delete with the old inputs", async () => {
        const { stack, log, app } = await fresh("trigger-replace");
        const gen = (g: number): ResourceSpec => ({
            name: "r",
            triggers: [g],
            create: app(`create ${g}`),
            delete: `cat >> ${log}; ${app(`delete ${g}`)}`,
            stdin: `stdin ${g}\n`,
        });
        assert.ok((await lab.up(stack, [gen(1)])).ok);
        const r = await lab.up(stack, [gen(2)]);
        assert.ok(r.ok, r.error);
        assert.deepEqual(lab.lines(log), ["create 1", "create 2", "stdin 1", "delete 1"], "new create, then the old delete with the old command and stdin");
        assert.equal(r.changes.replace, 1);
        assert.deepEqual(opOf(r, "r"), ["create-replacement", "replace", "delete-replaced"]);
    });

    it("diff: adding or removing the whole triggers array replaces", async () => {
        const { stack, log, app } = await fresh("trigger-add");
        const spec = (triggers?: unknown[]): ResourceSpec => ({ name: "r", create: app("create"), ...(triggers ? { triggers } : {}) });
        assert.ok((await lab.up(stack, [spec()])).ok);
        const added = await lab.up(stack, [spec(["a"])]);
        assert.ok(added.ok, added.error);
        assert.equal(added.changes.replace, 1, "adding triggers replaces");
        const removed = await lab.up(stack, [spec()]);
        assert.ok(removed.ok, removed.error);
        assert.equal(removed.changes.replace, 1, "removing triggers replaces");
        assert.deepEqual(lab.lines(log), ["create", "create", "create"]);
    });

    it("diff: the engine still applies a program's replaceOnChanges (it has the detailed diff)", async () => {
        const { stack, log, app } = await fresh("replace-on-changes");
        const spec = (v: string): ResourceSpec => ({ name: "r", create: app(`create ${v}`), delete: app(`delete ${v}`), replaceOnChanges: ["create"] });
        assert.ok((await lab.up(stack, [spec("1")])).ok);
        const r = await lab.up(stack, [spec("2")]);
        assert.ok(r.ok, r.error);
        assert.equal(r.changes.replace, 1);
        assert.deepEqual(lab.lines(log), ["create 1", "create 2", "delete 1"]);
    });

    it("preview runs no command", async () => {
        const { stack, log, app } = await fresh("preview");
        assert.ok((await lab.up(stack, [{ name: "a", create: app("create a"), delete: app("delete a") }])).ok);
        const r = await lab.up(
            stack,
            [
                { name: "a", create: app("create a2"), delete: app("delete a") },
                { name: "b", create: app("create b") },
            ],
            "preview",
        );
        assert.ok(r.ok, r.error);
        assert.equal(r.changes.update, 1);
        assert.equal(r.changes.create, 1);
        assert.deepEqual(lab.lines(log), ["create a"], "only the first up's create ran");
    });

    // -------------------------------------------------------------- running

    it("update runs update if set, else create, with the new inputs; neither set runs nothing", async () => {
        const { stack, log, app } = await fresh("update-runs");
        const probe = await new Listener().listen();
        const v = (g: number): ResourceSpec[] => [
            { name: "withUpdate", create: app(`create ${g}`), update: app(`update ${g}`) },
            { name: "createOnly", create: app(`create-only ${g}`) },
            { name: "neither", conn: { host: "127.0.0.1", port: probe.port, dialErrorLimit: 0 }, stdin: `g${g}` },
        ];
        assert.ok((await lab.up(stack, v(1))).ok);
        const r = await lab.up(stack, v(2));
        assert.ok(r.ok, r.error);
        assert.deepEqual(opOf(r, "neither"), ["update"]);
        assert.deepEqual(lab.lines(log).sort(), ["create 1", "create-only 1", "create-only 2", "update 2"]);
        assert.equal(probe.attempts.length, 0, "no connection for a Command without create/update");
        await probe.close();
    });

    it("delete runs the stored delete with the stored inputs; no delete, no connection", async () => {
        const { stack, log } = await fresh("delete");
        const probe = await new Listener().listen();
        const spec: ResourceSpec[] = [
            { name: "d", create: "true", delete: `cat >> ${log}; echo deleted >> ${log}`, stdin: "stored stdin\n" },
            { name: "nodelete", conn: { host: "127.0.0.1", port: probe.port, dialErrorLimit: 0 } },
        ];
        assert.ok((await lab.up(stack, spec)).ok);
        const r = await lab.up(stack, []);
        assert.ok(r.ok, r.error);
        assert.equal(r.changes.delete, 2);
        assert.deepEqual(lab.lines(log), ["stored stdin", "deleted"]);
        assert.equal(probe.attempts.length, 0, "no connection when delete is unset");
        await probe.close();
    });

    it("a failing delete keeps the resource; after a replace it stays pending-delete and is retried first", async () => {
        const { stack, log, app } = await fresh("delete-fails");
        const gate = `${log}.ok`;
        const spec = (g: number): ResourceSpec => ({
            name: "r",
            triggers: [g],
            create: app(`create ${g}`),
            delete: `test -f ${gate} && ${app(`delete ${g}`)}`,
        });
        assert.ok((await lab.up(stack, [spec(1)])).ok);
        const r = await lab.up(stack, [spec(2)]);
        assert.ok(!r.ok, "the old delete fails");
        assert.match(r.error, /Process exited with status 1: running "test -f/);
        const pending = ((await (await stack.exportStack()).deployment.resources) ?? []).filter((x: any) => String(x.urn).endsWith("::r"));
        assert.equal(pending.filter((x: any) => x.delete === true).length, 1, "the old resource is pending-delete");
        assert.equal(pending.filter((x: any) => !x.delete).length, 1, "the new one is in state");
        lab.run(`touch ${gate}`);
        const again = await lab.up(stack, [spec(2)]);
        assert.ok(again.ok, again.error);
        assert.deepEqual(opOf(again, "r"), ["same", "delete-replaced"], "only the pending delete ran");
        assert.deepEqual(lab.lines(log), ["create 1", "create 2", "delete 1"]);
        lab.run(`rm -f ${gate}`);
        const destroy = await lab.up(stack, [], "destroy");
        assert.ok(!destroy.ok, "destroy fails while delete fails");
        assert.ok(await resourceState(stack, "r"), "the resource stays in state");
        lab.run(`touch ${gate}`);
        assert.ok((await lab.up(stack, [], "destroy")).ok);
    });

    it("refresh runs nothing and connects nowhere", async () => {
        const { stack, log, app } = await fresh("refresh");
        const probe = await new Listener().listen();
        assert.ok(
            (
                await lab.up(stack, [
                    { name: "a", create: `${app("create")}; echo out` },
                    { name: "p", conn: { host: "127.0.0.1", port: probe.port, dialErrorLimit: 0 } },
                ])
            ).ok,
        );
        const before = await resourceState(stack, "a");
        const r = await lab.up(stack, [], "refresh");
        assert.ok(r.ok, r.error);
        assert.deepEqual(lab.lines(log), ["create"]);
        assert.equal(probe.attempts.length, 0);
        assert.equal((await resourceState(stack, "a")).outputs.stdout, before.outputs.stdout);
        await probe.close();
    });

    it("each run opens a new SSH connection", async () => {
        const { stack, log } = await fresh("connections");
        const rec = `echo "$SSH_CONNECTION" >> ${log}`;
        assert.ok(
            (
                await lab.up(stack, [
                    { name: "a", create: rec },
                    { name: "b", create: rec },
                ])
            ).ok,
        );
        assert.ok(
            (
                await lab.up(stack, [
                    { name: "a", create: `${rec} # 2` },
                    { name: "b", create: rec },
                ])
            ).ok,
        );
        const ports = lab.lines(log).map((l) => l.split(" ")[1]);
        assert.equal(ports.length, 3);
        assert.equal(new Set(ports).size, 3, "three runs, three client ports");
    });

    it("no PTY; the command goes as an exec request to the login shell", async () => {
        const { stack } = await fresh("exec");
        const r = await lab.up(stack, [
            { name: "e", create: `[ -t 0 ] || echo no-tty-in; [ -t 1 ] || echo no-tty-out; echo "tty=\${SSH_TTY:-none}"; ps -o args= -p $$; true` },
        ]);
        assert.ok(r.ok, r.error);
        const out = String((await resourceState(stack, "e")).outputs.stdout).split("\n");
        assert.deepEqual(out.slice(0, 3), ["no-tty-in", "no-tty-out", "tty=none"]);
        assert.match(out[3], /^bash -c \[ -t 0 \]/, "sshd ran the user's shell with -c <command>");
    });

    it("stdin is fed on create, update and delete", async () => {
        const { stack, log } = await fresh("stdin");
        const spec = (s: string): ResourceSpec => ({ name: "s", create: `cat >> ${log}`, delete: `cat >> ${log}`, stdin: s });
        assert.ok((await lab.up(stack, [spec("on create\n")])).ok);
        assert.ok((await lab.up(stack, [spec("on update\n")])).ok);
        assert.ok((await lab.up(stack, [])).ok);
        assert.deepEqual(lab.lines(log), ["on create", "on update", "on update"]);
    });

    it("environment goes by setenv; a refusal is fatal, nothing runs, nothing is stored", async () => {
        const { stack, log, app } = await fresh("environment");
        const ok = await lab.up(stack, [{ name: "ok", create: `echo "$CT_A" >> ${log}`, environment: { CT_A: "accepted" } }]);
        assert.ok(ok.ok, ok.error);
        const r = await lab.up(stack, [
            { name: "ok", create: `echo "$CT_A" >> ${log}`, environment: { CT_A: "accepted" } },
            { name: "refused", create: app("ran"), environment: { NOT_ACCEPTED: "x" } },
        ]);
        assert.ok(!r.ok);
        assert.ok(r.error.includes(`could not set environment variable "NOT_ACCEPTED": ssh: setenv failed`), r.error);
        assert.deepEqual(lab.lines(log), ["accepted"]);
        assert.equal(await resourceState(stack, "refused"), undefined);
    });

    it("PULUMI_COMMAND_STDOUT/STDERR: previous output, only when non-empty and not disabled; a refusal only warns", async () => {
        const { stack, log } = await fresh("previous-output");
        const show = (name: string) => `echo "${name} out=\${PULUMI_COMMAND_STDOUT-unset} err=\${PULUMI_COMMAND_STDERR-unset}" >> ${log}`;
        const spec = (g: number, add?: boolean): ResourceSpec[] => [
            { name: "p", create: `${show("p")}; echo out${g}; echo err${g} >&2`, ...(add === undefined ? {} : { addPreviousOutputInEnv: add }) },
            { name: "q", create: `${show("q")} # ${g}` },
        ];
        lab.sshdDropIn("06-ct-pulumi", "AcceptEnv PULUMI_COMMAND_*");
        try {
            assert.ok((await lab.up(stack, spec(1))).ok);
            assert.ok((await lab.up(stack, spec(2))).ok);
            assert.ok((await lab.up(stack, spec(3, false))).ok);
        } finally {
            lab.sshdDropIn("06-ct-pulumi", "");
        }
        const r = await lab.up(stack, spec(4, true));
        assert.ok(r.ok, `a refused PULUMI_COMMAND_* does not fail the run: ${r.error}`);
        assert.ok(
            diags(r, { severity: "warning", urnSuffix: "p" }).some((m) => m.includes("Unable to set 'PULUMI_COMMAND_STDOUT'")),
            "a warning",
        );
        const lines = lab.lines(log);
        assert.deepEqual(
            lines.filter((l) => l.startsWith("p ")),
            [
                "p out=unset err=unset", // create: nothing before
                "p out=out1 err=err1", // update: the previous output
                "p out=unset err=unset", // addPreviousOutputInEnv: false
                "p out=unset err=unset", // refused by sshd, the run goes on
            ],
        );
        assert.deepEqual(
            lines.filter((l) => l.startsWith("q ")),
            Array(4).fill("q out=unset err=unset"),
            "empty output is never sent",
        );
    });

    // -------------------------------------------------------------- results

    it("stdout and stderr replace the outputs, one trailing newline trimmed", async () => {
        const { stack } = await fresh("outputs");
        assert.ok((await lab.up(stack, [{ name: "o", create: `printf 'a\\n\\n'; printf 'e\\n' >&2` }])).ok);
        let st = await resourceState(stack, "o");
        assert.equal(st.outputs.stdout, "a\n");
        assert.equal(st.outputs.stderr, "e");
        assert.ok((await lab.up(stack, [{ name: "o", create: `printf 'b'` }])).ok);
        st = await resourceState(stack, "o");
        assert.equal(st.outputs.stdout, "b");
        assert.equal(st.outputs.stderr, "", "stderr replaced by the new (empty) one");
        const outs = await stack.outputs();
        assert.deepEqual(outs.results.value.o, { stdout: "b", stderr: "" });
    });

    it("a non-zero exit fails with the command and its output; a failed create stores nothing, a failed update keeps the old state", async () => {
        const { stack } = await fresh("exit");
        const failing = `echo out; echo err >&2; exit 3`;
        const r = await lab.up(stack, [{ name: "f", create: failing }]);
        assert.ok(!r.ok);
        const messages = diags(r, { severity: "error", urnSuffix: "f" }).join("\n");
        // The plugin reads stdout and stderr from two streams: both follow the command, in whichever order they arrived.
        const after = messages.split(`Process exited with status 3: running "echo out; echo err >&2; exit 3":\n`)[1];
        assert.ok(after !== undefined, `error diagnostic names the exit status and the command: ${messages}`);
        assert.deepEqual(after.split("\n").slice(0, 2).sort(), ["err", "out"], `error diagnostic carries stdout and stderr: ${messages}`);
        assert.equal(await resourceState(stack, "f"), undefined, "nothing in state");
        assert.ok((await lab.up(stack, [{ name: "f", create: "echo good" }])).ok);
        const u = await lab.up(stack, [{ name: "f", create: "echo bad; exit 4" }]);
        assert.ok(!u.ok);
        assert.ok(
            diags(u, { severity: "error", urnSuffix: "f" }).join("\n").includes(`Process exited with status 4: running "echo bad; exit 4":\nbad`),
            "the update's error",
        );
        const st = await resourceState(stack, "f");
        assert.equal(st.outputs.stdout, "good");
        assert.equal(st.inputs.create, "echo good", "the old inputs stay");
    });

    // -------------------------------------------------------------- connection

    it("connection defaults: port 22 and user root", async () => {
        const { stack, log, app } = await fresh("defaults");
        const cursor = lab.journalCursor();
        const r = await lab.up(stack, [{ name: "port", conn: { port: 0 }, create: app("port 22") }]);
        assert.ok(r.ok, r.error);
        const st = await resourceState(stack, "port");
        assert.equal(st.outputs.connection[specialSigKey], specialSecretSig);
        const root = await lab.up(stack, [{ name: "root", conn: { user: "", dialErrorLimit: 0 }, create: app("as root") }]);
        assert.ok(!root.ok, "root may not log in on the test host");
        const asRoot = (l: string) => /user root|for root|ROOT LOGIN/i.test(l);
        const seen = await lab.sshdLogUntil(cursor, "login attempt as root", (lines) => lines.some(asRoot));
        assert.ok(seen.some(asRoot), "sshd saw user root");
        assert.deepEqual(lab.lines(log), ["port 22"]);
    });

    it("dial: default limit 10 (11 attempts), status line per retry, backoff from 100 ms ×1.5", async () => {
        const { stack } = await fresh("dial-default");
        const l = await new Listener().listen();
        const r = await lab.up(stack, [{ name: "d", conn: { host: "127.0.0.1", port: l.port }, create: "true" }]);
        assert.ok(!r.ok);
        assert.equal(l.attempts.length, 11);
        const status = diags(r, { ephemeral: true, urnSuffix: "d" }).filter((m) => m.startsWith("Dial "));
        assert.deepEqual(
            status,
            Array.from({ length: 10 }, (_, i) => `Dial ${i + 1}/10 failed: retrying`),
        );
        assert.match(r.error, /after 10 failed attempts: ssh: handshake failed/);
        const gaps = l.gaps();
        let expected = 100;
        for (const g of gaps) {
            assert.ok(
                g >= expected - 5 && g < expected + 400,
                `gap ${g.toFixed(0)} ms, expected about ${expected.toFixed(0)} ms (gaps: ${gaps.map((x) => x.toFixed(0)).join(", ")})`,
            );
            expected *= 1.5;
        }
        await l.close();
    });

    it("dial: a limit of N makes N+1 attempts, -1 never stops; the backoff is capped at 5 s", async () => {
        const { stack, log, app } = await fresh("dial-limit");
        const two = await new Listener().listen();
        const r = await lab.up(stack, [{ name: "two", conn: { host: "127.0.0.1", port: two.port, dialErrorLimit: 2 }, create: "true" }]);
        assert.ok(!r.ok);
        assert.equal(two.attempts.length, 3);
        assert.match(r.error, /after 2 failed attempts/);
        await two.close();
        // -1: the first 13 connections are dropped, the 14th reaches the host's sshd.
        const fwd = await new Listener({ forwardAfter: 13, forwardTo: { host: lab.host.address, port: 22 } }).listen();
        const u = await lab.up(stack, [{ name: "inf", conn: { host: "127.0.0.1", port: fwd.port, dialErrorLimit: -1 }, create: app("through") }]);
        assert.ok(u.ok, u.error);
        assert.equal(fwd.attempts.length, 14);
        assert.deepEqual(
            diags(u, { ephemeral: true, urnSuffix: "inf" })
                .filter((m) => m.startsWith("Dial "))
                .slice(0, 2),
            ["Dial 1/inf failed: retrying", "Dial 2/inf failed: retrying"],
        );
        const gaps = fwd.gaps();
        for (const g of gaps.slice(10)) assert.ok(g >= 4990 && g < 5600, `capped gap ${g.toFixed(0)} ms`);
        assert.deepEqual(lab.lines(log), ["through"]);
        await fwd.close();
    });

    it("dial: authentication failures are retried too", async () => {
        const { stack } = await fresh("dial-auth");
        const cursor = lab.journalCursor();
        const r = await lab.up(stack, [{ name: "a", conn: { key: "alt", dialErrorLimit: 2 }, create: "true" }]);
        assert.ok(!r.ok);
        assert.match(r.error, /after 2 failed attempts: ssh: handshake failed: ssh: unable to authenticate/);
        // sshd logs a connection's end only once the client has gone, and journald writes it later still.
        const closed = (lines: string[]) => lines.filter((l) => /authenticating user deploy .*port \d+/.test(l));
        const connections = (lines: string[]) => new Set(closed(lines).map((l) => l.match(/port (\d+)/)?.[1]));
        const seen = await lab.sshdLogUntil(cursor, "third connection of user deploy", (lines) => connections(lines).size >= 3);
        assert.equal(connections(seen).size, 3, `three connections: ${closed(seen).join(" | ")}`);
    });

    it("dial: perDialTimeout bounds each TCP connect (default 15 s)", async () => {
        const { stack } = await fresh("dial-timeout");
        const bh = await blackhole();
        try {
            const one = await lab.up(stack, [{ name: "t1", conn: { host: "127.0.0.1", port: bh.port, dialErrorLimit: 0, perDialTimeout: 1 }, create: "true" }]);
            assert.ok(!one.ok);
            assert.match(one.error, new RegExp(`dial tcp 127\\.0\\.0\\.1:${bh.port}: i/o timeout`));
            const dflt = await lab.up(stack, [{ name: "t15", conn: { host: "127.0.0.1", port: bh.port, dialErrorLimit: 0 }, create: "true" }]);
            assert.ok(!dflt.ok);
            assert.match(dflt.error, /i\/o timeout/);
            assert.ok(dflt.durationMs - one.durationMs > 12_000, `default about 15 s (${dflt.durationMs} ms vs ${one.durationMs} ms with 1 s)`);
        } finally {
            bh.close();
        }
    });

    it("auth order: private key, then password, then keyboard-interactive", async () => {
        const { stack, log, app } = await fresh("auth-order");
        lab.run(`echo ${shq(`deploy:${lab.secrets.password}`)} | chpasswd`);
        const cursor = lab.journalCursor();
        lab.sshdDropIn("05-ct-auth", "PasswordAuthentication yes\nKbdInteractiveAuthentication yes");
        try {
            assert.ok((await lab.up(stack, [{ name: "key", conn: { password: true }, create: app("key") }])).ok);
            assert.ok((await lab.up(stack, [{ name: "pw", conn: { key: "alt", password: true }, create: app("pw") }])).ok);
            lab.sshdDropIn("05-ct-auth", "PasswordAuthentication no\nKbdInteractiveAuthentication yes");
            assert.ok((await lab.up(stack, [{ name: "kbd", conn: { key: "none", password: true }, create: app("kbd") }])).ok);
        } finally {
            lab.sshdDropIn("05-ct-auth", "");
            lab.run("usermod --password '*' deploy");
        }
        const accepted = (lines: string[]) => lines.filter((l) => l.startsWith("Accepted ")).map((l) => l.split(" ")[1]);
        const seen = await lab.sshdLogUntil(cursor, "third accepted login", (lines) => accepted(lines).length >= 3);
        assert.deepEqual(accepted(seen), ["publickey", "password", "keyboard-interactive/pam"]);
        assert.deepEqual(lab.lines(log), ["key", "pw", "kbd"]);
    });

    it("auth: an ssh-agent (agentSocketPath) is used when no key is given", async () => {
        const { stack, log, app } = await fresh("agent");
        const sock = path.join(stateDir, "agent.sock");
        const agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
        try {
            for (let i = 0; i < 50 && !existsSyncSafe(sock); i++) await new Promise((r) => setTimeout(r, 100));
            execFileSync("ssh-add", ["-q", lab.host.privateKeyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: "ignore" });
            const cursor = lab.journalCursor();
            const r = await lab.up(stack, [{ name: "ag", conn: { key: "none", agentSocketPath: sock }, create: app("agent") }]);
            assert.ok(r.ok, r.error);
            const byKey = (l: string) => l.startsWith("Accepted publickey for deploy");
            const seen = await lab.sshdLogUntil(cursor, "accepted publickey login of deploy", (lines) => lines.some(byKey));
            assert.ok(seen.some(byKey), "sshd accepted the agent's key");
            assert.deepEqual(lab.lines(log), ["agent"]);
        } finally {
            agent.kill();
        }
    });

    it("hostKey pins the host key; without it the key is not checked", async () => {
        const { stack, log, app } = await fresh("hostkey");
        const other = path.join(stateDir, "otherhost");
        sshKeygen(other);
        const wrong = readFileSync(`${other}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
        const r = await lab.up(stack, [{ name: "wrong", conn: { hostKey: wrong, dialErrorLimit: 0 }, create: app("wrong") }]);
        assert.ok(!r.ok);
        assert.match(r.error, /ssh: handshake failed: ssh: host key mismatch/);
        const ok = await lab.up(stack, [
            { name: "pinned", create: app("pinned") },
            { name: "unpinned", conn: { hostKey: null }, create: app("unpinned") },
        ]);
        assert.ok(ok.ok, ok.error);
        assert.deepEqual(lab.lines(log).sort(), ["pinned", "unpinned"]);
    });

    it("proxy: the connection goes through a bastion", async () => {
        const { stack } = await fresh("proxy");
        const r = await lab.up(stack, [{ name: "px", conn: { host: "127.0.0.1", port: 22, hostKey: null, proxy: {} }, create: `echo "$SSH_CONNECTION"` }]);
        assert.ok(r.ok, r.error);
        assert.match(String((await resourceState(stack, "px")).outputs.stdout), /^127\.0\.0\.1 \d+ 127\.0\.0\.1 22$/);
    });

    // -------------------------------------------------------------- secrets and logging

    it("secrets: connection always secret, inputs keep their secrecy, stdout/stderr are not secret", async () => {
        const { stack } = await fresh("secrets");
        const SECRET_MARK = "s3cr3t-input-value";
        const r = await lab.up(stack, [
            { name: "s", create: `cat; echo visible-err >&2 # ${SECRET_MARK}`, stdin: "from stdin\n", secret: ["create", "stdin"] },
            { name: "aso", create: "echo visible", additionalSecretOutputs: ["stdout"] },
        ]);
        assert.ok(r.ok, r.error);
        const onDisk = execFileSync("find", [path.join(stateDir, "backend", ".pulumi", "stacks"), "-name", `${stack.name}.json`], { encoding: "utf8" }).trim();
        assert.ok(onDisk, "the stack's state file");
        const stored = readFileSync(onDisk, "utf8");
        assert.ok(stored.includes('"ciphertext"'), "the state file holds ciphertexts");
        assert.ok(!stored.includes(SECRET_MARK), "the secret create text is not in the state file in plaintext");
        assert.ok(stored.includes("visible-err"), "stderr is");
        const s = await resourceState(stack, "s");
        const isSecret = (v: any) => typeof v === "object" && v?.[specialSigKey] === specialSecretSig;
        for (const k of ["connection", "create", "stdin"]) {
            assert.ok(isSecret(s.outputs[k]), `outputs.${k} is secret`);
            assert.ok(isSecret(s.inputs[k]), `inputs.${k} is secret`);
        }
        assert.equal(s.outputs.stdout, "from stdin", "stdout in plaintext");
        assert.equal(s.outputs.stderr, "visible-err", "stderr in plaintext");
        const aso = await resourceState(stack, "aso");
        assert.ok(isSecret(aso.outputs.stdout), "additionalSecretOutputs makes stdout secret");
        assert.ok(isSecret(aso.outputs.connection));
    });

    it("logging only chooses what is streamed to the display", async () => {
        const { stack } = await fresh("logging");
        const cmd = (n: string) => `echo ${n}-out-1; echo ${n}-err-1 >&2; echo ${n}-out-2`;
        const r = await lab.up(
            stack,
            ["default", "stdout", "stderr", "stdoutAndStderr", "none"].map((n) => ({ name: n, create: cmd(n), ...(n === "default" ? {} : { logging: n }) })),
        );
        assert.ok(r.ok, r.error);
        const streamed = (n: string) =>
            diags(r, { ephemeral: true, urnSuffix: n })
                .filter((m) => m.startsWith(`${n}-`))
                .sort();
        const all = (n: string) => [`${n}-err-1`, `${n}-out-1`, `${n}-out-2`];
        assert.deepEqual(streamed("default"), all("default"));
        assert.deepEqual(streamed("stdoutAndStderr"), all("stdoutAndStderr"));
        assert.deepEqual(streamed("stdout"), ["stdout-out-1", "stdout-out-2"]);
        assert.deepEqual(streamed("stderr"), ["stderr-err-1"]);
        assert.deepEqual(streamed("none"), []);
        const none = await resourceState(stack, "none");
        assert.equal(none.outputs.stdout, "none-out-1\nnone-out-2", "outputs are captured whatever logging says");
        assert.equal(none.outputs.stderr, "none-err-1");
    });

    // -------------------------------------------------------------- CopyToRemote

    it("CopyToRemote: StringAsset, FileAsset and FileArchive over SFTP as the SSH user; parents created, no chmod", async () => {
        const { stack } = await fresh("copy");
        const src = path.join(stateDir, "copy-src");
        mkdirSync(path.join(src, "dir", "sub"), { recursive: true });
        writeFileSync(path.join(src, "tool.sh"), "#!/bin/sh\necho tool\n");
        chmodSync(path.join(src, "tool.sh"), 0o755);
        writeFileSync(path.join(src, "dir", "a.txt"), "A\n");
        writeFileSync(path.join(src, "dir", "sub", "b.txt"), "B\n");
        const base = "/tmp/ct/copy/new/parents";
        const r = await lab.up(stack, [
            { kind: "copy", name: "text", source: { text: "hello text\n" }, remotePath: `${base}/text.txt` },
            { kind: "copy", name: "file", source: { file: path.join(src, "tool.sh") }, remotePath: `${base}/tool.sh` },
            { kind: "copy", name: "dir", source: { archive: path.join(src, "dir") }, remotePath: `${base}/tree` },
        ]);
        assert.ok(r.ok, r.error);
        assert.equal(lab.run(`cat ${base}/text.txt`), "hello text\n");
        assert.equal(lab.run(`stat -c '%U %a' ${base}/tool.sh ${base}/text.txt ${base}`).trim(), "deploy 644\ndeploy 644\ndeploy 755");
        assert.equal(lab.run(`cd ${base}/tree && find . -type f | sort && cat dir/a.txt dir/sub/b.txt`), "./dir/a.txt\n./dir/sub/b.txt\nA\nB\n");
    });

    it("CopyToRemote: an update copies only when the source hash or remotePath changed; delete leaves the file; triggers replace", async () => {
        const { stack } = await fresh("copy-update");
        const f = "/tmp/ct/copy-update/f.txt";
        const spec = (o: { text?: string; path?: string; conn?: ResourceSpec["conn"]; triggers?: unknown[] } = {}): ResourceSpec[] => [
            {
                kind: "copy",
                name: "c",
                source: { text: o.text ?? "v1\n" },
                remotePath: o.path ?? f,
                ...(o.conn ? { conn: o.conn } : {}),
                ...(o.triggers ? { triggers: o.triggers } : {}),
            },
        ];
        assert.ok((await lab.up(stack, spec())).ok);
        lab.run(`echo changed-on-host > ${f}`);
        const conn = await lab.up(stack, spec({ conn: { perDialTimeout: 9 } }));
        assert.ok(conn.ok, conn.error);
        assert.deepEqual(opOf(conn, "c"), ["update"]);
        assert.equal(lab.run(`cat ${f}`), "changed-on-host\n", "a connection-only change copies nothing");
        assert.ok((await lab.up(stack, spec({ conn: { perDialTimeout: 9 }, text: "v2\n" }))).ok);
        assert.equal(lab.run(`cat ${f}`), "v2\n", "a new source is copied");
        assert.ok((await lab.up(stack, spec({ conn: { perDialTimeout: 9 }, text: "v2\n", path: `${f}.moved` }))).ok);
        assert.equal(lab.run(`cat ${f}.moved`), "v2\n", "a new remotePath is copied");
        lab.run(`echo changed-again > ${f}.moved`);
        const trig = await lab.up(stack, spec({ conn: { perDialTimeout: 9 }, text: "v2\n", path: `${f}.moved`, triggers: [1] }));
        assert.ok(trig.ok, trig.error);
        assert.equal(trig.changes.replace, 1, "triggers replace");
        assert.equal(lab.run(`cat ${f}.moved`), "v2\n", "the replacement copies again");
        const del = await lab.up(stack, []);
        assert.ok(del.ok, del.error);
        assert.equal(del.changes.delete, 1);
        assert.equal(lab.run(`cat ${f} ${f}.moved`), "v2\nv2\n", "delete leaves the files");
    });
});
