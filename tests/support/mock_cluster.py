"""Starts librdkafka's in-process mock cluster (inside confluent-kafka) and keeps it
alive until stdin closes. Prints the brokers' host:port list on the first line.

Usage: python mock_cluster.py [num_brokers]
"""
import sys

from confluent_kafka import Producer

brokers = int(sys.argv[1]) if len(sys.argv) > 1 else 3
client = Producer({"test.mock.num.brokers": brokers, "bootstrap.servers": ""})
metadata = client.list_topics(timeout=10)
print(",".join(f"{b.host}:{b.port}" for b in metadata.brokers.values()), flush=True)
sys.stdin.read()
