#!/usr/bin/env bash
# helsedialog-admin against the local stack, with the functions' environment (.local/functions.env,
# written by `make provision`): `tools/admin.sh outbox`, `tools/admin.sh journal 30108299920`, …
set -euo pipefail
root="$(dirname "$0")/.."
set -a; . "$root/.local/functions.env"; set +a
exec "$root/target/debug/helsedialog-admin" "$@"
