#!/usr/bin/env bash
# Producer throughput and CPU (or, with --rate or --latency, send-to-ack latency at a
# fixed rate), this client beside librdkafka (confluent-kafka) and the Java client in
# the same run, on the same broker: Apache Kafka (a local 1-node cluster, the default)
# or tansu. For every case (partitions x batch.size x codec) each client sends RECORDS
# records of SIZE bytes without keys to a fresh topic, with linger.ms 5 unless
# --linger-ms says otherwise (the same settings for all three), and prints records/s,
# MB/s, its process CPU time per record (user + system, all threads, from the first
# send to the end of the flush) and its peak RSS. A Markdown table of all results comes
# last. The clients take turns at going first: case n starts with the n-th client.
#
#   scripts/producer-perf.sh [--broker kafka|tansu] [--records N] [--size B] [--acks A]
#       [--partitions "1 4"] [--batch-sizes "16384 1048576"] [--codecs "none lz4"]
#       [--clients "kafka-sync librdkafka java"] [--linger-ms 5] [--rate 0] [--latency]
#
# --rate N (records/s; 0, the default, is the unthrottled throughput mode above) is the
# latency mode: each client sends its RECORDS records paced at N/s against an absolute
# schedule (record i is due at start + i/N; a late record goes out at once, the ones
# after it keep their own due times), times every record on a monotonic clock from just
# before send()/produce() to its delivery (this client's callback, librdkafka's delivery
# callback, the Java Callback), and adds p50, p99, p99.9 and max of that latency to its
# RESULT line (in us) and to the table (in ms). Each client first sends one record and
# waits for its ack, before its clock starts, so that the connection and the producer
# id are set up outside the figures. The records/s column is then the rate each client
# actually achieved.
#
# --latency is the preset of issue 17: 10k records/s, linger.ms 0, acks=all, one
# partition, batch.size 16384, no compression, 100000 records. It is the same as
# --rate 10000 --linger-ms 0 --acks all --records 100000 --partitions 1
# --batch-sizes 16384 --codecs none, and flags after it override it:
#
#   scripts/producer-perf.sh --latency --records 30000
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
clients="kafka-sync librdkafka java" rate=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  if [ "$1" = --latency ]; then
    rate=10000 linger=0 acks=all records=100000 partitions_list=1 batch_sizes=16384 codecs=none
    shift
    continue
  fi
  [ $# -ge 2 ] || { echo "$1: unknown, or missing its value" >&2; usage; }
  case "$1" in
    --rate) rate="$2" ;;
    --broker) broker="$2" ;;
    --records) records="$2" ;;
    --size) size="$2" ;;
    --acks) acks="$2" ;;
    --partitions) partitions_list="$2" ;;
    --batch-sizes) batch_sizes="$2" ;;
    --codecs) codecs="$2" ;;
    --clients) clients="$2" ;;
    --linger-ms) linger="$2" ;;
    *) usage ;;
  esac
  shift 2
done
case "$rate" in
  '' | *[!0-9]*) echo "--rate $rate: not a whole number of records per second" >&2; exit 2 ;;
esac
pace=""
if [ "$rate" -gt 0 ]; then
  pace=", $rate records/s"
fi

cargo build --quiet --release --example producer_perf
python="$(./scripts/setup-python.sh)"
# shellcheck source=scripts/embedded-broker.sh
. scripts/embedded-broker.sh
# shellcheck source=scripts/perf-common.sh
. scripts/perf-common.sh
classpath="$(perf_java_classpath "$broker")"

# A broker just started runs its first requests slowly, and its JIT compiler threads
# keep working (and count in the broker CPU column) for a while: without a warm-up the
# first case's first client measured about half of what it did a minute later, and
# one 200 MB warm-up still left the next two runs' broker twice as busy per record
# (1 KB records). Three unrecorded runs of about 200 MB first (at most 2M records
# each), with the measured acks and linger.ms, then the measured ones. In the latency
# mode, whose small acks=all requests take other paths through the broker, a paced
# unrecorded run of 5 s follows: without it the first client measured had twice the
# broker CPU and two to four times the latency it had when it went last.
if [ "$broker" = kafka ]; then
  perf_start_broker kafka
  perf_create_topic "perf-warm-up-$$" 1
  warm_up=$((200000000 / (size > 0 ? size : 1)))
  [ "$warm_up" -le 2000000 ] || warm_up=2000000
  for _ in 1 2 3; do
    "${CARGO_TARGET_DIR:-target}/release/examples/producer_perf" --bootstrap "$bootstrap" \
      --topic "perf-warm-up-$$" --num-records "$warm_up" --record-size "$size" \
      --acks "$acks" --linger-ms "$linger" --partitions 1 >/dev/null
  done
  if [ "$rate" -gt 0 ]; then
    "${CARGO_TARGET_DIR:-target}/release/examples/producer_perf" --bootstrap "$bootstrap" \
      --topic "perf-warm-up-$$" --num-records $((rate * 5)) --record-size "$size" \
      --acks "$acks" --linger-ms "$linger" --rate "$rate" --partitions 1 >/dev/null
  fi
fi


run=0 cases=0
for partitions in $partitions_list; do
  for batch in $batch_sizes; do
    for codec in $codecs; do
      label="$partitions p, batch $batch, $codec"
      echo "== $records x $size B, acks=$acks, linger.ms=$linger$pace, $label ($broker)"
      order="$(perf_client_order "$cases" "$clients")"
      cases=$((cases + 1))
      for client in $order; do
        # A fresh tansu per client (its memory storage only grows); one Kafka for all.
        perf_start_broker "$broker"
        run=$((run + 1))
        topic="perf-$client-$run-$$"
        perf_create_topic "$topic" "$partitions"
        # The previous run's log is still being written back to disk; that write-back
        # made the broker of the next run up to 2.5x as busy per record (1 KB records).
        # Every client starts with nothing dirty.
        sync
        perf_broker_start
        case "$client" in
          kafka-sync)
            out="$("${CARGO_TARGET_DIR:-target}/release/examples/producer_perf" \
              --bootstrap "$bootstrap" --topic "$topic" --num-records "$records" \
              --record-size "$size" --acks "$acks" --compression "$codec" \
              --batch-size "$batch" --linger-ms "$linger" --rate "$rate" 2>&1 || true)" ;;
          librdkafka)
            out="$("$python" scripts/producer-perf-librdkafka.py "$bootstrap" "$topic" \
              "$records" "$size" "$acks" "$codec" "$batch" "$linger" "$rate" 2>&1 || true)" ;;
          java)
            out="$(java -Xmx1g -Dlog4j2.configurationFile=scripts/kafka/log4j2-tools.properties \
              -cp "$classpath" JavaProducerPerf "$bootstrap" "$topic" "$records" "$size" \
              "$acks" "$codec" "$batch" "$linger" "$rate" 2>&1 || true)" ;;
          *) echo "unknown client $client" >&2; exit 2 ;;
        esac
        printf '%s\n' "$out" | grep -E '^RESULT |^latency |rror' | sed "s/^/  /" || true
        perf_record "$label" "$out"
      done
    done
  done
done
perf_table "Producer: $records x $size B, acks=$acks, linger.ms=$linger$pace, broker: ${KAFKA_BOOTSTRAP:-$broker}"
