#!/usr/bin/env bash
# Builds a reference FastCGI responder of bench/webhooks: reference.c (the one-insert ceiling, the default) or
# contract.c (the project's per-delivery SQL).
# usage: bench/reference/build.sh [output-path] [reference|contract]   (default: bench/out/<name>)
# Needs gcc, libfcgi-dev and libmariadb-dev (bench/webhooks installs them when missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name="${2:-reference}"
[[ "$name" == reference || "$name" == contract ]] || { echo "build.sh: unknown responder '$name'" >&2; exit 64; }
out="${1:-$here/../out/$name}"
mkdir -p "$(dirname "$out")"
cflags="$(mariadb_config --cflags 2>/dev/null || pkg-config --cflags libmariadb 2>/dev/null || echo -I/usr/include/mariadb)"
libs="$(mariadb_config --libs 2>/dev/null || pkg-config --libs libmariadb 2>/dev/null || echo -lmariadb)"
# shellcheck disable=SC2086
gcc -O2 -Wall -Wextra -pthread $cflags -o "$out" "$here/$name.c" -lfcgi $libs -lpthread
echo "$name: built $out"
