# bench/references.sh — the two references of bench/webhooks that do the project's work (sourced by it; not a
# command). The one-insert ceiling (reference/reference.c) stays in bench/webhooks itself.
#
#   contract  bench/reference/contract.c: libfcgi + libmariadb, $WORKERS threads, the project's per-delivery SQL for a
#             Stripe payment_intent.succeeded (same prepared statements, order, round trips and COMMIT: the session
#             SELECT, then the credit through the group commit, CALL tn_confirm_credits for 2..32 credits at once),
#             then after FCGX_Finish_r the Retail push over keep-alive HTTP/1.1 and the batched "synced" UPDATE
#             (4 sync threads, as SyncQueue). Port BENCH_PORT_BASE+2; its GET /api/metrics gives its batch counters.
#   php       bench/php/webhook.php under php-fpm 8.2 (pool `full`: $WORKERS children, pm = static, persistent mysqli):
#             the same contract as a PHP shop writes it (signature, session look-up, one transaction with the event
#             row, the claimed credit and the session update, answer, fastcgi_finish_request, curl push, mark synced).
#   php-lite  the same php-fpm, pool `lite`: signature, then the event row + ledger row only (the issue's fourth row).
#             PHP is on port BENCH_PORT_BASE+3 (/api/ = full, /lite/ = lite).
# Each gets its own fresh distinct deliveries (Stripe sessions created for it through stripe-getPaymentIntent, as
# the project's pass; php-lite needs no session: synthetic intents signed with the real secret), the same 3 s
# warm-up + 10 s measured wrk passes as the project's Stripe pass, and rows checked = deliveries. The contract
# reference is also offered each same load the project was (BENCH_PACED), on deliveries of its own, so the summary
# shows what a C responder sending the project's SQL answers at that rate beside the project and the ceiling
# (PHP-FPM is not: it cannot keep up with half the project's rate). php-fpm is
# optional: without it (and without BENCH_INSTALL_PHP=1 as root, which `make bench` sets) the PHP passes are
# skipped with a note. BENCH_REFERENCES=0 skips all three; BENCH_REF_INTENTS fixes the deliveries per reference.
#
# Uses from bench/webhooks: say, die, sql, wrk_pass, field, rate_of, ms_of, budget_snapshot, budget_line,
# offered_fractions, paced_per_thread, paced_busy, $P_offered, $PACED_SECONDS,
# batch_counters, batch_average, max_row, create_sessions,
# sign_deliveries, preflight-style sending, $out, $bench, $bench_dir, $THREADS, $WARMUP, $DURATION, $PORT_BASE,
# $TN_ENV_FILE, $db_socket, $db_name, $WORKERS.
# shellcheck shell=bash disable=SC2034

REFS_ENABLED="${BENCH_REFERENCES:-1}"
CONTRACT_PORT="$((PORT_BASE + 2))"
PHP_PORT="$((PORT_BASE + 3))"
REFS_NAMES=(contract php php-lite)
declare -A RF_rate RF_p50 RF_p99 RF_done RF_sent RF_non2xx RF_errors RF_rows RF_events RF_ok RF_sync RF_budget \
    RF_exhausted RF_skip RF_count RF_batch
# The contract reference at each same offered load f (P_offered[f]): PC_{rate,p50,p99,non2xx,exhausted,budget,batch}[f].
declare -A PC_rate=() PC_p50=() PC_p99=() PC_non2xx=() PC_exhausted=() PC_budget=() PC_batch=()
contract_pid=""
php_pid=""
php_fpm=""
php_dir=""

# refs_tools: php-fpm with mysqli and curl, installed when BENCH_INSTALL_PHP=1 and root; otherwise PHP is skipped.
refs_tools() {
    [[ "$REFS_ENABLED" == 1 ]] || return 0
    if ! refs_php_ready && [[ "${BENCH_INSTALL_PHP:-0}" == 1 && "$(id -u)" == 0 ]]; then
        say "installing php-fpm php-mysql php-curl (the PHP-FPM reference)"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends php-fpm php-mysql php-curl >/dev/null
    fi
    if ! refs_php_ready; then
        RF_skip[php]="php-fpm with mysqli and curl is not installed (apt-get install php-fpm php-mysql php-curl, or make bench, which installs them)"
        RF_skip[php-lite]="${RF_skip[php]}"
        php_fpm=""
        say "note: the PHP-FPM reference is SKIPPED: ${RF_skip[php]}"
    fi
}

# refs_php_ready: sets php_fpm to php-fpm 8.x when it is installed with mysqli and curl.
refs_php_ready() {
    local modules
    php_fpm="$(command -v php-fpm8.2 || command -v php-fpm || true)"
    [[ -z "$php_fpm" && -x /usr/sbin/php-fpm8.2 ]] && php_fpm=/usr/sbin/php-fpm8.2
    [[ -n "$php_fpm" ]] || return 1
    modules="$("$php_fpm" -m 2>/dev/null || true)"
    grep -qx mysqli <<<"$modules" && grep -qx curl <<<"$modules"
}

# refs_build: the contract reference binary.
refs_build() {
    [[ "$REFS_ENABLED" == 1 ]] || return 0
    "$bench/reference/build.sh" "$bench_dir/contract" contract >/dev/null
}

# refs_nginx_sed: the template substitutions of the reference servers (arguments for sed).
refs_nginx_sed() {
    printf '%s\n' -e "s|@CONTRACT_PORT@|$CONTRACT_PORT|" -e "s|@CONTRACT_SOCKET@|$bench_dir/ref/contract.sock|" \
        -e "s|@PHP_PORT@|$PHP_PORT|" -e "s|@PHP_SOCKET_DIR@|$bench_dir/php|g" -e "s|@PHP_SCRIPT@|$bench/php/webhook.php|g"
}

# refs_start: the contract responder and php-fpm (foreground master under .run/<stack>/bench/php, not systemd).
refs_start() {
    [[ "$REFS_ENABLED" == 1 ]] || return 0
    local retail_url retail_key secret tolerance sync_threads
    retail_url="$(tn_env_value RETAIL_API_URL)"
    retail_key="$(tn_env_value RETAIL_API_KEY)"
    sync_threads="$(tn_env_value SYNC_THREADS)"
    RETAIL_API_URL="$retail_url" RETAIL_API_KEY="$retail_key" SYNC_THREADS="${sync_threads:-4}" \
        setsid "$bench_dir/contract" "$bench_dir/ref/contract.sock" "$db_socket" "$db_name" "$WORKERS" \
        >"$out/contract.log" 2>&1 </dev/null &
    contract_pid=$!
    for _ in $(seq 50); do [[ -S "$bench_dir/ref/contract.sock" ]] && break; sleep 0.1; done
    [[ -S "$bench_dir/ref/contract.sock" ]] || { cat "$out/contract.log"; die "the contract reference did not start"; }
    [[ -n "$php_fpm" ]] || return 0
    php_dir="$bench_dir/php"
    mkdir -p "$php_dir"
    chmod 0755 "$php_dir"
    rm -f "$php_dir"/*.sock
    secret="$(tn_env_value STRIPE_WEBHOOK_SECRET)"
    tolerance="$(tn_env_value STRIPE_WEBHOOK_TOLERANCE_SECONDS)"
    local user_lines="" root_flag=()
    if [[ "$(id -u)" == 0 ]]; then user_lines="user = root"$'\n'"group = root"; root_flag=(-R); fi
    awk -v prefix="$php_dir" -v user="$user_lines" -v dbs="$db_socket" -v dbn="$db_name" -v sec="$secret" \
        -v tol="${tolerance:-300}" -v url="$retail_url" -v key="$retail_key" -v children="$WORKERS" '{
            gsub(/@PREFIX@/, prefix); gsub(/@USER_LINES@/, user); gsub(/@DB_SOCKET@/, dbs); gsub(/@DB_NAME@/, dbn)
            gsub(/@PHP_CHILDREN@/, children)
            gsub(/@STRIPE_WEBHOOK_SECRET@/, sec); gsub(/@STRIPE_WEBHOOK_TOLERANCE_SECONDS@/, tol)
            gsub(/@RETAIL_API_URL@/, url); gsub(/@RETAIL_API_KEY@/, key); print }' \
        "$bench/php/php-fpm.conf.template" >"$php_dir/php-fpm.conf"
    "$php_fpm" -t "${root_flag[@]}" -y "$php_dir/php-fpm.conf" >"$out/php-fpm-test.log" 2>&1 \
        || { cat "$out/php-fpm-test.log"; die "php-fpm -t failed for $php_dir/php-fpm.conf"; }
    setsid "$php_fpm" -F "${root_flag[@]}" -y "$php_dir/php-fpm.conf" >"$out/php-fpm.log" 2>&1 </dev/null &
    php_pid=$!
    for _ in $(seq 50); do [[ -S "$php_dir/full.sock" && -S "$php_dir/lite.sock" ]] && break; sleep 0.1; done
    [[ -S "$php_dir/full.sock" ]] || { cat "$out/php-fpm.log"; die "php-fpm did not start"; }
}

# refs_stop: stops what refs_start started (called from the cleanup trap).
refs_stop() {
    if [[ -n "$contract_pid" ]] && kill -0 "$contract_pid" 2>/dev/null; then kill -TERM "$contract_pid" 2>/dev/null || true; fi
    if [[ -n "$php_pid" ]] && kill -0 "$php_pid" 2>/dev/null; then
        kill -QUIT "$php_pid" 2>/dev/null || true
        for _ in $(seq 30); do kill -0 "$php_pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$php_pid" 2>/dev/null && kill -TERM "$php_pid" 2>/dev/null || true
    fi
    return 0
}

# refs_pids NAME: the processes whose CPU a reference pass uses (the responder; for PHP the pool's children).
refs_pids() {
    case "$1" in
        contract) echo "$contract_pid" ;;
        php | php-lite) pgrep -P "$php_pid" | tr '\n' ' ' ;;
    esac
}

# refs_pass NAME COUNT: one reference pass on fresh deliveries (warm-up, then measured) and its checks.
refs_pass() {
    local name="$1" count="$2" port route rows="$out/rows-ref-$1.txt" prefix="$out/deliveries-ref-$1"
    local rows_before_warmup rows_before events_before budget_before batches_before="n/a" label=contract.c
    local slices="warmup:$WARMUP,measured:$DURATION" f paced_n
    port="$CONTRACT_PORT"; route=/api/stripe-handleWebhookEvents
    [[ "$name" == php ]] && port="$PHP_PORT"
    [[ "$name" == php-lite ]] && { port="$PHP_PORT"; route=/lite/stripe-handleWebhookEvents; }
    say "== reference $name =="
    if [[ "$name" == php-lite ]]; then
        python3 "$bench/webhook_fixtures.py" fake --out-prefix "$prefix" --count "$count" --threads "$THREADS" \
            --slices "$slices" --secret "$(tn_env_value STRIPE_WEBHOOK_SECRET | cut -d, -f1)" \
            --uid-prefix bench-lite- >/dev/null
    else
        if [[ "$name" == contract ]] && ((${#P_offered[@]})); then
            # Slice weights are counts here: the saturated passes' share of COUNT, then each paced pass's own
            # deliveries (its offered rate for PACED_SECONDS, and a tenth to spare) on top.
            slices="warmup:$((count * WARMUP / (WARMUP + DURATION))),measured:$((count * DURATION / (WARMUP + DURATION)))"
            for f in $(offered_fractions); do
                paced_n="$(awk -v r="${P_offered[$f]}" -v s="$PACED_SECONDS" 'BEGIN { print int(r * s * 1.1) + 1 }')"
                slices+=",paced-$f:$paced_n"
                count=$((count + paced_n))
            done
        fi
        say "reference $name: creating $count payments"
        create_sessions stripe "$count" "$rows"
        sign_deliveries stripe "$rows" "$prefix" "$slices" >/dev/null
    fi
    RF_count[$name]="$count"
    rows_before_warmup="$(max_row tn_payments)"
    wrk_pass "ref-$name-warmup" "$port" "$route" "$prefix-warmup" once "$WARMUP" stripe
    sleep 1
    rows_before="$(max_row tn_payments)"
    events_before="$(max_row webhook_events)"
    if [[ "$name" == contract ]]; then batches_before="$(batch_counters "$port")"; else label="php-fpm-children"; fi
    budget_before="$(budget_snapshot "$(refs_pids "$name")")"
    wrk_pass "ref-$name" "$port" "$route" "$prefix-measured" once "$DURATION" stripe
    RF_budget[$name]="$(budget_line "$label" "$budget_before" "$(budget_snapshot "$(refs_pids "$name")")" \
        "$(field "ref-$name" requests)" "ref-$name")"
    if [[ "$name" == contract ]]; then RF_batch[$name]="$(batch_average "$batches_before" "$(batch_counters "$port")")"; fi
    sleep 2
    RF_rows[$name]="$(sql "SELECT COUNT(*) FROM tn_payments WHERE id > $rows_before AND gateway = 'stripe'")"
    RF_events[$name]="$(sql "SELECT COUNT(*) FROM webhook_events WHERE id > $events_before AND gateway = 'stripe'")"
    RF_sync[$name]="$(sql "SELECT CONCAT(sync_state, '=', COUNT(*)) FROM tn_payments WHERE id > $rows_before_warmup
                          AND gateway = 'stripe' GROUP BY sync_state" | tr '\n' ' ')"
    RF_rate[$name]="$(rate_of "ref-$name")"; RF_p50[$name]="$(ms_of "ref-$name" p50_us)"
    RF_p99[$name]="$(ms_of "ref-$name" p99_us)"; RF_done[$name]="$(field "ref-$name" requests)"
    RF_sent[$name]="$(field "ref-$name" sent)"; RF_non2xx[$name]="$(field "ref-$name" non2xx)"
    # Only the measured pass running out understates its rate (the warm-up has deliveries of its own).
    RF_exhausted[$name]="$(field "ref-$name" exhausted)"
    RF_errors[$name]="$(($(field "ref-$name" connect_err) + $(field "ref-$name" read_err) + $(field "ref-$name" write_err) + $(field "ref-$name" timeout_err)))"
    if ((RF_rows[$name] >= RF_done[$name] && RF_rows[$name] <= RF_sent[$name] && RF_events[$name] == RF_rows[$name])); then
        RF_ok[$name]=OK
    else
        RF_ok[$name]=MISMATCH
    fi
    say "reference $name: rate=${RF_rate[$name]} req/s p50=${RF_p50[$name]} ms p99=${RF_p99[$name]} ms non-2xx=${RF_non2xx[$name]} rows=${RF_rows[$name]}"
    [[ "$name" != contract ]] || refs_paced_contract "$port" "$route" "$prefix"
    if [[ "${BENCH_KEEP_DELIVERIES:-0}" != 1 ]]; then rm -f "$prefix"-*.txt "$rows"; fi
    sleep 3   # let its pushes drain before the next pass
}

# refs_paced_contract PORT ROUTE PREFIX: the contract reference at each rate the project was offered, each pass on
# its own deliveries (the paced-<f> slices), after its saturated passes have been checked.
refs_paced_contract() {
    local port="$1" route="$2" prefix="$3" f budget_before batches_before
    for f in $(offered_fractions); do
        sleep 3   # the pushes of the pass before drain first
        say "reference contract: ${PACED_SECONDS} s paced at ${P_offered[$f]}/s offered"
        batches_before="$(batch_counters "$port")"
        budget_before="$(budget_snapshot "$(refs_pids contract)")"
        wrk_pass "ref-contract-paced-$f" "$port" "$route" "$prefix-paced-$f" once "$PACED_SECONDS" stripe \
            "$(paced_per_thread "${P_offered[$f]}")"
        PC_budget[$f]="$(budget_line contract.c "$budget_before" "$(budget_snapshot "$(refs_pids contract)")" \
            "$(field "ref-contract-paced-$f" requests)" "ref-contract-paced-$f")"
        PC_batch[$f]="$(batch_average "$batches_before" "$(batch_counters "$port")")"
        PC_rate[$f]="$(rate_of "ref-contract-paced-$f")"; PC_p50[$f]="$(ms_of "ref-contract-paced-$f" p50_us)"
        PC_p99[$f]="$(ms_of "ref-contract-paced-$f" p99_us)"; PC_non2xx[$f]="$(field "ref-contract-paced-$f" non2xx)"
        PC_exhausted[$f]="$(field "ref-contract-paced-$f" exhausted)"
        say "reference contract paced $f: rate=${PC_rate[$f]} req/s p50=${PC_p50[$f]} ms p99=${PC_p99[$f]} ms"
    done
}

# refs_paced_lines F: the contract reference's lines under the summary's "same load" at fraction F (none when it
# did not run there).
refs_paced_lines() {
    local f="$1"
    [[ -n "${PC_rate[$f]:-}" ]] || return 0
    echo "          contract.c: rate=${PC_rate[$f]} req/s p50=${PC_p50[$f]} ms p99=${PC_p99[$f]} ms non-2xx=${PC_non2xx[$f]}$( ((PC_exhausted[$f] > 0)) && echo " (deliveries ran out: understated)")"
    echo "          CPU per answered delivery: ${PC_budget[$f]} (the machine $(paced_busy "${PC_budget[$f]}" "${PC_rate[$f]}") % busy); ${PC_batch[$f]}"
}

# refs_run PROJECT_RATE: the three passes, sized from the project's Stripe rate (deliveries for 1.5x it; 3x for the
# contract reference and PHP lite, which may be faster), unless BENCH_REF_INTENTS is set.
refs_run() {
    [[ "$REFS_ENABLED" == 1 ]] || return 0
    local project_rate="$1" name count factor
    if [[ -z "$project_rate" ]]; then
        for name in "${REFS_NAMES[@]}"; do RF_skip[$name]="${RF_skip[$name]:-no Stripe pass of the project ran (the references are Stripe deliveries)}"; done
        return 0
    fi
    for name in "${REFS_NAMES[@]}"; do
        [[ -n "${RF_skip[$name]:-}" ]] && continue
        factor=1.5; [[ "$name" == php ]] || factor=3
        count="$(awk -v r="$project_rate" -v s="$((WARMUP + DURATION))" -v f="$factor" -v hi="$MAX_INTENTS" \
            'BEGIN { n = int(r * s * f); if (n < 4000) n = 4000; if (n > hi) n = hi; print n }')"
        count="${BENCH_REF_INTENTS:-$count}"
        refs_pass "$name" "$count"
    done
}

# refs_ratio A B: A / B with two decimals (0 when B is 0 or empty).
refs_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# refs_summary: the reference lines of the summary.
refs_summary() {
    [[ "$REFS_ENABLED" == 1 ]] || { echo "references: not run (BENCH_REFERENCES=0)"; return 0; }
    local name label
    if [[ -n "${R_rate[stripe]:-}" ]]; then
        echo "project[stripe], to compare with the references: CPU per answered delivery: ${R_budget[stripe]}"
        echo "          credit batches: ${R_batch[stripe]}"
    fi
    for name in "${REFS_NAMES[@]}"; do
        case "$name" in
            contract) label="contract reference (contract.c: the project's statements, round trips and COMMIT; push after the answer)" ;;
            php) label="PHP-FPM 8.2 (webhook.php, $WORKERS children, persistent mysqli: the same contract)" ;;
            php-lite) label="PHP-FPM 8.2 lite (signature, event row + ledger row only)" ;;
        esac
        if [[ -n "${RF_skip[$name]:-}" ]]; then
            echo "$name: SKIPPED — ${RF_skip[$name]}"
            continue
        fi
        echo "$name: rate=${RF_rate[$name]} req/s p50=${RF_p50[$name]} ms p99=${RF_p99[$name]} ms — $label"
        echo "          non-2xx=${RF_non2xx[$name]} socket-errors=${RF_errors[$name]}; answered=${RF_done[$name]} sent=${RF_sent[$name]}; ledger rows=${RF_rows[$name]}, webhook_events=${RF_events[$name]} (${RF_ok[$name]}); ${RF_count[$name]} deliveries made; sync states: ${RF_sync[$name]:-none}"
        echo "          CPU per answered delivery: ${RF_budget[$name]}"
        [[ -z "${RF_batch[$name]:-}" ]] || echo "          credit batches (its own /api/metrics): ${RF_batch[$name]}"
        if ((RF_exhausted[$name] > 0)); then
            echo "          warning: its delivery files ran out (raise BENCH_REF_INTENTS); its rate is understated"
        fi
    done
}

# refs_targets GATEWAY RATE P99 CEILING_RATE CEILING_P99: the issue's targets for the Stripe pass, PASS/MISS.
refs_targets() {
    local rate="$2" p99="$3" c_rate="$4" c_p99="$5" php contract line
    line="targets[$1]: project/ceiling $(refs_ratio "$rate" "$c_rate") >= 0.5: $(verdict "$(refs_ratio "$rate" "$c_rate") >= 0.5") (stretch 0.8: $(verdict "$(refs_ratio "$rate" "$c_rate") >= 0.8"))"
    line+="   p99 $p99 ms < 2 x ceiling p99 ($(awk -v p="$c_p99" 'BEGIN { printf "%.2f", 2 * p }') ms): $(verdict "$p99 < 2 * $c_p99")"
    echo "$line"
    [[ "$1" == stripe ]] || return 0
    if [[ -n "${RF_skip[php]:-}" || -z "${RF_rate[php]:-}" ]]; then
        php="n/a (PHP-FPM skipped)"
    else
        php="$(refs_ratio "$rate" "${RF_rate[php]}") >= 3: $(verdict "$(refs_ratio "$rate" "${RF_rate[php]}") >= 3")"
    fi
    if [[ -n "${RF_skip[contract]:-}" || -z "${RF_rate[contract]:-}" ]]; then
        contract="n/a (skipped)"
    else
        contract="$(refs_ratio "$rate" "${RF_rate[contract]}") >= 0.9: $(verdict "$(refs_ratio "$rate" "${RF_rate[contract]}") >= 0.9")"
    fi
    echo "targets[$1]: project/PHP-FPM $php   project/contract-reference $contract"
}
