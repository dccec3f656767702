#!/usr/bin/env bash
# The README's demo: starts the embedded tansu broker on a free port (installing it on
# first use), runs examples/demo.rs against it (create a topic, produce, consume with a
# group, print the cluster's metadata and API versions), then a produce/consume round
# trip through the command-line tool (cli/), and stops the broker again.
#
#   ./scripts/demo.sh           on the embedded tansu (starts in milliseconds)
#   ./scripts/demo.sh --kafka   on a local 1-node Apache Kafka (scripts/kafka-cluster.sh,
#                               installed from Maven Central on first use)
#
# With KAFKA_BOOTSTRAP=host:port set, runs the demo against that broker instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/cache.sh
. scripts/cache.sh

# Three keyed lines in through `kafka-sync produce`, out again through `kafka-sync
# consume`, on a topic of their own.
cli_round_trip() {
  local bootstrap="$1" topic="demo-cli-$$"
  cargo build --quiet -p kafka-sync-cli
  local tool=target/debug/kafka-sync
  echo
  echo "== the command-line tool: $tool"
  echo "\$ kafka-sync topics create $topic --partitions 1 --replication-factor 1"
  "$tool" topics create "$topic" --partitions 1 --replication-factor 1 -b "$bootstrap"
  echo "\$ printf 'user-1:hello\\nuser-2:world\\nuser-1:again\\n' | kafka-sync produce $topic --key-separator :"
  printf 'user-1:hello\nuser-2:world\nuser-1:again\n' |
    "$tool" produce "$topic" --key-separator : -b "$bootstrap"
  echo "\$ kafka-sync consume $topic --from-beginning --max-messages 3 --key-separator ="
  "$tool" consume "$topic" --from-beginning --max-messages 3 --timeout-ms 30000 \
    --key-separator = -b "$bootstrap"
}

if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
  cargo run --quiet --example demo -- "$KAFKA_BOOTSTRAP"
  cli_round_trip "$KAFKA_BOOTSTRAP"
  exit 0
fi

case "${1:-}" in
  --kafka)
    dir="target/demo-kafka"
    trap './scripts/kafka-cluster.sh stop "$dir" >/dev/null 2>&1 || true' EXIT
    bootstrap="$(./scripts/kafka-cluster.sh start "$dir" 1 | tail -n 1)"
    echo "Apache Kafka started on $bootstrap (logs: $dir/node-1/broker.log)"
    cargo run --quiet --example demo -- "$bootstrap"
    cli_round_trip "$bootstrap"
    ;;
  "")
    # shellcheck source=scripts/embedded-broker.sh
    . scripts/embedded-broker.sh
    start_embedded_broker target/demo-tansu.log
    echo "tansu broker started on $bootstrap (log: target/demo-tansu.log)"
    cargo run --quiet --example demo -- "$bootstrap"
    cli_round_trip "$bootstrap"
    ;;
  *)
    echo "usage: scripts/demo.sh [--kafka]" >&2
    exit 2
    ;;
esac
