#!/usr/bin/env bash
# make verify-model: checks model/sync.pml (the Retail sync protocol, DESIGN §7) with spin, then checks that spin
# refutes each deliberately broken variant, so a green run also shows the checker can fail. Prints, per run, the
# states explored and the time; exits non-zero when the model fails or a broken variant passes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v spin >/dev/null || tn_die "spin is missing (make deps installs it)"
command -v gcc >/dev/null || tn_die "gcc is missing"
model="$TN_REPO/model/sync.pml"
work="$(mktemp -d "${TMPDIR:-/tmp}/verify-model.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$model" "$work/sync.pml"
cd "$work"
# pan stops (as an error) instead of taking more memory than this many MB.
memory_limit="${VERIFY_MODEL_MEMORY_MB:-2048}"

# check NAME EXPECT SPIN_FLAGS PAN_FLAGS: compiles and runs one verification; EXPECT is pass or refuted.
check() {
    local name="$1" expect="$2" spin_flags="$3" pan_flags="$4" safety=-DSAFETY
    [[ "$pan_flags" == *-a* ]] && safety=
    # shellcheck disable=SC2086 # the flag lists are word lists
    spin $spin_flags -a sync.pml >spin.log 2>&1 || {
        cat spin.log >&2
        tn_die "$name: spin -a failed"
    }
    # shellcheck disable=SC2086
    gcc -O2 -w $safety -DCOLLAPSE -DMEMLIM="$memory_limit" -o pan pan.c || tn_die "$name: pan does not compile"
    local started=$SECONDS status=0
    # shellcheck disable=SC2086
    ./pan -m100000 $pan_flags >pan.log 2>&1 || status=$?
    local seconds=$((SECONDS - started))
    local errors states violation
    errors="$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log | tail -1)"
    states="$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' pan.log | tail -1)"
    violation="$(grep -m1 -E 'assertion violated|acceptance cycle|invalid end state' pan.log || true)"
    # pan stops at the first error and then says the search was not completed: only a pass needs a whole search.
    if [[ -z "$errors" ]] || grep -q 'out of memory' pan.log ||
        { [[ "$errors" == 0 ]] && grep -q 'Search not completed' pan.log; }; then
        cat pan.log >&2
        tn_die "$name: the search did not complete (status $status)"
    fi
    case "$expect" in
        pass)
            if [[ "$errors" != 0 ]]; then
                cat pan.log >&2
                tn_die "$name: spin found an error: $violation"
            fi
            tn_log "$name: holds; ${states} states, ${seconds} s"
            ;;
        refuted)
            [[ "$errors" != 0 ]] || tn_die "$name: the broken variant was NOT refuted (${states} states): the check is blind"
            tn_log "$name: refuted as expected (${violation# }); ${states} states, ${seconds} s"
            ;;
    esac
}

total_started=$SECONDS
tn_log "spin $(spin -V 2>&1 | sed -n 's/^Spin Version \([^ ]*\).*/\1/p'): model/sync.pml"
# Every fault budget at 1: Retail's dedup and the ordering (assertions), the row invariants, and every final state
# done (synced, or failed with an operator item), which is the liveness property since every run is finite.
check "safety and final states, all faults" pass "" ""
# The LTL property <>[] allDone over every run (stutter-extended), crashes and lapsing leases.
check "liveness (LTL live), crash + lease lapse" pass "-DLIVENESS -DHICCUP_BUDGET=0 -DTIMEOUT_BUDGET=0" "-a"
check "liveness (LTL live), Retail hiccup + timeout" pass "-DLIVENESS -DCRASH_BUDGET=0 -DEXPIRE_BUDGET=0" "-a"
# The broken variants: each drops one rule the properties rest on.
check "broken: refund claimable before its payment is synced" refuted "-DBROKEN_NO_DEPENDENCY" ""
check "broken: Retail without dedup on transaction_id" refuted "-DBROKEN_NO_DEDUP" ""
check "broken: no settling of rows whose dependency failed (LTL)" refuted \
    "-DLIVENESS -DBROKEN_NO_SETTLE -DCRASH_BUDGET=0 -DEXPIRE_BUDGET=0" "-a"
tn_log "model verified in $((SECONDS - total_started)) s"
