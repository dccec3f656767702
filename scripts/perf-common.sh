# Sourced by scripts/producer-perf.sh and scripts/consumer-perf.sh: the broker, the
# Java side, topic creation and the result table they share.
#
#   perf_start_broker BROKER   BROKER is kafka (a 1-node Apache Kafka cluster in
#                              target/perf-kafka, started once per script run) or
#                              tansu (a fresh embedded tansu each call); with
#                              KAFKA_BOOTSTRAP set, that broker. Sets $bootstrap.
#   perf_java_classpath BROKER compiles scripts/perf/*.java once (cached next to the
#                              Kafka jars) and prints the classpath; for tansu with
#                              the 3.9 Java client in front (see below)
#   perf_create_topic NAME PARTITIONS   creates the topic and writes a record to each
#                              partition, so that all are served before a run
#   perf_broker_start          before a client's run: starts counting the local
#                              broker's (Kafka's or tansu's) CPU time, which perf_record adds to the result
#   perf_record LABEL CLIENT-OUTPUT   keeps the RESULT line of a client's output
#   perf_table TITLE           prints the kept results as a Markdown table; when a
#                              RESULT line has p50_us, p99_us, p999_us and max_us (the
#                              latency mode of producer-perf.sh), with those four as
#                              columns in ms
perf_results=()
perf_kafka_dir=""

perf_stop_kafka() {
  if [ -n "$perf_kafka_dir" ]; then
    ./scripts/kafka-cluster.sh stop "$perf_kafka_dir" >/dev/null 2>&1 || true
    perf_kafka_dir=""
  fi
}

perf_start_broker() {
  if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
    bootstrap="$KAFKA_BOOTSTRAP"
    return
  fi
  case "$1" in
    kafka)
      if [ -z "$perf_kafka_dir" ]; then
        perf_kafka_dir="target/perf-kafka"
        bootstrap="$(./scripts/kafka-cluster.sh start "$perf_kafka_dir" 1 | tail -n 1)"
        trap 'perf_stop_kafka; stop_embedded_broker' EXIT
      fi
      ;;
    tansu)
      start_embedded_broker target/perf-tansu.log
      ;;
    *)
      echo "unknown broker $1 (kafka or tansu)" >&2
      exit 2
      ;;
  esac
}

perf_java_classpath() {
  local libs hash classes tmp
  libs="$(./scripts/install-kafka.sh)"
  hash="$(cat scripts/perf/*.java | sha256sum | cut -c1-12)"
  classes="$(dirname "$libs")/perf-$hash"
  if [ ! -d "$classes" ]; then
    tmp="$(mktemp -d "$classes.XXXXXX")"
    javac -nowarn -cp "$libs/*" -d "$tmp" scripts/perf/*.java >&2
    mv -T "$tmp" "$classes" 2>/dev/null || rm -rf "$tmp"
  fi
  if [ "$1" = tansu ] && [ -z "${KAFKA_BOOTSTRAP:-}" ]; then
    # The 4.x Java client cannot talk to tansu 0.6: on its second connection it sends
    # ApiVersions v5 with the cluster id learned from Metadata, tansu fails to parse
    # it ("failed to fill whole buffer") and closes the connection, and the producer
    # never gets a produce request through. The 3.9 client (ApiVersions v3) works, and
    # its produce and fetch paths are those of 4.x; its jar goes first on the path.
    echo "$classes:$(perf_java_client_3_9):$libs/*"
  else
    echo "$classes:$libs/*"
  fi
}

# The kafka-clients 3.9.1 jar from Maven Central (checksum checked by Maven), cached
# in .cache/kafka/clients-3.9.1; prints its path.
perf_java_client_3_9() {
  local dir=".cache/kafka/clients-3.9.1" jar
  jar="$dir/kafka-clients-3.9.1.jar"
  if [ ! -f "$jar" ]; then
    mvn --batch-mode --quiet --strict-checksums dependency:copy -Dartifact=org.apache.kafka:kafka-clients:3.9.1 \
      -DoutputDirectory="$dir.partial" >&2
    mv -T "$dir.partial" "$dir"
  fi
  echo "$jar"
}

perf_create_topic() {
  "$python" - "$bootstrap" "$1" "$2" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, name, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
admin = AdminClient({"bootstrap.servers": bootstrap})
for future in admin.create_topics([NewTopic(name, partitions, 1)], request_timeout=30).values():
    future.result()
# A new topic's partitions are served one after another for a while (Kafka answers
# NOT_LEADER_OR_FOLLOWER until each is set up; with 1000 partitions that takes
# seconds): write one record to each and wait for them all, so that the timed run
# starts on a topic whose every partition is ready.
from confluent_kafka import Producer
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})
failed = []
for p in range(partitions):
    producer.produce(name, b"warm-up", partition=p,
                     on_delivery=lambda err, msg: err and failed.append(err))
if producer.flush(120) != 0 or failed:
    sys.exit(f"warming up {name}: {len(failed)} failed, {len(producer)} left")
PY
}

# The CPU time (user + system, in clock ticks) the local broker (the Kafka node or the
# embedded tansu this script started) has used so far, or nothing when the broker is
# not one this script started.
perf_broker_ticks() {
  local pid stat
  if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
    return 0
  elif [ -n "$perf_kafka_dir" ]; then
    pid="$(cat "$perf_kafka_dir/node-1/pid" 2>/dev/null)" || return 0
  elif [ -n "${broker_pid:-}" ]; then
    pid="$broker_pid"
  else
    return 0
  fi
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 0
  # The fields after the command name (which may hold spaces): utime is the 12th.
  set -- ${stat##*) }
  echo $((${12} + ${13}))
}

# Starts the broker CPU clock of one client's run.
perf_broker_start() { perf_ticks_before="$(perf_broker_ticks)"; }

perf_record() {
  local label="$1" line after broker=""
  line="$(printf '%s\n' "$2" | grep '^RESULT ' | tail -n 1)"
  if [ -z "$line" ]; then
    line="RESULT client=? records=0 records_per_sec=failed mb_per_sec=- us_per_record=- peak_rss_mib=- errors=-"
  fi
  after="$(perf_broker_ticks)"
  if [ -n "${perf_ticks_before:-}" ] && [ -n "$after" ]; then
    broker=" broker_cpu_s=$(awk -v t=$((after - perf_ticks_before)) -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "%.2f", t / hz }')"
  fi
  perf_ticks_before=""
  perf_results+=("$label ${line#RESULT }$broker")
}

perf_table() {
  local row label field client rate mb us rss errors latency=""
  local p50 p99 p999 max cpu count busy broker_busy
  for row in "${perf_results[@]}"; do
    case "$row" in *" p50_us="*) latency=1 ;; esac
  done
  echo
  echo "## $1"
  echo
  if [ -n "$latency" ]; then
    echo "| case | client | records/s | MB/s | us CPU/record | client busy % | peak RSS MiB | errors | broker CPU s | broker busy % | p50 ms | p99 ms | p99.9 ms | max ms |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  else
    echo "| case | client | records/s | MB/s | us CPU/record | client busy % | peak RSS MiB | errors | broker CPU s | broker busy % |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  fi
  for row in "${perf_results[@]}"; do
    label="${row%% client=*}"
    client="" rate="" mb="" us="" rss="" errors="" p50="-" p99="-" p999="-" max="-" cpu="-"
    count=""
    for field in ${row#"$label"}; do
      case "$field" in
        client=*) client="${field#client=}" ;;
        records=*) count="${field#records=}" ;;
        records_per_sec=*) rate="${field#records_per_sec=}" ;;
        mb_per_sec=*) mb="${field#mb_per_sec=}" ;;
        us_per_record=*) us="${field#us_per_record=}" ;;
        peak_rss_mib=*) rss="${field#peak_rss_mib=}" ;;
        errors=*) errors="${field#errors=}" ;;
        p50_us=*) p50="$(perf_us_to_ms "${field#p50_us=}")" ;;
        p99_us=*) p99="$(perf_us_to_ms "${field#p99_us=}")" ;;
        p999_us=*) p999="$(perf_us_to_ms "${field#p999_us=}")" ;;
        max_us=*) max="$(perf_us_to_ms "${field#max_us=}")" ;;
        broker_cpu_s=*) cpu="${field#broker_cpu_s=}" ;;
      esac
    done
    # Busy: CPU time over the run's wall time, in percent of one core (a client or a
    # broker well under 100% with the other one not busy either is waiting, not
    # computing). The run's wall time is records / (records/s).
    busy="$(awk -v us="$us" -v r="$rate" 'BEGIN {
      if (us + 0 > 0 && r + 0 > 0) printf "%.0f", us * r / 1e4; else print "-" }')"
    broker_busy="$(awk -v c="$cpu" -v n="$count" -v r="$rate" 'BEGIN {
      if (c + 0 > 0 && n + 0 > 0 && r + 0 > 0) printf "%.0f", c * 100 * r / n; else print "-" }')"
    if [ -n "$latency" ]; then
      echo "| $label | $client | $rate | $mb | $us | $busy | $rss | $errors | $cpu | $broker_busy | $p50 | $p99 | $p999 | $max |"
    else
      echo "| $label | $client | $rate | $mb | $us | $busy | $rss | $errors | $cpu | $broker_busy |"
    fi
  done
}

# Microseconds (a whole number) as milliseconds with three decimals: 1234 -> 1.234.
perf_us_to_ms() {
  case "$1" in
    '' | *[!0-9]*) echo "$1" ;;
    *) printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)) ;;
  esac
}

# The clients of case N (0, 1, ...) in their order of going first: case N starts with
# the (N mod count)-th client of the list CLIENTS, so that what no warm-up removes (the
# previous case's log still being written back, a broker's JIT compiler still busy)
# falls on each client alike.
perf_client_order() {
  local n="$1" i=0 first="" rest="" count
  # shellcheck disable=SC2086 # a list of words
  count=$(set -- $2; echo $#)
  for c in $2; do
    if [ "$i" -lt $((n % count)) ]; then rest="$rest $c"; else first="$first $c"; fi
    i=$((i + 1))
  done
  echo "$first$rest"
}
