#!/usr/bin/env bash
# Producer throughput, this client beside librdkafka in the same run: for each codec,
# starts a fresh embedded tansu broker (or uses KAFKA_BOOTSTRAP), sends RECORDS records
# of SIZE bytes with examples/producer_perf.rs (release build), then the same with
# confluent-kafka (scripts/producer-perf-librdkafka.py), both with batch.size BATCH_SIZE
# (16384, the Java default, unless given; librdkafka's own default is 1000000).
# Usage: scripts/producer-perf.sh [RECORDS] [SIZE] [ACKS] [BATCH_SIZE] [CODECS...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/cache.sh
. scripts/cache.sh
records="${1:-1000000}"
size="${2:-100}"
acks="${3:-1}"
batch_size="${4:-16384}"
shift $(( $# < 4 ? $# : 4 ))
codecs=("${@:-none}")
[ ${#codecs[@]} -eq 0 ] && codecs=(none)

cargo build --quiet --release --example producer_perf
python="$(./scripts/setup-python.sh)"
# shellcheck source=scripts/embedded-broker.sh
. scripts/embedded-broker.sh

# A fresh broker for each client, so neither runs against the other's data.
start_broker() {
  if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
    bootstrap="$KAFKA_BOOTSTRAP"
  else
    start_embedded_broker target/perf-tansu.log
  fi
}

for codec in "${codecs[@]}"; do
  echo "== $records x $size B, acks=$acks, compression=$codec, batch.size=$batch_size"
  start_broker
  "${CARGO_TARGET_DIR:-target}/release/examples/producer_perf" --bootstrap "$bootstrap" \
    --topic "perf-ks-$codec-$$" --num-records "$records" --record-size "$size" --acks "$acks" \
    --compression "$codec" --batch-size "$batch_size" | tail -n 2
  start_broker
  "$python" scripts/producer-perf-librdkafka.py "$bootstrap" "perf-rd-$codec-$$" "$records" "$size" "$acks" "$codec" "$batch_size"
done
