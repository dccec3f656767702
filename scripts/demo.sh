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

# shellcheck source=scripts/embedded-broker.sh
. scripts/embedded-broker.sh
start_embedded_broker target/demo-tansu.log
echo "tansu broker started on $bootstrap (log: target/demo-tansu.log)"
cargo run --quiet --example demo -- "$bootstrap"
