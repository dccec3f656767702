"""Writes transactional records with confluent-kafka (librdkafka) for the read_committed
end-to-end test: committed c0-c4, aborted a0-a4, committed c5-c9, in that order, to
partition 0 of TOPIC.

usage: txn_produce.py BOOTSTRAP TOPIC
"""
import sys

from confluent_kafka import Producer


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"kafka-sync-test-{topic}"})
    p.init_transactions(30)
    batches = (["c0", "c1", "c2", "c3", "c4"], True), (["a0", "a1", "a2", "a3", "a4"], False), \
        (["c5", "c6", "c7", "c8", "c9"], True)
    for values, commit in batches:
        p.begin_transaction()
        for value in values:
            p.produce(topic, value.encode(), partition=0)
        p.flush(30)
        if commit:
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)
    print("done")


if __name__ == "__main__":
    main()
