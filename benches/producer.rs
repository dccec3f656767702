//! Micro-benchmarks of the producer's hot paths: appending to the accumulator, encoding
//! a batch with each codec, choosing a partition, and the statistics' latency histogram
//! (what the sender adds per produce response; `send()` itself counts nothing). Run
//! with `cargo bench`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kafka_sync::producer::{
    bench_accumulator_append, bench_latency_histogram, murmur2, DefaultPartitioner, Partitioner,
};
use kafka_sync::record::batch::{
    RecordBatchBuilder, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE,
};
use kafka_sync::Compression;

fn accumulator_append(c: &mut Criterion) {
    let mut group = c.benchmark_group("accumulator_append");
    let records = 10_000;
    group.throughput(Throughput::Elements(records as u64));
    group.bench_function("10k x 100 B", |b| {
        b.iter(|| bench_accumulator_append(black_box(records), 100, Compression::None))
    });
    group.finish();
}

fn batch_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_encode_1000x100B");
    group.throughput(Throughput::Bytes(100_000));
    let value: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
    for codec in Compression::ALL.into_iter().filter(|c| c.is_available()) {
        group.bench_with_input(
            BenchmarkId::from_parameter(codec.name()),
            &codec,
            |b, &codec| {
                b.iter(|| {
                    let mut builder = RecordBatchBuilder::new(
                        codec,
                        0,
                        NO_PRODUCER_ID,
                        NO_PRODUCER_EPOCH,
                        NO_SEQUENCE,
                        false,
                    );
                    for i in 0..1000 {
                        builder.append(i, None, Some(&value), &[]).expect("append");
                    }
                    builder.build().expect("build")
                })
            },
        );
    }
    group.finish();
}

fn partitioner(c: &mut Criterion) {
    let mut group = c.benchmark_group("partitioner");
    let key = b"user-0123456789";
    group.bench_function("murmur2 16 B key", |b| b.iter(|| murmur2(black_box(key))));
    let p = DefaultPartitioner::new();
    let available = [0, 1, 2, 3];
    group.bench_function("keyed", |b| {
        b.iter(|| p.partition("t", Some(black_box(key)), 4, &available))
    });
    group.bench_function("sticky keyless", |b| {
        b.iter(|| p.partition("t", None, 4, &available))
    });
    group.finish();
}

fn latency_histogram(c: &mut Criterion) {
    let mut group = c.benchmark_group("statistics");
    let samples = 10_000;
    group.throughput(Throughput::Elements(samples));
    group.bench_function("10k latencies recorded, then summarized", |b| {
        b.iter(|| bench_latency_histogram(black_box(samples)))
    });
    group.finish();
}

criterion_group!(
    benches,
    accumulator_append,
    batch_encode,
    partitioner,
    latency_histogram
);
criterion_main!(benches);
