"""The librdkafka side of the producer benchmark: sends NUM records of SIZE bytes with
confluent-kafka (librdkafka) and prints records/s, MB/s and client CPU time (user +
system, all threads, from getrusage), for comparison with examples/producer_perf.rs.

usage: producer-perf-librdkafka.py BOOTSTRAP TOPIC NUM SIZE ACKS COMPRESSION [BATCH_SIZE]

BATCH_SIZE sets librdkafka's batch.size (its default is 1000000 bytes; the Java client's,
and this client's, is 16384).
"""
import resource
import sys
import time

from confluent_kafka import Producer


def main():
    bootstrap, topic, num, size, acks, codec = sys.argv[1:7]
    num, size = int(num), int(size)
    extra = {"batch.size": int(sys.argv[7])} if len(sys.argv) > 7 else {}
    p = Producer({**extra,"bootstrap.servers": bootstrap, "acks": acks, "compression.type": codec,
                  "linger.ms": 5, "queue.buffering.max.messages": 2_000_000,
                  "queue.buffering.max.kbytes": 1_048_576})
    payload = b"x" * size

    p.list_topics(topic, timeout=10)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.time()
    for _ in range(num):
        while True:
            try:
                p.produce(topic, payload)
                break
            except BufferError:
                p.poll(0.01)
    # No per-record delivery callback (it would add a Python call per record): the
    # records still queued after the flush count as errors.
    errors = p.flush(120)
    elapsed = time.time() - start
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(f"librdkafka: {num} records, {num / elapsed:.1f} records/sec ({num * size / elapsed / 1e6:.2f} MB/sec), "
          f"client CPU {cpu:.2f} s ({cpu * 1e6 / num:.3f} us/record), peak RSS {r1.ru_maxrss / 1024:.1f} MiB")
    # One line in the format the perf scripts collect (scripts/producer-perf.sh).
    print(f"RESULT client=librdkafka records={num} records_per_sec={num / elapsed:.0f} "
          f"mb_per_sec={num * size / elapsed / 1e6:.2f} us_per_record={cpu * 1e6 / num:.3f} "
          f"peak_rss_mib={r1.ru_maxrss / 1024:.1f} errors={errors}")


if __name__ == "__main__":
    main()
