target=@TARGET@
[ -d @DIR@ ] || install -d -m @DIR_MODE@ @DIR@
tmp=$(mktemp @TMP_TEMPLATE@)
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown @OWNER_GROUP@ "$tmp"
chmod @MODE@ "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
@RECORD@
@AFTER@
echo "wrote $target ($(stat -c '%U:%G %a' "$target"), sha256 $(sha256sum "$target" | cut -c1-12))"
