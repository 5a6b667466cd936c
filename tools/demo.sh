#!/usr/bin/env bash
# The demo flow on the local stack: moto provisioned from template.yaml, the functions run under
# `cargo lambda watch` (the Lambda runtime emulator, no Docker) and invoked with events/; the
# Helsenorge side over AMQP 1.0: the project-local RabbitMQ (tools/rabbitmq.sh, RABBITMQ_PORT),
# the built helsenorge-bridge and a Helsenorge-side peer (helsenorge-peer, test keys made now).
set -euo pipefail
. "$(dirname "$0")/local.sh"
INVOKE_PORT=${DEMO_INVOKE_PORT:-9010}
WATCH="" BROKEN="" BRIDGE="" RABBIT_STARTED=""
cleanup() {
  kill $WATCH $BROKEN $BRIDGE 2>/dev/null || true
  [ -z "$RABBIT_STARTED" ] || tools/rabbitmq.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
bash tools/provision.sh --set REPUBLISH_BASE_DELAY_SECS=0 ${DEMO_LOG_LEVEL:+--set AWS_LAMBDA_LOG_LEVEL=$DEMO_LOG_LEVEL}

step "RabbitMQ 3.10 with the AMQP 1.0 plugin on 127.0.0.1:${RABBITMQ_PORT:-5679} (project-local), NHN's queues for 80115 (ours) and 90002 (Helsenorge)"
tools/rabbitmq.sh status >/dev/null 2>&1 || RABBIT_STARTED=1
tools/rabbitmq.sh start
tools/rabbitmq.sh declare 80115 90002

step "cargo lambda watch (runtime emulator) on 127.0.0.1:$INVOKE_PORT"
FUNCTIONS="inbound-message outbound-reply consent-sync status-icon dlq-republisher summary-alert epj-api"
built() { for f in $FUNCTIONS; do stat -c '%n %Y' "target/debug/$f"; done; }
built > .local/built-before
cargo lambda watch --quiet --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
  --env-file .local/functions.env > .local/watch.log 2>&1 &
WATCH=$!
up=""
for _ in $(seq 1 150); do
  if (exec 3<>/dev/tcp/127.0.0.1/"$INVOKE_PORT") 2>/dev/null; then up=1; break; fi
  kill -0 "$WATCH" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$up" ]; then
  echo "cargo lambda watch did not start:"; cat .local/watch.log; exit 1
fi

# One clock: an event's times (ISO date-times, e.g. when Helsenorge sent the message) are the
# moment the demo first sends it; a redelivery sends the same stamped copy again.
rm -rf .local/events && mkdir -p .local/events
stamped() { # stamped FILE: prints the path of FILE's stamped copy (only events/ samples are stamped:
  # files the demo made, such as consent-sync's work items, are sent as they are)
  case "$1" in events/*) ;; *) echo "$1"; return ;; esac
  local copy=".local/events/$(basename "$1")"
  [ -f "$copy" ] || $PY -c '
import datetime, re, sys
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
text = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "w", encoding="utf-8").write(re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?", now, text))
' "$1" "$copy"
  echo "$copy"
}

admin() { tools/admin.sh "$@"; }

shown() { # shown WHAT LABEL: what the step put on a queue (drained), or that it put nothing there
  local out; out=$(admin "$1")
  if [ -n "$out" ]; then sed "s/^/   $2: /" <<<"$out"; else echo "   $2: nothing"; fi
}

invoke() { # invoke FUNCTION EVENT_FILE: the function's answer, then what the step produced
  echo "-- cargo lambda invoke $1 --data-file $2"
  if ! cargo lambda invoke "$1" --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" --data-file "$(stamped "$2")" \
    --output-format json > .local/invoke.out 2>&1; then
    grep -q "runtime emulator" .local/invoke.out && { cat .local/invoke.out; exit 1; }
  fi
  cat .local/invoke.out; echo
  if grep -q '"itemIdentifier"' .local/invoke.out; then
    echo "   reported failed: SQS delivers it again, after 5 receives to the dead-letter queue"
  fi
  case "$1" in
    inbound-message) shown outbox "toward Helsenorge" ;;
    outbound-reply) shown outbox "toward Helsenorge"; shown epj-results "for the EPJ" ;;
    epj-api) shown outbox "toward Helsenorge" ;;
  esac
}

step "consent-sync: the first sync after the activation (R-ACT-4), its work items as SQS would deliver them"
invoke consent-sync events/consent-sync/start.json
while admin take-sync .local/sync-event.json; do
  invoke consent-sync .local/sync-event.json
done

peer() { target/debug/helsenorge-peer "$@"; }
step "Helsenorge over AMQP: test certificates made now, the bridge started (helsenorge-bridge, log .local/bridge.log)"
queue_url() { $PY -c 'import json,sys; print(json.load(open(".local/stack.json"))["queues"][sys.argv[1]])' "$1"; }
peer keys .local/peer hd-demo- "$(queue_url InboundQueue)" "$(queue_url ToHelsenorgeQueue)"
( set -a; . .local/peer/bridge.env; set +a
  exec env ${DEMO_LOG_LEVEL:+LOG_LEVEL=$DEMO_LOG_LEVEL} target/debug/helsenorge-bridge ) > .local/bridge.log 2>&1 &
BRIDGE=$!
for _ in $(seq 1 150); do grep -q "AMQP receiver attached" .local/bridge.log && break; kill -0 "$BRIDGE" 2>/dev/null || break; sleep 0.2; done
grep -q "AMQP receiver attached" .local/bridge.log || { echo "the bridge did not start:"; cat .local/bridge.log; exit 1; }
echo "bridge: receiving on 80115_async, sending what ToHelsenorgeQueue holds"

step "a citizen message from Helsenorge: peer → AMQP (signed + encrypted) → bridge → InboundQueue → inbound-message → inbox"
peer send .local/peer "$(stamped events/inbound-message/dialog-message.json)"
printf 'bridge → InboundQueue (decrypted, signature verified): '; admin receive-inbound .local/amqp-event.json
echo "-- cargo lambda invoke inbound-message --data-file .local/amqp-event.json"
cargo lambda invoke inbound-message --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" --data-file .local/amqp-event.json \
  --output-format json; echo
echo "inbox shows:"; admin inbox 115 | sed 's/^/   /'
step "the AppRec goes back: ToHelsenorgeQueue → bridge (signed, encrypted for Helsenorge) → AMQP → peer"
peer receive .local/peer APPREC 60

step "a staff reply goes out the same way: outbound-reply → ToHelsenorgeQueue → bridge → AMQP → peer"
echo "-- cargo lambda invoke outbound-reply --data-file events/outbound-reply/reply.json"
cargo lambda invoke outbound-reply --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" --data-file "$(stamped events/outbound-reply/reply.json)" \
  --output-format json; echo
shown epj-results "for the EPJ"
peer receive .local/peer DIALOG_INNBYGGER_EKONTAKT 60
kill "$BRIDGE" && wait "$BRIDGE" 2>/dev/null || true
BRIDGE=""
echo "bridge stopped (SIGTERM); the steps below show ToHelsenorgeQueue's messages instead of sending them"

step "inbound-message: more citizen messages, cancellations and an AppRec from Helsenorge"
for e in representative-message cancel-appointment cancel-regular-appointment cancel-period apprec communication-test; do
  invoke inbound-message "events/inbound-message/$e.json"
done

step "inbound-message: messages that must be rejected with a coded AppRec (or reported failed)"
for e in invalid-no-consent invalid-not-activated invalid-national-id invalid-unknown-function invalid-reversed-period invalid-poison-batch; do
  invoke inbound-message "events/inbound-message/$e.json"
done

step "redelivery of the first message: nothing new (R-IN-3)"
invoke inbound-message events/inbound-message/dialog-message.json

step "outbound-reply: a staff reply with an attachment from the dialog window"
for e in reply-with-attachment; do
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

step "epj-api: the EPJ reads inbox 115, takes hn-demo-1 over, replies from the dialog window (R-ACC-1..3, R-OUT-1)"
for e in inbox invalid-take-over-without-aj take-over invalid-reply-from-inbox reply dialog; do
  invoke epj-api "events/epj-api/$e.json"
done
step "Helsenorge's AppRec for epj-api-reply-1: the dialog shows the green check (R-OUT-3)"
invoke inbound-message events/inbound-message/apprec-for-epj-api-reply.json
invoke epj-api events/epj-api/dialog.json
step "epj-api refusals by rule: another department (R-ACC-2), activation without digihelse_adm (R-ACT-3)"
for e in invalid-inbox-other-department invalid-activation-without-adm; do
  invoke epj-api "events/epj-api/$e.json"
done

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
admin send-inbound "$(stamped events/inbound-message/raw-unreadable-body.txt)"
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
step "malformed events at the runtime's edge (tests/bad-input/1xx): refused with what is wrong, never echoing a value"
for f in tests/bad-input/1[0-9][0-9]-*.json; do
  fn=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["function"])' "$f")
  $PY -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["event"], open(sys.argv[2], "w"))' "$f" .local/edge-event.json
  printf -- '-- %s %s: ' "$fn" "$(basename "$f" .json)"
  cargo lambda invoke "$fn" --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" --data-file .local/edge-event.json \
    --output-format json 2>&1 | tr -d '\n' | cut -c1-160 || true; echo
done

step "a function that cannot start (its HelseID key secret missing): the invocation fails at once, with the reason"
BROKEN_PORT=$((INVOKE_PORT + 1))
sed 's|^HELSEID_KEY_SECRET_NAME=.*|HELSEID_KEY_SECRET_NAME="no-such-secret"|' .local/functions.env > .local/broken.env
cargo lambda watch --quiet --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$BROKEN_PORT" \
  --env-file .local/broken.env > .local/watch-broken.log 2>&1 &
BROKEN=$!
for _ in $(seq 1 150); do (exec 3<>/dev/tcp/127.0.0.1/"$BROKEN_PORT") 2>/dev/null && break; sleep 0.2; done
# Another function first: cargo lambda's init-error handler then looks at that one's queue (see
# shared::adapters::aws::startup), the case the README's manual steps ran into.
cargo lambda invoke summary-alert --invoke-address 127.0.0.1 --invoke-port "$BROKEN_PORT" \
  --data-file events/summary-alert/summary.json --output-format json > /dev/null
began=$SECONDS
timeout 30 cargo lambda invoke status-icon --invoke-address 127.0.0.1 --invoke-port "$BROKEN_PORT" \
  --data-file events/status-icon/one.json --output-format json > .local/invoke.out 2>&1 || true
cat .local/invoke.out; echo
grep -q 'Runtime.InitError' .local/invoke.out || { echo "no start-up error within 30 s"; exit 1; }
echo "answered in $((SECONDS - began)) s"
kill $BROKEN

step "one build: cargo lambda watch ran the binaries of the build above"
built > .local/built-after
if ! diff .local/built-before .local/built-after; then
  echo "cargo lambda watch rebuilt the functions: its cargo run resolves other features than the build"; exit 1
fi
echo "no function was rebuilt"

step "done: the stack and the fake keep running on 127.0.0.1:$PORT and :$FAKE_PORT (make stack-down stops them)"
