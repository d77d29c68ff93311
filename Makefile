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
# `make install` paths (README "Production install"). DESTDIR stages the tree elsewhere (packaging,
# scripts/install-check.sh).
# Units go where systemd looks for units "installed by the administrator" (/usr/local/lib/systemd/system for the default
# PREFIX, /usr/lib/systemd/system for PREFIX=/usr), leaving /etc/systemd/system to the operator's drop-ins and
# overrides; with another PREFIX, set UNITDIR=/etc/systemd/system (systemd does not read $(PREFIX)/lib then).
PREFIX ?= /usr/local
DESTDIR ?=
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc/tn-payments
NGINX_SITES ?= /etc/nginx/sites-available
STATIC_BUILD = $(SWIFT) build -c release --static-swift-stdlib $(SWIFTPM_FLAGS)

.PHONY: all deps build build-static install uninstall install-check backup-check run stop test test-unit test-integration check \
	nginx-check systemd-check ops-check fmt lint bench fuzz fuzz-smoke fuzz-api soak soak-short migrate clean \
	verify-model cluster cluster-stop cluster-deps test-cluster bench-cluster

all: build

## Install the missing Debian 12 packages (apt-get; as root).
deps:
	@scripts/deps.sh

## Release build of payments-fcgi, payments-sync and payments-sandbox.
build: deps
	$(SWIFT) build -c release $(SWIFTPM_FLAGS)

## Release build with the Swift runtime and Foundation linked in (--static-swift-stdlib), so the installed executables
## do not depend on where the toolchain lives; scripts/static-check.sh asserts it with ldd.
build-static: deps
	$(STATIC_BUILD)
	scripts/static-check.sh "$$($(STATIC_BUILD) --show-bin-path)"

## Install payments-fcgi and payments-sync to $(PREFIX)/bin, the migrations to $(PREFIX)/share/tn-payments/sql, the
## units to $(UNITDIR), the nginx site to $(NGINX_SITES) and the env example to $(SYSCONFDIR)/payments.env (those two
## only when absent), and create the tn-payments system user (not under DESTDIR). As root.
install: build-static
	DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" UNITDIR="$(UNITDIR)" SYSCONFDIR="$(SYSCONFDIR)" NGINX_SITES="$(NGINX_SITES)" \
		scripts/install.sh install "$$($(STATIC_BUILD) --show-bin-path)"

## Remove what `make install` put there except the env file, an edited nginx site, the user and the database.
uninstall:
	DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" UNITDIR="$(UNITDIR)" SYSCONFDIR="$(SYSCONFDIR)" NGINX_SITES="$(NGINX_SITES)" \
		scripts/install.sh uninstall

## `make install DESTDIR=<tmp>` twice (two prefixes), checking the tree, the units' paths, that files an operator edits
## survive a reinstall, and that the installed executables run from there; then `make uninstall`.
install-check:
	scripts/install-check.sh

## The README's point-in-time recovery on a throwaway MariaDB with binary logs: dump, later rows, restore, binlog replay
## up to a stop time; the ledger must come back with exactly the rows before it.
backup-check:
	scripts/backup-check.sh

## Start the dev stack (MariaDB, sandbox, responder, nginx on 127.0.0.1:8080) and print the walk-through.
run:
	@scripts/run.sh

## Stop the dev stack; harmless when nothing runs.
stop:
	@scripts/stack-stop.sh dev

## Apply the sql/ migrations to the dev stack's database.
migrate:
	@scripts/migrate.sh dev

## Unit tests, config checks, a fuzz smoke pass, the install check (static release build) and the backup check,
## integration tests against a fresh test stack (free loopback ports), the OpenAPI document validated and
## schemathesis against its own stack (smoke), then the 2-minute soak.
test: deps
	$(SWIFT) build --build-tests $(SWIFTPM_FLAGS) $(WERROR)
	$(MAKE) --no-print-directory test-unit check fuzz-smoke install-check backup-check
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

## The Promela model of the Retail sync protocol (model/sync.pml) checked with spin, and its broken variants refuted.
verify-model: deps
	scripts/verify-model.sh

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

## The scale-out topology on loopback (scripts/cluster.sh, README "Scale-out"): 3-node Galera behind HAProxy, two
## responders behind one nginx upstream, the sandbox, three sync loops; prints the URL. Release build.
cluster: build cluster-deps
	TN_BIN_DIR="$$($(SWIFT) build -c release $(SWIFTPM_FLAGS) --show-bin-path)" scripts/cluster.sh start

cluster-stop:
	@scripts/cluster.sh stop

## The short cluster run (bench/cluster --short: rates, a responder and the writer node SIGKILLed mid-load, fails on
## any duplicate or loss) and the GaleraTests against it, on the debug build the tests use; about 5 minutes. Not part
## of make test (CI budget).
test-cluster: cluster-deps
	$(SWIFT) build --build-tests $(SWIFTPM_FLAGS) $(WERROR)
	TN_BIN_DIR="$$($(SWIFT) build $(SWIFTPM_FLAGS) --show-bin-path)" scripts/test-cluster.sh

## The full cluster bench on the release build (bench/cluster): rates side by side and the fault phase.
bench-cluster: build cluster-deps
	TN_BIN_DIR="$$($(SWIFT) build -c release $(SWIFTPM_FLAGS) --show-bin-path)" bench/cluster

## galera-4, rsync and haproxy: only the cluster targets need them.
cluster-deps:
	@scripts/deps.sh cluster

clean:
	@scripts/cluster.sh stop >/dev/null 2>&1 || true
	@scripts/stack-stop.sh dev || true
	@scripts/stack-stop.sh test || true
	@scripts/stack-stop.sh soak || true
	rm -rf .run
