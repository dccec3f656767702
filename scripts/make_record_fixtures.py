#!/usr/bin/env python3
"""Makes the record-layer test fixtures in tests/fixtures/ with real Kafka clients.

Usage (with the venv from scripts/setup-python.sh and a running broker):

    $(scripts/setup-python.sh) scripts/make_record_fixtures.py 127.0.0.1:PORT

It starts nothing itself. For each codec (none, gzip, snappy, lz4, zstd) it produces
three records with confluent-kafka (librdkafka) to a fresh single-partition topic,
flushes, then fetches the partition's raw bytes with a hand-packed Fetch v4 request
over a plain socket and writes the response's `records` field, byte for byte, to
tests/fixtures/librdkafka_<codec>.bin, with the expected records in a .json beside it.

It then tries the same with kafka-python pinned to api_version=(0, 10), which writes
legacy message sets (magic 1), and keeps the result as legacy_v1_<codec>.bin only if
the broker hands back magic-1 bytes (a broker that converts them to v2 batches is
reported and no legacy fixture is written).
"""

import argparse
import json
import os
import socket
import struct
import sys
import time
import uuid

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
BASE_TIMESTAMP = 1_700_000_000_000

# The records every fixture holds: a keyed record with a header, a record with a null
# key, and a record with two headers, one of them with a null value.
RECORDS = [
    {"key": "key-0", "value": "value-0", "headers": [["trace", "abc"]]},
    {"key": None, "value": "value-1 has a null key", "headers": []},
    {
        "key": "key-2",
        "value": "value-2 " + "repeated " * 20,
        "headers": [["h1", "v1"], ["empty", None]],
    },
]


def enc(s):
    return None if s is None else s.encode()


def k_string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def recv_exact(sock, n):
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        out += chunk
    return bytes(out)


class Cursor:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, fmt):
        size = struct.calcsize(fmt)
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def raw(self, n):
        out = self.data[self.pos : self.pos + n]
        if len(out) != n:
            raise ValueError("truncated response")
        self.pos += n
        return out

    def string(self):
        n = self.take(">h")
        return None if n < 0 else self.raw(n).decode()


def fetch_v4(host, port, topic, partition=0, offset=0, max_bytes=1 << 20):
    """One Fetch v4 request; returns (error_code, high_watermark, records bytes)."""
    body = struct.pack(">iiiib", -1, 500, 1, max_bytes, 0)  # replica, wait, min, max, isolation
    body += struct.pack(">i", 1) + k_string(topic)
    body += struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, max_bytes)
    header = struct.pack(">hhi", 1, 4, 7) + k_string("kafka-sync-fixtures")
    frame = header + body
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        (size,) = struct.unpack(">i", recv_exact(sock, 4))
        resp = Cursor(recv_exact(sock, size))
    if resp.take(">i") != 7:
        raise ValueError("wrong correlation id")
    resp.take(">i")  # throttle_time_ms
    for _ in range(resp.take(">i")):
        name = resp.string()
        for _ in range(resp.take(">i")):
            part = resp.take(">i")
            error = resp.take(">h")
            hwm = resp.take(">q")
            resp.take(">q")  # last_stable_offset
            aborted = resp.take(">i")
            for _ in range(max(aborted, 0)):
                resp.take(">qq")
            n = resp.take(">i")
            records = b"" if n < 0 else resp.raw(n)
            if name == topic and part == partition:
                return error, hwm, records
    raise ValueError(f"no partition {topic}-{partition} in the fetch response")


def fetch_all(bootstrap, topic, want_records):
    host, port = bootstrap.rsplit(":", 1)
    deadline = time.time() + 15
    while True:
        error, hwm, records = fetch_v4(host, int(port), topic)
        if error == 0 and hwm >= want_records and records:
            return records
        if time.time() > deadline:
            raise TimeoutError(f"fetch {topic}: error {error}, high watermark {hwm}, {len(records)} bytes")
        time.sleep(0.2)


def create_topic(bootstrap, topic):
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "broker.address.family": "v4"})
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    futures[topic].result(timeout=15)


def produce_librdkafka(bootstrap, topic, codec):
    import confluent_kafka
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "broker.address.family": "v4",
            "compression.type": codec,
            "linger.ms": 200,
            "acks": "all",
        }
    )
    errors = []

    def report(err, _msg):
        if err is not None:
            errors.append(err)

    for i, rec in enumerate(RECORDS):
        headers = [(k, enc(v)) for k, v in rec["headers"]]
        producer.produce(
            topic,
            value=enc(rec["value"]),
            key=enc(rec["key"]),
            headers=headers,
            timestamp=BASE_TIMESTAMP + i,
            partition=0,
            on_delivery=report,
        )
    if producer.flush(15) != 0:
        raise TimeoutError("librdkafka did not deliver every record")
    if errors:
        raise RuntimeError(f"delivery failed: {errors}")
    return "librdkafka " + confluent_kafka.libversion()[0]


def produce_kafka_python(bootstrap, topic, codec):
    import kafka
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        api_version=(0, 10),
        compression_type=None if codec == "none" else codec,
        linger_ms=200,
        acks="all",
    )
    futures = []
    for i, rec in enumerate(RECORDS):
        futures.append(
            producer.send(
                topic,
                value=enc(rec["value"]),
                key=enc(rec["key"]),
                partition=0,
                timestamp_ms=BASE_TIMESTAMP + i,
            )
        )
    producer.flush(15)
    for f in futures:
        f.get(timeout=15)
    producer.close()
    return "kafka-python " + kafka.__version__


def write_fixture(out_dir, name, records_bytes, meta):
    with open(os.path.join(out_dir, name + ".bin"), "wb") as f:
        f.write(records_bytes)
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {name}.bin ({len(records_bytes)} bytes)")


def describe_first_entry(data):
    """(magic, codec) of the first entry of a records blob."""
    if len(data) < 17:
        return None, None
    magic = data[16]
    if magic == 2:
        (attributes,) = struct.unpack_from(">h", data, 21)
    else:
        attributes = data[17]
    return magic, attributes & 7


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bootstrap", help="host:port of a running broker")
    parser.add_argument(
        "--out",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"),
        help="output directory (default: tests/fixtures)",
    )
    parser.add_argument("--skip-legacy", action="store_true", help="skip the kafka-python magic-1 attempt")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    run = uuid.uuid4().hex[:8]

    for codec in CODECS:
        topic = f"fixtures-{codec}-{run}"
        create_topic(args.bootstrap, topic)
        producer = produce_librdkafka(args.bootstrap, topic, codec)
        data = fetch_all(args.bootstrap, topic, len(RECORDS))
        magic, codec_id = describe_first_entry(data)
        meta = {
            "producer": producer,
            "compression": codec,
            "first_entry_magic": magic,
            "first_entry_codec_id": codec_id,
            "base_timestamp": BASE_TIMESTAMP,
            "records": [dict(offset=i, timestamp=BASE_TIMESTAMP + i, **r) for i, r in enumerate(RECORDS)],
        }
        write_fixture(args.out, f"librdkafka_{codec}", data, meta)

    if args.skip_legacy:
        return 0
    for codec in ["none", "gzip"]:
        topic = f"fixtures-legacy-{codec}-{run}"
        try:
            create_topic(args.bootstrap, topic)
            producer = produce_kafka_python(args.bootstrap, topic, codec)
            data = fetch_all(args.bootstrap, topic, len(RECORDS))
        except Exception as err:  # the broker may refuse old produce versions
            print(f"legacy {codec}: kafka-python with api_version=(0, 10) failed: {err!r}", file=sys.stderr)
            continue
        magic, codec_id = describe_first_entry(data)
        if magic != 1:
            print(f"legacy {codec}: the broker returned magic {magic}, not 1: no legacy fixture", file=sys.stderr)
            continue
        meta = {
            "producer": producer,
            "compression": codec,
            "first_entry_magic": magic,
            "first_entry_codec_id": codec_id,
            "base_timestamp": BASE_TIMESTAMP,
            # Legacy messages carry no headers.
            "records": [
                dict(offset=i, timestamp=BASE_TIMESTAMP + i, key=r["key"], value=r["value"], headers=[])
                for i, r in enumerate(RECORDS)
            ],
        }
        write_fixture(args.out, f"legacy_v1_{codec}", data, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
