import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { assertGolden, permuted } from "../testing/golden";
import { DEFAULT_DIRECTORIES } from "../config";
import { API_DIRECTORIES } from "../shared/paths";
import { renderTransactionSweep, renderUnit } from "./unit";

const transactionDir = API_DIRECTORIES.transactions;

describe("systemd unit", () => {
    const unit = renderUnit({ writableDirectories: DEFAULT_DIRECTORIES, transactionDir });
    for (const directive of [
        "Type=exec",
        "User=haproxy",
        "Group=haproxy",
        "Restart=always",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "ProtectHome=true",
        "PrivateTmp=true",
        "PrivateDevices=true",
        "DevicePolicy=closed",
        "PrivateIPC=true",
        "PrivateUsers=true",
        "PrivateMounts=true",
        "ProtectKernelTunables=true",
        "ProtectKernelModules=true",
        "ProtectKernelLogs=true",
        "ProtectControlGroups=true",
        "ProtectClock=true",
        "ProtectHostname=true",
        "ProtectProc=invisible",
        "CapabilityBoundingSet=",
        "AmbientCapabilities=",
        // AF_UNIX: the admin and reload sockets and systemd's bus (status_cmd).
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
        "RestrictNamespaces=true",
        "RestrictRealtime=true",
        "RestrictSUIDSGID=true",
        "LockPersonality=true",
        "KeyringMode=private",
        "SystemCallArchitectures=native",
        "SystemCallFilter=@system-service",
        "SystemCallFilter=~@privileged",
        "SystemCallErrorNumber=EPERM",
        "UMask=0027",
        "ReadWritePaths=/etc/haproxy",
        "ReadWritePaths=/etc/haproxy-dataplane",
        "ReadWritePaths=/var/lib/haproxy",
        "ReadWritePaths=-/run/haproxy",
        "WantedBy=multi-user.target",
        "ExecStart=/usr/local/bin/dataplaneapi -f /etc/haproxy-dataplane/dataplaneapi.yaml",
    ]) {
        it(`carries ${directive}`, () => assert.ok(unit.split("\n").includes(directive), unit));
    }
    // Each breaks something the API or its host needs (unit.ts says what;
    // tests/e2e-full/security.test.ts shows it on a host).
    for (const left of ["MemoryDenyWriteExecute=", "RemoveIPC=", "PrivateNetwork=", "IPAddressDeny=", "ProcSubset=", "DynamicUser=", "RootDirectory="]) {
        it(`leaves out ${left} and says why`, () => {
            assert.ok(!unit.split("\n").some((l) => l.startsWith(left)), unit);
            assert.match(readFileSync(path.join(__dirname, "unit.ts"), "utf8"), new RegExp(`^ \\* - (.*, )?${left.replace("=", "")}`, "m"));
        });
    }
    it("binds /tmp directories in instead of listing them in ReadWritePaths (226/NAMESPACE with PrivateTmp)", () => {
        assert.ok(unit.includes("BindPaths=/tmp/spoe-haproxy\n"));
        assert.ok(!/ReadWritePaths=-?\/tmp/.test(unit));
    });
    it("binds /var/tmp directories in too: PrivateTmp gives the unit its own /var/tmp as well", () => {
        const withVarTmp = renderUnit({ writableDirectories: [...DEFAULT_DIRECTORIES, "/var/tmp/dataplane"], transactionDir });
        assert.ok(withVarTmp.includes("BindPaths=/var/tmp/dataplane\n"), withVarTmp);
        assert.ok(!/ReadWritePaths=-?\/var\/tmp/.test(withVarTmp));
    });
    it("renders exactly its golden file, whatever the order of the directories", () => {
        assertGolden(path.join(__dirname, "golden", "dataplaneapi.service"), unit);
        assert.equal(
            renderUnit({ writableDirectories: permuted([...DEFAULT_DIRECTORIES, "/srv/dp"], true), transactionDir }),
            renderUnit({ writableDirectories: [...DEFAULT_DIRECTORIES, "/srv/dp"], transactionDir }),
        );
    });
    it("lists a writable directory outside the usual trees", () => {
        assert.ok(renderUnit({ writableDirectories: ["/srv/dp"], transactionDir }).includes("ReadWritePaths=/srv/dp\n"));
    });
    it("sweeps unreadable transaction files before each start, with the sweep's $ doubled for systemd and nothing else it would expand", () => {
        const pre = unit.split("\n").find((l) => l.startsWith("ExecStartPre="));
        assert.equal(pre, `ExecStartPre=/bin/sh -c '${renderTransactionSweep(transactionDir).replaceAll("$", "$$")}'`);
        assert.doesNotMatch(renderTransactionSweep(transactionDir), /['%\\]/, "no quote, specifier or escape systemd would read");
    });
    it("refuses a transaction directory it could not quote safely", () => {
        assert.throws(() => renderTransactionSweep("/etc/haproxy/it's"), /transaction directory "\/etc\/haproxy\/it's": only letters/);
    });
});
