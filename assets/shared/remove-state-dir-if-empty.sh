rmdir @STATE_DIR@ 2>/dev/null || true
