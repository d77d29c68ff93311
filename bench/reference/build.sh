#!/usr/bin/env bash
# Builds the reference FastCGI responder (the ceiling of bench/webhooks).
# usage: bench/reference/build.sh [output-path]   (default: bench/out/reference)
# Needs gcc, libfcgi-dev and libmariadb-dev (bench/webhooks installs them when missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/../out/reference}"
mkdir -p "$(dirname "$out")"
cflags="$(mariadb_config --cflags 2>/dev/null || pkg-config --cflags libmariadb 2>/dev/null || echo -I/usr/include/mariadb)"
libs="$(mariadb_config --libs 2>/dev/null || pkg-config --libs libmariadb 2>/dev/null || echo -lmariadb)"
# shellcheck disable=SC2086
gcc -O2 -Wall -Wextra -pthread $cflags -o "$out" "$here/reference.c" -lfcgi $libs -lpthread
echo "reference: built $out"
