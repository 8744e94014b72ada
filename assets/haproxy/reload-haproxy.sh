#!/bin/sh
# @MANAGED_BY@
# Reloads HAProxy (never restarts it) and prints its verdict: "ok: ..." and exit 0,
# or "failed: ..." and exit 1 when HAProxy refused the new configuration.
# Run as root, by the program's haproxy.cfg edit and by the reload service that the
# Data Plane API (user haproxy) asks through its socket.
set -eu
exec /usr/bin/perl -MIO::Socket::UNIX -MFcntl=:flock -e '
    my ($socket, $wait, $lockfile) = @ARGV;
    $| = 1;
    # Run by the reload service, stdout is the requesting connection and stderr the journal
    # (systemd then sets JOURNAL_STREAM): the journal gets the verdict too.
    sub verdict {
        my ($ok, $text) = @_;
        my $line = ($ok ? "ok: " : "failed: ") . $text . "\n";
        print $line;
        print STDERR $line if $ENV{JOURNAL_STREAM};
        exit($ok ? 0 : 1);
    }
    $SIG{ALRM} = sub { verdict(0, "HAProxy did not finish the reload within $wait s") };
    alarm $wait;
    open(my $lock, "<", $lockfile) or verdict(0, "cannot open the reload lock $lockfile: $!");
    flock($lock, LOCK_EX) or verdict(0, "cannot take the reload lock $lockfile: $!");
    sub cli {
        my $s = IO::Socket::UNIX->new(Peer => $socket) or return undef;
        print $s "$_[0]\n";
        shutdown($s, 1);
        local $/;
        my $answer = <$s>;
        return defined $answer ? $answer : "";
    }
    sub master {
        my $proc = cli("show proc");
        return () unless defined $proc && $proc =~ /^\d+\s+master\s+(\d+)\s+\[failed: (\d+)\]/m;
        return ($1, $2);
    }
    my ($before) = master() or verdict(0, "cannot read the reload count of the master at $socket: $!");
    defined cli("reload") or verdict(0, "cannot connect to $socket: $!");
    while (1) {
        select(undef, undef, undef, 0.2);
        my ($reloads, $failed) = master();
        # While the new master loads, the socket can be missing or refuse connections.
        next unless defined $reloads && $reloads > $before;
        verdict(0, "HAProxy refused the reload and still runs the previous configuration (journalctl -u haproxy.service says why)") if $failed > 0;
        verdict(1, "HAProxy reloaded (reload $reloads of its master)");
    }
' "@SOCKET@" @WAIT_SECONDS@ "$0"
