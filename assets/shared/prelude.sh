set -euo pipefail
umask 022
cd /
