//! Decoding `records` blobs fetched from a broker after librdkafka produced them (see
//! scripts/make_record_fixtures.py; the expected records are also in the .json files
//! beside the fixtures).

use bytes::Bytes;

use super::{Batch, Batches, Compression, Header, Record, RecordBatchBuilder, TimestampType};

const BASE_TIMESTAMP: i64 = 1_700_000_000_000;

fn expected() -> Vec<Record> {
    let repeated = format!("value-2 {}", "repeated ".repeat(20));
    vec![
        Record {
            offset: 0,
            timestamp: BASE_TIMESTAMP,
            key: Some(Bytes::from_static(b"key-0")),
            value: Some(Bytes::from_static(b"value-0")),
            headers: vec![Header::new("trace", "abc")],
        },
        Record {
            offset: 1,
            timestamp: BASE_TIMESTAMP + 1,
            key: None,
            value: Some(Bytes::from_static(b"value-1 has a null key")),
            headers: vec![],
        },
        Record {
            offset: 2,
            timestamp: BASE_TIMESTAMP + 2,
            key: Some(Bytes::from_static(b"key-2")),
            value: Some(Bytes::from(repeated)),
            headers: vec![Header::new("h1", "v1"), Header::null("empty")],
        },
    ]
}

fn decode(blob: &'static [u8], codec: Compression) {
    let mut batches = Batches::new(Bytes::from_static(blob));
    let mut records = Vec::new();
    for batch in batches.by_ref() {
        let batch = batch.unwrap_or_else(|e| panic!("{codec}: {e}"));
        batch
            .verify_crc()
            .unwrap_or_else(|e| panic!("{codec}: {e}"));
        let Batch::V2(v2) = &batch else {
            panic!("{codec}: expected a v2 batch");
        };
        assert_eq!(v2.compression(), codec);
        assert_eq!(v2.timestamp_type(), TimestampType::CreateTime);
        assert!(!v2.is_control() && !v2.is_transactional());
        for record in batch.records() {
            records.push(record.unwrap_or_else(|e| panic!("{codec}: {e}")));
        }
    }
    assert!(!batches.is_truncated(), "{codec}");
    assert_eq!(records, expected(), "{codec}");
}

#[test]
fn librdkafka_uncompressed() {
    decode(
        include_bytes!("../../tests/fixtures/librdkafka_none.bin"),
        Compression::None,
    );
}

#[test]
fn librdkafka_gzip() {
    decode(
        include_bytes!("../../tests/fixtures/librdkafka_gzip.bin"),
        Compression::Gzip,
    );
}

#[test]
fn librdkafka_snappy() {
    decode(
        include_bytes!("../../tests/fixtures/librdkafka_snappy.bin"),
        Compression::Snappy,
    );
}

#[test]
fn librdkafka_lz4() {
    decode(
        include_bytes!("../../tests/fixtures/librdkafka_lz4.bin"),
        Compression::Lz4,
    );
}

#[test]
fn librdkafka_zstd() {
    decode(
        include_bytes!("../../tests/fixtures/librdkafka_zstd.bin"),
        Compression::Zstd,
    );
}

#[test]
fn builder_writes_the_same_records_as_librdkafka() {
    // The CRC covers attributes..end, which holds everything the producer wrote
    // (the broker only changes baseOffset and partitionLeaderEpoch).
    let theirs = include_bytes!("../../tests/fixtures/librdkafka_none.bin");
    let mut builder = RecordBatchBuilder::new(Compression::None, BASE_TIMESTAMP, -1, -1, -1, false);
    for record in expected() {
        builder
            .append(
                record.timestamp,
                record.key.as_deref(),
                record.value.as_deref(),
                &record.headers,
            )
            .unwrap();
    }
    let ours = builder.build().unwrap();
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(&ours[8..12], &theirs[8..12], "batchLength");
    assert_eq!(
        &ours[16..],
        &theirs[16..],
        "magic, CRC, attributes and records"
    );
}

#[test]
fn truncated_fixture_ends_quietly() {
    let blob = include_bytes!("../../tests/fixtures/librdkafka_gzip.bin");
    for cut in 1..blob.len() {
        let mut batches = Batches::new(Bytes::from_static(&blob[..cut]));
        assert!(batches.next().is_none());
        assert!(batches.is_truncated());
    }
}
