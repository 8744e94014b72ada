/**
 * The sandbox as a stack a Pulumi user drives with the `pulumi` CLI
 * (docs/operations.md, "The sandbox stack, with the pulumi CLI"): each command
 * as that section writes it, run in a shell against a sandbox of the test's own (its own
 * directory, host and address), with its output checked. Real engine, real
 * host; the run's first lines name each real part and its version.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { api, buildTools, describeTools, hostDown, hostExec, hostInfo, PROJECT, REPO } from "../../lab/lab";
import { onlyHost } from "../../lab/hosts";

const CLI_HOST = onlyHost("cli");
const INDEX = CLI_HOST.index;
const HOST = `cli-${randomBytes(3).toString("hex")}`;
const sandboxDir = mkdtempSync(path.join(tmpdir(), "dpapi-cli-"));
const env = { ...process.env, LB_SANDBOX_DIR: sandboxDir, LB_SANDBOX_HOST: HOST, LB_SANDBOX_INDEX: String(INDEX), LB_RELEASE: CLI_HOST.release };
const stackFile = path.join(sandboxDir, "Pulumi.sandbox.yaml");
/** Every password the walk-through used: none may appear in any command's output. */
const passwords: string[] = [];
/** Every command's output, to check for the passwords at the end. */
let transcript = "";

/** Runs one command line of the walk-through from the repository's top, as a user types it. */
function sh(line: string, timeoutSeconds = 600): { code: number; out: string } {
    const r = spawnSync("bash", ["-o", "pipefail", "-c", line], { cwd: REPO, env, encoding: "utf8", timeout: timeoutSeconds * 1000, maxBuffer: 64 << 20 });
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    transcript += `$ ${line}\n${out}`;
    console.log(`$ ${line}: exit ${r.status}, ${out.split("\n").length} lines of output`);
    return { code: r.status ?? 1, out };
}

function mustSh(line: string): string {
    const r = sh(line);
    assert.equal(r.code, 0, `${line}\n${r.out}`);
    return r.out;
}

/** The user's own Pulumi home as a listing (path, size, mtime), or "absent". */
function userPulumiHome(): string {
    const dir = path.join(homedir(), ".pulumi");
    if (!existsSync(dir)) return "absent";
    return spawnSync("find", [dir, "-printf", "%p %s %T@\n"], { encoding: "utf8" }).stdout;
}

const stackConfig = () => parseYaml(readFileSync(stackFile, "utf8")).config as Record<string, unknown>;
const key = (k: string) => `${PROJECT}:${k}`;
const apiAs = async (url: string, ca: string, password: string) => (await api(`${url}/info`, ca, { auth: `dpadmin:${password}` })).status;

describe("the sandbox stack, driven with the pulumi CLI as docs/operations.md walks through it", () => {
    let homeBefore = "";
    let apiUrl = "";
    let ca = "";

    before(() => {
        console.log(describeTools(buildTools()));
        homeBefore = userPulumiHome();
    });

    after(() => {
        if (hostInfo(HOST, INDEX)) sh("scripts/sandbox.sh destroy");
        hostDown(HOST);
        rmSync(sandboxDir, { recursive: true, force: true });
    });

    it("scripts/sandbox.sh deploys, and Pulumi.sandbox.yaml holds the keys a production stack holds, its secrets encrypted", () => {
        const out = mustSh("scripts/sandbox.sh");
        assert.match(out, /The Data Plane API 3\.2\.1 answers at https:\/\//);
        passwords.push(readFileSync(path.join(sandboxDir, "api-password"), "utf8"));
        const config = stackConfig();
        const prod = parseYaml(readFileSync(path.join(REPO, "Pulumi.prod.yaml"), "utf8")).config as Record<string, unknown>;
        for (const k of Object.keys(prod)) assert.ok(k in config, `${k}, which Pulumi.prod.yaml sets, is in Pulumi.sandbox.yaml`);
        for (const k of ["apiUsername", "apiPassword", "sshPrivateKey"]) {
            assert.deepEqual(Object.keys(config[key(k)] as object), ["secure"], `${k} is stored encrypted`);
        }
        // What a reader sees differ from production: the host, the download mirror, the checksums of the archives built here.
        const extra = Object.keys(config)
            .filter((k) => !(k in prod) && !["apiUsername", "apiPassword", "sshPrivateKey"].map(key).includes(k))
            .sort();
        assert.deepEqual(
            extra.filter((k) => k !== key("dataplaneapiArch")),
            [key("dataplaneapiAllowHttp"), key("dataplaneapiBaseUrl"), key("dataplaneapiSha256")],
        );
        assert.ok(!readFileSync(stackFile, "utf8").includes(passwords[0]), "no plaintext password in the stack file");
    });

    it("scripts/pulumi config set, then preview --diff: the one changed line, once, as it will be written", () => {
        mustSh("scripts/pulumi config set haproxyReloadDelay 3");
        assert.equal(stackConfig()[key("haproxyReloadDelay")], "3");
        const out = mustSh("scripts/pulumi preview --diff");
        console.log(out);
        assert.match(out, /~ reload_delay\s*: 5 => 3/);
        assert.equal(out.match(/reload_delay\s*: 5 => 3/g)?.length, 1, "shown once");
        assert.doesNotMatch(out, /'\\''/, "no escaped quotes");
        assert.match(out, /2 to update/);
    });

    it("scripts/pulumi up applies it, and stack output --json parses", () => {
        const out = mustSh("scripts/pulumi up --yes");
        assert.match(out, /2 updated/);
        const outputs = JSON.parse(mustSh("scripts/pulumi stack output dataplane --json"));
        ({ apiUrl, caCertificate: ca } = outputs[HOST]);
        assert.match(apiUrl, /^https:\/\//);
        assert.match(ca, /BEGIN CERTIFICATE/);
    });

    it("a rotation with config set --secret: the preview masks it, up applies it, the old password stops working", async () => {
        mustSh("openssl rand -base64 24 | scripts/pulumi config set --secret apiPassword");
        const rotated = spawnSync(path.join(REPO, "scripts", "pulumi"), ["config", "get", "apiPassword"], { env, encoding: "utf8" }).stdout.trim();
        assert.ok(rotated.length >= 24 && rotated !== passwords[0], "a new password is set");
        passwords.push(rotated);
        const preview = mustSh("scripts/pulumi preview --diff");
        console.log(preview);
        assert.match(preview, /# API users: [0-9a-f]{16}/, "the edit shows that the users changed");
        assert.match(preview, /\[secret\]/);
        assert.doesNotMatch(preview, /'\\''/, "no escaped quotes");
        mustSh("scripts/pulumi up --yes");
        assert.equal(await apiAs(apiUrl, ca, rotated), 200);
        assert.equal(await apiAs(apiUrl, ca, passwords[0]), 401);
    });

    it("scripts/sandbox.sh again is a no-op that keeps what the user set, and prints the calls with the new password's file", () => {
        const out = mustSh("scripts/sandbox.sh");
        assert.match(out, /Resources:\n\s+34 unchanged\n/);
        assert.doesNotMatch(out, /^\s+[~+-] |\d+ (updated|created|deleted|replaced)/m, "no step changed");
        assert.equal(stackConfig()[key("haproxyReloadDelay")], "3", "the user's setting survives");
        assert.equal(readFileSync(path.join(sandboxDir, "api-password"), "utf8"), passwords[1], "the printed calls read the rotated password");
    });

    it("destroy; nothing of this reached the user's ~/.pulumi, and no password is in any output", () => {
        mustSh("scripts/pulumi destroy --yes");
        assert.notEqual(hostExec(HOST, "systemctl cat dataplaneapi.service").code, 0, "the API is gone");
        mustSh("scripts/sandbox.sh destroy");
        assert.equal(hostInfo(HOST, INDEX), undefined, "the sandbox host is off");
        assert.equal(userPulumiHome(), homeBefore, "~/.pulumi is as it was");
        for (const p of passwords) assert.ok(!transcript.includes(p), "no password in the walk-through's output");
    });
});
