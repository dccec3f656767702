"""Runs a script of transactions with confluent-kafka (librdkafka) transactional
producers, for the read_committed end-to-end tests. The script comes on stdin, one
command a line, and runs as it arrives (the same commands as tests/interop/TxnProduce.java):

  begin I           producer I (created with transactional.id PREFIX-I and initialized
                    on first use) begins a transaction
  send I P VALUE    producer I sends VALUE (UTF-8, no key) to partition P and waits for
                    the delivery report; prints "sent P OFFSET"
  commit I          producer I commits its transaction
  abort I           producer I aborts its transaction
  sync              prints "synced" (the caller knows all before it is done)

At the end of stdin it prints "done".

usage: txn_produce.py BOOTSTRAP TOPIC TRANSACTIONAL_ID_PREFIX
"""
import sys

from confluent_kafka import Producer

TIMEOUT = 30


def main():
    bootstrap, topic, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
    producers = {}

    def producer(index):
        if index not in producers:
            p = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"{prefix}-{index}"})
            p.init_transactions(TIMEOUT)
            producers[index] = p
        return producers[index]

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command = words[0]
        if command == "sync":
            print("synced", flush=True)
        elif command == "begin":
            producer(words[1]).begin_transaction()
        elif command == "commit":
            producers[words[1]].commit_transaction(TIMEOUT)
        elif command == "abort":
            producers[words[1]].abort_transaction(TIMEOUT)
        elif command == "send":
            p, partition, value = producers[words[1]], int(words[2]), words[3]
            reports = []
            p.produce(topic, value.encode(), partition=partition,
                      on_delivery=lambda err, msg: reports.append((err, msg)))
            if p.flush(TIMEOUT) != 0 or len(reports) != 1:
                raise RuntimeError(f"{value}: no delivery report within {TIMEOUT} s")
            err, msg = reports[0]
            if err is not None:
                raise RuntimeError(f"{value}: {err}")
            print(f"sent {msg.partition()} {msg.offset()}", flush=True)
        else:
            raise ValueError(f"unknown command: {line!r}")
    for p in producers.values():
        p.flush(TIMEOUT)
    print("done", flush=True)


if __name__ == "__main__":
    main()
