    # The API puts its last known good copy back when one of its reloads
    # fails; it refreshes that copy only after its own reloads, so it would
    # bring back the file from before this edit (an old userlist, say).
    lkg=@LKG@
    if [ -d @BACKUPS_DIR@ ]; then
        install -o haproxy -g haproxy -m 0644 "$cfg" "$lkg"
        echo "refreshed the API's last known good copy $lkg"
    fi
