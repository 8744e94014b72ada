swap_in() {
    cp -p "$1" "$cfg.dpdeploy.new"
    mv -f "$cfg.dpdeploy.new" "$cfg"
}
if cmp -s "$work/candidate" "$cfg"; then
    echo "$cfg: already as wanted"
else
    chgrp haproxy "$work" "$work/candidate"
    chmod 0750 "$work"
    chmod 0640 "$work/candidate"
    if ! runuser -u haproxy -- haproxy -c -q -f "$work/candidate" 2>/dev/null; then
        echo "the candidate $cfg is rejected by haproxy -c run as user haproxy, as the Data Plane API validates every change" >&2
        echo "(every file it names must be readable by haproxy); the live file is unchanged:" >&2
        runuser -u haproxy -- haproxy -c -f "$work/candidate" >&2 || true
        exit 1
    fi
    cp -p "$cfg" "$work/previous"
    chown --reference="$cfg" "$work/candidate"
    chmod --reference="$cfg" "$work/candidate"
    swap_in "$work/candidate"
    diff -u "$work/previous" "$cfg" | sed -n '3,$p' | grep -E '^[-+]' | sed 's/^\([-+][[:space:]]*user\)[[:space:]].*/\1 <masked>/' || true
    if systemctl is-active --quiet haproxy.service; then
        # The reload helper gives HAProxy's own verdict (systemctl reload exits 0
        # even when HAProxy refuses the file), and waits for any reload the API runs.
        if ! verdict=$(@RELOAD_HELPER@); then
            echo "$verdict; restoring the previous $cfg" >&2
            swap_in "$work/previous"
            @RELOAD_HELPER@ >&2 || true
            exit 1
        fi
        echo "validated $cfg and reloaded HAProxy ($verdict)"
    else
        echo "validated $cfg; HAProxy is not running, so it takes effect when it starts"
    fi
@AFTER_SWAP@
fi
