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
#         (adding one only if none exists; a `global` section at the top when
#         the file has none); replace each section of MANAGED in
#         place, or append it; drop the sections named in IDS that MANAGED no
#         longer has. A section that already says what MANAGED says, in the
#         Data Plane API's spelling (other indentation, a `from` on its
#         header, comment lines), is kept as it is written, so a second apply
#         on a file the API has rewritten changes nothing.
# revert: drop the sections named in IDS, and give the global lines and the
#         trailing newlines of the file back the shape they had in SNAPSHOT (the
#         file as it was before the first apply): the stats socket line as
#         SNAPSHOT wrote it, `master-worker` only if SNAPSHOT had it. When the
#         global section then says what SNAPSHOT's said, in any order and
#         spelling (the Data Plane API rewrites global in its own order and
#         indentation), SNAPSHOT's global section is written back as it was,
#         byte for byte, but for comment lines the file no longer has in it
#         (the API moves a comment line to the section it precedes, and that
#         one may now be elsewhere in the file). When it says something else
#         (a line added, changed or taken out after the first apply, a comment
#         line SNAPSHOT did not have), or holds a conditional block, or either
#         file has more than one global section, its lines stay as they are,
#         so no later change is lost.
# Everything else, including sections and comment lines that the Data Plane
# API writes at run time, passes through byte for byte.
#
# A file with CRLF line endings is edited as lines and written back with CRLF.
# The socket PATH is recognised in any spelling HAProxy binds to the same
# place: with a `unix@` prefix, under /var/run (a link to /run), with doubled
# slashes or `/./`.
#
# It stops with an error (exit 1, a message naming the file and line on
# stderr, nothing on stdout worth using) rather than write a file that passes
# `haproxy -c` but does not do what is meant:
#   - lines ending partly in CRLF and partly in LF, or a carriage return inside
#     a line;
#   - a section it replaces or drops, or (apply) the global section, its
#     `master-worker` or its stats socket line, inside an HAProxy conditional
#     block (.if/.elif/.else/.endif), or a conditional block that begins or
#     ends inside such a section: editing there would unbalance the block or
#     make the API's access depend on a condition;
#   - (apply) two stats socket lines for PATH (HAProxy binds both, and the last
#     one silently replaces the first), or a stats socket line with quotes or
#     backslashes, whose words this editor does not parse as HAProxy does.
#
# IDS is a `|`-separated list of section ids, an id being "<keyword> <name>".

function fail(lineno, msg) {
    if (lineno > 0) printf "haproxy-cfg-edit: %s:%d: %s\n", cur_file, lineno, msg > "/dev/stderr"
    else printf "haproxy-cfg-edit: %s: %s\n", cur_file, msg > "/dev/stderr"
    failed = 1
    exit 1
}

# The part of a line before its comment: HAProxy starts a comment at any `#`
# outside quotes (lines with quotes that matter here are refused).
function strip_comment(line,    p) {
    p = index(line, "#")
    return p ? substr(line, 1, p - 1) : line
}

# Splits the words of a line (its comment left out) into w[1..n]; returns n.
function words(line, w,    f, n, i, k) {
    n = split(strip_comment(line), f, /[ \t]+/)
    k = 0
    for (i = 1; i <= n; i++) if (f[i] != "") w[++k] = f[i]
    return k
}

function section_keyword(line,    w) {
    if (words(line, w) == 0) return ""
    return (w[1] in SECTION_KEYWORDS) ? w[1] : ""
}

function section_id(line,    w, n) {
    n = words(line, w)
    return n >= 2 ? w[1] " " w[2] : w[1]
}

function first_word(line,    w) {
    return words(line, w) ? w[1] : ""
}

function is_conditional(line,    k) {
    k = first_word(line)
    return k == ".if" || k == ".elif" || k == ".else" || k == ".endif"
}

# One spelling for the places HAProxy binds a UNIX socket to the same file.
function canon_path(p) {
    sub(/^unix@/, "", p)
    gsub(/\/+/, "/", p)
    while (gsub(/\/\.\//, "/", p)) {}
    sub(/\/\.$/, "", p)
    if (p ~ /^\/var\/run(\/|$)/) p = substr(p, 5)
    return p
}

function is_stats_socket(line,    w) {
    return words(line, w) >= 3 && w[1] == "stats" && w[2] == "socket"
}

function is_socket_line(line,    w) {
    return words(line, w) >= 3 && w[1] == "stats" && w[2] == "socket" && canon_path(w[3]) == socket_canon
}

function indent_of(line) {
    match(line, /^[ \t]*/)
    return substr(line, 1, RLENGTH)
}

# Sets mode, level and group on a `stats socket` line, keeping every other
# option where it was and the comment after them. `gid N` would set the group
# as well (the last of group/gid wins), so it gives way to `group haproxy`.
function edit_socket_line(line,    body, comment, sp, f, n, i, key, out, k, seen) {
    body = strip_comment(line)
    comment = substr(line, length(body) + 1)
    sp = ""
    if (comment != "") {
        sp = match(body, /[ \t]+$/) ? substr(body, RSTART) : " "
    }
    n = split(body, f, /[ \t]+/)
    out = ""
    for (i = 1; i <= n; i++) {
        if (f[i] == "") continue
        key = (f[i] == "gid") ? "group" : f[i]
        if (key in WANT && i < n) {
            if (!(key in seen)) out = out " " key " " WANT[key]
            seen[key] = 1
            i++
            continue
        }
        out = out " " f[i]
    }
    for (k = 1; k <= WANT_N; k++)
        if (!(WANT_ORDER[k] in seen)) out = out " " WANT_ORDER[k] " " WANT[WANT_ORDER[k]]
    return indent_of(line) substr(out, 2) (comment != "" ? sp comment : "")
}

BEGIN {
    split("global defaults frontend backend listen userlist peers resolvers mailers program http-errors ring cache log-forward fcgi-app crt-store traces", kw, " ")
    for (i in kw) SECTION_KEYWORDS[kw[i]] = 1
    WANT_N = split("mode level group", WANT_ORDER, " ")
    WANT["mode"] = "660"; WANT["level"] = "admin"; WANT["group"] = "haproxy"
    if (mode != "apply" && mode != "revert") { print "haproxy-cfg-edit: mode must be apply or revert" > "/dev/stderr"; exit 2 }
    if (socket == "") { print "haproxy-cfg-edit: socket is required" > "/dev/stderr"; exit 2 }
    socket_canon = canon_path(socket)
    n_remove = split(remove, remove_list, "|")
    for (i = 1; i <= n_remove; i++) if (remove_list[i] != "") REMOVE[remove_list[i]] = 1
    n_ref = 0; n_cur = 0; n_crlf = 0
}

FNR == 1 { file_index++; if (file_index == 2) cur_file = FILENAME }
{ cr = sub(/\r$/, "") }
file_index == 1 { REF[++n_ref] = $0; next }
{
    CUR[++n_cur] = $0
    if (cr) { n_crlf++; if (!first_crlf) first_crlf = n_cur }
    else if (!first_lf) first_lf = n_cur
    if (index($0, "\r") && !stray_cr) stray_cr = n_cur
}

END {
    if (failed) exit 1
    if (file_index < 1) exit 2
    # ---- line endings of the current file
    if (stray_cr) fail(stray_cr, "a carriage return inside the line (not a CRLF line ending); HAProxy would read it as part of a word. Fix the line endings of the file and try again")
    if (n_crlf > 0 && n_crlf < n_cur)
        fail(first_lf, "this line ends in LF, but line " first_crlf " ends in CRLF; the file mixes line endings, so the edit could not write it back in its own. Convert the file to one kind of line ending and try again")
    eol = (n_crlf > 0) ? "\r\n" : "\n"
    # ---- conditional blocks of the current file: INCOND[i] says line i is in
    # one or is one of its directives.
    depth = 0
    for (i = 1; i <= n_cur; i++) {
        k = first_word(CUR[i])
        if (k == ".if") { INCOND[i] = 1; depth++ }
        else if (k == ".endif") { INCOND[i] = 1; depth-- }
        else INCOND[i] = (depth > 0 || k == ".elif" || k == ".else")
    }
    # ---- the reference file: MANAGED sections (apply) or SNAPSHOT (revert)
    n_managed = 0
    snap_has_master_worker = 0; snap_has_global = 0; n_snap_sock = 0; in_global = 0
    n_snap_global = 0; snap_g_start = 0; snap_g_end = 0
    for (i = 1; i <= n_ref; i++) {
        kwd = section_keyword(REF[i])
        if (kwd != "") {
            in_global = (kwd == "global")
            if (in_global) { snap_has_global = 1; if (++n_snap_global == 1) snap_g_start = i }
            if (snap_g_start && !snap_g_end && i > snap_g_start) snap_g_end = i - 1
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
            if (is_socket_line(REF[i])) SNAP_SOCK[++n_snap_sock] = REF[i]
        }
    }
    if (snap_g_start && !snap_g_end) snap_g_end = n_ref
    for (i = 1; i <= n_managed; i++) REMOVE[MANAGED_ORDER[i]] = 1

    # ---- what the current file must not be for the edit to mean what it says
    in_global = 0; global_at = 0; socket_at = 0; n_cur_global = 0; cur_global_cond = 0
    for (i = 1; i <= n_cur; i++) {
        kwd = section_keyword(CUR[i])
        if (kwd != "") {
            in_global = (kwd == "global")
            if (in_global && !global_at) global_at = i
            if (in_global) { n_cur_global++; if (INCOND[i]) cur_global_cond = 1 }
            id = section_id(CUR[i])
            if (id in REMOVE) {
                for (j = i; j == i || (j <= n_cur && section_keyword(CUR[j]) == ""); j++)
                    if (INCOND[j])
                        fail(j, (j == i ? "the section `" id "` is inside" : "this line of the section `" id "` (line " i ") is or is inside") \
                            " an HAProxy conditional block (.if/.elif/.else/.endif). This program replaces or removes that section as a whole, which would unbalance the block or change what it means; move the section out of the conditional block and try again")
            }
            continue
        }
        if (in_global && INCOND[i]) cur_global_cond = 1
        if (!in_global || mode != "apply") continue
        if (first_word(CUR[i]) == "master-worker" && INCOND[i])
            fail(i, "`master-worker` is inside an HAProxy conditional block (.if/.elif/.else/.endif); the Data Plane API needs it unconditionally. Move it out of the block and try again")
        if (is_stats_socket(CUR[i]) && strip_comment(CUR[i]) ~ /["'\\]/)
            fail(i, "a stats socket line with quotes or backslashes; this editor cannot tell reliably which socket it names or edit its options. Write it without quotes or escapes and try again")
        if (is_socket_line(CUR[i])) {
            if (INCOND[i])
                fail(i, "the stats socket line for " socket " is inside an HAProxy conditional block (.if/.elif/.else/.endif); the Data Plane API's admin access to it must not depend on a condition. Move it out of the block and try again")
            if (socket_at)
                fail(i, "a second stats socket line for " socket " (the first is line " socket_at "); HAProxy binds both and the last one silently replaces the first. Keep one and try again")
            socket_at = i
        }
    }
    if (mode == "apply" && global_at && INCOND[global_at])
        fail(global_at, "the global section is inside an HAProxy conditional block (.if/.elif/.else/.endif); master-worker and the admin socket must not depend on a condition. Move it out of the block and try again")
    # No global section (a file may leave it out): apply adds one at the top,
    # before the first line that is not blank or a comment.
    insert_global_at = 0
    if (mode == "apply" && !global_at) {
        for (insert_global_at = 1; insert_global_at <= n_cur && CUR[insert_global_at] ~ /^[ \t]*(#.*)?$/; insert_global_at++) {}
    }

    # ---- the current file
    out_n = 0; skipping = 0; in_global = 0; global_seen = 0; n_sock = 0; global_out = 0
    for (i = 1; i <= n_cur; i++) {
        line = CUR[i]
        if (i == insert_global_at) add_global()
        kwd = section_keyword(line)
        if (kwd != "") {
            if (global_out) { restore_snapshot_global(1); global_out = 0 }
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
            # revert: a global section that apply added to a file without one
            # goes again, if it holds nothing but what apply put in it.
            if (mode == "revert" && in_global && !snap_has_global && !global_seen && only_ours(i)) {
                skipping = 1
                global_seen = 1
                continue
            }
            OUT[++out_n] = line
            if (in_global && !global_seen) {
                global_seen = 1
                if (mode == "revert") global_out = out_n
                if (mode == "apply") {
                    if (!cur_has_master_worker()) OUT[++out_n] = "    master-worker"
                    if (!cur_has_socket()) OUT[++out_n] = edit_socket_line("    stats socket " socket)
                } else if (!cur_has_socket()) {
                    for (k = 1; k <= n_snap_sock; k++) OUT[++out_n] = SNAP_SOCK[k]
                }
            }
            continue
        }
        if (skipping) continue
        if (in_global) {
            if (first_word(line) == "master-worker" && mode == "revert" && !snap_has_master_worker) continue
            if (is_socket_line(line)) {
                if (mode == "apply") line = edit_socket_line(line)
                else if (++n_sock > n_snap_sock) continue
                else line = SNAP_SOCK[n_sock]
            }
        }
        OUT[++out_n] = line
    }
    if (global_out) restore_snapshot_global(0)
    if (insert_global_at > n_cur) add_global()
    for (i = 1; i <= n_managed; i++) {
        id = MANAGED_ORDER[i]
        if (id in EMITTED) continue
        # Appended sections are separated from what precedes them by one blank line.
        while (out_n > 0 && OUT[out_n] ~ /^[ \t]*$/) out_n--
        if (out_n > 0) OUT[++out_n] = ""
        OUT[++out_n] = MANAGED_TEXT[id]
    }
    if (mode == "revert") {
        # The file ends with as many blank lines as the snapshot did.
        while (out_n > 0 && OUT[out_n] ~ /^[ \t]*$/) out_n--
        for (i = n_ref; i > 0 && REF[i] ~ /^[ \t]*$/; i--) OUT[++out_n] = REF[i]
    }
    for (i = 1; i <= out_n; i++) {
        text = OUT[i]
        if (i in PENDING_TRAIL) text = text "\n" PENDING_TRAIL[i]
        if (eol != "\n") gsub(/\n/, eol, text)
        printf "%s%s", text, eol
    }
}

# The global section apply adds to a file that has none, and the blank line
# that separates it from what follows.
function add_global() {
    OUT[++out_n] = "global"
    OUT[++out_n] = "    master-worker"
    OUT[++out_n] = edit_socket_line("    stats socket " socket)
    if (insert_global_at <= n_cur) OUT[++out_n] = ""
    global_seen = 1
}

# Whether the global section starting at line i holds only what apply adds:
# master-worker, the stats socket line, blank and comment lines.
function only_ours(i,    j) {
    for (j = i + 1; j <= n_cur && section_keyword(CUR[j]) == ""; j++) {
        if (CUR[j] ~ /^[ \t]*(#.*)?$/ || first_word(CUR[j]) == "master-worker" || is_socket_line(CUR[j])) continue
        return 0
    }
    return 1
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

# revert: the global section of the result, OUT[global_out..out_n], with the
# program's lines already taken out. If it holds SNAPSHOT's global lines, no
# more and no fewer (counted, in any order, indentation and spacing), and no
# comment line SNAPSHOT's global did not have, SNAPSHOT's section replaces it
# verbatim, less the comment lines it no longer holds: the API moves a comment
# line that is not indented with spaces to the section after it, which need not
# follow global any more, and that copy stays. Only when the file has one
# global section, as SNAPSHOT has, with no conditional block in it, where the
# order of the lines is part of what they say.
# `followed`: a section comes after it, so that SNAPSHOT's blank lines at the
# end of the file (if its global was last there) are not copied in between.
function restore_snapshot_global(followed,    i, k, count, kept, end) {
    if (n_snap_global != 1 || n_cur_global != 1 || cur_global_cond) return
    if (line_key(REF[snap_g_start]) != line_key(OUT[global_out])) return
    for (i = snap_g_start + 1; i <= snap_g_end; i++)
        if (REF[i] !~ /^[ \t]*$/) count[line_key(REF[i])]++
    for (i = global_out + 1; i <= out_n; i++) {
        if (OUT[i] ~ /^[ \t]*$/) continue
        k = line_key(OUT[i])
        if (!(count[k] > 0)) return
        count[k]--
        if (k ~ /^#/) kept[k]++
    }
    for (k in count) if (count[k] > 0 && k !~ /^#/) return
    out_n = global_out - 1
    end = snap_g_end
    if (followed && snap_g_end == n_ref)
        while (end > snap_g_start && REF[end] ~ /^[ \t]*$/) end--
    OUT[++out_n] = REF[snap_g_start]
    for (i = snap_g_start + 1; i <= end; i++) {
        if (REF[i] !~ /^[ \t]*$/ && (k = line_key(REF[i])) ~ /^#/) {
            if (!(kept[k] > 0)) continue
            kept[k]--
        }
        OUT[++out_n] = REF[i]
    }
    if (followed && snap_g_end == n_ref) OUT[++out_n] = ""
}

# What a line says, for comparing it with the same line in another spelling:
# its words, and the text of its comment, each with the whitespace collapsed.
# A comment line's key starts with `#`, which no other line's key does.
function line_key(l,    w, n, k, i, p) {
    n = words(l, w)
    k = ""
    for (i = 1; i <= n; i++) k = k (i > 1 ? " " : "") w[i]
    p = index(l, "#")
    if (p) k = k (n ? " #" : "#") norm_line(substr(l, p + 1))
    return k
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
