# bench/webhooks-scale.sh — the scale passes of bench/webhooks (sourced by it; never run on its own).
# shellcheck shell=bash
#
# --prefill N (BENCH_PREFILL): the Stripe pass on an empty database (the stack's payment_sessions, tn_payments,
#   webhook_events and operator_items are emptied first), then N existing ledger rows and N webhook events are seeded
#   (scale_seed), then the same Stripe pass again; the summary prints both rates and their ratio (target >= 0.9).
# --workers LIST (BENCH_WORKERS, e.g. 4,8,16,32): one Stripe pass per FCGI_WORKERS value, the responder restarted
#   with that value before each (then back to the default); the summary prints rate and p99 per value.
# Both use bench/webhooks' run_gateway, so each pass is sized, created, signed and measured exactly as a normal
# Stripe pass; right after each, the ceiling (reference.c) is measured for BENCH_SCALE_CEILING_SECONDS (5), so every
# pass has a reference taken under the same machine load (these machines are shared: the prefill ratio is also shown
# with each rate divided by its own ceiling), and the summary has the pages InnoDB read from disk during each pass.
# The full ceiling is measured once after them, as usual. Uses bench/webhooks' variables and helpers (sql, say, die,
# run_gateway, wrk_pass, rate_of, R_*, fcgi_pid, stack, bin_dir, WORKERS, out, REFERENCE_PORT).
#
# What scale_seed writes (explicit ids above every existing row, so the bench's own rows keep coming after them;
# MariaDB's Sequence engine, INSERT … SELECT in chunks of BENCH_PREFILL_CHUNK rows, 50000, one commit per chunk and
# table, unique and foreign-key checks off for that session only):
# - payment_sessions: N, 70 % stripe / 20 % paypal / 10 % cryptomus, over 50,000 uids (seed-uNNNNN), created every
#   30 s back from now (1,000,000 rows span 347 days); public_id a version-0 UUID from md5 (UUIDv4.make never makes
#   one); external ids (= the credits' payment ids) pi_<22 alphanumerics>_s for Stripe, <22>_s for the others,
#   spread over the key space as real ids are (derived from md5), never equal to one (those have no '_');
#   every 20th session expired unpaid, the one before it refunded, the rest paid.
# - tn_payments: N, one credit per paid or refunded session (payment_id = its external id) and, in place of each
#   expired session's row, a refund (re_<22>_s, half the amount) of the credit before it (refund_of); sync_state
#   'synced' with is_synced 1, except every 1000th 'failed' (a permanent Retail refusal): none is ever pushed.
# - webhook_events: N, one per ledger row, event ids evt_<22>_s (the bench's are evt_ + 24 alphanumerics), a
#   Stripe-shaped JSON payload of about 800 bytes, the signature header as JSON, outcome 'recorded'.

declare -A S_rate S_p50 S_p99 S_non2xx S_rows_ok S_fcgi_ms S_exhausted S_done S_skipped S_ceiling S_reads S_db_ms
SCALE_CEILING_SECONDS="${BENCH_SCALE_CEILING_SECONDS:-5}"

# scale_reads: InnoDB's buffer pool misses so far (pages read from disk).
scale_reads() { sql "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_READS'"; }

# scale_pass KEY: one Stripe pass (bench/webhooks' run_gateway) kept under KEY, with the pages it read from disk.
scale_pass() {
    local reads
    reads="$(scale_reads)"
    run_gateway stripe
    S_reads[$1]="$(($(scale_reads) - reads))"
    scale_keep "$1"
}

# scale_keep KEY: copies the Stripe pass just measured under KEY, then measures the ceiling right after it
# (SCALE_CEILING_SECONDS on the reference), so each pass has a reference taken under the same machine load.
scale_keep() {
    local key="$1"
    wrk_pass "ceiling-$key" "$REFERENCE_PORT" /api/stripe-handleWebhookEvents "$out/ceiling-all" cycle \
        "$SCALE_CEILING_SECONDS" stripe
    S_ceiling[$key]="$(rate_of "ceiling-$key")"
    if [[ -n "${skipped[stripe]:-}" ]]; then
        S_skipped[$key]="${skipped[stripe]}"
        unset 'skipped[stripe]'
        return 0
    fi
    S_rate[$key]="${R_rate[stripe]}"; S_p50[$key]="${R_p50[stripe]}"; S_p99[$key]="${R_p99[stripe]}"
    S_non2xx[$key]="${R_non2xx[stripe]}"; S_rows_ok[$key]="${R_rows_ok[stripe]}"; S_fcgi_ms[$key]="${R_fcgi_ms[stripe]}"
    S_exhausted[$key]="${R_exhausted[stripe]}"; S_done[$key]="${R_done[stripe]}"
    # mariadbd's CPU seconds in the measured window (from bench/webhooks' CPU line) per answered delivery.
    S_db_ms[$key]="$(awk -v s="$(sed -n 's/.*mariadbd \([0-9.]*\) s.*/\1/p' <<<"${R_cpu[stripe]}")" -v n="${R_done[stripe]}" \
        'BEGIN { printf "%.2f", (n > 0 ? s * 1000 / n : 0) }')"
}

# scale_restart_responder WORKERS: restarts payments-fcgi with FCGI_WORKERS=WORKERS (bench settings otherwise).
scale_restart_responder() {
    TN_BIN_DIR="$bin_dir" FCGI_WORKERS="$1" LOG_LEVEL=warning RATE_LIMIT_UID_PER_MINUTE=1000000 \
        "$repo/scripts/responder-start.sh" "$stack" >>"$out/responder-restarts.log" 2>&1 \
        || { tail -n 20 "$out/responder-restarts.log"; die "payments-fcgi did not restart with FCGI_WORKERS=$1"; }
    fcgi_pid="$(cat "$TN_RUN_DIR/payments-fcgi.pid")"
    tr '\0' '\n' <"/proc/$fcgi_pid/environ" | grep -qx "FCGI_WORKERS=$1" || die "payments-fcgi did not get FCGI_WORKERS=$1"
    local i code
    for ((i = 0; i < 100; i++)); do
        code="$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$WEBHOOK_PORT/api/health" || true)"
        [[ "$code" == 200 ]] && return 0
        sleep 0.1
    done
    die "payments-fcgi with FCGI_WORKERS=$1 does not answer /api/health ($code)"
}

# scale_settle: lets InnoDB write back the pages the seeding dirtied (innodb_max_dirty_pages_pct 0 until fewer than
# 1 % of the pool is dirty, at most 180 s), so the second pass does not pay for the seeding's flushing.
scale_settle() {
    local pct i dirty total
    pct="$(sql "SELECT @@GLOBAL.innodb_max_dirty_pages_pct")"
    sql "SET GLOBAL innodb_max_dirty_pages_pct = 0"
    for ((i = 0; i < 180; i++)); do
        read -r dirty total < <(sql "SELECT
            (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'),
            (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_TOTAL')")
        ((dirty * 100 < total)) && break
        sleep 1
    done
    sql "SET GLOBAL innodb_max_dirty_pages_pct = $pct"
    say "prefill: InnoDB settled in ${i} s ($dirty of $total pages dirty)"
}

# scale_seed N: the prefill (see the header). Prints the time it took.
scale_seed() {
    local n="$1" chunk="${BENCH_PREFILL_CHUNK:-50000}" sb pb eb lo hi started
    sb="$(($(sql "SELECT COALESCE(MAX(id), 0) FROM payment_sessions") + 1000))"
    pb="$(($(sql "SELECT COALESCE(MAX(id), 0) FROM tn_payments") + 1000))"
    eb="$(($(sql "SELECT COALESCE(MAX(id), 0) FROM webhook_events") + 1000))"
    # The row of seq s: gateway by crc32(s) % 10, uid by s % 50000, amount by s, created 30 s apart up to now.
    local gw="ELT(1 + (CRC32(b) % 10 >= 7) + (CRC32(b) % 10 >= 9), 'stripe', 'paypal', 'cryptomus')"
    # Ids spread over the key space of real ones (22 base64-derived alphanumerics from md5), ending in '_s', which
    # no id the sandbox or the fixtures make contains (they are alphanumerics after the prefix): no collision.
    rnd() { printf "REPLACE(REPLACE(LEFT(TO_BASE64(UNHEX(MD5(CONCAT('%s', %s)))), 22), '+', 'x'), '/', 'y')" "$1" "$2"; }
    local ext evt refund_id
    ext="CONCAT(ELT(1 + (CRC32(b) % 10 >= 7) + (CRC32(b) % 10 >= 9), 'pi_', '', ''), $(rnd ext b), '_s')"
    evt="CONCAT('evt_', $(rnd evt seq), '_s')"
    refund_id="CONCAT('re_', $(rnd re b), '_s')"
    local amount="(500 + (b * 7919) % 99501)"
    local at="(@now - INTERVAL (($n - seq) * 30) SECOND)"
    local seqs="SELECT seq, IF(seq % 20 = 0, seq - 1, seq) AS b, seq % 20 = 0 AS refund, MD5(seq) AS m FROM seq_"
    started="$(date +%s.%N)"
    say "prefill: seeding $n payment sessions, ledger rows and webhook events (chunks of $chunk)"
    for ((lo = 1; lo <= n; lo += chunk)); do
        hi=$((lo + chunk - 1)); ((hi > n)) && hi=$n
        sql "SET SESSION unique_checks = 0, foreign_key_checks = 0, @now = UTC_TIMESTAMP(6);
            INSERT INTO payment_sessions (id, public_id, gateway, external_id, uid, amount, currency, status,
                created_at, expires_at, next_reconcile_at, reconcile_attempts, reconcile_claimed_until, updated_at)
            SELECT $sb + seq,
                CONCAT(SUBSTR(m, 1, 8), '-', SUBSTR(m, 9, 4), '-0', SUBSTR(m, 14, 3), '-a', SUBSTR(m, 18, 3), '-',
                    SUBSTR(m, 21, 12)),
                $gw, $ext, CONCAT('seed-u', LPAD(b % 50000, 5, '0')), $amount, 'USD',
                IF(seq % 20 = 0, 'expired', IF(seq % 20 = 19, 'refunded', 'paid')),
                $at, $at + INTERVAL 1 DAY, NULL, IF(seq % 20 = 0, 3, 0), NULL, $at + INTERVAL 5 SECOND
            FROM (SELECT seq, seq AS b, MD5(seq) AS m FROM seq_${lo}_to_${hi}) s;
            INSERT INTO tn_payments (id, payment_id, uid, gateway, amount, is_synced, created_at, session_id,
                refund_of, sync_state, sync_attempts, next_sync_at, sync_claimed_until, sync_claim_token,
                last_sync_error, synced_at)
            SELECT $pb + seq, IF(refund, $refund_id, $ext), CONCAT('seed-u', LPAD(b % 50000, 5, '0')),
                $gw, IF(refund, -($amount DIV 2), $amount), seq % 1000 <> 0, $at, IF(refund, NULL, $sb + seq),
                IF(refund, $pb + b, NULL), IF(seq % 1000 = 0, 'failed', 'synced'), IF(seq % 1000 = 0, 8, 1),
                $at + INTERVAL 30 SECOND, NULL, NULL,
                IF(seq % 1000 = 0, 'Retail answered 422: customer is closed', NULL),
                IF(seq % 1000 = 0, NULL, $at + INTERVAL 1 SECOND)
            FROM ($seqs${lo}_to_${hi}) s;
            INSERT INTO webhook_events (id, gateway, event_id, event_type, payload, headers, received_at, processed_at,
                outcome)
            SELECT $eb + seq, $gw, $evt, IF(refund, 'charge.refunded', 'payment_intent.succeeded'),
                CONCAT('{\"id\":\"', $evt, '\",\"object\":\"event\",\"api_version\":\"2024-06-20\",\"created\":',
                    FLOOR(UNIX_TIMESTAMP($at)), ',\"data\":{\"object\":{\"id\":\"', $ext, '\",\"object\":\"payment_intent\",',
                    '\"amount\":', $amount, ',\"amount_capturable\":0,\"amount_received\":', $amount,
                    ',\"capture_method\":\"automatic\",\"client_secret\":\"', $ext, '_secret_', m,
                    '\",\"confirmation_method\":\"automatic\",\"created\":', FLOOR(UNIX_TIMESTAMP($at)) - 40,
                    ',\"currency\":\"usd\",\"customer\":null,\"description\":null,\"latest_charge\":\"ch_', SUBSTR(m, 1, 24),
                    '\",\"livemode\":false,\"metadata\":{\"uid\":\"seed-u', LPAD(b % 50000, 5, '0'),
                    '\",\"session_id\":\"', SUBSTR(m, 1, 8), '-', SUBSTR(m, 9, 4), '-0', SUBSTR(m, 14, 3),
                    '\"},\"payment_method\":\"pm_', SUBSTR(m, 1, 24), '\",\"payment_method_types\":[\"card\"],',
                    '\"statement_descriptor\":null,\"status\":\"succeeded\",\"transfer_group\":null}},',
                    '\"livemode\":false,\"pending_webhooks\":1,\"request\":{\"id\":null,\"idempotency_key\":null},',
                    '\"type\":\"', IF(refund, 'charge.refunded', 'payment_intent.succeeded'), '\"}'),
                CONCAT('{\"Stripe-Signature\":\"t=', FLOOR(UNIX_TIMESTAMP($at)), ',v1=', m, REVERSE(m), '\"}'),
                $at - INTERVAL 50000 MICROSECOND, $at, 'recorded'
            FROM ($seqs${lo}_to_${hi}) s" || die "prefill: seeding rows $lo-$hi failed"
        if (((hi / chunk) % 4 == 0 || hi == n)); then
            say "prefill: ... $hi rows ($(awk -v s="$started" -v t="$(date +%s.%N)" -v h="$hi" \
                'BEGIN { printf "%.0f rows/s", h / (t - s) }'))"
        fi
    done
    SCALE_SEED_SECONDS="$(awk -v s="$started" -v t="$(date +%s.%N)" 'BEGIN { printf "%.0f", t - s }')"
    SCALE_SEED_PAYLOAD="$(sql "SELECT ROUND(AVG(LENGTH(payload))) FROM webhook_events WHERE event_id LIKE 'evt\\_%\\_s'")"
    say "prefill: $n rows per table seeded in $SCALE_SEED_SECONDS s (payloads ${SCALE_SEED_PAYLOAD} B on average)"
}

# scale_keep_main save|restore: the scale passes measure through run_gateway, which writes every R_*[stripe]; the
# main Stripe pass's figures are kept aside and put back, so the summary and the references read the main pass (they
# read the last scale pass before).
declare -A SCALE_MAIN=()
scale_keep_main() {
    local name
    for name in $(compgen -A arrayvar R_); do
        local -n series="$name"
        if [[ "$1" == save ]]; then
            [[ -v 'series[stripe]' ]] && SCALE_MAIN[$name]="${series[stripe]}"
        elif [[ -v "SCALE_MAIN[$name]" ]]; then
            series[stripe]="${SCALE_MAIN[$name]}"
        else
            unset 'series[stripe]'
        fi
        unset -n series
    done
}

# scale_run: the passes asked for; run where bench/webhooks runs its per-gateway passes.
scale_run() {
    scale_keep_main save
    scale_passes
    scale_keep_main restore
}

# scale_passes: the prefill pair, then one pass per worker count.
scale_passes() {
    if ((SCALE_PREFILL > 0)); then
        say "== prefill: the Stripe pass on an empty database, then with $SCALE_PREFILL rows seeded =="
        sql "SET SESSION foreign_key_checks = 0; TRUNCATE TABLE tn_payments; TRUNCATE TABLE webhook_events;
             TRUNCATE TABLE operator_items; TRUNCATE TABLE payment_sessions"
        scale_pass empty
        scale_seed "$SCALE_PREFILL"
        scale_settle
        SCALE_ROWS="$(sql "SELECT (SELECT COUNT(*) FROM tn_payments), (SELECT COUNT(*) FROM webhook_events)" | tr '\t' ' ')"
        scale_pass prefilled
    fi
    if ((${#SCALE_WORKERS[@]})); then
        local w
        for w in "${SCALE_WORKERS[@]}"; do
            say "== FCGI_WORKERS=$w =="
            scale_restart_responder "$w"
            scale_pass "workers=$w"
        done
        scale_restart_responder "$WORKERS"
    fi
}

# scale_line KEY: one pass of the summary.
scale_line() {
    if [[ -n "${S_skipped[$1]:-}" ]]; then echo "SKIPPED — ${S_skipped[$1]}"; return 0; fi
    printf 'rate=%s req/s p50=%s ms p99=%s ms non-2xx=%s rows=%s CPU/delivery payments-fcgi %s ms mariadbd %s ms; pages read %s; ceiling right after %s req/s: ratio %s%s' \
        "${S_rate[$1]}" "${S_p50[$1]}" "${S_p99[$1]}" "${S_non2xx[$1]}" "${S_rows_ok[$1]}" "${S_fcgi_ms[$1]}" \
        "${S_db_ms[$1]}" "${S_reads[$1]}" \
        "${S_ceiling[$1]}" "$(scale_ratio "${S_rate[$1]}" "${S_ceiling[$1]}")" \
        "$( ((${S_exhausted[$1]:-0} > 0)) && echo ' (delivery files ran out: understated)')"
    echo
}

scale_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# scale_summary: the summary lines of the scale passes (inside bench/webhooks' summary, after the ceiling).
scale_summary() {
    if ((SCALE_PREFILL > 0)); then
        echo "prefill[empty]:     $(scale_line empty)"
        echo "prefill[$SCALE_PREFILL]: $(scale_line prefilled)"
        echo "          seeded $SCALE_PREFILL sessions, ledger rows and webhook events in ${SCALE_SEED_SECONDS:-?} s (payloads ${SCALE_SEED_PAYLOAD:-?} B avg); rows before the second pass (ledger, events): ${SCALE_ROWS:-?}"
        if [[ -n "${S_rate[empty]:-}" && -n "${S_rate[prefilled]:-}" ]]; then
            local r n
            r="$(scale_ratio "${S_rate[prefilled]}" "${S_rate[empty]}")"
            n="$(awk -v a="${S_rate[prefilled]}" -v b="${S_ceiling[prefilled]}" -v c="${S_rate[empty]}" \
                -v d="${S_ceiling[empty]}" 'BEGIN { printf "%.2f", (b > 0 && c > 0 && d > 0 ? (a / b) / (c / d) : 0) }')"
            echo "targets[prefill]: prefilled/empty = $r, within 10 % (>= 0.90): $(verdict "$r >= 0.9");" \
                "each to its own ceiling: $n, within 10 %: $(verdict "$n >= 0.9")"
        fi
    fi
    local w
    for w in "${SCALE_WORKERS[@]}"; do
        printf 'workers[%2s]: %s\n' "$w" "$(scale_line "workers=$w")"
    done
}

# Parsed options (bench/webhooks sets BENCH_PREFILL / BENCH_WORKERS from --prefill / --workers).
SCALE_PREFILL="${BENCH_PREFILL:-0}"
[[ "$SCALE_PREFILL" =~ ^[0-9]+$ ]] || die "--prefill needs a number of rows, not '$SCALE_PREFILL'"
SCALE_WORKERS=()
IFS=',' read -r -a _scale_list <<<"${BENCH_WORKERS:-}"
for _w in "${_scale_list[@]}"; do
    _w="${_w// /}"
    [[ -z "$_w" ]] && continue
    [[ "$_w" =~ ^[0-9]+$ ]] && ((_w >= 1 && _w <= 256)) || die "--workers: '$_w' is not a worker count (1…256)"
    SCALE_WORKERS+=("$_w")
done
unset _w _scale_list
