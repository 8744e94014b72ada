rm -f @RECORD@ @RECORD_META@
rmdir @DEPLOYED_DIR@ 2>/dev/null || true
@REMOVE_STATE_DIR_IF_EMPTY@
