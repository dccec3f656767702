"""Reads COUNT records of TOPIC (partition 0, from the beginning) with a real Python
client and prints them as JSON lines, for the Rust interop tests to compare.

usage: read_topic.py confluent|kafka-python BOOTSTRAP TOPIC COUNT
"""
import base64
import json
import sys
import time


def b64(data):
    return None if data is None else base64.b64encode(data).decode()


def read_confluent(bootstrap, topic, count):
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-unused",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, 0, 0)])
    out = []
    deadline = time.time() + 60
    while len(out) < count and time.time() < deadline:
        msg = c.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            raise RuntimeError(str(msg.error()))
        out.append({"offset": msg.offset(), "key": b64(msg.key()), "value": b64(msg.value()),
                    "timestamp": msg.timestamp()[1],
                    "headers": [[k, b64(v)] for k, v in (msg.headers() or [])]})
    c.close()
    return out


def read_kafka_python(bootstrap, topic, count):
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                      auto_offset_reset="earliest", consumer_timeout_ms=60000)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek(tp, 0)
    out = []
    for msg in c:
        out.append({"offset": msg.offset, "key": b64(msg.key), "value": b64(msg.value),
                    "timestamp": msg.timestamp,
                    "headers": [[k, b64(v)] for k, v in (msg.headers or [])]})
        if len(out) >= count:
            break
    c.close()
    return out


def main():
    client, bootstrap, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    reader = read_confluent if client == "confluent" else read_kafka_python
    for record in reader(bootstrap, topic, count):
        print(json.dumps(record))


if __name__ == "__main__":
    main()
