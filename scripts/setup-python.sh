#!/usr/bin/env bash
# Creates the Python virtual environment used to make test fixtures with real Kafka
# clients (confluent-kafka = librdkafka, kafka-python) in .cache/venv (ignored by git),
# with confluent-kafka's schema registry serializers (Avro, JSON Schema, Protobuf).
# A second run reuses the environment when the packages import. Prints the venv's
# python path on stdout; pip's chatter goes to stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${KAFKA_SYNC_VENV:-$root/.cache/venv}"
py="$venv/bin/python"

if [ -x "$py" ] && "$py" -c 'import confluent_kafka, kafka, lz4, zstandard, cramjam, snappy, fastavro, confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.json_schema, confluent_kafka.schema_registry.protobuf, jsonschema, google.protobuf' >/dev/null 2>&1; then
  echo "$py"
  exit 0
fi

mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv" >&2
"$py" -m pip install --quiet --upgrade pip >&2
"$py" -m pip install --quiet 'confluent-kafka[avro,json,protobuf,schemaregistry]>=2,<3' 'kafka-python>=2' 'lz4' 'zstandard' 'cramjam' 'python-snappy' >&2
"$py" -c 'import confluent_kafka, kafka, lz4, zstandard, cramjam, snappy, fastavro, confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.json_schema, confluent_kafka.schema_registry.protobuf, jsonschema, google.protobuf' >&2
echo "$py"
