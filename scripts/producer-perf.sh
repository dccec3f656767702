#!/usr/bin/env bash
# Producer throughput and CPU, this client beside librdkafka (confluent-kafka) and the
# Java client in the same run, on the same broker: Apache Kafka (a local 1-node
# cluster, the default) or tansu. For every case (partitions x batch.size x codec) each
# client sends RECORDS records of SIZE bytes without keys to a fresh topic, with
# linger.ms 5 (the same settings for all three), and prints records/s, MB/s, its
# process CPU time per record (user + system, all threads, from the first send to the
# end of the flush) and its peak RSS. A Markdown table of all results comes last.
#
#   scripts/producer-perf.sh [--broker kafka|tansu] [--records N] [--size B] [--acks A]
#       [--partitions "1 4"] [--batch-sizes "16384 1048576"] [--codecs "none lz4"]
#       [--clients "kafka-sync librdkafka java"] [--linger-ms 5]
#
# KAFKA_BOOTSTRAP=host:port runs against that broker instead. librdkafka's CPU figures
# include the Python interpreter's cost per produce() call; the Java client's include
# JIT compilation (not JVM start-up).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/cache.sh
. scripts/cache.sh

broker=kafka records=1000000 size=100 acks=1 linger=5
partitions_list="1 4" batch_sizes="16384 1048576" codecs="none lz4"
clients="kafka-sync librdkafka java"
while [ $# -gt 0 ]; do
  case "$1" in
    --broker) broker="$2" ;;
    --records) records="$2" ;;
    --size) size="$2" ;;
    --acks) acks="$2" ;;
    --partitions) partitions_list="$2" ;;
    --batch-sizes) batch_sizes="$2" ;;
    --codecs) codecs="$2" ;;
    --clients) clients="$2" ;;
    --linger-ms) linger="$2" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
  shift 2
done

cargo build --quiet --release --example producer_perf
python="$(./scripts/setup-python.sh)"
# shellcheck source=scripts/embedded-broker.sh
. scripts/embedded-broker.sh
# shellcheck source=scripts/perf-common.sh
. scripts/perf-common.sh
classpath="$(perf_java_classpath)"

run=0
for partitions in $partitions_list; do
  for batch in $batch_sizes; do
    for codec in $codecs; do
      label="$partitions p, batch $batch, $codec"
      echo "== $records x $size B, acks=$acks, $label ($broker)"
      for client in $clients; do
        # A fresh tansu per client (its memory storage only grows); one Kafka for all.
        perf_start_broker "$broker"
        run=$((run + 1))
        topic="perf-$client-$run-$$"
        perf_create_topic "$topic" "$partitions"
        case "$client" in
          kafka-sync)
            out="$("${CARGO_TARGET_DIR:-target}/release/examples/producer_perf" \
              --bootstrap "$bootstrap" --topic "$topic" --num-records "$records" \
              --record-size "$size" --acks "$acks" --compression "$codec" \
              --batch-size "$batch" --linger-ms "$linger" 2>&1 || true)" ;;
          librdkafka)
            out="$("$python" scripts/producer-perf-librdkafka.py "$bootstrap" "$topic" \
              "$records" "$size" "$acks" "$codec" "$batch" 2>&1 || true)" ;;
          java)
            out="$(java -Xmx1g -Dlog4j2.configurationFile=scripts/kafka/log4j2-tools.properties \
              -cp "$classpath" JavaProducerPerf "$bootstrap" "$topic" "$records" "$size" \
              "$acks" "$codec" "$batch" "$linger" 2>&1 || true)" ;;
          *) echo "unknown client $client" >&2; exit 2 ;;
        esac
        printf '%s\n' "$out" | grep -E '^RESULT |rror' | sed "s/^/  /" || true
        perf_record "$label" "$out"
      done
    done
  done
done
perf_table "Producer: $records x $size B, acks=$acks, linger.ms=$linger, broker: ${KAFKA_BOOTSTRAP:-$broker}"
