# Sourced by provision.sh and demo.sh: the project root, the local stack's ports, moto's endpoint.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PORT=${DEMO_PORT:-4566}
FAKE_PORT=${DEMO_FAKE_PORT:-4580}
export DEMO_PORT=$PORT DEMO_FAKE_PORT=$FAKE_PORT
PY=.venv/bin/python
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT
mkdir -p .local

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
