#!/usr/bin/env bash
# Consumer throughput and CPU, this client beside librdkafka (confluent-kafka) and the
# Java client in the same run, on the same broker: Apache Kafka (a local 1-node
# cluster, the default) or tansu. For each partition count and fill, a topic is filled
# once with RECORDS records of SIZE bytes, and each client reads all of it from the
# beginning with assign() (no group), printing records/s, MB/s, its process CPU time
# per record and its peak RSS. A Markdown table of all results comes last. Fills:
#   even    uncompressed batches of about 900 kB, spread evenly over the partitions
#   uneven  written by this client's producer (1 MB batches, linger 5 ms, no keys):
#           the sticky partitioner leaves the partitions uneven, so some reach their
#           end while others still have data (the case of a consumer's fetch waiting
#           at the end of one partition while the others sit buffered)
#
#   scripts/consumer-perf.sh [--broker kafka|tansu] [--records N] [--size B]
#       [--partitions "1 4 16"] [--fills "even uneven"] [--poll-ms 100]
#       [--clients "kafka-sync librdkafka java"]
#
# KAFKA_BOOTSTRAP=host:port runs against that broker instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/cache.sh
. scripts/cache.sh

broker=kafka records=1000000 size=100 partitions_list="1 4 16" fills="even uneven" poll_ms=100
clients="kafka-sync librdkafka java"
while [ $# -gt 0 ]; do
  case "$1" in
    --broker) broker="$2" ;;
    --records) records="$2" ;;
    --size) size="$2" ;;
    --partitions) partitions_list="$2" ;;
    --fills) fills="$2" ;;
    --poll-ms) poll_ms="$2" ;;
    --clients) clients="$2" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
  shift 2
done

cargo build --quiet --release --example consumer_perf
python="$(./scripts/setup-python.sh)"
# shellcheck source=scripts/embedded-broker.sh
. scripts/embedded-broker.sh
# shellcheck source=scripts/perf-common.sh
. scripts/perf-common.sh
classpath="$(perf_java_classpath "$broker")"
perf_start_broker "$broker"
consumer_perf="${CARGO_TARGET_DIR:-target}/release/examples/consumer_perf"

cases=0
for partitions in $partitions_list; do
 for fill in $fills; do
  cases=$((cases + 1))
  label="$partitions p, $fill"
  topic="perf-consume-$partitions-$fill-$$"
  case "$fill" in
    even) produce_flag=--produce ;;
    uneven) produce_flag=--produce-with-producer ;;
    *) echo "unknown fill $fill (even or uneven)" >&2; exit 2 ;;
  esac
  echo "== $records x $size B over $partitions partitions, $fill ($broker)"
  "$consumer_perf" --bootstrap "$bootstrap" --topic "$topic" --records "$records" \
    --size "$size" --partitions "$partitions" "$produce_flag" | grep -E '^produced' | sed 's/^/  /'
  for client in $(perf_client_order "$cases" "$clients"); do
    perf_broker_start
    case "$client" in
      kafka-sync)
        out="$("$consumer_perf" --bootstrap "$bootstrap" --topic "$topic" \
          --records "$records" --size "$size" --poll-ms "$poll_ms" 2>&1 || true)" ;;
      librdkafka)
        out="$("$python" scripts/consumer-perf-librdkafka.py "$bootstrap" "$topic" "$records" 2>&1 || true)" ;;
      java)
        out="$(java -Xmx1g -Dlog4j2.configurationFile=scripts/kafka/log4j2-tools.properties \
          -cp "$classpath" JavaConsumerPerf "$bootstrap" "$topic" "$records" 2>&1 || true)" ;;
      *) echo "unknown client $client" >&2; exit 2 ;;
    esac
    printf '%s\n' "$out" | grep -E '^RESULT |rror|empty polls' | sed "s/^/  /" || true
    perf_record "$label" "$out"
  done
 done
done
perf_table "Consumer: $records x $size B, broker: ${KAFKA_BOOTSTRAP:-$broker}"
