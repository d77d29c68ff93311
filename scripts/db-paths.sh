# Sourced by db-start.sh and db-stop.sh: checks the one argument (dev|test|test-NAME|soak|instr|events) and names the stack's
# MariaDB paths.
usage() { echo "usage: $0 dev|test|test-NAME|soak|instr|events" >&2; exit 64; }
[ $# -eq 1 ] || usage
stack="$1"
[[ "$stack" =~ ^(dev|test|test-[a-z0-9]+|soak|instr|events)$ ]] || usage

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="$repo/.run/$stack/mariadb"
datadir="$base/data"
tmpdir="$base/tmp"
socket="$base/mysqld.sock"
pidfile="$base/mysqld.pid"
logfile="$base/mariadbd.log"
