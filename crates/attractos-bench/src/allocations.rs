//! Heap allocations per response, counted with a `stats_alloc` global allocator that the
//! measuring binary installs (`src/bin/allocations.rs`; the criterion bench does not, so its
//! timings carry no counting cost).

use std::alloc::System;
use std::hint::black_box;

use stats_alloc::{Region, StatsAlloc};

/// Allocator activity per call of the measured function, averaged over the runs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Allocations {
    /// Calls to `alloc` per call.
    pub allocations: f64,
    /// Calls to `realloc` per call (a grown buffer: a new block in all but name).
    pub reallocations: f64,
    /// Bytes requested by `alloc` and `realloc` per call.
    pub bytes: f64,
}

impl Allocations {
    /// Allocations and reallocations together: the blocks the allocator had to find.
    pub fn blocks(&self) -> f64 {
        self.allocations + self.reallocations
    }
}

/// Counts what `f` allocates, per call: `f` runs `warm_up` times first (thread-local pools,
/// one-time initialization), then `runs` times inside a counting region, its result dropped
/// inside the region too. Of `trials` such regions the one with the fewest blocks is kept, so
/// a stray allocation of another thread cannot inflate the count.
///
/// `allocator` must be the process's `#[global_allocator]`, or nothing is counted.
pub fn measure<R>(
    allocator: &'static StatsAlloc<System>,
    f: impl Fn() -> R,
    warm_up: usize,
    runs: usize,
    trials: usize,
) -> Allocations {
    assert!(
        runs > 0 && trials > 0,
        "measure needs at least one run and one trial"
    );
    for _ in 0..warm_up {
        drop(black_box(f()));
    }
    let mut best: Option<Allocations> = None;
    for _ in 0..trials {
        let region = Region::new(allocator);
        for _ in 0..runs {
            drop(black_box(f()));
        }
        let change = region.change();
        let per = |n: usize| n as f64 / runs as f64;
        let trial = Allocations {
            allocations: per(change.allocations),
            reallocations: per(change.reallocations),
            bytes: per(change.bytes_allocated + change.bytes_reallocated.max(0) as usize),
        };
        if best.is_none_or(|b| trial.blocks() < b.blocks()) {
            best = Some(trial);
        }
    }
    best.expect("at least one trial ran")
}
