#!/usr/bin/env bash
# The OpenAPI document checked and used to attack the responder:
#   1. openapi/tn-payments.yaml and the document a running stack serves (GET /api/openapi.json) are validated with
#      openapi-spec-validator;
#   2. schemathesis generates requests for every operation of the served document (examples, coverage, fuzzing and
#      stateful phases; links: create, then status / capture) and checks for server errors, response schema and
#      header conformance, documented status codes and content types.
# The stack is a fresh private one (`test-api`: MariaDB, sandbox, responder, nginx on free loopback ports) with a
# minted Firebase token. Python tools live in .tools/api-venv (pinned in scripts/api-fuzz-requirements.txt).
# Usage: scripts/api-fuzz.sh smoke|full   (smoke: fixed seed, API_FUZZ_EXAMPLES (25) per operation, for make test;
#        full: API_FUZZ_EXAMPLES (500) and API_FUZZ_SECONDS (900) of fuzzing and stateful testing, for make fuzz-api)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mode="${1:-smoke}"
case "$mode" in
    smoke) examples="${API_FUZZ_EXAMPLES:-25}" seconds="" ;;
    full) examples="${API_FUZZ_EXAMPLES:-500}" seconds="${API_FUZZ_SECONDS:-900}" ;;
    *) tn_die "usage: scripts/api-fuzz.sh smoke|full" ;;
esac
seed="${API_FUZZ_SEED:-20261205}"
tn_stack test-api
cd "$TN_REPO"

venv="$TN_REPO/.tools/api-venv"
requirements="$TN_REPO/scripts/api-fuzz-requirements.txt"
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
    tn_log "installing schemathesis and openapi-spec-validator into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || tn_die "python3 -m venv failed (Debian: apt-get install python3-venv; make deps does)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi

"$venv/bin/openapi-spec-validator" openapi/tn-payments.yaml

"$TN_REPO/scripts/stack-stop.sh" test-api >/dev/null 2>&1 || true
rm -rf "$TN_RUN_DIR"
mkdir -p "$TN_RUN_DIR"
# Generated requests come in hundreds per minute from one uid: the per-uid limit is lifted so they reach the handlers
# (429 stays documented and is exercised by the integration tests).
printf '%s\n' "RATE_LIMIT_UID_PER_MINUTE=1000000" >"$TN_RUN_DIR/payments.env"
stop() { "$TN_REPO/scripts/stack-stop.sh" test-api >/dev/null 2>&1 || true; }
trap stop EXIT
if ! "$TN_REPO/scripts/stack-start.sh" test-api >/dev/null; then
    tn_tail_logs
    tn_die "the test-api stack did not start"
fi
base="http://127.0.0.1:$(tn_env_value RUN_HTTP_PORT)/api"
sandbox="http://127.0.0.1:$(tn_env_value SANDBOX_PORT_BASE)"
out="$TN_RUN_DIR/schemathesis"
mkdir -p "$out"

curl -fsS "$base/openapi.json" -o "$out/served.json"
"$venv/bin/openapi-spec-validator" "$out/served.json"
# The sandbox's reCAPTCHA passes the token `pass`: offered as the example so generated web payments get through.
"$venv/bin/python" - "$out/served.json" <<'EOF_PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    document = json.load(f)
document["components"]["schemas"]["RecaptchaToken"]["examples"] = ["pass"]
with open(path, "w") as f:
    json.dump(document, f)
EOF_PY
token="$(curl -fsS -X POST "$sandbox/firebase/mint" -d '{"uid":"schemathesis-user"}' \
    | sed -E 's/.*"idToken":"([^"]+)".*/\1/')"
[[ -n "$token" ]] || tn_die "no Firebase token from the sandbox"

args=(
    run "$out/served.json" --url "$base"
    --header "Authorization: Bearer $token"
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
    --phases examples,coverage,fuzzing,stateful
    --max-examples "$examples" --seed "$seed" --workers 4 --request-timeout 30
    --suppress-health-check all
    --report junit,ndjson --report-dir "$out"
)
if [[ -n "$seconds" ]]; then args+=(--max-time "$seconds"); fi
tn_log "schemathesis ($mode): seed $seed, $examples examples per operation${seconds:+, $seconds s} against $base"
status=0
"$venv/bin/schemathesis" "${args[@]}" || status=$?
if ((status != 0)); then
    tn_log "schemathesis FAILED (status $status); reports in $out and .tools/api-fuzz-last (logs: $TN_RUN_DIR)"
    # The reports go with the stack directory when it is removed next time; keep a copy.
    mkdir -p "$TN_REPO/.tools/api-fuzz-last" && cp -r "$out/." "$TN_REPO/.tools/api-fuzz-last/"
fi
exit "$status"
