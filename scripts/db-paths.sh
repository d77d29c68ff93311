# Sourced by db-start.sh and db-stop.sh: checks the one argument (dev|test|soak) and names the stack's MariaDB paths.
usage() { echo "usage: $0 dev|test|soak" >&2; exit 64; }
[ $# -eq 1 ] || usage
stack="$1"
case "$stack" in dev|test|soak) ;; *) usage ;; esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="$repo/.run/$stack/mariadb"
datadir="$base/data"
tmpdir="$base/tmp"
socket="$base/mysqld.sock"
pidfile="$base/mysqld.pid"
logfile="$base/mariadbd.log"
