//! The schema registry serializers and deserializers end to end: records written by a
//! `TypedProducer` through Kafka and read by a `TypedConsumer`, with the schemas in a
//! real registry (the Apicurio Registry the harness starts, or the one
//! `KAFKA_SCHEMA_REGISTRY_URL` names; tests/common/schema_registry.rs).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::schema_registry::{registry_url, unique_subject};
use kafka_sync::consumer::{BytesDeserializer, Deserializer, StringDeserializer};
use kafka_sync::producer::{Serializer, StringSerializer, TypedProducer};
use kafka_sync::schema_registry::framing;
use kafka_sync::schema_registry::serdes::SerdeConfig;
use kafka_sync::schema_registry::subject::SubjectNameStrategy;
use kafka_sync::schema_registry::{
    error_code, error_codes, Schema, SchemaRegistryClient, SchemaRegistryConfig,
};
use kafka_sync::{
    ConsumerConfig, ErrorKind, KafkaConsumer, OffsetReset, ProducerConfig, TopicPartition,
    TypedConsumer,
};

const TIMEOUT: Duration = Duration::from_secs(60);

fn registry() -> Arc<SchemaRegistryClient> {
    let config = SchemaRegistryConfig::new(&registry_url())
        .timeout(Duration::from_secs(20))
        .max_retries(1)
        .retry_backoff(Duration::from_millis(50), Duration::from_millis(100));
    Arc::new(SchemaRegistryClient::new(config).expect("registry client"))
}

/// A topic of one partition of this test's own.
fn topic(prefix: &str) -> String {
    let topic = common::unique_topic(prefix);
    common::create_topic(&topic, 1);
    topic
}

fn producer<K: ?Sized, V: ?Sized>(
    key: impl Serializer<K> + 'static,
    value: impl Serializer<V> + 'static,
) -> TypedProducer<K, V> {
    TypedProducer::new(ProducerConfig::new(&common::bootstrap()), key, value).expect("producer")
}

fn consumer_of(topic: &str) -> KafkaConsumer {
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap()).auto_offset_reset(OffsetReset::Earliest),
    )
    .expect("consumer");
    consumer
        .assign(&[TopicPartition::new(topic, 0)])
        .expect("assign");
    consumer
}

/// The first `count` records of partition 0 of `topic`, decoded: (key, value).
fn read<KD: Deserializer, VD: Deserializer>(
    topic: &str,
    count: usize,
    key: KD,
    value: VD,
) -> Vec<(KD::Output, VD::Output)> {
    let mut consumer = TypedConsumer::from_consumer(consumer_of(topic), key, value);
    let deadline = Instant::now() + TIMEOUT;
    let mut records = Vec::new();
    while records.len() < count {
        assert!(
            Instant::now() < deadline,
            "read {} of {count} records of {topic}",
            records.len()
        );
        let polled = consumer
            .poll(Duration::from_millis(500))
            .expect("poll and decode");
        records.extend(polled.into_iter().map(|r| (r.key, r.value)));
    }
    records.truncate(count);
    records
}

/// The raw value bytes of the first `count` records of `topic`.
fn raw_values(topic: &str, count: usize) -> Vec<Bytes> {
    read(topic, count, BytesDeserializer, BytesDeserializer)
        .into_iter()
        .map(|(_, v)| v.expect("a value"))
        .collect()
}

fn send_all<K: ?Sized, V: ?Sized>(
    producer: &TypedProducer<K, V>,
    topic: &str,
    records: &[(Option<&K>, Option<&V>)],
) {
    let futures: Vec<_> = records
        .iter()
        .map(|(k, v)| producer.send(topic, *k, *v).expect("send"))
        .collect();
    for future in futures {
        future.get(TIMEOUT).expect("delivered");
    }
}

#[cfg(feature = "avro")]
mod avro {
    use super::*;
    use apache_avro::types::Value;
    use kafka_sync::schema_registry::avro::{
        AvroDeserializer, AvroSerializer, AvroValueDeserializer, AvroValueSerializer,
    };
    use serde::{Deserialize, Serialize};

    fn user_v1(namespace: &str) -> Schema {
        Schema::avro(format!(
            r#"{{"type":"record","name":"User","namespace":"{namespace}","fields":[
                {{"name":"name","type":"string"}},
                {{"name":"age","type":"int"}},
                {{"name":"email","type":["null","string"],"default":null}}]}}"#
        ))
    }

    /// v1 and a field with a default: backward compatible.
    fn user_v2(namespace: &str) -> Schema {
        Schema::avro(format!(
            r#"{{"type":"record","name":"User","namespace":"{namespace}","fields":[
                {{"name":"name","type":"string"}},
                {{"name":"age","type":"int"}},
                {{"name":"email","type":["null","string"],"default":null}},
                {{"name":"country","type":"string","default":"unknown"}}]}}"#
        ))
    }

    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    struct User {
        name: String,
        age: i32,
        email: Option<String>,
    }

    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    struct UserV2 {
        name: String,
        age: i32,
        email: Option<String>,
        country: String,
    }

    fn ada() -> User {
        User {
            name: "Ada".into(),
            age: 36,
            email: Some("ada@example.com".into()),
        }
    }

    fn grace() -> User {
        User {
            name: "Grace".into(),
            age: 85,
            email: None,
        }
    }

    #[test]
    fn serde_values_go_through_kafka_and_back() {
        let _turn = crate::common::schema_registry::serial();
        let topic = topic("avro-serde");
        let registry = registry();
        let serializer =
            AvroSerializer::new(Arc::clone(&registry), user_v1("test"), SerdeConfig::value())
                .expect("serializer");
        let producer = producer::<str, User>(StringSerializer, serializer);
        let (ada, grace) = (ada(), grace());
        send_all(
            &producer,
            &topic,
            &[
                (Some("a"), Some(&ada)),
                (Some("g"), Some(&grace)),
                (Some("gone"), None),
            ],
        );

        let deserializer =
            AvroDeserializer::<User>::new(Arc::clone(&registry), SerdeConfig::value());
        let records = read(&topic, 3, StringDeserializer, deserializer);
        assert_eq!(
            records,
            [
                (Some("a".to_owned()), Some(ada)),
                (Some("g".to_owned()), Some(grace)),
                (Some("gone".to_owned()), None),
            ]
        );

        // The wire format: magic 0, the id registered under <topic>-value, then Avro.
        let registered = registry
            .get_latest_version(&format!("{topic}-value"))
            .expect("the serializer registered the schema");
        let raw = raw_values(&topic, 2);
        assert_eq!(raw[1][0], framing::MAGIC_BYTE);
        assert_eq!(raw[1][1..5], registered.id.to_be_bytes());
        // "Grace" (length 5, zig-zag 10), 85 (zig-zag 170: 0xaa 0x01), union branch 0.
        assert_eq!(
            raw[1][5..],
            [10, b'G', b'r', b'a', b'c', b'e', 0xaa, 0x01, 0][..]
        );
    }

    #[test]
    fn avro_values_as_keys_and_values() {
        let _turn = crate::common::schema_registry::serial();
        let topic = topic("avro-value");
        let registry = registry();
        let key_schema = Schema::avro(
            r#"{"type":"record","name":"Key","namespace":"test","fields":[{"name":"id","type":"long"}]}"#,
        );
        let key_serializer =
            AvroValueSerializer::new(Arc::clone(&registry), key_schema, SerdeConfig::key())
                .expect("key serializer");
        let value_serializer =
            AvroValueSerializer::new(Arc::clone(&registry), user_v1("test"), SerdeConfig::value())
                .expect("value serializer");
        let producer = producer::<Value, Value>(key_serializer, value_serializer);
        let key = Value::Record(vec![("id".into(), Value::Long(7))]);
        // A value without the defaulted field: the writer fills it in.
        let value = Value::Record(vec![
            ("name".into(), Value::String("Ada".into())),
            ("age".into(), Value::Int(36)),
        ]);
        send_all(&producer, &topic, &[(Some(&key), Some(&value))]);

        // Keys register under <topic>-key, values under <topic>-value.
        assert!(registry.get_latest_version(&format!("{topic}-key")).is_ok());
        assert!(registry
            .get_latest_version(&format!("{topic}-value"))
            .is_ok());

        let records = read(
            &topic,
            1,
            AvroValueDeserializer::new(Arc::clone(&registry), SerdeConfig::key()),
            AvroValueDeserializer::new(Arc::clone(&registry), SerdeConfig::value()),
        );
        assert_eq!(records[0].0, Some(key.clone()));
        assert_eq!(
            records[0].1,
            Some(Value::Record(vec![
                ("name".into(), Value::String("Ada".into())),
                ("age".into(), Value::Int(36)),
                ("email".into(), Value::Union(0, Box::new(Value::Null))),
            ]))
        );

        // A value that does not fit the schema is an error before anything is sent.
        let bad = Value::Record(vec![("name".into(), Value::Int(1))]);
        let err = producer.send(&topic, Some(&key), Some(&bad)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Serialization);
        assert!(
            err.to_string().contains("does not fit the Avro schema"),
            "{err}"
        );
    }

    #[test]
    fn a_reader_schema_reads_old_records_with_the_new_fields_defaults() {
        let _turn = crate::common::schema_registry::serial();
        let topic = topic("avro-evolution");
        let registry = registry();
        // Writer v1 writes first; then a producer on v2 writes under the same subject
        // (backward compatible: the new field has a default).
        let v1 = producer::<str, User>(
            StringSerializer,
            AvroSerializer::new(Arc::clone(&registry), user_v1("test"), SerdeConfig::value())
                .expect("v1 serializer"),
        );
        send_all(&v1, &topic, &[(Some("old"), Some(&ada()))]);
        let v2 = producer::<str, UserV2>(
            StringSerializer,
            AvroSerializer::new(Arc::clone(&registry), user_v2("test"), SerdeConfig::value())
                .expect("v2 serializer"),
        );
        let new = UserV2 {
            name: "Linus".into(),
            age: 55,
            email: None,
            country: "FI".into(),
        };
        send_all(&v2, &topic, &[(Some("new"), Some(&new))]);
        assert_eq!(
            registry
                .get_versions(&format!("{topic}-value"))
                .expect("versions")
                .len(),
            2
        );

        let reader = AvroDeserializer::<UserV2>::new(Arc::clone(&registry), SerdeConfig::value())
            .with_reader_schema(&user_v2("test"))
            .expect("reader schema");
        let records = read(&topic, 2, StringDeserializer, reader);
        let old = ada();
        assert_eq!(
            records[0].1,
            Some(UserV2 {
                name: old.name,
                age: old.age,
                email: old.email,
                country: "unknown".into(),
            })
        );
        assert_eq!(records[1].1, Some(new));

        // Without a reader schema the v1 record does not fit the v2 type.
        let plain = AvroDeserializer::<UserV2>::new(Arc::clone(&registry), SerdeConfig::value());
        let raw = raw_values(&topic, 1);
        let err = plain.deserialize(&topic, Some(&raw[0])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Serialization);
        assert!(err.to_string().contains("does not fit"), "{err}");
    }

    #[test]
    fn without_auto_register_an_unregistered_schema_is_a_clear_error() {
        let _turn = crate::common::schema_registry::serial();
        let topic = topic("avro-no-register");
        let registry = registry();
        let config = SerdeConfig::value().auto_register_schemas(false);
        let serializer = AvroSerializer::new(Arc::clone(&registry), user_v1("test"), config)
            .expect("serializer");
        let producer = producer::<str, User>(StringSerializer, serializer);
        let err = producer.send(&topic, None, Some(&ada())).unwrap_err();
        // The registry's own error comes through the typed producer with its kind and
        // code, not folded into a generic one.
        assert_eq!(
            error_code(&err),
            Some(error_codes::SUBJECT_NOT_FOUND),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("the value of a record"), "{text}");
        assert!(text.contains("auto.register.schemas is off"), "{text}");
        assert!(text.contains(&format!("`{topic}-value`")), "{text}");
        let subject = format!("{topic}-value");
        assert!(
            registry.get_latest_version(&subject).is_err(),
            "nothing was registered"
        );

        // Once registered by someone else, the serializer looks it up and writes.
        let id = registry
            .register(&subject, &user_v1("test"))
            .expect("register");
        send_all(&producer, &topic, &[(None, Some(&ada()))]);
        let raw = raw_values(&topic, 1);
        assert_eq!(framing::read_header(&raw[0]).expect("header").0, id);
    }

    #[test]
    fn use_latest_version_writes_with_the_subjects_latest_schema() {
        let _turn = crate::common::schema_registry::serial();
        let topic = topic("avro-latest");
        let registry = registry();
        let subject = format!("{topic}-value");
        registry.register(&subject, &user_v1("test")).expect("v1");
        let latest = registry.register(&subject, &user_v2("test")).expect("v2");

        // The serializer's own schema is v1; it writes with v2 (filling the default).
        let config = SerdeConfig::value()
            .auto_register_schemas(false)
            .use_latest_version(true);
        let serializer = AvroSerializer::new(Arc::clone(&registry), user_v1("test"), config)
            .expect("serializer");
        let producer = producer::<str, User>(StringSerializer, serializer);
        send_all(&producer, &topic, &[(None, Some(&ada()))]);

        let raw = raw_values(&topic, 1);
        assert_eq!(framing::read_header(&raw[0]).expect("header").0, latest);
        let records = read(
            &topic,
            1,
            StringDeserializer,
            AvroDeserializer::<UserV2>::new(Arc::clone(&registry), SerdeConfig::value()),
        );
        assert_eq!(
            records[0].1.as_ref().map(|u| u.country.as_str()),
            Some("unknown")
        );

        // use.latest.version on the reader side: v1 data read into the latest (v2).
        let v1_id = registry
            .lookup(&subject, &user_v1("test"))
            .expect("v1 id")
            .id;
        let mut framed = Vec::new();
        framing::write_header(&mut framed, v1_id);
        framed.extend_from_slice(&[6, b'A', b'd', b'a', 72, 0]);
        let reader = AvroDeserializer::<UserV2>::new(
            Arc::clone(&registry),
            SerdeConfig::value().use_latest_version(true),
        );
        let user = reader
            .deserialize(&topic, Some(&Bytes::from(framed)))
            .expect("read into the latest")
            .expect("a value");
        assert_eq!(user.country, "unknown");

        // Both options at once are refused, as in confluent-kafka-python.
        let both = SerdeConfig::value().use_latest_version(true);
        let err = AvroSerializer::new(Arc::clone(&registry), user_v1("test"), both).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }

    #[test]
    fn record_name_strategies_use_the_avro_full_name() {
        let _turn = crate::common::schema_registry::serial();
        let topic = topic("avro-record-name");
        let registry = registry();
        // A namespace of this run's own, as the subject is the record's name.
        let namespace = unique_subject("ns").replace('-', "_");
        let full_name = format!("{namespace}.User");
        for strategy in [
            SubjectNameStrategy::RecordName,
            SubjectNameStrategy::TopicRecordName,
        ] {
            let config = SerdeConfig::value().subject_name_strategy(strategy);
            let serializer =
                AvroSerializer::new(Arc::clone(&registry), user_v1(&namespace), config)
                    .expect("serializer");
            let producer = producer::<str, User>(StringSerializer, serializer);
            send_all(&producer, &topic, &[(None, Some(&grace()))]);
        }
        let by_record = registry
            .get_latest_version(&full_name)
            .expect("RecordName subject");
        let by_topic_record = registry
            .get_latest_version(&format!("{topic}-{full_name}"))
            .expect("TopicRecordName subject");
        let raw = raw_values(&topic, 2);
        assert_eq!(
            framing::read_header(&raw[0]).expect("header").0,
            by_record.id
        );
        assert_eq!(
            framing::read_header(&raw[1]).expect("header").0,
            by_topic_record.id
        );
        assert!(registry
            .get_latest_version(&format!("{topic}-value"))
            .is_err());

        // A primitive schema has no name for those strategies.
        let config = SerdeConfig::value().subject_name_strategy(SubjectNameStrategy::RecordName);
        let err = AvroSerializer::new(Arc::clone(&registry), Schema::avro(r#""string""#), config)
            .unwrap_err();
        assert!(err.to_string().contains("named Avro schema"), "{err}");
    }

    #[test]
    fn malformed_payloads_are_clear_errors() {
        let _turn = crate::common::schema_registry::serial();
        let registry = registry();
        let deserializer =
            AvroDeserializer::<User>::new(Arc::clone(&registry), SerdeConfig::value());
        let topic = "not-used";
        let check = |data: &[u8], expect: &str| {
            let err = deserializer
                .deserialize(topic, Some(&Bytes::copy_from_slice(data)))
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Serialization, "{err}");
            assert!(err.to_string().contains(expect), "{expect}: {err}");
        };
        check(b"{\"name\":\"json\"}", "magic byte");
        check(&[0, 0, 0], "shorter than the 5-byte");
        check(&[], "empty payload");

        // An unknown schema id: the registry's answer, named.
        let err = deserializer
            .deserialize(
                topic,
                Some(&Bytes::from_static(&[0, 0x7f, 0xff, 0xff, 0xf0, 2])),
            )
            .unwrap_err();
        assert_eq!(
            error_code(&err),
            Some(error_codes::SCHEMA_NOT_FOUND),
            "{err}"
        );
        assert!(err.to_string().contains("2147483632"), "{err}");

        // Truncated payloads of a real schema id: every cut is an error.
        let subject = unique_subject("avro-truncated");
        let id = registry
            .register(&subject, &user_v1("test"))
            .expect("register");
        let mut framed = Vec::new();
        framing::write_header(&mut framed, id);
        // name "Ada", age 36, email "a@b"
        framed.extend_from_slice(&[6, b'A', b'd', b'a', 72, 2, 6, b'a', b'@', b'b']);
        let whole = deserializer
            .deserialize(topic, Some(&Bytes::copy_from_slice(&framed)))
            .expect("the whole payload")
            .expect("a value");
        assert_eq!(whole.email.as_deref(), Some("a@b"));
        for len in 5..framed.len() {
            check(&framed[..len], "do not decode");
        }
        // A string claiming about 2^62 bytes.
        let mut hostile = framed[..5].to_vec();
        hostile.extend_from_slice(&[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
        check(&hostile, "do not decode");
    }
}

#[cfg(feature = "json-schema")]
mod json {
    use super::*;
    use kafka_sync::schema_registry::json::{JsonDeserializer, JsonSerializer};
    use serde::{Deserialize, Serialize};

    fn order_schema() -> Schema {
        Schema::json(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order",
                "type":"object",
                "properties":{"id":{"type":"integer","minimum":1},"item":{"type":"string"}},
                "required":["id","item"]}"#,
        )
    }

    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    struct Order {
        id: i64,
        item: String,
    }

    /// Serializes into an `Order` shape whatever it holds, valid or not.
    #[derive(Serialize)]
    struct Loose {
        id: i64,
        item: Option<String>,
    }

    #[test]
    fn valid_values_pass_validation_both_ways() {
        let _turn = crate::common::schema_registry::serial();
        let topic = topic("json-valid");
        let registry = registry();
        let serializer = JsonSerializer::new(
            Arc::clone(&registry),
            order_schema(),
            SerdeConfig::value(),
            true,
        )
        .expect("serializer");
        let producer = producer::<str, Order>(StringSerializer, serializer);
        let order = Order {
            id: 7,
            item: "tea".into(),
        };
        send_all(
            &producer,
            &topic,
            &[(Some("k"), Some(&order)), (Some("t"), None)],
        );

        let registered = registry
            .get_latest_version(&format!("{topic}-value"))
            .expect("registered");
        assert_eq!(
            registered.schema.schema_type,
            kafka_sync::schema_registry::SchemaType::Json
        );
        let raw = raw_values(&topic, 1);
        assert_eq!(
            framing::read_header(&raw[0]).expect("header"),
            (registered.id, &br#"{"id":7,"item":"tea"}"#[..])
        );

        let records = read(
            &topic,
            2,
            StringDeserializer,
            JsonDeserializer::<Order>::new(Arc::clone(&registry), SerdeConfig::value(), true),
        );
        assert_eq!(records[0].1, Some(order));
        assert_eq!(records[1].1, None);
        let any = read(
            &topic,
            1,
            StringDeserializer,
            JsonDeserializer::<serde_json::Value>::new(
                Arc::clone(&registry),
                SerdeConfig::value(),
                false,
            ),
        );
        assert_eq!(any[0].1, Some(serde_json::json!({"id": 7, "item": "tea"})));
    }

    #[test]
    fn invalid_values_are_refused_when_validating() {
        let _turn = crate::common::schema_registry::serial();
        let topic = topic("json-invalid");
        let registry = registry();
        let validating = JsonSerializer::new(
            Arc::clone(&registry),
            order_schema(),
            SerdeConfig::value(),
            true,
        )
        .expect("serializer");
        let strict = producer::<str, Loose>(StringSerializer, validating);
        let bad = Loose { id: 0, item: None };
        let err = strict.send(&topic, None, Some(&bad)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Serialization);
        let text = err.to_string();
        assert!(text.contains("does not match the JSON Schema"), "{text}");
        assert!(text.contains("at /id"), "{text}");
        assert!(text.contains("at /item"), "{text}");

        // Without validation it is written, and a validating reader refuses it
        // (staying at the record), while a non-validating one reads it.
        let lax = JsonSerializer::new(
            Arc::clone(&registry),
            order_schema(),
            SerdeConfig::value(),
            false,
        )
        .expect("serializer");
        let lax = producer::<str, Loose>(StringSerializer, lax);
        send_all(&lax, &topic, &[(None, Some(&bad))]);
        let mut consumer = TypedConsumer::from_consumer(
            consumer_of(&topic),
            StringDeserializer,
            JsonDeserializer::<serde_json::Value>::new(
                Arc::clone(&registry),
                SerdeConfig::value(),
                true,
            ),
        );
        let deadline = Instant::now() + TIMEOUT;
        let err = loop {
            assert!(Instant::now() < deadline, "no validation error");
            match consumer.poll(Duration::from_millis(500)) {
                Ok(records) => assert!(records.is_empty(), "an invalid record was read"),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), ErrorKind::Serialization);
        assert!(
            err.to_string().contains("does not match its schema"),
            "{err}"
        );
        let records = read(
            &topic,
            1,
            StringDeserializer,
            JsonDeserializer::<serde_json::Value>::new(
                Arc::clone(&registry),
                SerdeConfig::value(),
                false,
            ),
        );
        assert_eq!(
            records[0].1,
            Some(serde_json::json!({"id": 0, "item": null}))
        );

        // Not JSON after the header, and a non-JSON schema for a JSON serializer.
        let reader =
            JsonDeserializer::<Order>::new(Arc::clone(&registry), SerdeConfig::value(), false);
        let err = reader
            .deserialize(
                &topic,
                Some(&Bytes::from_static(b"\x00\x00\x00\x00\x01{\"id\":")),
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("are not the expected JSON"),
            "{err}"
        );
        assert!(JsonSerializer::new(
            Arc::clone(&registry),
            Schema::avro("\"string\""),
            SerdeConfig::value(),
            true
        )
        .is_err());
    }
}

#[cfg(feature = "protobuf")]
mod protobuf {
    use super::*;
    use kafka_sync::schema_registry::protobuf::{ProtobufDeserializer, ProtobufSerializer};

    /// Three message types: Order is [0], Customer [1], Customer.Address [1, 0].
    fn shop_proto() -> Schema {
        Schema::protobuf(
            r#"syntax = "proto3";
package shop;

message Order {
  int64 id = 1;
  string item = 2;
  repeated int32 quantities = 3;
}

message Customer {
  message Address {
    string city = 1;
  }
  string name = 1;
  Address address = 2;
}
"#,
        )
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Order {
        #[prost(int64, tag = "1")]
        pub(super) id: i64,
        #[prost(string, tag = "2")]
        pub(super) item: String,
        #[prost(int32, repeated, tag = "3")]
        pub(super) quantities: Vec<i32>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    struct Address {
        #[prost(string, tag = "1")]
        city: String,
    }

    #[test]
    fn messages_go_through_kafka_with_their_message_indexes() {
        let _turn = crate::common::schema_registry::serial();
        let topic = topic("proto");
        let registry = registry();
        let orders = producer::<str, Order>(
            StringSerializer,
            ProtobufSerializer::new(
                Arc::clone(&registry),
                shop_proto(),
                &[0],
                SerdeConfig::value(),
            )
            .expect("serializer"),
        );
        let order = Order {
            id: 42,
            item: "tea".into(),
            quantities: vec![1, 2, 3],
        };
        send_all(
            &orders,
            &topic,
            &[(Some("o"), Some(&order)), (Some("t"), None)],
        );
        let addresses = producer::<str, Address>(
            StringSerializer,
            ProtobufSerializer::new(
                Arc::clone(&registry),
                shop_proto(),
                &[1, 0],
                SerdeConfig::value(),
            )
            .expect("serializer"),
        );
        let address = Address {
            city: "Oslo".into(),
        };
        send_all(&addresses, &topic, &[(Some("a"), Some(&address))]);

        let registered = registry
            .get_latest_version(&format!("{topic}-value"))
            .expect("registered");
        assert_eq!(
            registered.schema.schema_type,
            kafka_sync::schema_registry::SchemaType::Protobuf
        );
        let raw = read(&topic, 3, BytesDeserializer, BytesDeserializer);
        let first = raw[0].1.as_ref().expect("a value");
        let (id, rest) = framing::read_header(first).expect("header");
        assert_eq!(id, registered.id);
        assert_eq!(rest[0], 0, "[0] is the single byte 0");
        assert_eq!(&rest[1..], prost::Message::encode_to_vec(&order));
        let third = raw[2].1.as_ref().expect("a value");
        assert_eq!(&third[5..8], [4, 2, 0], "[1, 0]: count 2, then 1 and 0");

        // Orders read as orders; the address record is another message type.
        let mut consumer = TypedConsumer::from_consumer(
            consumer_of(&topic),
            StringDeserializer,
            ProtobufDeserializer::<Order>::new(Arc::clone(&registry), &[0], SerdeConfig::value()),
        );
        let deadline = Instant::now() + TIMEOUT;
        let mut read_orders = Vec::new();
        let err = loop {
            assert!(Instant::now() < deadline, "no error for the address record");
            match consumer.poll(Duration::from_millis(500)) {
                Ok(records) => read_orders.extend(records.into_iter().map(|r| r.value)),
                Err(e) => break e,
            }
        };
        assert_eq!(read_orders, [Some(order.clone()), None]);
        assert_eq!(err.kind(), ErrorKind::Serialization);
        assert!(err.to_string().contains("message [1, 0]"), "{err}");

        let addresses = ProtobufDeserializer::<Address>::new(
            Arc::clone(&registry),
            &[1, 0],
            SerdeConfig::value(),
        );
        let bytes = raw[2].1.clone().expect("a value");
        assert_eq!(
            addresses
                .deserialize(&topic, Some(&bytes))
                .expect("an address"),
            Some(address)
        );
    }

    #[test]
    fn malformed_protobuf_payloads_are_clear_errors() {
        let _turn = crate::common::schema_registry::serial();
        let registry = registry();
        let subject = unique_subject("proto-malformed");
        let id = registry
            .register(&subject, &shop_proto())
            .expect("register");
        let reader =
            ProtobufDeserializer::<Order>::new(Arc::clone(&registry), &[0], SerdeConfig::value());
        let check = |data: Vec<u8>, expect: &str| {
            let err = reader
                .deserialize("t", Some(&Bytes::from(data)))
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Serialization, "{err}");
            assert!(err.to_string().contains(expect), "{expect}: {err}");
        };
        let framed = |indexes: &[u8], message: &[u8]| {
            let mut out = Vec::new();
            framing::write_header(&mut out, id);
            out.extend_from_slice(indexes);
            out.extend_from_slice(message);
            out
        };
        let order = prost::Message::encode_to_vec(&Order {
            id: 1,
            item: "a long enough item".into(),
            quantities: vec![5],
        });
        // A cut message, a huge index count, a truncated index varint.
        check(framed(&[0], &order[..order.len() - 5]), "do not decode");
        check(
            framed(&[0xfe, 0xff, 0xff, 0xff, 0x0f], &[2]),
            "message indexes announced",
        );
        check(framed(&[2, 0x80], &[]), "truncated");
        check(vec![1, 0, 0, 0, 1, 0], "magic byte 1");
        // A schema id that is an Avro schema.
        let avro = registry
            .register(&unique_subject("proto-avro"), &Schema::avro(r#""string""#))
            .expect("register");
        let mut out = Vec::new();
        framing::write_header(&mut out, avro);
        out.push(0);
        check(out, "not Protobuf");
        // Not a Protobuf schema for a serializer.
        assert!(ProtobufSerializer::new(
            Arc::clone(&registry),
            Schema::avro("\"string\""),
            &[0],
            SerdeConfig::value()
        )
        .is_err());
        assert!(ProtobufSerializer::new(
            Arc::clone(&registry),
            shop_proto(),
            &[-1],
            SerdeConfig::value()
        )
        .is_err());
    }
}

/// The wire bytes against confluent-kafka-python's own serializers, both ways, for each
/// format (tests/support/schema_registry_interop.py, in the venv of
/// scripts/setup-python.sh).
mod interop {
    use super::*;
    use std::process::Command;

    /// Runs tests/support/schema_registry_interop.py with `args`; its stdout.
    fn python(args: &[&str]) -> String {
        let script = common::project_root().join("tests/support/schema_registry_interop.py");
        let output = Command::new(common::mock::python())
            .arg(script)
            .args(args)
            .output()
            .expect("run tests/support/schema_registry_interop.py");
        assert!(
            output.status.success(),
            "schema_registry_interop.py {:?} failed:\n{}",
            &args[..2],
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8")
    }

    /// The `[key, value]` lines the script's `consume` printed.
    fn lines<T: serde::de::DeserializeOwned>(out: &str) -> Vec<(String, T)> {
        out.lines()
            .map(|line| serde_json::from_str(line).expect("a [key, value] line"))
            .collect()
    }

    #[cfg(feature = "avro")]
    mod avro {
        use super::*;
        use kafka_sync::schema_registry::avro::{AvroDeserializer, AvroSerializer};
        use serde::{Deserialize, Serialize};

        const SCHEMA: &str = r#"{"type":"record","name":"Payment","namespace":"interop","fields":[
            {"name":"id","type":"string"},
            {"name":"amount","type":"double"},
            {"name":"count","type":"long"},
            {"name":"note","type":["null","string"],"default":null},
            {"name":"tags","type":{"type":"array","items":"string"}},
            {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["CARD","CASH"]}}]}"#;

        #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
        enum Kind {
            #[serde(rename = "CARD")]
            Card,
            #[serde(rename = "CASH")]
            Cash,
        }

        #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
        struct Payment {
            id: String,
            amount: f64,
            count: i64,
            note: Option<String>,
            tags: Vec<String>,
            kind: Kind,
        }

        fn payments() -> Vec<Payment> {
            vec![
                Payment {
                    id: "p1".into(),
                    amount: 12.5,
                    count: 3,
                    note: Some("fast".into()),
                    tags: vec!["a".into(), "b".into()],
                    kind: Kind::Card,
                },
                Payment {
                    id: "p2".into(),
                    amount: -0.25,
                    count: 1 << 40,
                    note: None,
                    tags: vec![],
                    kind: Kind::Cash,
                },
            ]
        }

        #[test]
        fn we_read_what_confluent_kafka_python_writes() {
            let _turn = crate::common::schema_registry::serial();
            let topic = topic("avro-from-python");
            let records: Vec<(String, Payment)> =
                payments().into_iter().map(|p| (p.id.clone(), p)).collect();
            let json = serde_json::to_string(&records).expect("JSON");
            python(&[
                "avro",
                "produce",
                &common::bootstrap(),
                &registry_url(),
                &topic,
                SCHEMA,
                &json,
            ]);

            let registry = registry();
            let read = read(
                &topic,
                2,
                StringDeserializer,
                AvroDeserializer::<Payment>::new(registry, SerdeConfig::value()),
            );
            let expected: Vec<(Option<String>, Option<Payment>)> = records
                .into_iter()
                .map(|(k, v)| (Some(k), Some(v)))
                .collect();
            assert_eq!(read, expected);
        }

        #[test]
        fn confluent_kafka_python_reads_what_we_write() {
            let _turn = crate::common::schema_registry::serial();
            let topic = topic("avro-to-python");
            let serializer =
                AvroSerializer::new(registry(), Schema::avro(SCHEMA), SerdeConfig::value())
                    .expect("serializer");
            let producer = producer::<str, Payment>(StringSerializer, serializer);
            let payments = payments();
            let records: Vec<(Option<&str>, Option<&Payment>)> = payments
                .iter()
                .map(|p| (Some(p.id.as_str()), Some(p)))
                .collect();
            send_all(&producer, &topic, &records);

            let out = python(&[
                "avro",
                "consume",
                &common::bootstrap(),
                &registry_url(),
                &topic,
                SCHEMA,
                "2",
            ]);
            let read: Vec<(String, Payment)> = lines(&out);
            let expected: Vec<(String, Payment)> =
                payments.into_iter().map(|p| (p.id.clone(), p)).collect();
            assert_eq!(read, expected);
        }
    }
    #[cfg(feature = "json-schema")]
    mod json {
        use super::*;
        use kafka_sync::schema_registry::json::{JsonDeserializer, JsonSerializer};
        use serde::{Deserialize, Serialize};

        const SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#",
            "title":"Item","type":"object",
            "properties":{"id":{"type":"integer"},"name":{"type":"string"},
                "price":{"type":"number"},"tags":{"type":"array","items":{"type":"string"}},
                "note":{"type":["string","null"]}},
            "required":["id","name"]}"#;

        #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
        struct Item {
            id: i64,
            name: String,
            price: f64,
            tags: Vec<String>,
            note: Option<String>,
        }

        fn items() -> Vec<(String, Item)> {
            vec![
                (
                    "i1".into(),
                    Item {
                        id: 1,
                        name: "tea".into(),
                        price: 2.5,
                        tags: vec!["hot".into(), "green".into()],
                        note: Some("ünïcode ✓".into()),
                    },
                ),
                (
                    "i2".into(),
                    Item {
                        id: 1 << 40,
                        name: "".into(),
                        price: -0.125,
                        tags: vec![],
                        note: None,
                    },
                ),
            ]
        }

        #[test]
        fn we_read_what_confluent_kafka_python_writes() {
            let _turn = crate::common::schema_registry::serial();
            let topic = topic("json-from-python");
            let records = items();
            let json = serde_json::to_string(&records).expect("JSON");
            python(&[
                "json",
                "produce",
                &common::bootstrap(),
                &registry_url(),
                &topic,
                SCHEMA,
                &json,
            ]);

            let registry = registry();
            let registered = registry
                .get_latest_version(&format!("{topic}-value"))
                .expect("registered by confluent-kafka-python");
            assert_eq!(
                registered.schema.schema_type,
                kafka_sync::schema_registry::SchemaType::Json
            );
            let raw = raw_values(&topic, 2);
            assert_eq!(
                framing::read_header(&raw[0]).expect("header").0,
                registered.id
            );
            let read = read(
                &topic,
                2,
                StringDeserializer,
                JsonDeserializer::<Item>::new(registry, SerdeConfig::value(), true),
            );
            let expected: Vec<(Option<String>, Option<Item>)> = records
                .into_iter()
                .map(|(k, v)| (Some(k), Some(v)))
                .collect();
            assert_eq!(read, expected);
        }

        #[test]
        fn confluent_kafka_python_reads_what_we_write() {
            let _turn = crate::common::schema_registry::serial();
            let topic = topic("json-to-python");
            let serializer =
                JsonSerializer::new(registry(), Schema::json(SCHEMA), SerdeConfig::value(), true)
                    .expect("serializer");
            let producer = producer::<str, Item>(StringSerializer, serializer);
            let records = items();
            let sent: Vec<(Option<&str>, Option<&Item>)> = records
                .iter()
                .map(|(k, v)| (Some(k.as_str()), Some(v)))
                .collect();
            send_all(&producer, &topic, &sent);

            // Their deserializer validates against the writer schema it fetches by id.
            let out = python(&[
                "json",
                "consume",
                &common::bootstrap(),
                &registry_url(),
                &topic,
                SCHEMA,
                "2",
            ]);
            let read: Vec<(String, Item)> = lines(&out);
            assert_eq!(read, records);
        }
    }

    #[cfg(feature = "protobuf")]
    mod protobuf {
        use super::*;
        use kafka_sync::schema_registry::protobuf::{ProtobufDeserializer, ProtobufSerializer};
        use serde_json::json;

        /// The file the script builds as a descriptor (its SHOP): Order is [0],
        /// Customer [1], Customer.Address [1, 0].
        const SHOP_PROTO: &str = r#"syntax = "proto3";
package interop;

message Order {
  int64 id = 1;
  string item = 2;
  repeated int32 quantities = 3;
}

message Customer {
  message Address {
    string city = 1;
    int32 zip = 2;
  }
  string name = 1;
  Address address = 2;
}
"#;

        // The same message as the shop test's (`shop.Order` there, `interop.Order` here).
        use crate::protobuf::Order;

        #[derive(Clone, PartialEq, prost::Message)]
        struct Address {
            #[prost(string, tag = "1")]
            city: String,
            #[prost(int32, tag = "2")]
            zip: i32,
        }

        #[test]
        fn we_read_what_confluent_kafka_python_writes() {
            let _turn = crate::common::schema_registry::serial();
            let topic = topic("proto-from-python");
            // A nested message type: the payloads carry the message indexes [1, 0].
            let records = json!([
                ["a1", {"city": "Oslo", "zip": 150}],
                ["a2", {"city": "Zürich", "zip": -8001}]
            ]);
            python(&[
                "protobuf",
                "produce",
                &common::bootstrap(),
                &registry_url(),
                &topic,
                "interop.Customer.Address",
                &records.to_string(),
            ]);

            let registry = registry();
            let registered = registry
                .get_latest_version(&format!("{topic}-value"))
                .expect("registered by confluent-kafka-python");
            assert_eq!(
                registered.schema.schema_type,
                kafka_sync::schema_registry::SchemaType::Protobuf
            );
            let raw = raw_values(&topic, 2);
            let (id, rest) = framing::read_header(&raw[0]).expect("header");
            assert_eq!(id, registered.id);
            assert_eq!(&rest[..3], [4, 2, 0], "[1, 0]: count 2, then 1 and 0");

            let read = read(
                &topic,
                2,
                StringDeserializer,
                ProtobufDeserializer::<Address>::new(registry, &[1, 0], SerdeConfig::value()),
            );
            let expected = vec![
                (
                    Some("a1".to_string()),
                    Some(Address {
                        city: "Oslo".into(),
                        zip: 150,
                    }),
                ),
                (
                    Some("a2".to_string()),
                    Some(Address {
                        city: "Zürich".into(),
                        zip: -8001,
                    }),
                ),
            ];
            assert_eq!(read, expected);
        }

        #[test]
        fn confluent_kafka_python_reads_what_we_write() {
            let _turn = crate::common::schema_registry::serial();
            let topic = topic("proto-to-python");
            let serializer = ProtobufSerializer::new(
                registry(),
                Schema::protobuf(SHOP_PROTO),
                &[0],
                SerdeConfig::value(),
            )
            .expect("serializer")
            .with_record_name("interop.Order");
            let producer = producer::<str, Order>(StringSerializer, serializer);
            let orders = [
                Order {
                    id: 1 << 40,
                    item: "tea".into(),
                    quantities: vec![1, -2, 300],
                },
                Order {
                    id: -5,
                    item: "ünïcode ✓".into(),
                    quantities: vec![7],
                },
            ];
            send_all(
                &producer,
                &topic,
                &[
                    (Some("o1"), Some(&orders[0])),
                    (Some("o2"), Some(&orders[1])),
                ],
            );

            let out = python(&[
                "protobuf",
                "consume",
                &common::bootstrap(),
                &registry_url(),
                &topic,
                "interop.Order",
                "2",
            ]);
            // protobuf's JSON mapping: int64 as a string.
            let read: Vec<(String, serde_json::Value)> = lines(&out);
            let expected = vec![
                (
                    "o1".to_string(),
                    json!({"id": (1_i64 << 40).to_string(), "item": "tea", "quantities": [1, -2, 300]}),
                ),
                (
                    "o2".to_string(),
                    json!({"id": "-5", "item": "ünïcode ✓", "quantities": [7]}),
                ),
            ];
            assert_eq!(read, expected);
        }
    }
}
