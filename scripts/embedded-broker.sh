# Sourced by the demo and perf scripts: starts and stops the embedded tansu broker.
#
#   start_embedded_broker LOG   stops a broker this shell started before, starts the
#                               pinned tansu (installed on first use) on a free port
#                               with memory storage, logging to LOG, waits up to 20 s
#                               until it accepts connections, and sets $bootstrap
#   stop_embedded_broker        stops it (also run on exit)
broker_pid=""

stop_embedded_broker() {
  if [ -n "$broker_pid" ]; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
  fi
}
trap stop_embedded_broker EXIT

start_embedded_broker() {
  local log="$1" tansu port url
  stop_embedded_broker
  tansu="$(./scripts/install-tansu.sh)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  url="tcp://127.0.0.1:$port"
  mkdir -p "$(dirname "$log")"
  RUST_LOG=warn "$tansu" broker --listener-url "$url" --advertised-listener-url "$url" \
    --storage-engine memory://tansu/ >"$log" 2>&1 &
  broker_pid=$!
  bootstrap="127.0.0.1:$port"
  python3 - "$port" <<'PY' || { echo "tansu did not start; see $log" >&2; return 1; }
import socket, sys, time
deadline = time.time() + 20
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(0.02)
PY
}
