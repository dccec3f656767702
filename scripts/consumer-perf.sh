#!/usr/bin/env bash
# Consumer throughput, this client beside librdkafka in the same run: starts the
# embedded tansu broker (or uses KAFKA_BOOTSTRAP), fills a topic with RECORDS records
# of SIZE bytes, and reads it with examples/consumer_perf.rs (release build), then with
# confluent-kafka. Usage: scripts/consumer-perf.sh [RECORDS] [SIZE] [PARTITIONS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
records="${1:-1000000}"
size="${2:-100}"
partitions="${3:-4}"
topic="perf-$(date +%s)"

# shellcheck source=scripts/cache.sh
. scripts/cache.sh
# shellcheck source=scripts/embedded-broker.sh
. scripts/embedded-broker.sh
if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
  bootstrap="$KAFKA_BOOTSTRAP"
else
  start_embedded_broker target/perf-tansu.log
fi

cargo build --quiet --release --example consumer_perf
"${CARGO_TARGET_DIR:-target}/release/examples/consumer_perf" --bootstrap "$bootstrap" \
  --topic "$topic" --records "$records" --size "$size" --partitions "$partitions" --produce
python="$(./scripts/setup-python.sh)"
"$python" scripts/consumer-perf-librdkafka.py "$bootstrap" "$topic" "$records"
