# Structural edit of haproxy.cfg for the parts haproxy-dataplane-deploy owns.
#
# It runs on the load-balancer host, which has awk but neither Python nor Node,
# so the whole edit lives here and the unit tests run this very file.
#
#   awk -v mode=apply  -v socket=PATH -v remove=IDS -f haproxy-cfg-edit.awk MANAGED CURRENT
#   awk -v mode=revert -v socket=PATH -v remove=IDS -f haproxy-cfg-edit.awk SNAPSHOT CURRENT
#
# apply:  in the global section, ensure `master-worker` and edit the existing
#         `stats socket PATH` line to carry mode 660, level admin, group haproxy
#         (adding one only if none exists); replace each section of MANAGED in
#         place, or append it; drop the sections named in IDS that MANAGED no
#         longer has. A section that already says what MANAGED says, in the
#         Data Plane API's spelling (other indentation, a `from` on its
#         header, comment lines), is kept as it is written, so a second apply
#         on a file the API has rewritten changes nothing.
# revert: drop the sections named in IDS, and give the global lines and the
#         trailing newlines of the file back the shape they had in SNAPSHOT (the
#         file as it was before the first apply).
# Everything else, including sections and comment lines that the Data Plane
# API writes at run time, passes through byte for byte.
#
# IDS is a `|`-separated list of section ids, an id being "<keyword> <name>".

function section_keyword(line,    f) {
    if (split(line, f, /[ \t]+/) == 0) return ""
    if (f[1] == "") f[1] = f[2]
    return (f[1] in SECTION_KEYWORDS) ? f[1] : ""
}

function section_id(line,    f, n, i, out) {
    n = split(line, f, /[ \t]+/)
    out = ""
    for (i = 1; i <= n; i++) {
        if (f[i] == "") continue
        if (f[i] ~ /^#/) break
        out = (out == "") ? f[i] : out " " f[i]
        if (out ~ / /) break
    }
    return out
}

function first_word(line,    f) {
    split(line, f, /[ \t]+/)
    return (f[1] == "") ? f[2] : f[1]
}

function is_socket_line(line,    f, n, i, words) {
    n = split(line, f, /[ \t]+/)
    words = 0
    for (i = 1; i <= n; i++) {
        if (f[i] == "") continue
        words++
        if (words == 1 && f[i] != "stats") return 0
        if (words == 2 && f[i] != "socket") return 0
        if (words == 3) return f[i] == socket
    }
    return 0
}

function indent_of(line) {
    match(line, /^[ \t]*/)
    return substr(line, 1, RLENGTH)
}

# Sets mode, level and group on a `stats socket` line, keeping every other
# option where it was.
function edit_socket_line(line,    f, n, i, out, k, seen) {
    n = split(line, f, /[ \t]+/)
    out = ""
    for (i = 1; i <= n; i++) {
        if (f[i] == "") continue
        if (f[i] in WANT && i < n) {
            out = out " " f[i] " " WANT[f[i]]
            seen[f[i]] = 1
            i++
            continue
        }
        out = out " " f[i]
    }
    for (k = 1; k <= WANT_N; k++)
        if (!(WANT_ORDER[k] in seen)) out = out " " WANT_ORDER[k] " " WANT[WANT_ORDER[k]]
    return indent_of(line) substr(out, 2)
}

BEGIN {
    split("global defaults frontend backend listen userlist peers resolvers mailers program http-errors ring cache log-forward fcgi-app crt-store traces", kw, " ")
    for (i in kw) SECTION_KEYWORDS[kw[i]] = 1
    WANT_N = split("mode level group", WANT_ORDER, " ")
    WANT["mode"] = "660"; WANT["level"] = "admin"; WANT["group"] = "haproxy"
    if (mode != "apply" && mode != "revert") { print "haproxy-cfg-edit: mode must be apply or revert" > "/dev/stderr"; exit 2 }
    if (socket == "") { print "haproxy-cfg-edit: socket is required" > "/dev/stderr"; exit 2 }
    n_remove = split(remove, remove_list, "|")
    for (i = 1; i <= n_remove; i++) if (remove_list[i] != "") REMOVE[remove_list[i]] = 1
    n_ref = 0; n_cur = 0
}

FNR == 1 { file_index++ }
file_index == 1 { REF[++n_ref] = $0; next }
{ CUR[++n_cur] = $0 }

END {
    if (file_index < 1) exit 2
    # ---- the reference file: MANAGED sections (apply) or SNAPSHOT (revert)
    n_managed = 0
    snap_has_master_worker = 0; snap_socket_line = ""; in_global = 0
    for (i = 1; i <= n_ref; i++) {
        kwd = section_keyword(REF[i])
        if (kwd != "") {
            in_global = (kwd == "global")
            if (mode == "apply") {
                id = section_id(REF[i])
                MANAGED_ORDER[++n_managed] = id
                MANAGED_TEXT[id] = REF[i]
                cur_id = id
                held = ""
            }
            continue
        }
        if (mode == "apply") {
            # Blank lines between MANAGED sections are separators, not content.
            if (cur_id == "") continue
            if (REF[i] ~ /^[ \t]*$/) { held = held "\n" REF[i]; continue }
            MANAGED_TEXT[cur_id] = MANAGED_TEXT[cur_id] held "\n" REF[i]
            held = ""
        } else if (in_global) {
            if (first_word(REF[i]) == "master-worker") snap_has_master_worker = 1
            if (is_socket_line(REF[i]) && snap_socket_line == "") snap_socket_line = REF[i]
        }
    }
    for (i = 1; i <= n_managed; i++) REMOVE[MANAGED_ORDER[i]] = 1

    # ---- the current file
    out_n = 0; skipping = 0; in_global = 0; global_seen = 0; socket_done = 0
    for (i = 1; i <= n_cur; i++) {
        line = CUR[i]
        kwd = section_keyword(line)
        if (kwd != "") {
            skipping = 0
            in_global = (kwd == "global")
            id = section_id(line)
            if (id in REMOVE) {
                if (mode == "apply" && (id in MANAGED_TEXT) && !(id in EMITTED) && existing_norm(i) == managed_norm(MANAGED_TEXT[id])) {
                    OUT[++out_n] = line
                    EMITTED[id] = 1
                    continue
                }
                skipping = 1
                if (mode == "apply" && (id in MANAGED_TEXT) && !(id in EMITTED)) {
                    OUT[++out_n] = MANAGED_TEXT[id]
                    EMITTED[id] = 1
                    # Keep the blank lines that separated the old section from
                    # the next one, so an unchanged section stays byte-identical.
                    trailing = ""
                    for (j = i + 1; j <= n_cur && section_keyword(CUR[j]) == ""; j++)
                        trailing = (CUR[j] ~ /^[ \t]*$/) ? trailing "\n" CUR[j] : ""
                    if (trailing != "") PENDING_TRAIL[out_n] = substr(trailing, 2)
                }
                continue
            }
            OUT[++out_n] = line
            if (in_global && !global_seen) {
                global_seen = 1
                if (mode == "apply") {
                    if (!cur_has_master_worker()) OUT[++out_n] = "    master-worker"
                    if (!cur_has_socket()) { OUT[++out_n] = edit_socket_line("    stats socket " socket); socket_done = 1 }
                } else if (!cur_has_socket() && snap_socket_line != "") {
                    OUT[++out_n] = snap_socket_line
                }
            }
            continue
        }
        if (skipping) continue
        if (in_global) {
            if (first_word(line) == "master-worker" && mode == "revert" && !snap_has_master_worker) continue
            if (is_socket_line(line)) {
                if (mode == "apply") line = edit_socket_line(line)
                else if (snap_socket_line == "") continue
                else line = snap_socket_line
            }
        }
        OUT[++out_n] = line
    }
    for (i = 1; i <= n_managed; i++) {
        id = MANAGED_ORDER[i]
        if (id in EMITTED) continue
        # Appended sections are separated from what precedes them by one blank line.
        while (out_n > 0 && OUT[out_n] ~ /^[ \t]*$/) out_n--
        OUT[++out_n] = ""
        OUT[++out_n] = MANAGED_TEXT[id]
    }
    if (mode == "revert") {
        # The file ends with as many blank lines as the snapshot did.
        while (out_n > 0 && OUT[out_n] ~ /^[ \t]*$/) out_n--
        for (i = n_ref; i > 0 && REF[i] ~ /^[ \t]*$/; i--) OUT[++out_n] = REF[i]
    }
    for (i = 1; i <= out_n; i++) {
        print OUT[i]
        if (i in PENDING_TRAIL) print PENDING_TRAIL[i]
    }
}

function cur_has_master_worker(    i, k, g) {
    g = 0
    for (i = 1; i <= n_cur; i++) {
        k = section_keyword(CUR[i])
        if (k != "") { g = (k == "global"); continue }
        if (g && first_word(CUR[i]) == "master-worker") return 1
    }
    return 0
}

function cur_has_socket(    i, k, g) {
    g = 0
    for (i = 1; i <= n_cur; i++) {
        k = section_keyword(CUR[i])
        if (k != "") { g = (k == "global"); continue }
        if (g && is_socket_line(CUR[i])) return 1
    }
    return 0
}

# A line with its whitespace collapsed; a section header also without the
# `from <defaults>` the Data Plane API adds to it.
function norm_line(l) {
    gsub(/[ \t]+/, " ", l)
    sub(/^ /, "", l)
    sub(/ $/, "", l)
    return l
}
function norm_header(l) {
    l = norm_line(l)
    sub(/ from [^ ]+$/, "", l)
    return l
}
function is_blank_or_comment(l) {
    return l ~ /^[ \t]*(#.*)?$/
}

# What the section of the current file starting at line i says.
function existing_norm(i,    j, out) {
    out = norm_header(CUR[i])
    for (j = i + 1; j <= n_cur && section_keyword(CUR[j]) == ""; j++)
        if (!is_blank_or_comment(CUR[j])) out = out "\n" norm_line(CUR[j])
    return out
}

# What a MANAGED section says.
function managed_norm(text,    n, a, k, out) {
    n = split(text, a, "\n")
    out = norm_header(a[1])
    for (k = 2; k <= n; k++)
        if (!is_blank_or_comment(a[k])) out = out "\n" norm_line(a[k])
    return out
}
