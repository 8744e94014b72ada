/**
 * Every lab host index, by the test or tool that boots it, with its Debian
 * release and, for a host that is not amd64, its architecture: one table, so
 * that no two of them share a host. Index i is the
 * network namespace lbt<i> and the address 198.18.<i>.2; lab/testhost.sh
 * takes 1 to its MAX_INDEX. tests/unit/labHosts.test.ts checks the table.
 */
import type { HostArch, Release } from "./lab";

type Hosts = readonly (readonly [index: number, release: Release, arch?: HostArch])[];

export const LAB_HOSTS = {
    /** scripts/sandbox.sh (LB_SANDBOX_INDEX overrides it; LB_RELEASE the release). */
    sandbox: [[9, "trixie"]],
    /** paths.test.ts: hostile path settings, and a dropped directory given back. */
    paths: [
        [1, "bookworm"],
        [2, "trixie"],
    ],
    /** scenario.test.ts: steps 1 to 7, one host of each release. */
    scenarioOneHost: [
        [11, "bookworm"],
        [16, "trixie"],
    ],
    /** scenario.test.ts: step 8, a stack of two hosts. */
    scenarioTwoHosts: [
        [12, "bookworm"],
        [13, "trixie"],
    ],
    /** changes.test.ts: the host, and the second host added and removed. */
    changes: [
        [14, "bookworm"],
        [15, "bookworm"],
    ],
    upgrade: [
        [17, "bookworm"],
        [18, "trixie"],
    ],
    faults: [
        [19, "bookworm"],
        [20, "trixie"],
    ],
    /** host.test.ts: the program's commands run one by one. */
    hostCommands: [
        [21, "bookworm"],
        [22, "trixie"],
    ],
    /** upgrade.test.ts: the version before the restructuring. */
    upgradeRestructure: [[23, "bookworm"]],
    commandContract: [[24, "bookworm"]],
    tlsContract: [[25, "bookworm"]],
    hostchecks: [
        [26, "bookworm"],
        [27, "trixie"],
    ],
    security: [
        [28, "bookworm"],
        [29, "trixie"],
    ],
    /** cli.test.ts: the sandbox commands, on a sandbox of their own. */
    cli: [[30, "trixie"]],
    rolling: [
        [31, "bookworm"],
        [32, "trixie"],
        [33, "bookworm"],
    ],
    drift: [[34, "trixie"]],
    fleet: [
        [35, "bookworm"],
        [36, "trixie"],
        [37, "bookworm"],
        [38, "trixie"],
        [39, "bookworm"],
        [42, "trixie"],
        [43, "bookworm"],
        [44, "trixie"],
        [45, "bookworm"],
        [46, "trixie"],
    ],
    /** api.test.ts: what the program relies on of the real Data Plane API. */
    api: [
        [40, "bookworm"],
        [41, "trixie"],
    ],
    /** cfgedit.test.ts: HAProxy on the editor's results. */
    cfgedit: [
        [48, "bookworm"],
        [47, "trixie"],
    ],
    /** arm64.test.ts: a Raspberry Pi's arm64 host (under qemu-user emulation), and the x86_64 host of its mixed stack. */
    arm64: [
        [49, "bookworm", "arm64"],
        [50, "bookworm"],
    ],
    /** scripts/bench.sh: up to ten hosts, the releases alternating (LB_RELEASE gives them all one). */
    bench: [
        [51, "bookworm"],
        [52, "trixie"],
        [53, "bookworm"],
        [54, "trixie"],
        [55, "bookworm"],
        [56, "trixie"],
        [57, "bookworm"],
        [58, "trixie"],
        [59, "bookworm"],
        [60, "trixie"],
    ],
} as const satisfies Record<string, Hosts>;

export type LabHostOwner = keyof typeof LAB_HOSTS;

/** An owner's index for each release, for a test that boots one host of each. */
export function indexByRelease(owner: LabHostOwner): Record<Release, number> {
    const rows: Hosts = LAB_HOSTS[owner];
    const out: Partial<Record<Release, number>> = {};
    for (const [index, release] of rows) {
        if (out[release] !== undefined) throw new Error(`LAB_HOSTS.${owner} has two ${release} hosts`);
        out[release] = index;
    }
    if (out.bookworm === undefined || out.trixie === undefined) throw new Error(`LAB_HOSTS.${owner} lacks a host of each release`);
    return out as Record<Release, number>;
}

/** An owner's one host. */
export function onlyHost(owner: LabHostOwner): { index: number; release: Release } {
    const rows: Hosts = LAB_HOSTS[owner];
    if (rows.length !== 1) throw new Error(`LAB_HOSTS.${owner} has ${rows.length} hosts, not one`);
    return { index: rows[0][0], release: rows[0][1] };
}
