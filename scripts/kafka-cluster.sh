#!/usr/bin/env bash
# Starts and controls a local Apache Kafka cluster (KRaft, no ZooKeeper) for tests,
# benchmarks and people, on free loopback ports. The broker is the pinned release that
# scripts/install-kafka.sh installs (on first use) into .cache/.
#
#   kafka-cluster.sh start DIR NODES [--sasl] [--tls] [--acl] [--feature NAME=LEVEL ...]
#       Starts NODES brokers (1 or 3) with their data and logs in DIR (wiped first).
#       Every node is broker and controller; with 3 nodes the controller quorum has 3
#       voters and survives the loss of one node. Returns once every broker is
#       registered and answers Metadata. The last line on stdout is the PLAINTEXT
#       bootstrap list, host:port,host:port,...
#         --sasl  adds a SASL_PLAINTEXT listener with PLAIN, SCRAM-SHA-256,
#                 SCRAM-SHA-512 and OAUTHBEARER (the broker's unsecured JWS validator)
#         --tls   adds an SSL listener, an MTLS listener (SSL requiring a client
#                 certificate from the test CA), and with --sasl a SASL_SSL listener
#                 (PLAIN and SCRAM; no OAUTHBEARER, so that one listener lacks one);
#                 the test CA and the server certificate (for IP 127.0.0.1 only) are
#                 made at start-up in DIR/tls (ca.pem, ca.key, server.p12)
#         --acl   turns authorization on (the StandardAuthorizer): the PLAINTEXT,
#                 INTERNAL and CONTROLLER listeners' principal, User:ANONYMOUS, and
#                 User:admin are super users; with --sasl, the SASL users are
#                 ordinary principals that ACLs must allow
#         --feature NAME=LEVEL  formats the cluster with that feature level instead of
#                 the release's default (e.g. transaction.version=1 for a cluster
#                 on transactions protocol v1)
#   kafka-cluster.sh stop DIR              stops the cluster (SIGTERM, SIGKILL after 10 s)
#   kafka-cluster.sh kill DIR NODE         SIGKILLs a broker
#   kafka-cluster.sh stop-node DIR NODE    stops a broker cleanly (controlled shutdown)
#   kafka-cluster.sh start-node DIR NODE   brings a killed or stopped broker back with
#                                          its data; returns once it is registered again
#   kafka-cluster.sh pause DIR NODE        SIGSTOP
#   kafka-cluster.sh resume DIR NODE       SIGCONT
#
# NODE is the broker's node id as Metadata reports it (1..NODES).
#
# KAFKA_CLUSTER_ADVERTISED_PORTS=p1,p2,... (one port per node) makes the PLAINTEXT
# listeners advertise those ports instead of their own, for fault proxies that
# forward p<n> to node n's PLAINTEXT port; BOOTSTRAP then names the proxies. The
# brokers talk to each other on INTERNAL listeners of their own, never through them.
#
# DIR/cluster.env describes a running cluster, for scripts (`. DIR/cluster.env`) and
# for the test harness: NODES, BOOTSTRAP (what clients bootstrap from) and
# BOOTSTRAP_<LISTENER> for each listener, NODE<n>_<LISTENER>=port, and the SASL users
# below. Each node logs to
# DIR/node-<n>/broker.log.
#
# SASL users (--sasl): PLAIN plain-user / plain-secret; SCRAM-SHA-256 alice256 /
# alice-secret-256 and SCRAM-SHA-512 bob512 / bob-secret-512 (created at format time);
# OAUTHBEARER accepts any unsecured token (alg "none") with a "sub" claim.
#
# Settings for tests: small heaps (KAFKA_CLUSTER_HEAP, default -Xmx512m), no initial
# rebalance delay, internal topics with replication factors that suit the node count
# and few partitions, session timeouts down to 1 s allowed, timed-out transactions
# aborted within a second, no time-based retention (tests write old timestamps).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
heap="${KAFKA_CLUSTER_HEAP:--Xms128m -Xmx512m}"
tls_password="kafka-sync-test"

die() {
  echo "kafka-cluster: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^# NODE is/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# The installed jars, and the compiled helper that waits for brokers.
setup_java() {
  libs="$("$root/scripts/install-kafka.sh")"
  local src="$root/scripts/kafka/ClusterCheck.java" hash
  hash="$(sha256sum "$src" | cut -c1-12)"
  classes="$(dirname "$libs")/tools-$hash"
  if [ ! -f "$classes/ClusterCheck.class" ]; then
    # Compiled aside and renamed into place, so that clusters starting at the same
    # time never see a half-written class.
    local tmp
    tmp="$(mktemp -d "$classes.XXXXXX")"
    javac -nowarn -cp "$libs/*" -d "$tmp" "$src" >&2
    mv -T "$tmp" "$classes" 2>/dev/null || rm -rf "$tmp"
  fi
}

# Free loopback ports, one per line.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print("\n".join(str(s.getsockname()[1]) for s in held))
PY
}

node_dir() { echo "$dir/node-$1"; }
node_pid() { cat "$(node_dir "$1")/pid" 2>/dev/null || true; }
node_alive() {
  local pid
  pid="$(node_pid "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

load_env() {
  [ -f "$dir/cluster.env" ] || die "no cluster in $dir (no cluster.env)"
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
  libs="$KAFKA_LIBS"
}

check_node() {
  [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] ||
    die "node $1 is not one of 1..$NODES"
}

make_pki() {
  local tls="$dir/tls"
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc \
      -keyout ca.key -out ca.pem -days 2 -subj "/CN=kafka-sync test CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc \
      -keyout server.key -out server.csr -subj "/CN=kafka-sync test broker" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -out server.pem -days 2 -extfile server.ext 2>/dev/null
    openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem \
      -name broker -out server.p12 -passout "pass:$tls_password"
  ) || die "making the test PKI in $tls failed (is openssl installed?)"
}

write_config() {
  local n="$1" props
  props="$(node_dir "$n")/server.properties"
  local listeners="PLAINTEXT://127.0.0.1:${ports[PLAINTEXT,$n]},INTERNAL://127.0.0.1:${ports[INTERNAL,$n]},CONTROLLER://127.0.0.1:${ports[CONTROLLER,$n]}"
  local advertised="PLAINTEXT://127.0.0.1:${advertised_ports[$n]},INTERNAL://127.0.0.1:${ports[INTERNAL,$n]}"
  local extra
  for extra in "${extra_listeners[@]}"; do
    listeners+=",$extra://127.0.0.1:${ports[$extra,$n]}"
    advertised+=",$extra://127.0.0.1:${ports[$extra,$n]}"
  done
  local rf=1 min_isr=1
  if [ "$NODES" -ge 3 ]; then rf=3; min_isr=2; fi
  {
    echo "process.roles=broker,controller"
    echo "node.id=$n"
    echo "controller.quorum.voters=$voters"
    echo "controller.listener.names=CONTROLLER"
    echo "inter.broker.listener.name=INTERNAL"
    echo "listeners=$listeners"
    echo "advertised.listeners=$advertised"
    echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL"
    echo "log.dirs=$(node_dir "$n")/data"
    echo "num.partitions=1"
    echo "offsets.topic.replication.factor=$rf"
    echo "offsets.topic.num.partitions=5"
    echo "transaction.state.log.replication.factor=$rf"
    echo "transaction.state.log.min.isr=$min_isr"
    echo "transaction.state.log.num.partitions=5"
    echo "share.coordinator.state.topic.replication.factor=$rf"
    echo "share.coordinator.state.topic.min.isr=$min_isr"
    echo "group.initial.rebalance.delay.ms=0"
    echo "group.min.session.timeout.ms=1000"
    echo "group.consumer.min.session.timeout.ms=1000"
    echo "group.consumer.min.heartbeat.interval.ms=100"
    # Consumer-protocol groups (KIP-848) take these from the broker, not the client:
    # the same 6 s session and 500 ms heartbeat the classic group tests ask for.
    echo "group.consumer.session.timeout.ms=6000"
    echo "group.consumer.heartbeat.interval.ms=500"
    echo "transaction.abort.timed.out.transaction.cleanup.interval.ms=1000"
    echo "log.segment.bytes=67108864"
    # No time-based retention: tests write records with fixed, old timestamps, which
    # the first retention check (30 s after start) would delete.
    echo "log.retention.ms=-1"
    if [ "$acl" = 1 ]; then
      echo "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer"
      echo "super.users=User:ANONYMOUS;User:admin"
    fi
    if [ "$sasl" = 1 ]; then
      echo "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER"
      # One listener that lacks a mechanism, for the "mechanism not enabled" answer.
      echo "listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"
      local l
      for l in sasl_plaintext sasl_ssl; do
        echo "listener.name.$l.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_plain-user=\"plain-secret\";"
        echo "listener.name.$l.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
        echo "listener.name.$l.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
        echo "listener.name.$l.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"broker\";"
      done
    fi
    if [ "$tls" = 1 ]; then
      echo "ssl.keystore.type=PKCS12"
      echo "ssl.keystore.location=$dir/tls/server.p12"
      echo "ssl.keystore.password=$tls_password"
      echo "ssl.key.password=$tls_password"
      echo "ssl.truststore.type=PEM"
      echo "ssl.truststore.location=$dir/tls/ca.pem"
      echo "listener.name.mtls.ssl.client.auth=required"
    fi
  } >"$props"
}

# Starts node $1's JVM in a session of its own (so that the caller's signals do not
# reach it) and records its pid.
launch_node() {
  local n="$1" nd
  nd="$(node_dir "$n")"
  # shellcheck disable=SC2086
  setsid java $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$nd/server.properties" \
    >>"$nd/broker.log" 2>&1 </dev/null &
  echo $! >"$nd/pid"
}

# Where the readiness check connects: the PLAINTEXT listeners (of node $1 only, if
# given), or the INTERNAL ones when the PLAINTEXT listeners advertise proxies that
# may not run yet.
check_bootstrap() {
  local kind=PLAINTEXT
  [ "$BOOTSTRAP" = "$BOOTSTRAP_PLAINTEXT" ] || kind=INTERNAL
  if [ $# -eq 1 ]; then
    local var="NODE${1}_$kind"
    echo "127.0.0.1:${!var}"
  else
    local var="BOOTSTRAP_$kind"
    echo "${!var}"
  fi
}

# Waits until the brokers $2 (comma-separated ids) are registered, asking $1.
wait_ready() {
  local bootstrap="$1" ids="$2"
  if ! java -Xmx128m -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2-tools.properties" \
    -cp "$classes:$libs/*" ClusterCheck "$bootstrap" "$ids" 90; then
    local n
    for n in ${ids//,/ }; do
      echo "--- last lines of $(node_dir "$n")/broker.log" >&2
      tail -n 30 "$(node_dir "$n")/broker.log" >&2 || true
    done
    return 1
  fi
}

cmd_start() {
  [ $# -ge 2 ] || usage
  dir="$1"
  NODES="$2"
  shift 2
  sasl=0
  tls=0
  acl=0
  features=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --sasl) sasl=1 ;;
      --tls) tls=1 ;;
      --acl) acl=1 ;;
      --feature)
        [ $# -ge 2 ] || die "--feature needs NAME=LEVEL"
        features+=(--feature "$2")
        shift
        ;;
      *) die "unknown option $1" ;;
    esac
    shift
  done
  case "$NODES" in 1 | 3) ;; *) die "NODES must be 1 or 3, not $NODES" ;; esac
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ -f "$dir/cluster.env" ]; then
    # shellcheck disable=SC1091
    NODES_BEFORE="$( (. "$dir/cluster.env" && echo "$NODES"))"
    local n
    for n in $(seq 1 "$NODES_BEFORE"); do
      if node_alive "$n"; then die "a cluster is running in $dir; stop it first"; fi
    done
  fi
  find "$dir" -mindepth 1 -delete
  setup_java

  extra_listeners=()
  if [ "$sasl" = 1 ]; then extra_listeners+=(SASL_PLAINTEXT); fi
  if [ "$tls" = 1 ]; then extra_listeners+=(SSL MTLS); fi
  if [ "$tls" = 1 ] && [ "$sasl" = 1 ]; then extra_listeners+=(SASL_SSL); fi
  local kinds=(PLAINTEXT INTERNAL CONTROLLER "${extra_listeners[@]}")
  local free
  mapfile -t free < <(free_ports $((NODES * ${#kinds[@]})))
  declare -gA ports
  local i=0 n kind
  for n in $(seq 1 "$NODES"); do
    for kind in "${kinds[@]}"; do
      ports[$kind,$n]="${free[$i]}"
      i=$((i + 1))
    done
  done
  # The PLAINTEXT listener's advertised ports: its own, or those of fault proxies.
  declare -gA advertised_ports
  local proxied=()
  if [ -n "${KAFKA_CLUSTER_ADVERTISED_PORTS:-}" ]; then
    IFS=, read -r -a proxied <<<"$KAFKA_CLUSTER_ADVERTISED_PORTS"
    [ "${#proxied[@]}" = "$NODES" ] || die "KAFKA_CLUSTER_ADVERTISED_PORTS names ${#proxied[@]} ports for $NODES nodes"
  fi
  for n in $(seq 1 "$NODES"); do
    advertised_ports[$n]="${proxied[$((n - 1))]:-${ports[PLAINTEXT,$n]}}"
  done
  voters=""
  for n in $(seq 1 "$NODES"); do
    voters+="${voters:+,}$n@127.0.0.1:${ports[CONTROLLER,$n]}"
  done
  if [ "$tls" = 1 ]; then make_pki; fi

  local cluster_id
  # A Kafka cluster id: 16 random bytes in URL-safe base64. Like Kafka's own
  # random-uuid, never one that starts with "-", which would read as an option.
  cluster_id="$(python3 -c '
import base64, os
while True:
    id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
    if not id.startswith("-"):
        print(id)
        break
')"
  local scram=()
  if [ "$sasl" = 1 ]; then
    scram=(--add-scram "SCRAM-SHA-256=[name=alice256,password=alice-secret-256]"
      --add-scram "SCRAM-SHA-512=[name=bob512,password=bob-secret-512]")
  fi
  local pids=()
  for n in $(seq 1 "$NODES"); do
    mkdir -p "$(node_dir "$n")"
    write_config "$n"
    java -Xmx256m -XX:TieredStopAtLevel=1 \
      -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2-tools.properties" \
      -cp "$libs/*" kafka.tools.StorageTool format --config "$(node_dir "$n")/server.properties" \
      --cluster-id "$cluster_id" "${scram[@]}" "${features[@]}" >"$(node_dir "$n")/format.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { cat "$(node_dir $((i + 1)))/format.log" >&2; die "formatting node $((i + 1)) failed"; }
  done

  {
    echo "# The cluster kafka-cluster.sh started here ($(date -u +%FT%TZ))."
    echo "KAFKA_LIBS=$libs"
    echo "NODES=$NODES"
    echo "CLUSTER_ID=$cluster_id"
    for kind in "${kinds[@]}"; do
      local list=""
      for n in $(seq 1 "$NODES"); do
        echo "NODE${n}_$kind=${ports[$kind,$n]}"
        list+="${list:+,}127.0.0.1:${ports[$kind,$n]}"
      done
      [ "$kind" = CONTROLLER ] || echo "BOOTSTRAP_$kind=$list"
    done
    local advertised=""
    for n in $(seq 1 "$NODES"); do
      advertised+="${advertised:+,}127.0.0.1:${advertised_ports[$n]}"
    done
    echo "BOOTSTRAP=$advertised"
    if [ "$sasl" = 1 ]; then
      echo "SASL_PLAIN_USER=plain-user"
      echo "SASL_PLAIN_PASSWORD=plain-secret"
      echo "SASL_SCRAM_SHA_256_USER=alice256"
      echo "SASL_SCRAM_SHA_256_PASSWORD=alice-secret-256"
      echo "SASL_SCRAM_SHA_512_USER=bob512"
      echo "SASL_SCRAM_SHA_512_PASSWORD=bob-secret-512"
    fi
    if [ "$tls" = 1 ]; then echo "TLS_CA=$dir/tls/ca.pem"; fi
  } >"$dir/cluster.env"
  # shellcheck disable=SC1091
  . "$dir/cluster.env"

  for n in $(seq 1 "$NODES"); do
    launch_node "$n"
  done
  if ! wait_ready "$(check_bootstrap)" "$(seq -s, 1 "$NODES")"; then
    cmd_stop "$dir"
    die "the cluster in $dir did not become ready"
  fi
  echo "$BOOTSTRAP"
}

cmd_stop() {
  [ $# -eq 1 ] || usage
  dir="$1"
  load_env
  local n pid deadline
  for n in $(seq 1 "$NODES"); do
    pid="$(node_pid "$n")"
    if [ -n "$pid" ]; then
      kill -CONT "$pid" 2>/dev/null || true
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  deadline=$((SECONDS + 10))
  for n in $(seq 1 "$NODES"); do
    while node_alive "$n" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if node_alive "$n"; then kill -KILL "$(node_pid "$n")" 2>/dev/null || true; fi
    rm -f "$(node_dir "$n")/pid"
  done
}

cmd_kill() {
  [ $# -eq 2 ] || usage
  dir="$1"
  load_env
  check_node "$2"
  node_alive "$2" || die "node $2 is not running"
  local pid
  pid="$(node_pid "$2")"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

cmd_stop_node() {
  [ $# -eq 2 ] || usage
  dir="$1"
  load_env
  check_node "$2"
  node_alive "$2" || die "node $2 is not running"
  local pid
  pid="$(node_pid "$2")"
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid"
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { kill -KILL "$pid"; die "node $2 did not stop within 60 s; killed it"; }
    sleep 0.1
  done
}

cmd_start_node() {
  [ $# -eq 2 ] || usage
  dir="$1"
  load_env
  check_node "$2"
  if node_alive "$2"; then die "node $2 is already running"; fi
  setup_java
  launch_node "$2"
  wait_ready "$(check_bootstrap "$2")" "$2" || die "node $2 did not come back"
}

cmd_signal() {
  [ $# -eq 3 ] || usage
  dir="$2"
  load_env
  check_node "$3"
  node_alive "$3" || die "node $3 is not running"
  kill "-$1" "$(node_pid "$3")"
}

[ $# -ge 1 ] || usage
command="$1"
shift
case "$command" in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  kill) cmd_kill "$@" ;;
  stop-node) cmd_stop_node "$@" ;;
  start-node) cmd_start_node "$@" ;;
  pause) cmd_signal STOP "$@" ;;
  resume) cmd_signal CONT "$@" ;;
  -h | --help | help) usage ;;
  *) die "unknown command $command (start, stop, kill, stop-node, start-node, pause, resume)" ;;
esac
