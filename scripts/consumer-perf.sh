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

if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
  bootstrap="$KAFKA_BOOTSTRAP"
else
  tansu="$(./scripts/install-tansu.sh)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  url="tcp://127.0.0.1:$port"
  mkdir -p target
  RUST_LOG=warn "$tansu" broker --listener-url "$url" --advertised-listener-url "$url" \
    --storage-engine memory://tansu/ >target/perf-tansu.log 2>&1 &
  broker=$!
  trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null || true' EXIT
  bootstrap="127.0.0.1:$port"
  sleep 0.5
fi

cargo build --quiet --release --example consumer_perf
"${CARGO_TARGET_DIR:-target}/release/examples/consumer_perf" --bootstrap "$bootstrap" \
  --topic "$topic" --records "$records" --size "$size" --partitions "$partitions" --produce
python="$(./scripts/setup-python.sh)"
"$python" scripts/consumer-perf-librdkafka.py "$bootstrap" "$topic" "$records"
