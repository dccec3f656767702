"""Writes or reads Avro records through a schema registry with confluent-kafka-python's
own serializers (confluent_kafka.schema_registry.avro, on fastavro), for the Rust tests
to check that both clients frame and encode records alike (the Confluent wire format).

usage: schema_registry_avro.py produce BOOTSTRAP REGISTRY_URL TOPIC SCHEMA RECORDS
           SCHEMA is the Avro schema's JSON; RECORDS a JSON list of [key, value] pairs,
           written in order to partition 0 with string keys and Avro values (the
           schema auto-registered under TOPIC-value, as the serializer does by default)
       schema_registry_avro.py consume BOOTSTRAP REGISTRY_URL TOPIC COUNT
           reads the first COUNT records of partition 0, decodes their values with the
           writer schemas from the registry, and prints one JSON line per record:
           [key, value]
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

TIMEOUT = 60


def produce(bootstrap, registry, topic, schema, records):
    serializer = AvroSerializer(registry, schema)
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    failures = []

    def delivered(err, _msg):
        if err is not None:
            failures.append(err)

    for key, value in records:
        producer.produce(topic, partition=0, key=key.encode(),
                         value=serializer(value, context), on_delivery=delivered)
    if producer.flush(TIMEOUT) != 0 or failures:
        raise RuntimeError(f"not delivered: {failures}")


def consume(bootstrap, registry, topic, count):
    deserializer = AvroDeserializer(registry)
    context = SerializationContext(topic, MessageField.VALUE)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "sr-avro-unused",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    deadline = time.time() + TIMEOUT
    read = 0
    while read < count:
        if time.time() > deadline:
            raise RuntimeError(f"read only {read} of {count} records")
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            raise RuntimeError(str(msg.error()))
        key = msg.key().decode() if msg.key() is not None else None
        print(json.dumps([key, deserializer(msg.value(), context)]), flush=True)
        read += 1
    consumer.close()


def main():
    mode, bootstrap, url, topic = sys.argv[1:5]
    registry = SchemaRegistryClient({"url": url})
    if mode == "produce":
        produce(bootstrap, registry, topic, sys.argv[5], json.loads(sys.argv[6]))
    elif mode == "consume":
        consume(bootstrap, registry, topic, int(sys.argv[5]))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
