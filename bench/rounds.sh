# bench/rounds.sh — sourced by bench/webhooks: BENCH_ROUNDS=N adds N rounds after the ceiling, each the project's
# Stripe pass, the PHP-FPM reference (full contract) and the ceiling back to back, on fresh deliveries, and prints the
# ratios of each round and their medians, and each round's saturated p99s (the project's against the ceiling's, both
# at wrk -c64 as in the main pass) with their ratio's median. Odd rounds run project, PHP-FPM, ceiling; even rounds
# the reverse, so a machine that drifts one way within a round favours neither side.
#
# Why: these shared machines drift by ±20 % within minutes, and the main run measures the project, PHP-FPM and the
# ceiling minutes apart, so one slow window moves a ratio by more than the target's margin. A round measures the three
# within about 45 s; the median of a few rounds is what a ratio target should be read from (bench/README.md).
# Each round: W s warm-up + D s measured per responder (BENCH_WARMUP_SECONDS, BENCH_SECONDS); the payments of all
# rounds are created before the first, and each round's deliveries signed just before it. A round with any non-2xx
# answer is left out of the medians (and the non-2xx target misses). Needs the Stripe pass and, for the PHP ratio,
# the PHP-FPM reference.

ROUNDS="${BENCH_ROUNDS:-0}"
[[ "$ROUNDS" =~ ^[0-9]+$ ]] || { echo "bench/webhooks: BENCH_ROUNDS holds '$ROUNDS' (a count)" >&2; exit 2; }
declare -A RD_rate=()     # RD_rate[project-1], RD_rate[php-1], RD_rate[ceiling-1], ...
declare -A RD_non2xx=()
declare -A RD_p99=()      # the measured pass's p99 in ms (saturated: wrk -c64 closed loop, as the main pass)
declare -A RD_budget=()   # CPU per answered delivery in the measured window (budget_line)
RD_note=""

# rounds_count RATE FACTOR: deliveries for one warm-up + measured pass at RATE, FACTOR to spare.
rounds_count() {
    awk -v r="$1" -v s="$((WARMUP + DURATION))" -v f="$2" -v hi="$MAX_INTENTS" \
        'BEGIN { n = int(r * s * f); if (n < 4000) n = 4000; if (n > hi) n = hi; print n }'
}

# rounds_pass NAME PORT PREFIX MODE LABEL PIDS: warm-up then measured pass; records the measured rate and the CPU
# per answered delivery (LABEL: the responder's name in that line, PIDS: its processes).
rounds_pass() {
    local name="$1" port="$2" prefix="$3" mode="$4" label="$5" pids="$6" before
    wrk_pass "$name-warmup" "$port" /api/stripe-handleWebhookEvents "$prefix$([[ $mode == once ]] && echo -warmup)" \
        "$mode" "$WARMUP" stripe
    sleep 1
    before="$(budget_snapshot "$pids")"
    wrk_pass "$name" "$port" /api/stripe-handleWebhookEvents "$prefix$([[ $mode == once ]] && echo -measured)" \
        "$mode" "$DURATION" stripe
    RD_budget[$name]="$(budget_line "$label" "$before" "$(budget_snapshot "$pids")" "$(field "$name" requests)" "$name")"
    RD_rate[$name]="$(rate_of "$name")"
    RD_p99[$name]="$(ms_of "$name" p99_us)"
    RD_non2xx[$name]="$(field "$name" non2xx)"
    # Only the measured pass running out understates a rate (each warm-up has deliveries of its own).
    if (($(field "$name" exhausted) > 0)); then
        RD_note+=" $name ran out of deliveries;"
    fi
    sleep 3   # let its Retail pushes drain before the next pass
}

rounds_run() {
    ((ROUNDS > 0)) || return 0
    if [[ -z "${R_rate[stripe]:-}" ]]; then
        RD_note="no Stripe pass of the project ran"
        return 0
    fi
    local php=0 r project_count php_count
    [[ "$REFS_ENABLED" == 1 && -z "${RF_skip[php]:-}" && -n "${RF_rate[php]:-}" ]] && php=1
    # Twice the main pass's rate: a round may run in a faster window than the main pass did.
    project_count="$(rounds_count "${R_rate[stripe]}" 2)"
    ((php)) && php_count="$(rounds_count "${RF_rate[php]}" 2)"
    # Payments for every round first; each round's deliveries are signed just before it runs, so none is older than
    # a round when it arrives (Stripe's signature tolerance, STRIPE_WEBHOOK_TOLERANCE_SECONDS, is 300 s by default).
    for ((r = 1; r <= ROUNDS; r++)); do
        say "rounds: creating round $r's payments ($project_count for the project$( ((php)) && echo ", $php_count for PHP-FPM"))"
        create_sessions stripe "$project_count" "$out/rows-round-$r-project.txt"
        ((php)) && create_sessions stripe "$php_count" "$out/rows-round-$r-php.txt"
    done
    sleep 10   # let MariaDB write back what the creations left dirty before the first measured pass
    local order pass
    for ((r = 1; r <= ROUNDS; r++)); do
        sign_deliveries stripe "$out/rows-round-$r-project.txt" "$out/deliveries-round-$r-project" \
            "warmup:$WARMUP,measured:$DURATION" >/dev/null
        if ((php)); then
            sign_deliveries stripe "$out/rows-round-$r-php.txt" "$out/deliveries-round-$r-php" \
                "warmup:$WARMUP,measured:$DURATION" >/dev/null
        fi
        sleep 2
        order="project php ceiling"
        ((r % 2)) || order="ceiling php project"
        say "rounds: round $r of $ROUNDS ($order)"
        for pass in $order; do
            case "$pass" in
                project)
                    rounds_pass "project-$r" "$WEBHOOK_PORT" "$out/deliveries-round-$r-project" once \
                        payments-fcgi "$fcgi_pid"
                    ;;
                php)
                    ((php)) && rounds_pass "php-$r" "$PHP_PORT" "$out/deliveries-round-$r-php" once \
                        php-fpm-children "$(refs_pids php)"
                    ;;
                ceiling) rounds_pass "ceiling-$r" "$REFERENCE_PORT" "$out/ceiling-all" cycle reference.c "$ref_pid" ;;
            esac
        done
        say "rounds: round $r: project ${RD_rate[project-$r]}/s, PHP-FPM ${RD_rate[php-$r]:-n/a}/s, ceiling ${RD_rate[ceiling-$r]}/s"
    done
    if [[ "${BENCH_KEEP_DELIVERIES:-0}" != 1 ]]; then rm -f "$out"/deliveries-round-*.txt "$out"/rows-round-*.txt; fi
}

# rounds_median VALUES...: the median (the mean of the middle two for an even count).
rounds_median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# rounds_summary: one line per round and the medians, with the targets read from them.
rounds_summary() {
    ((ROUNDS > 0)) || return 0
    if [[ -z "${RD_rate[project-1]:-}" ]]; then
        echo "rounds: not run (${RD_note:-no round completed})"
        return 0
    fi
    local r pass refused to_php=() to_ceiling=() p99_ratio=() line non2xx=0
    echo "rounds (BENCH_ROUNDS=$ROUNDS: project, PHP-FPM and ceiling back to back, the order reversed in even rounds, ${WARMUP} s warm-up + ${DURATION} s measured each):"
    for ((r = 1; r <= ROUNDS; r++)); do
        [[ -n "${RD_rate[project-$r]:-}" ]] || continue
        refused=$((${RD_non2xx[project-$r]:-0} + ${RD_non2xx[php-$r]:-0} + ${RD_non2xx[ceiling-$r]:-0}))
        non2xx=$((non2xx + refused))
        if ((refused > 0)); then
            echo "          round $r: left out of the medians: $refused non-2xx answers (project ${RD_non2xx[project-$r]:-0}, PHP-FPM ${RD_non2xx[php-$r]:-0}, ceiling ${RD_non2xx[ceiling-$r]:-0})"
            continue
        fi
        to_ceiling+=("$(refs_ratio "${RD_rate[project-$r]}" "${RD_rate[ceiling-$r]}")")
        p99_ratio+=("$(refs_ratio "${RD_p99[project-$r]}" "${RD_p99[ceiling-$r]}")")
        line="          round $r: project ${RD_rate[project-$r]}/s, ceiling ${RD_rate[ceiling-$r]}/s (${to_ceiling[-1]})"
        if [[ -n "${RD_rate[php-$r]:-}" ]]; then
            to_php+=("$(refs_ratio "${RD_rate[project-$r]}" "${RD_rate[php-$r]}")")
            line+=", PHP-FPM ${RD_rate[php-$r]}/s (${to_php[-1]} x)"
        fi
        echo "$line"
        echo "            p99: project ${RD_p99[project-$r]} ms, ceiling ${RD_p99[ceiling-$r]} ms (${p99_ratio[-1]} x)"
        for pass in project php ceiling; do
            [[ -z "${RD_budget[$pass-$r]:-}" ]] || echo "            CPU per answered delivery: ${RD_budget[$pass-$r]}"
        done
    done
    [[ -z "$RD_note" ]] || echo "          warning:$RD_note these rates are understated"
    if ((${#to_ceiling[@]} == 0)); then
        echo "targets[rounds]: no round without refusals   non-2xx = 0: MISS"
        return 0
    fi
    line="targets[rounds]: median project/ceiling $(rounds_median "${to_ceiling[@]}") >= 0.5: $(verdict "$(rounds_median "${to_ceiling[@]}") >= 0.5")"
    if ((${#to_php[@]})); then
        line+="   median project/PHP-FPM $(rounds_median "${to_php[@]}") >= 3: $(verdict "$(rounds_median "${to_php[@]}") >= 3")"
    else
        line+="   project/PHP-FPM n/a (PHP-FPM skipped)"
    fi
    echo "$line   non-2xx = 0: $(verdict "$non2xx == 0")"
    echo "targets[rounds]: median project p99 / ceiling p99 $(rounds_median "${p99_ratio[@]}") < 2: $(verdict "$(rounds_median "${p99_ratio[@]}") < 2")"
}
