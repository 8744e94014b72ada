import { MANAGED_BY } from "../shared/paths";

/** How long the helper waits for HAProxy's master to finish a reload, in seconds. */
export const RELOAD_WAIT_SECONDS = 60;

/**
 * The API's reload_cmd: a master-CLI `reload`, sent with the Perl that every
 * Debian host has (perl-base), and HAProxy's verdict on it as the exit status.
 *
 * The API judges reload_cmd by its exit status alone, and restores its last
 * known good haproxy.cfg when it fails. HAProxy 2.6's master answers `reload`
 * with nothing, whether the new configuration loads or not, so the helper
 * asks the re-executed master: its line in `show proc` counts reloads, and
 * failed ones since the last success (`<reloads> [failed: N]`). The Perl has
 * no single quote in it: it is passed to perl in one.
 */
export function renderReloadHelper(masterSocket: string, waitSeconds = RELOAD_WAIT_SECONDS): string {
    return `#!/bin/sh
# ${MANAGED_BY}
# The Data Plane API runs this as user haproxy to reload HAProxy: on HAProxy 2.6
# the API cannot use the master socket itself, and \`systemctl reload haproxy\`
# is refused to that user. It sends \`reload\` to the master CLI, waits for the
# new master to answer \`show proc\` with one more reload, and exits 1 if that
# reload failed, so that the API sees HAProxy refuse a configuration.
# Perl is used because perl-base is on every Debian host, while socat may not be.
set -eu
exec /usr/bin/perl -MIO::Socket::UNIX -e '
    my ($socket, $wait) = @ARGV;
    $SIG{ALRM} = sub { die "HAProxy did not finish the reload within $wait s\\n" };
    alarm $wait;
    sub cli {
        my $s = IO::Socket::UNIX->new(Peer => $socket) or return undef;
        print $s "$_[0]\\n";
        shutdown($s, 1);
        local $/;
        my $answer = <$s>;
        return defined $answer ? $answer : "";
    }
    sub master {
        my $proc = cli("show proc");
        return () unless defined $proc && $proc =~ /^\\d+\\s+master\\s+(\\d+)\\s+\\[failed: (\\d+)\\]/m;
        return ($1, $2);
    }
    my ($before) = master() or die "cannot read the reload count of the master at $socket: $!\\n";
    defined cli("reload") or die "cannot connect to $socket: $!\\n";
    while (1) {
        select(undef, undef, undef, 0.2);
        my ($reloads, $failed) = master();
        # While the new master loads, the socket can be missing or refuse connections; being
        # refused access does not pass (the master re-creates the socket with its start options).
        die "cannot ask the master at $socket about the reload: $!\\n" if !defined $reloads && $!{EACCES};
        next unless defined $reloads && $reloads > $before;
        if ($failed > 0) {
            print STDERR "HAProxy refused the reload and still runs the previous configuration (journalctl -u haproxy.service says why)\\n";
            exit 1;
        }
        print "HAProxy reloaded\\n";
        exit 0;
    }
' "${masterSocket}" ${waitSeconds}
`;
}
