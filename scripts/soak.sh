#!/usr/bin/env bash
# A soak test: examples/soak.rs (an idempotent producer from 2 threads and a consumer
# group of 3, at up to 2000 records/s) runs for MINUTES against a local 3-node Apache
# Kafka cluster while this script injects faults, one at a time, each followed by
# its recovery:
#   - kill:  SIGKILL a random broker, start it again 10-20 s later (with its data);
#   - pause: SIGSTOP a random broker for 5-15 s, then SIGCONT.
# The kinds alternate (the first is chosen at random). A fault starts 20-40 s after
# the last one ended, and only once no partition is under-replicated (the last
# fault's broker has caught up), so two brokers are never out at once; none starts
# later than 30 s before the run's end.
# Connection cuts are not among the faults: clients talk to the brokers directly, with
# no proxy in between to cut through, and there is no simple, safe way to drop one
# process's TCP connections from here (tests/fault_connection_cuts.rs does that
# through proxies).
#
#   scripts/soak.sh MINUTES
#
# The topic has 6 partitions, 3 replicas and min.insync.replicas=2. The cluster lives
# in target/soak-kafka (wiped at start, stopped on exit); the program's output goes to
# target/soak-kafka/soak.out, the client's warnings to soak.err, the faults to
# faults.log. At the end it prints the program's summary (lost, duplicated,
# re-delivered, latencies, RSS) and the fault log, and exits with the program's exit
# code: 0 when nothing acknowledged was lost and nothing is in the log twice or out of
# place, 1 when something is, 2 when the program could not run; 3 when it hung (killed
# 400 s after the run's end).
#
# SOAK_CARGO (default: cargo) is the cargo command used to build, for a wrapper such
# as SOAK_CARGO="flock /tmp/build.lock cargo".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/cache.sh
. scripts/cache.sh

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
[ $# -eq 1 ] || usage
minutes="$1"
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || usage
seconds=$((minutes * 60))

dir="target/soak-kafka"
topic="soak"
read -r -a cargo <<<"${SOAK_CARGO:-cargo}"

echo "== installing Apache Kafka from Maven Central if needed"
libs="$(./scripts/install-kafka.sh)"
echo "== building the soak program"
"${cargo[@]}" build --quiet --release --example soak
bin="${CARGO_TARGET_DIR:-target}/release/examples/soak"

soak_pid=""
cleanup() {
  if [ -n "$soak_pid" ] && kill -0 "$soak_pid" 2>/dev/null; then
    kill -KILL "$soak_pid" 2>/dev/null || true
  fi
  ./scripts/kafka-cluster.sh stop "$dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== starting a 3-node cluster in $dir"
./scripts/kafka-cluster.sh start "$dir" 3 >/dev/null
# shellcheck disable=SC1091
. "$dir/cluster.env"
faults="$dir/faults.log"
: >"$faults"

# Kafka's topic tool, quietly.
topics() {
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j2.configurationFile=scripts/kafka/log4j2-tools.properties \
    -cp "$libs/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "$@"
}

log() {
  echo "$(date -u +%H:%M:%S.%3N) $*" | tee -a "$faults"
}

# Waits (up to $1 s) until no partition of any topic is under-replicated; says
# whether that came.
wait_in_sync() {
  local deadline=$((SECONDS + $1)) out
  while [ $SECONDS -lt $deadline ]; do
    if out="$(topics --describe --under-replicated-partitions 2>/dev/null)" && [ -z "$out" ]; then
      return 0
    fi
    sleep 2
  done
  return 1
}

echo "== creating $topic: 6 partitions, 3 replicas, min.insync.replicas=2"
topics --create --topic "$topic" --partitions 6 --replication-factor 3 \
  --config min.insync.replicas=2 >/dev/null
# Every partition led, with 3 in-sync replicas, before the load starts.
deadline=$((SECONDS + 60))
until [ "$(topics --describe --topic "$topic" 2>/dev/null |
  grep -cE 'Leader: [0-9]+.*Isr: [0-9]+,[0-9]+,[0-9]+' || true)" = 6 ]; do
  [ $SECONDS -lt $deadline ] || { echo "soak: $topic never had 6 partitions in sync" >&2; exit 1; }
  sleep 1
done

echo "== soak: $minutes min against $BOOTSTRAP, faults every 20-40 s"
"$bin" "$BOOTSTRAP" "$topic" "$seconds" >"$dir/soak.out" 2>"$dir/soak.err" &
soak_pid=$!
# Its progress lines as they come (the summary comes at the end); tail ends with the
# program.
tail -n +1 -f --pid="$soak_pid" "$dir/soak.out" | grep --line-buffered '^SOAK ' &
tail_pid=$!
run_end=$((SECONDS + seconds))

# Sleeps $1 s, or less if the program ends first.
nap() {
  local until=$((SECONDS + $1))
  while [ $SECONDS -lt $until ] && kill -0 "$soak_pid" 2>/dev/null; do sleep 1; done
}

# The longest fault (kill 20 s, start-up about 10 s): no fault starts later than this
# before the end, so the final read happens on a whole cluster.
last_start=$((run_end - 30))
count=0
kind=$((RANDOM % 2))
while kill -0 "$soak_pid" 2>/dev/null; do
  nap $((20 + RANDOM % 21))
  [ $SECONDS -lt $last_start ] || break
  kill -0 "$soak_pid" 2>/dev/null || break
  if ! wait_in_sync 60; then
    log "partitions still under-replicated after 60 s; no fault this round"
    continue
  fi
  [ $SECONDS -lt $last_start ] || break
  node=$((1 + RANDOM % 3))
  count=$((count + 1))
  kind=$((1 - kind))
  if [ "$kind" = 0 ]; then
    down=$((10 + RANDOM % 11))
    log "fault $count: SIGKILL node $node for $down s"
    ./scripts/kafka-cluster.sh kill "$dir" "$node"
    nap "$down"
    started=$SECONDS
    if ! ./scripts/kafka-cluster.sh start-node "$dir" "$node"; then
      log "fault $count: node $node did not come back; no more faults"
      break
    fi
    log "fault $count: node $node started again (registered after $((SECONDS - started)) s)"
  else
    down=$((5 + RANDOM % 11))
    log "fault $count: SIGSTOP node $node for $down s"
    ./scripts/kafka-cluster.sh pause "$dir" "$node"
    nap "$down"
    ./scripts/kafka-cluster.sh resume "$dir" "$node"
    log "fault $count: node $node resumed (SIGCONT)"
  fi
done
log "no more faults ($count in all); waiting for the program to finish"

# The program ends by itself: the run, then up to 120 s each for the last outcomes and
# for the group to read them. Past that, something hangs.
status=0
deadline=$((run_end + 400))
while kill -0 "$soak_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 1; done
if kill -0 "$soak_pid" 2>/dev/null; then
  echo "soak: the program did not finish within 400 s of the run's end; killed it" >&2
  kill -KILL "$soak_pid" 2>/dev/null || true
  wait "$soak_pid" 2>/dev/null || true
  status=3
else
  wait "$soak_pid" || status=$?
fi
soak_pid=""
wait "$tail_pid" 2>/dev/null || true

echo
sed -n '/^== soak summary/,$p' "$dir/soak.out"
echo
echo "== faults"
cat "$faults"
echo
warnings="$(grep -c . "$dir/soak.err" || true)"
echo "== stderr of the program: $warnings lines ($dir/soak.err); the first 40:"
head -n 40 "$dir/soak.err"
echo
echo "soak: exit code $status"
exit "$status"
