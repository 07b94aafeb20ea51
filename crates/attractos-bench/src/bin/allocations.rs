//! `allocations`: heap allocations per rendered response, for every framework, case and
//! variant, as JSON lines on stdout (see `attractos_bench::measurements::AllocationRecord`).
//!
//! Run it in release mode: `cargo run --release -p attractos-bench --bin allocations`.

use std::alloc::System;

use attractos_bench::allocations::measure;
use attractos_bench::measurements::AllocationRecord;
use attractos_bench::{Case, Framework, actix_side, axum_side};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const WARM_UP: usize = 100;
const RUNS: usize = 1000;
const TRIALS: usize = 5;

fn main() {
    assert!(
        !tracing::dispatcher::has_been_set(),
        "measure without a tracing subscriber, as the criterion bench does"
    );
    let mut lines = Vec::new();
    for case in Case::ALL {
        for (variant, render) in axum_side::VARIANTS {
            let allocations = measure(GLOBAL, || render(case), WARM_UP, RUNS, TRIALS);
            lines.push(record(Framework::Axum, case, variant.id(), allocations));
        }
        for (variant, render) in actix_side::VARIANTS {
            let allocations = measure(GLOBAL, || render(case), WARM_UP, RUNS, TRIALS);
            lines.push(record(Framework::Actix, case, variant.id(), allocations));
        }
    }
    for line in lines {
        println!("{line}");
    }
}

fn record(
    framework: Framework,
    case: Case,
    variant: &str,
    allocations: attractos_bench::allocations::Allocations,
) -> String {
    serde_json::to_string(&AllocationRecord {
        framework: framework.as_str().to_owned(),
        case: case.id().to_owned(),
        variant: variant.to_owned(),
        allocations,
    })
    .expect("serializing a record of strings and numbers")
}
