import { MANAGED_BY } from "../shared/paths";

/** The API's reload_cmd: a master-CLI `reload`, sent with the Perl that every Debian host has (perl-base). */
export function renderReloadHelper(masterSocket: string): string {
    return `#!/bin/sh
# ${MANAGED_BY}
# The Data Plane API runs this as user haproxy to reload HAProxy: on HAProxy 2.6
# the API cannot use the master socket itself, and \`systemctl reload haproxy\`
# is refused to that user. Perl is used because perl-base is on every Debian
# host, while socat may not be.
set -eu
exec /usr/bin/perl -MIO::Socket::UNIX -e '
    my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "cannot connect to $ARGV[0]: $!\\n";
    print $s "reload\\n";
    shutdown($s, 1);
    print while <$s>;
' "${masterSocket}"
`;
}
