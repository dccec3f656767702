"""The librdkafka side of the producer benchmark: sends NUM records of SIZE bytes with
confluent-kafka (librdkafka) and prints records/s, MB/s and client CPU time (user +
system, all threads, from getrusage), for comparison with examples/producer_perf.rs.

usage: producer-perf-librdkafka.py BOOTSTRAP TOPIC NUM SIZE ACKS COMPRESSION
           [BATCH_SIZE [LINGER_MS [RATE]]]

BATCH_SIZE sets librdkafka's batch.size (its default is 1000000 bytes; the Java client's,
and this client's, is 16384). LINGER_MS is linger.ms (default 5, as in the other two).
With acks=all, enable.idempotence is on, as it is by default in the Java client and in
this client.

RATE > 0 is the latency mode: record i is produced at start + i/RATE (an absolute
schedule; a late record goes out at once, the ones after it keep their due times), each
with a delivery callback, and the time from just before produce() to its callback is
kept for every record (time.perf_counter_ns, monotonic). While waiting for the next due
time the script serves callbacks with poll(0) (and poll(ms) when a millisecond or more
is left), so a delivery report waits at most one send interval to be seen. The RESULT
line then also has p50_us, p99_us, p999_us and max_us (nearest rank over the delivered
records), as examples/producer_perf.rs and JavaProducerPerf print them. Before the clock
starts, one record is produced and flushed, so that the connection to the leader and
the producer id are set up outside the measurement, as the other two do.
"""
import resource
import sys
import time

from confluent_kafka import Producer


def nearest_rank(sorted_values, per_mille):
    """The smallest value that at least per_mille/1000 of the values are at or below."""
    if not sorted_values:
        return 0
    rank = max(1, -(-len(sorted_values) * per_mille // 1000))
    return sorted_values[rank - 1]


def produce_unthrottled(p, topic, num, payload):
    for _ in range(num):
        while True:
            try:
                p.produce(topic, payload)
                break
            except BufferError:
                p.poll(0.01)


def produce_paced(p, topic, num, payload, rate, latencies_ns, failed):
    clock = time.perf_counter_ns
    interval_ns = 1e9 / rate

    def delivered(sent_ns, index):
        def on_delivery(err, _msg):
            if err is None:
                latencies_ns[index] = clock() - sent_ns
            else:
                failed.append(index)
        return on_delivery

    start = clock()
    for i in range(num):
        due = start + int(i * interval_ns)
        while True:
            p.poll(0)
            left = due - clock()
            if left <= 0:
                break
            if left >= 1_000_000:
                p.poll((left // 1_000_000) / 1000)
            else:
                time.sleep(left / 1e9)
        while True:
            sent = clock()
            try:
                p.produce(topic, payload, on_delivery=delivered(sent, i))
                break
            except BufferError:
                p.poll(0.001)


def main():
    bootstrap, topic, num, size, acks, codec = sys.argv[1:7]
    num, size = int(num), int(size)
    extra = {"batch.size": int(sys.argv[7])} if len(sys.argv) > 7 else {}
    linger = int(sys.argv[8]) if len(sys.argv) > 8 else 5
    rate = int(sys.argv[9]) if len(sys.argv) > 9 else 0
    if acks in ("all", "-1"):
        extra["enable.idempotence"] = True
    p = Producer({**extra, "bootstrap.servers": bootstrap, "acks": acks, "compression.type": codec,
                  "linger.ms": linger, "queue.buffering.max.messages": 2_000_000,
                  "queue.buffering.max.kbytes": 1_048_576})
    payload = b"x" * size

    p.list_topics(topic, timeout=10)
    if rate > 0:
        p.produce(topic, payload)
        if p.flush(30) != 0:
            sys.exit("the warm-up record was not delivered in 30 s")
    latencies_ns = [0] * num if rate > 0 else None
    failed = []
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    if rate > 0:
        produce_paced(p, topic, num, payload, rate, latencies_ns, failed)
    else:
        # No per-record delivery callback (it would add a Python call per record): the
        # records still queued after the flush count as errors.
        produce_unthrottled(p, topic, num, payload)
    errors = p.flush(120) + len(failed)
    elapsed = time.perf_counter() - start
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(f"librdkafka: {num} records, {num / elapsed:.1f} records/sec ({num * size / elapsed / 1e6:.2f} MB/sec), "
          f"client CPU {cpu:.2f} s ({cpu * 1e6 / num:.3f} us/record), peak RSS {r1.ru_maxrss / 1024:.1f} MiB")
    latency_fields = ""
    if rate > 0:
        us = sorted(ns // 1000 for ns in latencies_ns if ns > 0)
        p50, p99, p999 = (nearest_rank(us, pm) for pm in (500, 990, 999))
        top = us[-1] if us else 0
        print(f"latency (produce() to delivery callback, {len(us)} records at {rate} records/sec): "
              f"p50 {p50} us, p99 {p99} us, p99.9 {p999} us, max {top} us")
        latency_fields = f" p50_us={p50} p99_us={p99} p999_us={p999} max_us={top}"
    # One line in the format the perf scripts collect (scripts/producer-perf.sh).
    print(f"RESULT client=librdkafka records={num} records_per_sec={num / elapsed:.0f} "
          f"mb_per_sec={num * size / elapsed / 1e6:.2f} us_per_record={cpu * 1e6 / num:.3f} "
          f"peak_rss_mib={r1.ru_maxrss / 1024:.1f} errors={errors}{latency_fields}")


if __name__ == "__main__":
    main()
