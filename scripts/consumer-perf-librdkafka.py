"""librdkafka's consumer throughput on the same topic as examples/consumer_perf.rs:
reads N records from the beginning of every partition (no group) and prints
records/s and the process's CPU time per record.

Usage: python consumer-perf-librdkafka.py BOOTSTRAP TOPIC RECORDS
"""
import resource
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

bootstrap, topic, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
consumer = Consumer(
    {
        "bootstrap.servers": bootstrap,
        "group.id": "librdkafka-perf",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    }
)
partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


cpu_before = cpu()
started = time.monotonic()
count = 0
size = 0
while count < total:
    messages = consumer.consume(num_messages=10000, timeout=1.0)
    for m in messages:
        if m.error() is None:
            count += 1
            size += len(m.value())
elapsed = time.monotonic() - started
used = cpu() - cpu_before
print(
    f"librdkafka: consumed {count} records ({size / 1e6:.1f} MB) in {elapsed:.2f} s: "
    f"{count / elapsed:.0f} records/s, {size / 1e6 / elapsed:.1f} MB/s"
)
print(f"librdkafka: client CPU {used:.2f} s = {used * 1e6 / count:.3f} us per record")
# One line in the format the perf scripts collect (scripts/consumer-perf.sh).
print(f"RESULT client=librdkafka records={count} records_per_sec={count / elapsed:.0f} "
      f"mb_per_sec={size / 1e6 / elapsed:.2f} us_per_record={used * 1e6 / count:.3f} "
      f"peak_rss_mib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} errors=0")
consumer.close()
