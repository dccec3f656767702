#!/usr/bin/env bash
# Starts and stops a local schema registry for tests and people: the Apicurio Registry
# that scripts/install-schema-registry.sh installs (on first use) into .cache/, with
# in-memory storage (everything is gone when it stops), on a free loopback port.
#
#   schema-registry.sh start DIR [--auth USER:PASSWORD] [--tls | --mtls]
#       Starts one registry with its log in DIR (wiped first) and returns once its
#       Confluent-compatible API answers. The last line on stdout is that API's base
#       URL, http://127.0.0.1:PORT/apis/ccompat/v7 (https with --tls or --mtls).
#         --auth USER:PASSWORD  every request needs HTTP basic auth as that user
#         --tls   HTTPS only, with a test CA and a server certificate for IP 127.0.0.1
#                 made in DIR/tls (ca.pem; server.pem and server.key)
#         --mtls  as --tls, and the registry requires a client certificate signed by
#                 the test CA (made too: DIR/tls/client.pem and client.key)
#   schema-registry.sh stop DIR
#       Stops it (SIGTERM, SIGKILL after 10 s).
#
# DIR/registry.env describes a running registry, for scripts (`. DIR/registry.env`)
# and for the test harness: URL, PORT, PID, and with TLS TLS_CA, and with --mtls
# TLS_CLIENT_CERT and TLS_CLIENT_KEY. The registry logs to DIR/registry.log.
#
# SCHEMA_REGISTRY_HEAP sets the JVM's heap options (default -Xms64m -Xmx384m). It starts
# in about 6 s on 2 cores.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
heap="${SCHEMA_REGISTRY_HEAP:--Xms64m -Xmx384m}"
api_path="/apis/ccompat/v7"

die() {
  echo "schema-registry: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^# SCHEMA_REGISTRY_HEAP/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The test PKI in $dir/tls: a CA, a server certificate for IP 127.0.0.1, with --mtls a
# client certificate, and the CA as a PKCS#12 trust store for the JVM.
make_pki() {
  local tls="$dir/tls"
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc \
      -keyout ca.key -out ca.pem -days 2 -subj "/CN=kafka-sync schema registry test CA" \
      2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc \
      -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -out server.pem -days 2 -extfile server.ext 2>/dev/null
    if [ "$mtls" = 1 ]; then
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc \
        -keyout client.key -out client.csr -subj "/CN=kafka-sync-client" 2>/dev/null
      printf 'extendedKeyUsage=clientAuth\n' >client.ext
      openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -out client.pem -days 2 -extfile client.ext 2>/dev/null
      keytool -importcert -noprompt -alias ca -file ca.pem -keystore ca.p12 \
        -storetype PKCS12 -storepass "kafka-sync-test" >/dev/null 2>&1
    fi
  ) || die "making the test PKI in $tls failed (are openssl and keytool installed?)"
}

# Asks the API for its subjects until it answers (exit 0), the process dies (1) or
# 60 s pass (2).
wait_ready() {
  python3 - "$url" "$pid" "${tls_args[@]}" <<'PY'
import os, ssl, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
context = None
if len(sys.argv) > 3:
    context = ssl.create_default_context(cafile=sys.argv[3])
    if len(sys.argv) > 5:
        context.load_cert_chain(sys.argv[4], sys.argv[5])
headers = {}
if os.environ.get("REGISTRY_AUTH"):
    import base64
    headers["Authorization"] = "Basic " + base64.b64encode(os.environ["REGISTRY_AUTH"].encode()).decode()
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        request = urllib.request.Request(url + "/subjects", headers=headers)
        with urllib.request.urlopen(request, timeout=2, context=context) as answer:
            if answer.status == 200:
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.2)
sys.exit(2)
PY
}

cmd_start() {
  [ $# -ge 1 ] || usage
  dir="$1"
  shift
  local auth="" tls=0
  mtls=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --auth)
        [ $# -ge 2 ] && [[ "$2" == *:* ]] || die "--auth needs USER:PASSWORD"
        auth="$2"
        shift
        ;;
      --tls) tls=1 ;;
      --mtls) tls=1 mtls=1 ;;
      *) usage ;;
    esac
    shift
  done

  local app
  app="$("$root/scripts/install-schema-registry.sh")"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ -f "$dir/registry.env" ]; then
    cmd_stop "$dir" || true
  fi
  rm -rf "${dir:?}"/*

  local jar="$app/test-schema-registry-1-runner.jar"
  local props=(-Dquarkus.http.host=127.0.0.1)
  if [ -n "$auth" ] && [ "$mtls" = 1 ]; then
    die "--auth and --mtls do not go together (no runner has both)"
  fi
  if [ -n "$auth" ]; then
    jar="$app/test-schema-registry-1-auth.jar"
    props+=("-Dquarkus.security.users.embedded.users.${auth%%:*}=${auth#*:}")
  fi
  tls_args=()
  local scheme=http
  if [ "$tls" = 1 ]; then
    make_pki
    scheme=https
    props+=(-Dquarkus.http.insecure-requests=disabled
      "-Dquarkus.http.ssl.certificate.files=$dir/tls/server.pem"
      "-Dquarkus.http.ssl.certificate.key-files=$dir/tls/server.key")
    tls_args=("$dir/tls/ca.pem")
    if [ "$mtls" = 1 ]; then
      jar="$app/test-schema-registry-1-mtls.jar"
      props+=("-Dquarkus.http.ssl.certificate.trust-store-file=$dir/tls/ca.p12"
        -Dquarkus.http.ssl.certificate.trust-store-file-type=PKCS12
        -Dquarkus.http.ssl.certificate.trust-store-password=kafka-sync-test)
      tls_args+=("$dir/tls/client.pem" "$dir/tls/client.key")
    fi
  fi

  # A free port can be taken by someone else before the JVM binds it: then try again
  # on another one.
  local attempt port status
  for attempt in 1 2 3; do
    port="$(free_port)"
    local port_props=("-Dquarkus.http.port=$port")
    [ "$tls" = 1 ] && port_props=("-Dquarkus.http.ssl-port=$port" "-Dquarkus.http.port=0")
    url="$scheme://127.0.0.1:$port$api_path"
    # shellcheck disable=SC2086
    setsid java $heap -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      "${props[@]}" "${port_props[@]}" -jar "$jar" >>"$dir/registry.log" 2>&1 </dev/null &
    pid=$!
    status=0
    REGISTRY_AUTH="$auth" wait_ready || status=$?
    if [ "$status" = 0 ]; then
      {
        echo "URL=$url"
        echo "PORT=$port"
        echo "PID=$pid"
        if [ "$tls" = 1 ]; then echo "TLS_CA=$dir/tls/ca.pem"; fi
        if [ "$mtls" = 1 ]; then
          echo "TLS_CLIENT_CERT=$dir/tls/client.pem"
          echo "TLS_CLIENT_KEY=$dir/tls/client.key"
        fi
      } >"$dir/registry.env"
      echo "$url"
      return 0
    fi
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ "$status" = 2 ]; then
      tail -n 30 "$dir/registry.log" >&2
      die "the registry did not answer on $url within 60 s"
    fi
    grep -q -i "already in use\|already bound" "$dir/registry.log" || break
  done
  tail -n 30 "$dir/registry.log" >&2
  die "the registry exited before it answered on $url (log: $dir/registry.log)"
}

cmd_stop() {
  [ $# -eq 1 ] || usage
  local dir="$1"
  [ -f "$dir/registry.env" ] || die "no registry in $dir (no registry.env)"
  local pid
  pid="$(sed -n 's/^PID=//p' "$dir/registry.env")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
  fi
  rm -f "$dir/registry.env"
}

[ $# -ge 1 ] || usage
command="$1"
shift
case "$command" in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  *) usage ;;
esac
