#!/usr/bin/env bash
# Fuzzing (README "Fuzzing"): builds the libFuzzer harnesses of Fuzz/ into .build-fuzz with
# -sanitize=fuzzer,address, runs them one after another and prints executions, coverage and crashes per target.
# Usage: scripts/fuzz.sh full|smoke [target...]
#   full   FUZZ_RUNS executions per target (default 1000000), or FUZZ_SECONDS seconds each when that is set
#   smoke  replays the committed corpus, then FUZZ_SMOKE_SECONDS seconds per target (default 5)
# Fuzz/Corpus/<target> is only read; new corpus entries go to .build-fuzz/corpus/<target>, crashing inputs to
# .build-fuzz/crashes/<target>/. Exits 1 when any target crashed, except for a known crash listed in
# FUZZ_EXPECTED_CRASHES ("target:text" pairs, text found in the crash report), which is reported and tolerated:
# that target runs in libFuzzer's fork mode so it keeps fuzzing past the known crash.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TN_REPO"

mode="${1:-}"
shift || true
case "$mode" in
    full | smoke) ;;
    *) tn_die "usage: scripts/fuzz.sh full|smoke [target...]" ;;
esac
all_targets=(fastcgi-request json form firebase-token stripe-signature paypal-signature cryptomus-webhook pem-x509
    env-file)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
# None known: finding F1 (Firebase claim overflow, Fuzz/README.md) is fixed and kept as a regression input.
expected="${FUZZ_EXPECTED_CRASHES-}"

scratch=.build-fuzz
build_log="$scratch/build.log"
mkdir -p "$scratch"
# SwiftPM does not notice files added to or removed from the path dependency (the main package) when it reuses its
# cached build manifest: drop the manifest so the plan is remade from the current tree (compiled objects are kept).
rm -f "$scratch/release.yaml"
started=$SECONDS
if ! swift build -c release --package-path Fuzz --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address \
    -Xswiftc -parse-as-library -Xswiftc -use-ld=lld >"$build_log" 2>&1; then
    cat "$build_log" >&2
    tn_die "the fuzz harnesses did not build"
fi
bin="$(swift build -c release --package-path Fuzz --scratch-path "$scratch" --show-bin-path)"
tn_log "built the harnesses in $((SECONDS - started)) s"

# expected_pattern TARGET: the text that marks TARGET's known crash, empty when none is expected.
expected_pattern() {
    local entry
    for entry in $expected; do
        [[ "${entry%%:*}" == "$1" ]] && { printf '%s' "${entry#*:}"; return; }
    done
    return 0
}

# executions LOG: libFuzzer's final count (`stat::number_of_executed_units`), or in fork mode the last `#N:` status.
executions() {
    local count
    count="$(grep -E '^stat::number_of_executed_units:' "$1" | awk '{ sum += $2 } END { print sum + 0 }')"
    if [[ "$count" -eq 0 ]]; then
        count="$(grep -E '^#[0-9]+:' "$1" | tail -n 1 | sed -E 's/^#([0-9]+):.*/\1/')"
    fi
    printf '%s' "${count:-0}"
}

# coverage LOG: "cov ft corpus" of the last status line.
coverage() {
    grep -E '(^#[0-9]+.*| )cov: [0-9]+ ft: [0-9]+' "$1" | tail -n 1 |
        sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/\1 \2 \3/' || true
}

summary=()
failed=0
for target in "${targets[@]}"; do
    [[ -x "$bin/$target" ]] || tn_die "no harness named $target"
    corpus="$scratch/corpus/$target"
    crashes="$scratch/crashes/$target"
    log="$scratch/logs/$target.log"
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    find "$crashes" -type f -delete
    args=(-print_final_stats=1 -max_len=8192 -timeout=20 -rss_limit_mb=4096 "-artifact_prefix=$crashes/")
    [[ -f "Fuzz/Dictionaries/$target.dict" ]] && args+=("-dict=Fuzz/Dictionaries/$target.dict")
    if [[ "$mode" == smoke ]]; then
        args+=("-max_total_time=${FUZZ_SMOKE_SECONDS:-5}")
    elif [[ -n "${FUZZ_SECONDS:-}" ]]; then
        args+=("-max_total_time=$FUZZ_SECONDS")
    else
        args+=("-runs=${FUZZ_RUNS:-1000000}")
    fi
    pattern="$(expected_pattern "$target")"
    # Fork mode (one job at a time, so the machine's other core stays free) keeps going after the known crash.
    [[ -n "$pattern" ]] && args+=(-fork=1 -ignore_crashes=1)
    begin=$SECONDS
    status=0
    # Swift's own backtracer would take the crash signal from libFuzzer, which then saves no input.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" \
        "$bin/$target" "${args[@]}" "$corpus" "Fuzz/Corpus/$target" >"$log" 2>&1 || status=$?
    seconds=$((SECONDS - begin))
    executed="$(executions "$log")"
    read -r cov ft units <<<"$(coverage "$log")"
    # Each saved input is run once more on its own, so its report (and whether it is the known crash) is at hand.
    found=0
    unexpected=0
    for input in "$crashes"/*; do
        [[ -f "$input" && "$input" != *.txt ]] || continue
        found=$((found + 1))
        SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$bin/$target" -timeout=20 "$input" >"$input.txt" 2>&1 || true
        if [[ -z "$pattern" ]] || ! grep -q -F -- "$pattern" "$input.txt"; then
            unexpected=$((unexpected + 1))
            grep -E -A 12 'ERROR: libFuzzer|ERROR: AddressSanitizer|invariant failed' "$input.txt" | head -n 30 >&2 || true
        fi
    done
    verdict=ok
    if [[ "$unexpected" -gt 0 || ( "$status" -ne 0 && "$found" -eq 0 ) ]]; then
        verdict="CRASH (exit $status)"
        failed=1
        tn_log "$target: the crashing inputs and their reports are in $crashes/, the log in $log"
    elif [[ "$found" -gt 0 ]]; then
        verdict="known crash only ($pattern; fix pending)"
        tn_log "$target: known crash reproduced; inputs and reports in $crashes/"
    fi
    summary+=("$(printf '%-18s %10s %6s %7s %7s %8s %6ss  %s' "$target" "$executed" "${cov:-?}" "${ft:-?}" \
        "${units:-?}" "$found" "$seconds" "$verdict")")
done

printf '%-18s %10s %6s %7s %7s %8s %7s  %s\n' target executions cov ft corpus crashes time verdict
printf '%s\n' "${summary[@]}"
tn_log "fuzz $mode: $((SECONDS - started)) s in all (build included)"
exit "$failed"
