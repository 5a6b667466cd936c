#!/usr/bin/env bash
# A project-local RabbitMQ 3.10 (Debian's rabbitmq-server) with the AMQP 1.0 plugin, as an
# unprivileged process on loopback - never a system service. Everything lives under .local/rabbitmq:
#   debs/  the downloaded .debs (apt-get download)     root/  the .debs unpacked (dpkg -x)
#   etc/   config, plugins, env file                   data/ log/ home/  node state, logs, cookie
# Usage: tools/rabbitmq.sh start | stop | status | declare HERID [HERID...]
# Ports (loopback only): AMQP 0-9-1 and 1.0 on $RABBITMQ_PORT (5679), Erlang distribution on
# $RABBITMQ_PORT+20000, epmd on $RABBITMQ_EPMD_PORT (4379); node name $RABBITMQ_NODE_NAME
# (helsedialog-$RABBITMQ_PORT); state under $RABBITMQ_LOCAL_DIR (.local/rabbitmq). Several
# checkouts on one machine each set their own. RABBITMQ_MANAGEMENT=1 adds the management UI on
# 127.0.0.1:$RABBITMQ_PORT+10000.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
BASE="${RABBITMQ_LOCAL_DIR:-$REPO/.local/rabbitmq}"
PORT="${RABBITMQ_PORT:-5679}"
EPMD_PORT="${RABBITMQ_EPMD_PORT:-4379}"
EXCHANGE="${RABBITMQ_EXCHANGE:-NHNTestServiceBus}"
DLX="$EXCHANGE.dlx"
DELIVERY_LIMIT="${RABBITMQ_DELIVERY_LIMIT:-10}"
ROOT="$BASE/root"
# rabbitmq-server's Erlang dependencies (apt-cache depends --recurse rabbitmq-server, erlang-* only).
PACKAGES=(rabbitmq-server erlang-asn1 erlang-base erlang-crypto erlang-eldap erlang-ftp erlang-inets
  erlang-mnesia erlang-os-mon erlang-parsetools erlang-public-key erlang-runtime-tools erlang-snmp
  erlang-ssl erlang-syntax-tools erlang-tftp erlang-tools erlang-xmerl)

log() { echo "rabbitmq: $*" >&2; }

download() {
  mkdir -p "$BASE/debs"
  # The download runs as the calling user (apt's _apt sandbox user cannot write into the project).
  local get=(apt-get -q -o "APT::Sandbox::User=$(id -un)" download "${PACKAGES[@]}")
  (cd "$BASE/debs" && "${get[@]}" >/dev/null) && return 0
  log "download failed; running apt-get update once and retrying"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
  (cd "$BASE/debs" && "${get[@]}" >/dev/null)
}

# Unpacks the .debs and points Debian's hard-coded /usr/lib/erlang at the local copy.
install_root() {
  [ -f "$ROOT/.installed" ] && return 0
  ls "$BASE"/debs/rabbitmq-server_*.deb >/dev/null 2>&1 || download
  rm -rf "$ROOT" && mkdir -p "$ROOT"
  local deb
  for deb in "$BASE"/debs/*.deb; do dpkg -x "$deb" "$ROOT"; done
  local erts
  erts="$(cd "$ROOT/usr/lib/erlang" && ls -d erts-*)"
  sed -i "s#/usr/lib/erlang#$ROOT/usr/lib/erlang#g" \
    "$ROOT/usr/lib/erlang/bin/erl" "$ROOT/usr/lib/erlang/bin/start" \
    "$ROOT/usr/lib/erlang/$erts/bin/erl" "$ROOT/usr/lib/erlang/$erts/bin/start"
  touch "$ROOT/.installed"
}

write_config() {
  mkdir -p "$BASE/etc" "$BASE/data" "$BASE/log" "$BASE/home"
  local plugins="rabbitmq_amqp1_0"
  [ "${RABBITMQ_MANAGEMENT:-0}" = 1 ] && plugins="$plugins,rabbitmq_management"
  echo "[$plugins]." >"$BASE/etc/enabled_plugins"
  cat >"$BASE/etc/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $((PORT + 10000))
loopback_users.guest = true
log.console = false
log.file.level = info
EOF
  : >"$BASE/etc/rabbitmq-env.conf"
}

# The environment every rabbitmq-* command runs with: project-local node, paths, loopback ports.
node_env() {
  export PATH="$ROOT/usr/lib/erlang/bin:$ROOT/usr/lib/rabbitmq/bin:$PATH"
  export HOME="$BASE/home" LANG=C.UTF-8 LC_ALL=C.UTF-8
  export RABBITMQ_NODENAME="${RABBITMQ_NODE_NAME:-helsedialog-$PORT}@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$PORT"
  export RABBITMQ_DIST_PORT=$((PORT + 20000))
  export ERL_EPMD_PORT="$EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CONF_ENV_FILE="$BASE/etc/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$BASE/etc/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$BASE/etc/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$BASE/etc/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$BASE/data" RABBITMQ_LOG_BASE="$BASE/log"
  export RABBITMQ_PID_FILE="$BASE/rabbitmq.pid"
}

running() { [ -f "$BASE/rabbitmq.pid" ] && kill -0 "$(cat "$BASE/rabbitmq.pid")" 2>/dev/null; }

start() {
  install_root
  write_config
  node_env
  if running && rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1; then
    log "already running on 127.0.0.1:$PORT"
    return 0
  fi
  ensure_proton
  local t0=$SECONDS
  # setsid: the node outlives this shell and is not tied to its terminal; it writes its own pid file.
  setsid rabbitmq-server >"$BASE/log/console.log" 2>&1 </dev/null &
  if ! rabbitmqctl -q wait --timeout 180 "$RABBITMQ_PID_FILE" >/dev/null; then
    log "did not start; see $BASE/log/"
    tail -20 "$BASE/log/console.log" >&2 || true
    return 1
  fi
  log "started on 127.0.0.1:$PORT (node $RABBITMQ_NODENAME) in $((SECONDS - t0)) s"
}

stop() {
  node_env
  if running; then
    rabbitmqctl -q shutdown --timeout 60 >/dev/null 2>&1 || kill "$(cat "$BASE/rabbitmq.pid")" 2>/dev/null || true
    log "stopped"
  else
    log "not running"
  fi
  rm -f "$BASE/rabbitmq.pid"
  # The node's own epmd (on the project port, not the system's 4369) exits once no node is left.
  [ -x "$ROOT/usr/lib/erlang/bin/epmd" ] && epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
}

status() {
  node_env
  if running; then
    echo "running: node $RABBITMQ_NODENAME, AMQP 1.0 on 127.0.0.1:$PORT"
    rabbitmqctl -q list_queues name type messages messages_ready messages_unacknowledged arguments
  else
    echo "not running"
    return 3
  fi
}

# Declares, as NHN's Tjenestebuss does, for each HER-id: quorum queues {herId}_async, _sync, _error with
# a delivery limit and a dead-letter exchange (their dead letters land in {herId}_dlq), all bound to
# the exchange that senders address as /exchange/$EXCHANGE/{queue}. Idempotent (definitions import).
declare_queues() {
  [ $# -ge 1 ] || { log "usage: declare HERID [HERID...]"; return 2; }
  node_env
  local defs="$BASE/etc/definitions.json"
  python3 - "$EXCHANGE" "$DLX" "$DELIVERY_LIMIT" "$@" >"$defs" <<'EOF'
import json, sys
exchange, dlx, limit, herids = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
def ex(name):
    return {"name": name, "vhost": "/", "type": "direct", "durable": True, "auto_delete": False,
            "internal": False, "arguments": {}}
def queue(name, args):
    return {"name": name, "vhost": "/", "durable": True, "auto_delete": False,
            "arguments": {"x-queue-type": "quorum", **args}}
def bind(source, queue_name, key):
    return {"source": source, "vhost": "/", "destination": queue_name, "destination_type": "queue",
            "routing_key": key, "arguments": {}}
queues, bindings = [], []
for her in herids:
    if not her.isdigit():
        sys.exit(f"HER-id must be digits: {her!r}")
    dlq = f"{her}_dlq"
    queues.append(queue(dlq, {}))
    for suffix in ("async", "sync", "error"):
        name = f"{her}_{suffix}"
        queues.append(queue(name, {"x-delivery-limit": limit, "x-dead-letter-exchange": dlx}))
        bindings.append(bind(exchange, name, name))
        bindings.append(bind(dlx, dlq, name))
json.dump({"exchanges": [ex(exchange), ex(dlx)], "queues": queues, "bindings": bindings}, sys.stdout)
EOF
  rabbitmqctl -q import_definitions "$defs" >/dev/null
  log "declared $* on exchange $EXCHANGE (delivery limit $DELIVERY_LIMIT, dead letters to {herId}_dlq)"
}

# The smoke check's AMQP 1.0 client: Debian's python3-qpid-proton, for the system python3.
ensure_proton() {
  /usr/bin/python3 -c 'import proton' 2>/dev/null && return 0
  log "installing python3-qpid-proton (system python3)"
  local apt=(apt-get install -y -qq --no-install-recommends python3-qpid-proton)
  [ "$(id -u)" = 0 ] || apt=(sudo "${apt[@]}")
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/dev/null 2>&1 || {
    if [ "$(id -u)" = 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/dev/null
  }
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  declare) shift; declare_queues "$@" ;;
  *) echo "usage: $0 start|stop|status|declare HERID [HERID...]" >&2; exit 2 ;;
esac
