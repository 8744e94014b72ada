cfg=@CONFIG_FILE@
state=@STATE_DIR@
if [ ! -f "$state/@HAPROXY_CFG_BEFORE_FILE@" ] || [ ! -f "$cfg" ]; then
    echo "no pre-deploy copy of $cfg; leaving it as it is"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$cfg.dpdeploy.new"' EXIT
exec 9< "$cfg"
flock -w 60 9 || { echo "waited 60 s for the lock the Data Plane API holds on $cfg; try again" >&2; exit 1; }
owned=$(cat "$state/@OWNED_SECTIONS_FILE@" 2>/dev/null || printf '%s' @OWNED_SECTIONS@)
if ! awk -v mode=revert -v socket=@ADMIN_SOCKET@ -v remove="$owned" \
    -f @EDITOR@ "$state/@HAPROXY_CFG_BEFORE_FILE@" "$cfg" > "$work/candidate"; then
    echo "taking the edit back out of $cfg stopped (the reason is above); the live file is unchanged" >&2
    exit 1
fi
@SWAP_AND_RELOAD@
# The API renames its own copy into place, so haproxy.cfg is now user haproxy's;
# with the API gone it gets the owner and mode it had before the first deploy.
chown --reference="$state/@HAPROXY_CFG_BEFORE_FILE@" "$cfg"
chmod --reference="$state/@HAPROXY_CFG_BEFORE_FILE@" "$cfg"
echo "$cfg: $(stat -c '%U:%G %a' "$cfg"), as before the first deploy"
rm -f "$state/@HAPROXY_CFG_BEFORE_FILE@" "$state/@OWNED_SECTIONS_FILE@" @MANAGED_SECTIONS@
# The copies of haproxy.cfg the API kept (its backups, its last known good copy
# the program refreshed, its open, failed and outdated transactions) each hold
# the API users' password hashes, and nothing reads them once the API is gone.
# Only the API's own names go: <file>.lkg, <file>.<version>, <file>.<transaction id>.
base=$(basename "$cfg")
backups=@BACKUPS_DIR@
transactions=@TRANSACTION_DIR@
copies=0
for f in "$backups/$base".* "$transactions/$base".* "$transactions/failed/$base".* "$transactions/outdated/$base".*; do
    suffix=${f##*/"$base".}
    if [ -f "$f" ] && [[ $suffix =~ ^(lkg|[0-9]+|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$ ]]; then
        rm -f "$f"
        copies=$((copies + 1))
    fi
done
rmdir "$transactions/failed" "$transactions/outdated" 2>/dev/null || true
@REMOVE_STATE_DIR_IF_EMPTY@
echo "removed $copies copies of $cfg the API kept in $backups and $transactions"
