"""Prints the configs of one resource as confluent-kafka's (librdkafka's) AdminClient
sees them, one "NAME=VALUE" line each (VALUE empty for null), for the Rust tests to
check configs altered through this client.

usage: describe_configs.py BOOTSTRAP topic|broker|group NAME
"""
import sys

from confluent_kafka.admin import AdminClient, ConfigResource


def main():
    bootstrap, kind, name = sys.argv[1], sys.argv[2], sys.argv[3]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    resource = ConfigResource(kind, name)
    futures = admin.describe_configs([resource], request_timeout=30)
    for _, future in futures.items():
        for entry in future.result(timeout=60).values():
            print(f"{entry.name}={entry.value if entry.value is not None else ''}")


if __name__ == "__main__":
    main()
