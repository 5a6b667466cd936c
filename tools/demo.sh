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
FAKE_PORT=${DEMO_FAKE_PORT:-4580}
$PY tools/stack.py helseid-key --port "$PORT"
$PY tools/stack.py env all --port "$PORT" --format dotenv \
  --set HELSENORGE_AKTIV_BASE_URL=http://127.0.0.1:$FAKE_PORT \
  --set HELSEID_TOKEN_URL=http://127.0.0.1:$FAKE_PORT/connect/token \
  --set HELSEID_CLIENT_ID=helsedialog-test \
  --set REPUBLISH_BASE_DELAY_SECS=0 \
  ${DEMO_LOG_LEVEL:+--set AWS_LAMBDA_LOG_LEVEL=$DEMO_LOG_LEVEL} > .local/functions.env
echo "function environment (as in Lambda, NHN pointed at the local fake): .local/functions.env"

step "build the functions"
cargo build --workspace --bins --quiet

step "local fake of HelsenorgeAktiv + HelseID on 127.0.0.1:$FAKE_PORT (events/helsenorge/aktiv.json)"
./target/debug/helsenorge-fake "$FAKE_PORT" events/helsenorge/aktiv.json > .local/fake.log 2>&1 &
FAKE=$!

step "cargo lambda watch (runtime emulator) on 127.0.0.1:$INVOKE_PORT"
cargo lambda watch --quiet --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
  --env-file .local/functions.env > .local/watch.log 2>&1 &
WATCH=$!
trap 'kill $WATCH $FAKE 2>/dev/null || true' EXIT
up=""
for _ in $(seq 1 150); do
  if (exec 3<>/dev/tcp/127.0.0.1/"$INVOKE_PORT") 2>/dev/null; then up=1; break; fi
  kill -0 "$WATCH" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$up" ]; then
  echo "cargo lambda watch did not start:"; cat .local/watch.log; exit 1
fi

invoke() { # invoke FUNCTION EVENT_FILE: prints the function's answer (a handler error too)
  echo "-- cargo lambda invoke $1 --data-file $2"
  if ! cargo lambda invoke "$1" --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" --data-file "$2" \
    --output-format json > .local/invoke.out 2>&1; then
    grep -q "runtime emulator" .local/invoke.out && { cat .local/invoke.out; exit 1; }
  fi
  cat .local/invoke.out; echo
}

admin() { set -a; . .local/functions.env; set +a; ./target/debug/helsedialog-admin "$@"; }

step "EPJ data: record cards, activations (through the activation rule), a work plan (events/epj/sample-data.json)"
admin load events/epj/sample-data.json

step "consent-sync: the first sync after the activation (R-ACT-4), its work items as SQS would deliver them"
invoke consent-sync events/consent-sync/start.json
while admin take-sync .local/sync-event.json; do
  invoke consent-sync .local/sync-event.json
done

step "inbound-message: citizen messages, cancellations and an AppRec from Helsenorge"
for e in dialog-message representative-message cancel-appointment cancel-regular-appointment cancel-period apprec; do
  invoke inbound-message "events/inbound-message/$e.json"
done

step "inbound-message: messages that must be rejected with a coded AppRec (or reported failed)"
for e in invalid-no-consent invalid-not-activated invalid-national-id invalid-unknown-field invalid-reversed-period invalid-poison-batch; do
  invoke inbound-message "events/inbound-message/$e.json"
done

step "redelivery of the first message: nothing new (R-IN-3)"
invoke inbound-message events/inbound-message/dialog-message.json

step "outbound-reply: staff replies from the dialog window"
for e in reply reply-with-attachment; do
  invoke outbound-reply "events/outbound-reply/$e.json"
done
step "replies of citizen 3010******0: status Sent"
admin replies 30108299920
step "Helsenorge's AppRec for epj-reply-1001 comes back through inbound-message"
invoke inbound-message events/inbound-message/apprec-for-reply.json
admin replies 30108299920
step "outbound-reply: refused replies (results for the EPJ, never sent)"
for e in invalid-from-inbox invalid-without-digihelse-les invalid-attachment-not-base64 invalid-no-consent; do
  invoke outbound-reply "events/outbound-reply/$e.json"
done
step "results for the EPJ"
admin epj-results

step "status-icon: icons for the sample citizens (POST /status-icon, /status-icons)"
for e in one many invalid-national-id invalid-too-many; do
  invoke status-icon "events/status-icon/$e.json"
done
step "status-icon with HelsenorgeAktiv hanging: no-icon within the 1 s deadline"
fake_mode() { $PY -c "import json,sys,urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:$FAKE_PORT/_fake/mode', data=json.dumps({'mode': sys.argv[1]}).encode(), headers={'content-type': 'application/json'}))" "$1"; }
fake_mode hang
time invoke status-icon events/status-icon/one.json
fake_mode normal

step "dead letters: a message inbound-message can never process (R-DLQ-1..5)"
admin send-inbound events/inbound-message/raw-unreadable-body.txt
brief() { cargo lambda invoke "$1" --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" --data-file "$2" \
  --output-format json 2>&1 | tr -d ' \n'; echo; }
for round in $(seq 1 11); do
  echo "-- round $round"
  admin take-inbound .local/failing-event.json
  printf 'inbound-message: '; brief inbound-message .local/failing-event.json
  admin redrive-inbound
  printf 'dlq-republisher: '; brief dlq-republisher events/dlq-republisher/republish.json
done
step "alerts: Republished 1..10, BackOnDeadLetterQueue with the recorded error, Parked"
admin alerts
step "parked messages, and the morning summary (summary-alert)"
invoke dlq-republisher events/dlq-republisher/list-parked.json
invoke summary-alert events/summary-alert/summary.json
admin alerts

step "consent-sync: the nightly sync, started by hand (events/consent-sync/start.json)"
invoke consent-sync events/consent-sync/start.json

step "administrative journal of citizen 3010******0 (graded AJ)"
admin journal 30108299920
step "department inbox 115"
admin inbox 115
step "work plan after the cancellations"
admin plan 30108299920 115 HS
step "sent toward Helsenorge (AppRecs and return messages)"
admin outbox

step "done: the stack keeps running on 127.0.0.1:$PORT (make stack-down stops it)"
