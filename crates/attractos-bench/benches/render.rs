//! Rendering one error response, side by side: the library through each adapter, baseline A
//! (`json!`), baseline B (`json!` + the contract headers) and the floor (`&'static` body,
//! `from_static` headers). Run with `cargo bench -p attractos-bench --bench render`.

use std::hint::black_box;
use std::time::Duration;

use attractos_bench::measurements::bench_group;
use attractos_bench::{Case, Framework, actix_side, axum_side};
use criterion::Criterion;

fn main() {
    // The library's `log()` is measured as it runs in a service with logging filtered out.
    assert!(
        !tracing::dispatcher::has_been_set(),
        "the rendering is measured without a tracing subscriber installed"
    );
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for case in Case::ALL {
        let mut group = criterion.benchmark_group(bench_group(Framework::Axum, case));
        for (variant, render) in axum_side::VARIANTS {
            group.bench_function(variant.id(), |b| b.iter(|| render(black_box(case))));
        }
        group.finish();
    }
    for case in Case::ALL {
        let mut group = criterion.benchmark_group(bench_group(Framework::Actix, case));
        for (variant, render) in actix_side::VARIANTS {
            group.bench_function(variant.id(), |b| b.iter(|| render(black_box(case))));
        }
        group.finish();
    }
    criterion.final_summary();
}
