# Shared helpers for the scripts in this folder; sourced, never run. Defines the paths of a local stack (`dev` for
# make run, `test` for make test, `test-NAME` for a test's private stack, `soak` for bench/soak) and small process
# helpers. `cluster` is scripts/cluster.sh's loopback cluster.
# shellcheck shell=bash

TN_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

tn_log() { printf '%s\n' "[$(basename "$0")] $*" >&2; }
tn_die() { tn_log "error: $*"; exit 1; }

# tn_stack STACK: sets the paths and default ports of a stack.
tn_stack() {
    TN_STACK="${1:-}"
    case "$TN_STACK" in
        dev) TN_DEFAULT_HTTP_PORT=8080 TN_DEFAULT_HTTPS_PORT=8443 TN_DEFAULT_SANDBOX_BASE=8100 ;;
        # test-NAME: a private stack an integration test starts for itself (its ports are picked free, as test's).
        test | test-[a-z0-9]*) TN_DEFAULT_HTTP_PORT=18080 TN_DEFAULT_HTTPS_PORT=18443 TN_DEFAULT_SANDBOX_BASE=18100 ;;
        soak) TN_DEFAULT_HTTP_PORT=19080 TN_DEFAULT_HTTPS_PORT=19443 TN_DEFAULT_SANDBOX_BASE=19100 ;;
        # instr: bench/instructions' own stack (not test-*: make test stops every test-* stack it finds).
        instr) TN_DEFAULT_HTTP_PORT=19180 TN_DEFAULT_HTTPS_PORT=19543 TN_DEFAULT_SANDBOX_BASE=19150 ;;
        # events: bench/events' own stack (a free block of ports, as soak's).
        events) TN_DEFAULT_HTTP_PORT=19280 TN_DEFAULT_HTTPS_PORT=19643 TN_DEFAULT_SANDBOX_BASE=19250 ;;
        # cluster: scripts/cluster.sh's loopback cluster (CLUSTER_PORT_BASE, 23000: its ports are base + offsets).
        cluster) TN_DEFAULT_HTTP_PORT=$((${CLUSTER_PORT_BASE:-23000} + 80)) TN_DEFAULT_HTTPS_PORT=$((${CLUSTER_PORT_BASE:-23000} + 443))
            TN_DEFAULT_SANDBOX_BASE=$((${CLUSTER_PORT_BASE:-23000} + 100)) ;;
        *) tn_die "unknown stack '${TN_STACK}' (expected dev, test, test-NAME, soak, instr, events or cluster)" ;;
    esac
    TN_RUN_DIR="$TN_REPO/.run/$TN_STACK"
    TN_ENV_FILE="$TN_RUN_DIR/payments.env"
    TN_NGINX_PREFIX="$TN_RUN_DIR/nginx"
    TN_FCGI_DIR="$TN_RUN_DIR/fcgi"
    TN_DB_SOCKET="$TN_RUN_DIR/mariadb/mysqld.sock"
    # dev and soak run the release build (make run, make soak), test the debug build that `swift build --build-tests`
    # made.
    if [[ -z "${TN_BIN_DIR:-}" ]]; then
        if [[ "$TN_STACK" == test* ]]; then TN_BIN_DIR="$TN_REPO/.build/debug"; else TN_BIN_DIR="$TN_REPO/.build/release"; fi
    fi
}

# tn_port_in_use PORT: true when something on 127.0.0.1 accepts connections on PORT.
tn_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# tn_free_port_block: prints a base B (a multiple of 100 in 10000..32600, below Linux's ephemeral range so no outgoing
# connection holds it) whose ports B, B+1 (the nchan publisher), B+43 and B+50..B+59 are all free, picked at random, so two checkouts running
# `make test` at once never share nginx or sandbox ports.
tn_free_port_block() {
    local attempt base port busy
    for ((attempt = 0; attempt < 50; attempt++)); do
        base=$(((RANDOM % 227 + 100) * 100))
        busy=0
        for port in "$base" $((base + 1)) $((base + 43)) $(seq $((base + 50)) $((base + 59))); do
            if tn_port_in_use "$port"; then busy=1; break; fi
        done
        if ((busy == 0)); then printf '%s' "$base"; return 0; fi
    done
    tn_die "no free block of loopback ports found"
}

# tn_env_value KEY: the value of KEY in the stack's env file (quotes stripped), empty when absent.
tn_env_value() {
    local line
    line="$(grep -E "^[[:space:]]*$1=" "$TN_ENV_FILE" 2>/dev/null | tail -n 1 || true)"
    line="${line#*=}"
    line="${line%\"}"; line="${line#\"}"; line="${line%\'}"; line="${line#\'}"
    printf '%s' "$line"
}

# tn_proc_running PID: true while PID exists and is not a zombie (an orphan may wait a while for init to reap it).
tn_proc_running() {
    local state
    state="$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != Z ]]
}

# tn_pid_alive PIDFILE NAME: true when the pid file names a live process whose command line contains NAME
# (so a recycled pid is never mistaken for ours).
tn_pid_alive() {
    local pidfile="$1" name="$2" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    tn_proc_running "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"
}

# tn_stop_pid PIDFILE NAME [SECONDS]: SIGTERM the process, wait, then SIGKILL; removes the pid file. Harmless when
# nothing runs.
tn_stop_pid() {
    local pidfile="$1" name="$2" wait="${3:-15}" pid i
    if tn_pid_alive "$pidfile" "$name"; then
        pid="$(cat "$pidfile")"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < wait * 10; i++)); do
            tn_proc_running "$pid" || break
            sleep 0.1
        done
        if tn_proc_running "$pid"; then
            tn_log "$name (pid $pid) did not stop in ${wait}s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

# tn_start_bg PIDFILE LOGFILE COMMAND...: starts COMMAND detached (own session, stdin from /dev/null), from the repo
# root so relative paths like ./sql resolve, appending to LOGFILE.
tn_start_bg() {
    local pidfile="$1" logfile="$2"
    shift 2
    mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
    (cd "$TN_REPO" && exec setsid "$@" >>"$logfile" 2>&1 </dev/null) &
    echo $! >"$pidfile"
}

# tn_tail_logs: the last lines of every log of the stack, for a failed start.
tn_tail_logs() {
    local file
    while IFS= read -r file; do
        printf '\n===== %s (last 30 lines) =====\n' "$file" >&2
        tail -n 30 "$file" >&2 || true
    done < <(find "$TN_RUN_DIR" -maxdepth 3 -name '*.log' -type f 2>/dev/null | sort)
}

# tn_render_local_nginx OUTFILE: renders nginx/local.conf.template with the TN_* / RUN_* / FCGI_SOCKET variables the
# caller exported (only those are substituted, so nginx's own $variables stay as they are).
tn_render_local_nginx() {
    envsubst '${TN_USER_DIRECTIVE} ${TN_NGINX_PREFIX} ${TN_CORS_ORIGIN_LINES} ${TN_FLOOD_RATE} ${TN_FLOOD_BURST} ${TN_WEBHOOK_RATE} ${TN_WEBHOOK_BURST} ${RUN_HTTP_PORT} ${RUN_HTTPS_PORT} ${FCGI_SOCKET} ${TN_EVENTS_PUBLISH_PORT} ${SANDBOX_PORT_BASE}' \
        <"$TN_REPO/nginx/local.conf.template" >"$1"
}
