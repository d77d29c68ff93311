# tn-payments: the single entry point for building, running and testing (see README.md).
# SWIFTPM_FLAGS is passed to every swift invocation, e.g. SWIFTPM_FLAGS="--scratch-path .build-ci".

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
SWIFT ?= swift
SWIFTPM_FLAGS ?=
export SWIFTPM_FLAGS
# The house rule: code compiles without warnings; make test enforces it (WERROR= to relax locally).
WERROR ?= -Xswiftc -warnings-as-errors
# Length of `make soak`'s load phase in seconds (bench/soak).
SOAK_SECONDS ?= 600

.PHONY: all deps build run stop test test-unit test-integration check nginx-check systemd-check fmt lint bench \
	ops-check fuzz fuzz-smoke fuzz-api soak soak-short migrate clean

all: build

## Install the missing Debian 12 packages (apt-get; as root).
deps:
	@scripts/deps.sh

## Release build of payments-fcgi, payments-sync and payments-sandbox.
build: deps
	$(SWIFT) build -c release $(SWIFTPM_FLAGS)

## Start the dev stack (MariaDB, sandbox, responder, nginx on 127.0.0.1:8080) and print the walk-through.
run:
	@scripts/run.sh

## Stop the dev stack; harmless when nothing runs.
stop:
	@scripts/stack-stop.sh dev

## Apply the sql/ migrations to the dev stack's database.
migrate:
	@scripts/migrate.sh dev

## Unit tests, config checks, a fuzz smoke pass, integration tests against a fresh test stack (free loopback ports),
## the OpenAPI document validated and schemathesis against its own stack (smoke), then the 2-minute soak.
test: deps
	$(SWIFT) build --build-tests $(SWIFTPM_FLAGS) $(WERROR)
	$(MAKE) --no-print-directory test-unit check fuzz-smoke
	scripts/test-integration.sh
	scripts/api-fuzz.sh smoke
	$(MAKE) --no-print-directory soak-short

test-unit:
	$(SWIFT) test --skip-build $(SWIFTPM_FLAGS) --skip 'MariaDBTests|IntegrationTests'

test-integration:
	scripts/test-integration.sh

## libFuzzer harnesses of Fuzz/ one after another: FUZZ_RUNS executions each (1000000), or FUZZ_SECONDS each when set;
## prints executions, coverage and crashes per target. `make fuzz FUZZ_TARGETS="json form"` runs some only.
fuzz:
	scripts/fuzz.sh full $(FUZZ_TARGETS)

## The OpenAPI document validated, then schemathesis against a fresh stack for API_FUZZ_SECONDS (900) with
## API_FUZZ_EXAMPLES (500) per operation (make test runs a bounded smoke pass: scripts/api-fuzz.sh smoke).
fuzz-api:
	scripts/api-fuzz.sh full

## The committed corpus replayed, then FUZZ_SMOKE_SECONDS (5) of fuzzing per target; fails on any new crash.
fuzz-smoke:
	scripts/fuzz.sh smoke $(FUZZ_TARGETS)

## nginx -t on both sites, systemd-analyze verify on the units, the ops/ dashboard and alert rules, the format lint.
check: nginx-check systemd-check ops-check lint

nginx-check:
	@scripts/nginx-check.sh

systemd-check:
	@scripts/systemd-check.sh

## ops/: the dashboard is JSON, promtool accepts the rules, every series they name is exported and documented.
ops-check:
	@scripts/ops-check.sh

fmt:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift Fuzz/Sources Fuzz/Package.swift

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift Fuzz/Sources Fuzz/Package.swift

## Load benchmarks (bench/webhooks, bench/sync); they build what they need. bench/webhooks installs php-fpm for its
## PHP-FPM reference when missing (BENCH_INSTALL_PHP=1).
bench: build
	BENCH_INSTALL_PHP=1 bench/webhooks
	bench/sync

## Fault soak on its own stack (free loopback ports): SOAK_SECONDS (600) of signed load while the responder is killed,
## MariaDB restarted and Retail flaps, then the ledger/Retail/RSS checks (bench/soak; release build).
soak: build
	TN_BIN_DIR="$$($(SWIFT) build -c release $(SWIFTPM_FLAGS) --show-bin-path)" bench/soak --seconds $(SOAK_SECONDS)

## The 2-minute soak `make test` runs, against the debug build the tests use.
soak-short:
	TN_BIN_DIR="$$($(SWIFT) build $(SWIFTPM_FLAGS) --show-bin-path)" bench/soak --seconds 120

clean:
	@scripts/stack-stop.sh dev || true
	@scripts/stack-stop.sh test || true
	@scripts/stack-stop.sh soak || true
	rm -rf .run
