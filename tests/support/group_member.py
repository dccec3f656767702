"""A confluent-kafka (librdkafka) group member for mixed-group tests.

Usage: python group_member.py BOOTSTRAP GROUP TOPIC ASSIGNOR

Prints one line per event, flushed:
  assigned <partition> <partition> ...   after each assignment
  revoked                                 after each revocation
  record <partition> <offset>             for each record
Commits synchronously after each record batch and exits (closing the consumer, which
leaves the group) when stdin closes.
"""
import sys
import threading

from confluent_kafka import Consumer

bootstrap, group, topic, assignor = sys.argv[1:5]
stop = threading.Event()


def watch_stdin():
    sys.stdin.read()
    stop.set()


threading.Thread(target=watch_stdin, daemon=True).start()


def on_assign(consumer, partitions):
    print("assigned " + " ".join(str(p.partition) for p in partitions), flush=True)


def on_revoke(consumer, partitions):
    print("revoked", flush=True)


consumer = Consumer(
    {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "partition.assignment.strategy": assignor,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
)
consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
while not stop.is_set():
    messages = consumer.consume(num_messages=500, timeout=0.1)
    for m in messages:
        if m.error():
            print("error " + str(m.error()), flush=True)
            continue
        print(f"record {m.partition()} {m.offset()}", flush=True)
    if messages:
        consumer.commit(asynchronous=False)
consumer.close()
