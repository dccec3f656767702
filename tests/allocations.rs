//! Heap allocations on the producer's append path, counted by a global allocator.
//!
//! Appending a record to an open batch must not allocate: the record's bytes are
//! copied into the batch's buffer, reserved at `batch.size` when the batch opened, and
//! its future shares the batch's completion. What allocates is opening a batch (its
//! buffer, its completion) and, rarely, growing the queues that hold batches. So the
//! allocations of N appends are bounded by the batches they open, plus a constant for
//! the accumulator itself, whatever N is; one allocation per record would break the
//! bound many times over.
//!
//! No broker is needed: the test drives the accumulator through the hook the append
//! micro-benchmark uses.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use kafka_sync::producer::bench_accumulator_append_with_headers;
use kafka_sync::{Compression, Header};

/// Counts the allocations (and reallocations) made by the current thread, so that the
/// test harness's other threads do not disturb a measurement.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // During thread teardown the counter may be gone: those allocations are not ours.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: every call goes straight to the system allocator with the caller's arguments;
// the counting touches only a thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller's contract for `alloc`, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller's contract for `alloc_zeroed`, passed on unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: the caller's contract for `realloc`, passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// How many allocations the current thread makes while running `f`, and its result.
fn allocations<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = f();
    (ALLOCATIONS.with(Cell::get) - before, result)
}

/// The most allocations opening one batch may take: its buffer (allocated, then grown
/// to `batch.size` at once), its completion, and a share of the growth of the queues
/// and maps that hold batches (about 5 in all today). A 16 KiB batch holds about 140
/// of these records, so an allocation per record cannot hide under this bound.
const PER_BATCH: u64 = 10;

/// The allocations of the accumulator itself: its maps, its first partition queue.
const FIXED: u64 = 64;

/// Appends `records` 100-byte records with `headers` and checks the allocations
/// against the batches opened. Returns (allocations, batches).
fn check_appends(records: usize, headers: &[Header]) -> (u64, u64) {
    let (count, batches) = allocations(|| {
        bench_accumulator_append_with_headers(records, 100, headers, Compression::None)
    });
    let batches = batches as u64;
    println!(
        "{records} appends with {} headers: {count} allocations, {batches} batches",
        headers.len()
    );
    assert!(batches >= 2, "{records} records filled {batches} batches");
    let bound = PER_BATCH * batches + FIXED;
    assert!(
        count <= bound,
        "{records} appends ({} headers each) made {count} allocations over {batches} \
         batches: more than {bound}, so something allocates per record",
        headers.len()
    );
    (count, batches)
}

#[test]
fn appending_to_an_open_batch_does_not_allocate() {
    let (small, _) = check_appends(1_000, &[]);
    let (large, batches) = check_appends(10_000, &[]);
    // Ten times the records: the extra allocations are the extra batches' and no more.
    assert!(
        large - small <= PER_BATCH * batches,
        "1000 appends: {small} allocations, 10000: {large}"
    );
}

#[test]
fn records_with_headers_do_not_allocate_either() {
    // The headers are the caller's: built once, appended with every record.
    let headers = [
        Header {
            key: "trace-id".to_owned(),
            value: Some(Bytes::from_static(b"4bf92f3577b34da6a3ce929d0e0e4736")),
        },
        Header {
            key: "tombstone-reason".to_owned(),
            value: None,
        },
    ];
    let (small, _) = check_appends(1_000, &headers);
    let (large, batches) = check_appends(10_000, &headers);
    assert!(
        large - small <= PER_BATCH * batches,
        "1000 appends: {small} allocations, 10000: {large}"
    );
}

#[test]
fn the_counter_sees_an_allocation_per_record_when_there_is_one() {
    // The check itself: an allocation per append must not go unseen.
    let (count, _) = allocations(|| {
        let mut kept = Vec::with_capacity(1_000);
        for i in 0..1_000u32 {
            kept.push(Box::new(i));
        }
        kept.len()
    });
    assert!(count >= 1_000, "{count}");
}
