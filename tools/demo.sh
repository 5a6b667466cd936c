#!/usr/bin/env bash
# The demo flow on the local stack: moto provisioned from template.yaml, the functions run under
# `cargo lambda watch` (the Lambda runtime emulator, no Docker) and invoked with events/.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${DEMO_PORT:-4566}
INVOKE_PORT=${DEMO_INVOKE_PORT:-9010}
PY=.venv/bin/python
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT
mkdir -p .local

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "local AWS stack (moto, single-threaded) on 127.0.0.1:$PORT"
$PY tools/stack.py start --port "$PORT"
step "provision every queue and table declared in template.yaml"
$PY tools/stack.py provision --port "$PORT" > .local/stack.json
$PY tools/stack.py env all --port "$PORT" --format dotenv > .local/functions.env
echo "function environment (as in Lambda): .local/functions.env"

step "build the functions"
cargo build --workspace --bins --quiet

step "cargo lambda watch (runtime emulator) on 127.0.0.1:$INVOKE_PORT"
cargo lambda watch --quiet --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
  --env-file .local/functions.env > .local/watch.log 2>&1 &
WATCH=$!
trap 'kill $WATCH 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/"$INVOKE_PORT") 2>/dev/null && break
  sleep 0.2
done

invoke() { # invoke FUNCTION EVENT_FILE
  echo "-- cargo lambda invoke $1 --data-file $2"
  cargo lambda invoke "$1" --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" --data-file "$2" \
    --output-format json 2>&1 || true
  echo
}

# Each function's part of the flow is added here as its issue lands.
for f in events/demo/*.sh; do
  [ -e "$f" ] || continue
  # shellcheck source=/dev/null
  . "$f"
done

step "done: the stack keeps running on 127.0.0.1:$PORT (make stack-down stops it)"
