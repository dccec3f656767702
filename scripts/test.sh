#!/usr/bin/env bash
# Runs every check and test of the project. This is the README's test command and
# what CI runs (.ci/run). On a fresh machine it first installs the pinned tansu broker
# into .cache/, Debian's stunnel4 (the TLS tests' terminator, through apt-get) and a
# build of tansu with SQLite storage (the SASL tests' broker) into .cache/, all reused
# afterwards. With KAFKA_BOOTSTRAP=host:port set, the integration tests use that broker
# instead of starting their own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/cache.sh
. scripts/cache.sh

echo "== installing the embedded test broker (tansu) if needed"
./scripts/install-tansu.sh

echo "== installing the TLS terminator (stunnel4) for the TLS tests if needed"
./scripts/install-stunnel.sh

if [ -z "${KAFKA_BOOTSTRAP:-}" ]; then
  echo "== building tansu with SQLite storage for the SASL tests if needed (cached; ~13 min the first time)"
  ./scripts/install-tansu-sasl.sh
fi

echo "== formatting"
cargo fmt --all -- --check

echo "== lints"
cargo clippy --all-targets -- -D warnings

echo "== tests"
cargo test --all-targets --no-fail-fast

echo "== doc tests"
cargo test --doc
