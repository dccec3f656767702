#!/usr/bin/env bash
# Runs every check and test of the project. This is the README's test command and
# what CI runs (.ci/run).
#
# On a fresh machine it first installs, into .cache/ (ignored by git, kept outside the
# checkout by scripts/cache.sh): Apache Kafka 4.4.0 with the Java client from Maven
# Central (the reference broker), the pinned tansu build (the embedded broker), and a
# Python virtualenv with confluent-kafka and kafka-python (librdkafka's mock cluster
# and the interop tests), and the Apicurio Registry (the schema registry client's
# tests). Then:
#  - formatting and lints (the workspace: the library and the tool in cli/);
#  - every test on Apache Kafka: unit, golden-byte and conformance tests, and the
#    integration tests, each test binary on a 1-node cluster of its own, with 3-node
#    clusters where replicas matter;
#  - the command-line tool's tests (cli/tests), end to end on Apache Kafka;
#  - the subset of the integration tests that tansu gets right, on tansu;
#  - the doc tests;
#  - every fuzz target for 60 s (scripts/fuzz.sh; cargo-fuzz goes to .cache/tools).
# A test run that prints "skipped" fails: in CI a skipped test checks nothing.
#
# With KAFKA_BOOTSTRAP=host:port set, the integration tests use that broker instead of
# the 1-node cluster (tests that kill brokers or need particular listeners still start
# their own), and the tansu run is left out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/cache.sh
. scripts/cache.sh

echo "== installing Apache Kafka from Maven Central if needed"
./scripts/install-kafka.sh >/dev/null
echo "== installing the embedded broker (tansu) if needed"
./scripts/install-tansu.sh >/dev/null
echo "== installing the Python clients (confluent-kafka, kafka-python) if needed"
./scripts/setup-python.sh >/dev/null
echo "== installing the schema registry (Apicurio Registry from Maven Central) if needed"
./scripts/install-schema-registry.sh >/dev/null

echo "== formatting"
cargo fmt --all -- --check

echo "== lints (the library and the command-line tool in cli/)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

mkdir -p target
log="target/test-output.log"

# Runs cargo test with the given arguments, showing the output of passing tests too,
# and fails if any test printed "skipped".
run_tests() {
  local status=0
  cargo test "$@" -- --show-output 2>&1 | tee "$log" || status=$?
  # Test names may contain the word (skipped_and_...): only other lines count.
  if grep -n -i -w "skipped" "$log" | grep -v -E '^[0-9]+:(test |    [A-Za-z0-9_:]+$|---- )'; then
    echo "test.sh: a test printed \"skipped\" (above): a skipped test checks nothing" >&2
    return 1
  fi
  return "$status"
}

# The optional features every step below builds with: one set, so that the steps share
# one build of the library and its test binaries. Their tests (tests/schema_registry.rs
# and the Avro, JSON Schema and Protobuf serializers' tests/schema_registry_serde.rs, on
# a local Apicurio Registry or KAFKA_SCHEMA_REGISTRY_URL) ride along in the main step.
features="schema-registry,avro,json-schema,protobuf"

echo "== tests on Apache Kafka${KAFKA_BOOTSTRAP:+ (external broker $KAFKA_BOOTSTRAP)}, and the schema registry client's"
run_tests --all-targets --features "$features" --no-fail-fast
echo "== the command-line tool's tests (cli/) on Apache Kafka${KAFKA_BOOTSTRAP:+ (external broker $KAFKA_BOOTSTRAP)}"
run_tests -p kafka-sync-cli --all-targets --no-fail-fast

if [ -z "${KAFKA_BOOTSTRAP:-}" ]; then
  # What tansu gets right (../shared/brokers.md lists what it does not): topics,
  # metadata, produce and fetch with every codec, consumer groups, interop.
  echo "== the tansu subset on tansu"
  KAFKA_TEST_BROKER=tansu run_tests --features "$features" --no-fail-fast \
    --test admin_topics --test cluster_metadata --test consumer_fetch \
    --test consumer_group --test consumer_mixed_group --test producer_delivery \
    --test producer_interop
fi

echo "== doc tests"
cargo test --doc --features "$features"

echo "== the API documentation builds without warnings (broken or private links)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --features "$features"

echo "== fuzzing (every target for 60 s from its seed corpus)"
./scripts/fuzz.sh 60
