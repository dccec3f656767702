#!/usr/bin/env bash
# Installs the pinned Apache Kafka release the integration tests run against: the
# broker (kafka_2.13: kafka.Kafka, kafka.tools.StorageTool), the Java client
# (kafka-clients, the interop tests' referee) and the perf tools (kafka-tools:
# ProducerPerformance, ConsumerPerformance), with their runtime dependencies, from
# Maven Central only. scripts/kafka/pom.xml names them; `mvn dependency:copy-dependencies`
# fetches them and checks every checksum. They go to .cache/kafka/<version>/libs
# (ignored by git); a second run finds them and does nothing. Prints the libs
# directory on stdout; Maven's chatter goes to stderr.
#
# Why 4.4.0: it is the newest 4.x that Maven Central serves here (4.0.0 to 4.4.0 are
# listed), it starts on this machine's Java 17 (Kafka 4.x brokers need 17 or newer) in
# KRaft mode in about 3 s with a 512 MB heap, and it has every protocol feature the
# later work stands on: the KIP-848 consumer group protocol (GA since 4.0),
# transactions v2 (KIP-890, on by default since 4.0's transaction.version=2) and
# KIP-896's removal of pre-2.1 request versions.
#
# KAFKA_VERSION overrides the version (for trying another 4.x), KAFKA_CACHE_DIR the
# install root.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${KAFKA_VERSION:-4.4.0}"
dest="${KAFKA_CACHE_DIR:-$root/.cache/kafka}/$version"
libs="$dest/libs"
pom="$root/scripts/kafka/pom.xml"
# The pom's hash is part of the marker, so a changed dependency list installs again.
stamp="$(sha256sum "$pom" | cut -c1-16)"

if [ -f "$dest/installed-$stamp" ]; then
  echo "$libs"
  exit 0
fi

# Several test binaries or scripts may ask at once on a fresh machine: one installs,
# the others wait for it and then find the jars.
mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9
if [ -f "$dest/installed-$stamp" ]; then
  echo "$libs"
  exit 0
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null; then
    echo "install-kafka: '$tool' is missing: Kafka $version needs Java 17+ and Maven" >&2
    exit 1
  fi
done

rm -rf "$libs.partial"
echo "install-kafka: fetching Apache Kafka $version from Maven Central" >&2
mvn --batch-mode --quiet -f "$pom" -Dkafka.version="$version" \
  dependency:copy-dependencies -DoutputDirectory="$libs.partial" -DincludeScope=runtime >&2
if [ ! -f "$libs.partial/kafka_2.13-$version.jar" ]; then
  echo "install-kafka: Maven did not deliver kafka_2.13-$version.jar into $libs.partial" >&2
  exit 1
fi
rm -rf "$libs"
mv "$libs.partial" "$libs"
rm -f "$dest"/installed-*
touch "$dest/installed-$stamp"
echo "$libs"
