//! Micro-benchmarks of the consumer's hot paths: parsing a Fetch response, checking a
//! batch's CRC, and decoding a batch's records with each codec. Run with
//! `cargo bench --bench consumer`.

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kafka_sync::protocol::api::decode_response;
use kafka_sync::protocol::fetch::{
    FetchRequest, FetchResponse, FetchResponsePartition, FetchResponseTopic,
};
use kafka_sync::protocol::primitives::Write;
use kafka_sync::protocol::schema::Field;
use kafka_sync::protocol::Request;
use kafka_sync::record::batch::{
    RecordBatch, RecordBatchBuilder, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE,
};
use kafka_sync::Compression;

/// The Fetch version the consumer uses against Kafka 4 (topic names, flexible).
const FETCH_VERSION: i16 = 12;

/// A batch of `records` records of 100 B values, compressed with `codec`.
fn batch(codec: Compression, records: i64) -> Bytes {
    let value: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
    let mut builder = RecordBatchBuilder::new(
        codec,
        0,
        NO_PRODUCER_ID,
        NO_PRODUCER_EPOCH,
        NO_SEQUENCE,
        false,
    );
    for i in 0..records {
        builder.append(i, None, Some(&value), &[]).expect("append");
    }
    builder.build().expect("build")
}

/// A Fetch response frame (header and body) with `partitions` partitions of one topic,
/// each holding `batches` copies of `batch`.
fn fetch_frame(partitions: i32, batch: &Bytes, batches: usize) -> Bytes {
    let mut records = Vec::with_capacity(batch.len() * batches);
    for _ in 0..batches {
        records.extend_from_slice(batch);
    }
    let records = Bytes::from(records);
    let response = FetchResponse {
        responses: vec![FetchResponseTopic {
            topic: "bench".to_owned(),
            partitions: (0..partitions)
                .map(|p| FetchResponsePartition {
                    partition_index: p,
                    high_watermark: 1 << 20,
                    records: Some(records.clone()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let support = FetchRequest::SUPPORT;
    let mut frame = Vec::new();
    frame.put_i32(7); // the correlation id
    if support.response_header_version(FETCH_VERSION) >= 1 {
        frame.put_unsigned_varint(0); // no tagged fields
    }
    response.encode(&mut frame, support.ctx(FETCH_VERSION));
    Bytes::from(frame)
}

fn fetch_response_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("fetch_response_parse");
    let one = batch(Compression::None, 1000);
    // One partition with 1 MB of records; 1000 partitions with one small batch each.
    for (name, partitions, records, batches) in [
        ("1 partition, 10x1000 records", 1, &one, 10),
        (
            "1000 partitions, 1 batch each",
            1000,
            &batch(Compression::None, 10),
            1,
        ),
    ] {
        let frame = fetch_frame(partitions, records, batches);
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                decode_response::<FetchRequest>(black_box(frame.clone()), FETCH_VERSION)
                    .expect("decode")
            })
        });
    }
    group.finish();
}

fn batch_crc(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_crc");
    for records in [100, 10_000] {
        let parsed = RecordBatch::parse(batch(Compression::None, records)).expect("parse");
        group.throughput(Throughput::Bytes(parsed.size_in_bytes() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{records} records")),
            &parsed,
            |b, parsed| b.iter(|| black_box(parsed).verify_crc().expect("crc")),
        );
    }
    group.finish();
}

fn batch_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_decode_1000x100B");
    group.throughput(Throughput::Elements(1000));
    for codec in Compression::ALL.into_iter().filter(|c| c.is_available()) {
        let bytes = batch(codec, 1000);
        group.bench_with_input(
            BenchmarkId::from_parameter(codec.name()),
            &bytes,
            |b, bytes| {
                b.iter(|| {
                    let parsed = RecordBatch::parse(black_box(bytes.clone())).expect("parse");
                    let mut count = 0;
                    for record in parsed.records() {
                        black_box(record.expect("record"));
                        count += 1;
                    }
                    assert_eq!(count, 1000);
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, fetch_response_parse, batch_crc, batch_decode);
criterion_main!(benches);
