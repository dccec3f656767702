#!/usr/bin/env bash
# The README's demo: starts the embedded tansu broker on a free port (installing it on
# first use), runs examples/demo.rs against it (create a topic, produce, consume with a
# group, print the cluster's metadata and API versions), and stops the broker again.
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

if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
  exec cargo run --quiet --example demo -- "$KAFKA_BOOTSTRAP"
fi

case "${1:-}" in
  --kafka)
    dir="target/demo-kafka"
    trap './scripts/kafka-cluster.sh stop "$dir" >/dev/null 2>&1 || true' EXIT
    bootstrap="$(./scripts/kafka-cluster.sh start "$dir" 1 | tail -n 1)"
    echo "Apache Kafka started on $bootstrap (logs: $dir/node-1/broker.log)"
    cargo run --quiet --example demo -- "$bootstrap"
    ;;
  "")
    # shellcheck source=scripts/embedded-broker.sh
    . scripts/embedded-broker.sh
    start_embedded_broker target/demo-tansu.log
    echo "tansu broker started on $bootstrap (log: target/demo-tansu.log)"
    cargo run --quiet --example demo -- "$bootstrap"
    ;;
  *)
    echo "usage: scripts/demo.sh [--kafka]" >&2
    exit 2
    ;;
esac
