#!/usr/bin/env bash
# Makes RabbitMQ and FerretDB (MongoDB wire protocol) available on loopback for dev and CI.
# Prints `export AMQP_URL=…` and `export MONGO_URL=…` lines: eval "$(scripts/services.sh)".
set -euo pipefail
# Debian puts rabbitmq-server and rabbitmqctl in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/usr/lib/rabbitmq/bin:/usr/local/go/bin"
root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data"
# The binary scripts/build-ferretdb.sh builds (FerretDB 1.24.2 with our SQLite pushdown and write-queue patches).
ferret_bin="$data/bin/ferretdb-v1.24.2-pushdown-queue"
mkdir -p "$data/bin" "$data/ferretdb"
log() { echo "services: $*" >&2; }

wait_port() { # host port seconds
  for _ in $(seq 1 "$3"); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 1
  done
  return 1
}

ensure_rabbitmq() {
  if wait_port 127.0.0.1 5672 1; then log "RabbitMQ already up"; return; fi
  if ! command -v rabbitmq-server >/dev/null; then
    log "rabbitmq-server is not installed; trying Debian's package"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server; } >&2 ||
      { log "could not install rabbitmq-server: install it, or set AMQP_URL to a running broker"; exit 1; }
  fi
  log "starting RabbitMQ"
  rabbitmq-server -detached >&2 || true
  wait_port 127.0.0.1 5672 90 || { log "RabbitMQ did not come up"; exit 1; }
  # The port opens before the broker accepts logins; wait for the app to be running.
  rabbitmqctl await_startup >&2 || { log "RabbitMQ did not finish starting"; exit 1; }
}

build_ferretdb() { "$root/scripts/build-ferretdb.sh" >&2; }

ensure_ferretdb() {
  if wait_port 127.0.0.1 27017 1; then
    log "MongoDB-wire server already up on 27017"
    # The fault tests and the chaos suite start private FerretDBs from this binary.
    (build_ferretdb) || log "could not build FerretDB: fault tests that need a private one will fail"
    return
  fi
  build_ferretdb
  log "starting FerretDB (SQLite backend under .data/ferretdb)"
  nohup "$ferret_bin" --handler=sqlite --sqlite-url="file:$data/ferretdb/" \
    --listen-addr=127.0.0.1:27017 --telemetry=disable --debug-addr=- \
    --state-dir="$data/ferretdb" --log-level=warn >"$data/ferretdb.log" 2>&1 &
  wait_port 127.0.0.1 27017 30 || { log "FerretDB did not come up; see .data/ferretdb.log"; exit 1; }
}

ensure_rabbitmq
ensure_ferretdb
echo "export AMQP_URL=amqp://guest:guest@127.0.0.1:5672"
echo "export MONGO_URL=mongodb://127.0.0.1:27017"
