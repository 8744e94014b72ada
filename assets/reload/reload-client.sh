#!/bin/sh
# @MANAGED_BY@
# The Data Plane API's reload_cmd: asks the reload service (root) to reload HAProxy,
# and exits 0 when HAProxy loaded the new configuration, 1 when it refused it.
set -eu
exec /usr/bin/perl -MIO::Socket::UNIX -e '
    my ($socket, $wait) = @ARGV;
    $SIG{ALRM} = sub { print STDERR "no verdict from the reload service at $socket within $wait s\n"; exit 1 };
    alarm $wait;
    my $s = IO::Socket::UNIX->new(Peer => $socket)
        or do { print STDERR "cannot reach the reload service at $socket: $!\n"; exit 1 };
    local $/;
    my $answer = <$s>;
    $answer = "" unless defined $answer;
    my @lines = grep { length } split /\n/, $answer;
    my $verdict = @lines ? $lines[-1] : "";
    if ($verdict =~ /^ok: /) { print "$verdict\n"; exit 0 }
    print STDERR ($verdict =~ /^failed: / ? $verdict : "the reload service answered no verdict (journalctl -u haproxy-dataplane-reload@* says why)"), "\n";
    exit 1;
' "@SOCKET@" @WAIT_SECONDS@
