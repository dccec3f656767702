#!/usr/bin/env bash
# The README's demo: starts the embedded tansu broker on a free port (installing it on
# first use), runs examples/demo.rs against it, and stops the broker again.
# With KAFKA_BOOTSTRAP=host:port set, runs the demo against that broker instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/cache.sh
. scripts/cache.sh

if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
  exec cargo run --quiet --example demo -- "$KAFKA_BOOTSTRAP"
fi

tansu="$(./scripts/install-tansu.sh)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
url="tcp://127.0.0.1:$port"
mkdir -p target
RUST_LOG=warn "$tansu" broker --listener-url "$url" --advertised-listener-url "$url" \
  --storage-engine memory://tansu/ >target/demo-tansu.log 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null || true' EXIT
echo "tansu broker started on 127.0.0.1:$port (log: target/demo-tansu.log)"
cargo run --quiet --example demo -- "127.0.0.1:$port"
