"""Writes or reads records through a schema registry with confluent-kafka-python's own
serializers (confluent_kafka.schema_registry: avro on fastavro, json_schema on
jsonschema, protobuf on google.protobuf), for the Rust tests to check that both
clients frame and encode records alike (the Confluent wire format).

usage: schema_registry_interop.py FORMAT produce BOOTSTRAP REGISTRY_URL TOPIC SCHEMA RECORDS
           writes RECORDS, a JSON list of [key, value] pairs, in order to partition 0
           with string keys, the values serialized as FORMAT says (the schema
           auto-registered under TOPIC-value, as the serializers do by default)
       schema_registry_interop.py FORMAT consume BOOTSTRAP REGISTRY_URL TOPIC SCHEMA COUNT
           reads the first COUNT records of partition 0, decodes their values, and
           prints one JSON line per record: [key, value]

FORMAT and SCHEMA:
  avro      SCHEMA is the Avro schema's JSON (ignored by consume: the deserializer
            reads with the writer schema from the registry)
  json      SCHEMA is the JSON Schema (ignored by consume, as for avro); values are
            JSON objects
  protobuf  SCHEMA is the full name of a message type of SHOP below (e.g.
            interop.Customer.Address); values are that message as a JSON object in
            protobuf's JSON mapping with the .proto field names (int64 as strings)
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import MessageField, SerializationContext

TIMEOUT = 60

# The Protobuf messages, built as a descriptor at run time (no protoc here). The same
# file as the Rust test's SHOP_PROTO:
#   syntax = "proto3"; package interop;
#   message Order { int64 id = 1; string item = 2; repeated int32 quantities = 3; }
#   message Customer {
#     message Address { string city = 1; int32 zip = 2; }
#     string name = 1; Address address = 2;
#   }
SHOP = {
    "Order": [("id", 1, "TYPE_INT64", "LABEL_OPTIONAL", None),
              ("item", 2, "TYPE_STRING", "LABEL_OPTIONAL", None),
              ("quantities", 3, "TYPE_INT32", "LABEL_REPEATED", None)],
    "Customer": [("name", 1, "TYPE_STRING", "LABEL_OPTIONAL", None),
                 ("address", 2, "TYPE_MESSAGE", "LABEL_OPTIONAL", ".interop.Customer.Address")],
    "Customer.Address": [("city", 1, "TYPE_STRING", "LABEL_OPTIONAL", None),
                         ("zip", 2, "TYPE_INT32", "LABEL_OPTIONAL", None)],
}


def protobuf_class(full_name):
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    file = descriptor_pb2.FileDescriptorProto(
        name="interop/shop.proto", package="interop", syntax="proto3")
    messages = {}
    for name in SHOP:  # parents come before their nested messages
        parent, _, short = name.rpartition(".")
        container = messages[parent].nested_type if parent else file.message_type
        messages[name] = container.add(name=short)
        for field, number, kind, label, type_name in SHOP[name]:
            added = messages[name].field.add(
                name=field, number=number,
                type=descriptor_pb2.FieldDescriptorProto.Type.Value(kind),
                label=descriptor_pb2.FieldDescriptorProto.Label.Value(label))
            if type_name:
                added.type_name = type_name
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


def serializer(fmt, registry, schema):
    if fmt == "avro":
        from confluent_kafka.schema_registry.avro import AvroSerializer
        return AvroSerializer(registry, schema)
    if fmt == "json":
        from confluent_kafka.schema_registry.json_schema import JSONSerializer
        return JSONSerializer(schema, registry)
    if fmt == "protobuf":
        from google.protobuf import json_format
        from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
        message = protobuf_class(schema)
        inner = ProtobufSerializer(message, registry)
        return lambda value, ctx: inner(json_format.ParseDict(value, message()), ctx)
    raise SystemExit(f"unknown format {fmt}")


def deserializer(fmt, registry, schema):
    if fmt == "avro":
        from confluent_kafka.schema_registry.avro import AvroDeserializer
        return AvroDeserializer(registry)
    if fmt == "json":
        from confluent_kafka.schema_registry.json_schema import JSONDeserializer
        return JSONDeserializer(None, schema_registry_client=registry)
    if fmt == "protobuf":
        from google.protobuf import json_format
        from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
        inner = ProtobufDeserializer(protobuf_class(schema))
        return lambda data, ctx: json_format.MessageToDict(
            inner(data, ctx), preserving_proto_field_name=True)
    raise SystemExit(f"unknown format {fmt}")


def produce(fmt, bootstrap, registry, topic, schema, records):
    serialize = serializer(fmt, registry, schema)
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    failures = []

    def delivered(err, _msg):
        if err is not None:
            failures.append(err)

    for key, value in records:
        producer.produce(topic, partition=0, key=key.encode(),
                         value=serialize(value, context), on_delivery=delivered)
    if producer.flush(TIMEOUT) != 0 or failures:
        raise RuntimeError(f"not delivered: {failures}")


def consume(fmt, bootstrap, registry, topic, schema, count):
    deserialize = deserializer(fmt, registry, schema)
    context = SerializationContext(topic, MessageField.VALUE)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "sr-interop-unused",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    deadline = time.time() + TIMEOUT
    read = 0
    while read < count:
        if time.time() > deadline:
            raise RuntimeError(f"read only {read} of {count} records")
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            raise RuntimeError(str(msg.error()))
        key = msg.key().decode() if msg.key() is not None else None
        print(json.dumps([key, deserialize(msg.value(), context)]), flush=True)
        read += 1
    consumer.close()


def main():
    fmt, mode, bootstrap, url, topic, schema = sys.argv[1:7]
    registry = SchemaRegistryClient({"url": url})
    if mode == "produce":
        produce(fmt, bootstrap, registry, topic, schema, json.loads(sys.argv[7]))
    elif mode == "consume":
        consume(fmt, bootstrap, registry, topic, schema, int(sys.argv[7]))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
