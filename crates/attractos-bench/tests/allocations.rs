//! Allocation counts are deterministic, so the allocation targets are checked here on every
//! `cargo test`, not only when the benchmarks run. One test function: the counting allocator
//! is process-wide, and tests running in parallel would count each other.

use std::alloc::System;

use attractos_bench::allocations::{Allocations, measure};
use attractos_bench::{Case, actix_side, axum_side};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn count<R>(f: impl Fn() -> R) -> Allocations {
    measure(GLOBAL, f, 10, 50, 3)
}

#[test]
fn allocation_targets() {
    // The counter counts: one Vec is one allocation, nothing is nothing.
    let one = count(|| Vec::<u8>::with_capacity(16));
    assert_eq!((one.allocations, one.reallocations), (1.0, 0.0));
    assert_eq!(one.bytes, 16.0);
    assert_eq!(count(|| 7_u32).blocks(), 0.0);

    for (framework, library, floor, baseline_b) in [
        (
            "axum",
            count(|| axum_side::library(Case::InvalidKey)),
            count(|| axum_side::floor(Case::InvalidKey)),
            count(|| axum_side::baseline_b(Case::InvalidKey)),
        ),
        (
            "actix",
            count(|| actix_side::library(Case::InvalidKey)),
            count(|| actix_side::floor(Case::InvalidKey)),
            count(|| actix_side::baseline_b(Case::InvalidKey)),
        ),
    ] {
        assert!(
            library.blocks() <= floor.blocks(),
            "{framework}: a catalogue-message error allocates no more than the floor: {library:?} vs {floor:?}"
        );
        assert!(
            library.blocks() < baseline_b.blocks(),
            "{framework}: fewer allocations than json! + headers: {library:?} vs {baseline_b:?}"
        );
    }

    for case in [Case::CustomMessage, Case::RateLimited] {
        let axum_library = count(|| axum_side::library(case));
        let axum_baseline = count(|| axum_side::baseline_b(case));
        assert!(
            axum_library.blocks() < axum_baseline.blocks(),
            "axum {case:?}: fewer allocations than baseline B: {axum_library:?} vs {axum_baseline:?}"
        );
        let actix_library = count(|| actix_side::library(case));
        let actix_baseline = count(|| actix_side::baseline_b(case));
        assert!(
            actix_library.blocks() < actix_baseline.blocks(),
            "actix {case:?}: fewer allocations than baseline B: {actix_library:?} vs {actix_baseline:?}"
        );
    }
}
