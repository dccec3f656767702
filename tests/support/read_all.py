"""Reads every partition of TOPIC from the beginning to its end with confluent-kafka
(librdkafka) under ISOLATION (read_committed or read_uncommitted), and prints one line
per record, "PARTITION OFFSET VALUE" (the value as UTF-8), for the Rust tests to
compare with what this client read. The end of a partition is where librdkafka reports
partition EOF: the last stable offset under read_committed, the high watermark
otherwise.

usage: read_all.py BOOTSTRAP TOPIC ISOLATION
"""
import sys
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition

TIMEOUT = 60


def main():
    bootstrap, topic, isolation = sys.argv[1], sys.argv[2], sys.argv[3]
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "read-all-unused",
                         "enable.auto.commit": False, "isolation.level": isolation,
                         "enable.partition.eof": True})
    metadata = consumer.list_topics(topic, timeout=TIMEOUT)
    partitions = sorted(metadata.topics[topic].partitions)
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    at_end = set()
    deadline = time.time() + TIMEOUT
    while len(at_end) < len(partitions):
        if time.time() > deadline:
            raise RuntimeError(f"only {sorted(at_end)} of {partitions} reached their end")
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                at_end.add(msg.partition())
                continue
            raise RuntimeError(str(msg.error()))
        print(msg.partition(), msg.offset(), msg.value().decode())
    consumer.close()


if __name__ == "__main__":
    main()
