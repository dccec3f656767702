"""A confluent-kafka (librdkafka) group member for mixed-group tests.

Usage: python group_member.py BOOTSTRAP GROUP TOPIC ASSIGNOR [PROTOCOL]

PROTOCOL is the group protocol: classic (the default; ASSIGNOR is then the
partition.assignment.strategy) or consumer (KIP-848: the broker assigns, ASSIGNOR is
the group.remote.assignor, or "-" for the broker's default, and the session settings
are the broker's).

Prints one line per event, flushed:
  assigned <partition> <partition> ...   its whole assignment, after each change
                                          (also when it is empty)
  record <partition> <offset>             for each record
  error <text>                            for an error the consumer reports
Commits synchronously after each record batch and exits (closing the consumer, which
leaves the group) when stdin closes.
"""
import sys
import threading

from confluent_kafka import Consumer

bootstrap, group, topic, assignor = sys.argv[1:5]
protocol = sys.argv[5] if len(sys.argv) > 5 else "classic"
stop = threading.Event()


def watch_stdin():
    sys.stdin.read()
    stop.set()


threading.Thread(target=watch_stdin, daemon=True).start()

# The callbacks get the whole assignment under an eager protocol, and only what is
# added or taken away under an incremental one (cooperative-sticky, the consumer
# protocol); the member keeps the whole for its report.
owned = set()


def report():
    print("assigned " + " ".join(str(p) for p in sorted(owned)), flush=True)


def on_assign(consumer, partitions):
    owned.update(p.partition for p in partitions)
    report()


def on_revoke(consumer, partitions):
    owned.difference_update(p.partition for p in partitions)
    report()


config = {
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
}
if protocol == "classic":
    config.update(
        {
            "partition.assignment.strategy": assignor,
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500,
        }
    )
elif protocol == "consumer":
    config["group.protocol"] = "consumer"
    if assignor != "-":
        config["group.remote.assignor"] = assignor
else:
    sys.exit(f"unknown group protocol {protocol}")

consumer = Consumer(config)
consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
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
