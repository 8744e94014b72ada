import { MANAGED_BY, PATHS } from "../shared/paths";
import { RELOAD_WAIT_SECONDS } from "../haproxy/reloadHelper";

/**
 * The API's reload_cmd (and restart_cmd: the API never gets to restart
 * HAProxy). Run as user haproxy, under the API unit's NoNewPrivileges: it
 * connects to the reload service's socket, which is all a request is, and
 * exits with the verdict the service sends back. The API judges reload_cmd by
 * its exit status and puts its last known good haproxy.cfg back when it fails.
 * The API splits reload_cmd on spaces and runs it without a shell, so this is
 * one path with no arguments.
 */
export function renderReloadClient(socket: string = PATHS.reloadSocket, waitSeconds = RELOAD_WAIT_SECONDS + 10): string {
    return `#!/bin/sh
# ${MANAGED_BY}
# The Data Plane API's reload_cmd: asks the reload service (root) to reload HAProxy,
# and exits 0 when HAProxy loaded the new configuration, 1 when it refused it.
set -eu
exec /usr/bin/perl -MIO::Socket::UNIX -e '
    my ($socket, $wait) = @ARGV;
    $SIG{ALRM} = sub { print STDERR "no verdict from the reload service at $socket within $wait s\\n"; exit 1 };
    alarm $wait;
    my $s = IO::Socket::UNIX->new(Peer => $socket)
        or do { print STDERR "cannot reach the reload service at $socket: $!\\n"; exit 1 };
    local $/;
    my $answer = <$s>;
    $answer = "" unless defined $answer;
    my @lines = grep { length } split /\\n/, $answer;
    my $verdict = @lines ? $lines[-1] : "";
    if ($verdict =~ /^ok: /) { print "$verdict\\n"; exit 0 }
    print STDERR ($verdict =~ /^failed: / ? $verdict : "the reload service answered no verdict (journalctl -u haproxy-dataplane-reload@* says why)"), "\\n";
    exit 1;
' "${socket}" ${waitSeconds}
`;
}
