import { haproxyEditScript, type HaproxyEditSpec } from "../haproxy/scripts";
import { renderAsset } from "../shared/assets";
import { PATHS, STATE_FILES } from "../shared/paths";
import { script, shq } from "../shared/shell";
import { deployedId } from "./record";

/** What the drift check looks at beyond the recorded files: the config's view of the host. */
export interface DriftHostSpec {
    /** The API's directories (owned by haproxy, mode DIRECTORY_MODE). */
    directories: readonly string[];
    /** The haproxy.cfg edit as the deployment runs it; its managed sections come from the host's record. */
    haproxy: Omit<HaproxyEditSpec, "usersDigest">;
}

/**
 * Reads, and changes nothing: one record per line (their format and their
 * parser are record.ts). The haproxy.cfg check runs the edit itself, from the
 * recorded editor and users, on the live file: what the edit would change is
 * what drifted, and the API's own rewrites (its spelling, its sections) are
 * not. The script is assets/drift/check.sh.
 */
export function driftCheckScript(s: DriftHostSpec): string {
    return script(
        "drift check: compare this host with what the stack deployed (reads only)",
        renderAsset("drift/check.sh", {
            DEPLOYED_DIR: shq(PATHS.deployedDir),
            DIRECTORIES: s.directories.map(shq).join(" "),
            CONFIG_FILE: shq(s.haproxy.configFile),
            STATE_DIR: shq(PATHS.stateDir),
            MANAGED_SECTIONS: shq(PATHS.managedSections),
            RECORDED_EDITOR: shq(`${PATHS.deployedDir}/${deployedId(PATHS.cfgEditor)}`),
            RECORDED_USERS: shq(`${PATHS.deployedDir}/${deployedId(PATHS.userlistUsers)}`),
            PLACEHOLDER: shq(s.haproxy.placeholder),
            OWNED_SECTIONS_FILE: STATE_FILES.ownedSections,
            ADMIN_SOCKET: shq(s.haproxy.adminSocket),
        }),
    );
}

/** What a repair puts back; each piece is one the check found drifted. */
export interface RepairPlan {
    /** Recorded files to restore: from their copies, or (content false) only their owner and mode. */
    files: { path: string; content: boolean }[];
    /** Install the release again: the binary drifted, and no copy of it is kept. */
    binary?: string;
    /** Directories to give back owner haproxy:haproxy and their mode (/etc/haproxy: group haproxy, g+w, o-rwx). */
    directories: string[];
    /** Run the haproxy.cfg edit again with the recorded managed sections. */
    haproxyCfg: boolean;
}

/**
 * Puts back exactly the pieces in the plan, in dependency order: files first
 * (the edit reads the restored editor and users), then directories, then
 * haproxy.cfg (validated and reloaded, never restarted, by the same edit the
 * deployment runs); then a daemon-reload if a unit file was restored, and a
 * restart of each unit whose own files were (the API; never HAProxy). The
 * script is assets/drift/repair.sh; the pieces of the plan are lines of shell
 * built here.
 */
export function driftRepairScript(s: DriftHostSpec, plan: RepairPlan, directoryMode: string): string {
    const dirs = plan.directories
        .map((d) =>
            d === "/etc/haproxy"
                ? "chgrp haproxy /etc/haproxy\nchmod g+w,o-rwx /etc/haproxy\necho \"repaired /etc/haproxy: $(stat -c '%U:%G %a' /etc/haproxy)\""
                : `install -d -o haproxy -g haproxy -m ${directoryMode} ${shq(d)}\necho "repaired ${d}: $(stat -c '%U:%G %a' ${shq(d)})"`,
        )
        .join("\n");
    const sub = (name: string, body: string) => `cat > "$work/${name}" <<'DPDEPLOY_REPAIR_END'\n${body}\nDPDEPLOY_REPAIR_END\n`;
    const binary = plan.binary
        ? `${sub("install-binary", plan.binary)}bash "$work/install-binary" | sed -n '1,/^installed /p'\nrestart=${shq(PATHS.unitName)}\n`
        : "";
    // The binary's piece ends its lines and the directories' do not: haproxy.cfg's starts a line of its own.
    const haproxyCfg = plan.haproxyCfg
        ? `\n${sub("edit-haproxy-cfg", haproxyEditScript(s.haproxy))}bash "$work/edit-haproxy-cfg" < ${shq(PATHS.managedSections)}`
        : "";
    return script(
        `drift repair: restore ${[...plan.files.map((f) => f.path), ...(plan.binary ? [PATHS.binary] : []), ...plan.directories, ...(plan.haproxyCfg ? [`${s.haproxy.configFile} (managed sections)`] : [])].join(", ")}`,
        renderAsset("drift/repair.sh", {
            DEPLOYED_DIR: shq(PATHS.deployedDir),
            RESTORE: plan.files.map((f) => `restore ${shq(deployedId(f.path))} ${f.content ? "content" : "owner-mode"}`).join("\n"),
            REPAIRS: binary + dirs + haproxyCfg,
        }),
    );
}
