#!/usr/bin/env bash
# Everything a local run needs, on a fresh or a running stack (each step is idempotent):
# moto with every queue and table of template.yaml, the HelseID key secret, the functions'
# environment file (.local/functions.env: moto, and NHN = the local fake, never production),
# one build of every binary, the local fake of HelsenorgeAktiv + HelseID, the EPJ sample data.
# `make provision` and the demo run it. Extra arguments are `stack.py env --set KEY=VALUE`.
set -euo pipefail
. "$(dirname "$0")/local.sh"

step "local AWS stack (moto, single-threaded) on 127.0.0.1:$PORT"
$PY tools/stack.py start --port "$PORT"
step "every queue and table declared in template.yaml, and the HelseID key secret"
$PY tools/stack.py provision --port "$PORT" --quiet > .local/stack.json
$PY tools/stack.py helseid-key --port "$PORT"
$PY tools/stack.py env all --port "$PORT" --fake-port "$FAKE_PORT" --format dotenv \
  --set AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" --set AWS_REGION=eu-north-1 \
  --set AWS_ACCESS_KEY_ID=test --set AWS_SECRET_ACCESS_KEY=test "$@" > .local/functions.env
echo "function environment (as in Lambda; AWS = moto, NHN = the local fake): .local/functions.env"

step "build: the functions, helsedialog-admin and the fake (cargo build --bins, as cargo lambda watch runs them)"
cargo build --bins --locked --quiet

step "local fake of HelsenorgeAktiv + HelseID on 127.0.0.1:$FAKE_PORT (events/helsenorge/aktiv.json)"
$PY tools/stack.py fake-start --fake-port "$FAKE_PORT"

step "EPJ data: record cards, activations (through the activation rule), a work plan (events/epj/sample-data.json)"
tools/admin.sh load events/epj/sample-data.json
