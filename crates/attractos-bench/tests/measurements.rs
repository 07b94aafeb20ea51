//! Every figure of the page is read from a file a tool wrote into `bench/out`: criterion's
//! baselines, the allocation counts, wrk's records and perf's reports.

use std::fs;
use std::path::{Path, PathBuf};

use attractos_bench::measurements::{Results, bench_group};
use attractos_bench::profile::Component;
use attractos_bench::{Case, Framework, Variant};

/// A fresh folder under the system temp dir, named after the test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attractos-bench-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a temp folder");
    dir
}

/// criterion's `estimates.json` for one baseline (`pass1`, ... or `new`), with a field the
/// reader ignores.
fn write_estimates(dir: &Path, variant: Variant, baseline: &str, median: f64) {
    let path = dir
        .join("criterion")
        .join(bench_group(Framework::Axum, Case::InvalidKey))
        .join(variant.id())
        .join(baseline);
    fs::create_dir_all(&path).expect("criterion folders");
    let json = format!(
        r#"{{"mean":{{"point_estimate":{}}},"median":{{"point_estimate":{median},"standard_error":1.0}}}}"#,
        median + 5.0
    );
    fs::write(path.join("estimates.json"), json).expect("estimates.json");
}

/// One wrk record as `bench/wrk/contract.lua` writes it.
fn wrk_record(scenario: &str, requests: u64, p99_us: f64, unexpected: u64) -> String {
    format!(
        r#"{{"framework":"actix","scenario":"{scenario}","request":"GET /x","expected":"401:MISSING_KEY",
            "requests":{requests},"duration_us":1000000,"p50_us":100.0,"p99_us":{p99_us},
            "socket_errors":0,"status_over_399":{requests},"statuses":{{"401":{requests}}},
            "unexpected":{unexpected},"unexpected_sample":""}}"#
    )
}

#[test]
fn a_benchmark_is_the_median_of_its_passes_and_the_last_run_counts_only_without_passes() {
    let dir = folder("passes");
    for (pass, median) in [
        ("pass1", 100.0),
        ("pass2", 300.0),
        ("pass3", 110.0),
        ("new", 999.0),
    ] {
        write_estimates(&dir, Variant::Floor, pass, median);
    }
    write_estimates(&dir, Variant::Library, "new", 120.0);
    let results = Results::read(&dir).expect("a readable run");
    let floor = results
        .timing(Framework::Axum, Case::InvalidKey, Variant::Floor)
        .expect("floor");
    // One slow pass (300 ns) moves neither the figure nor the ratios.
    assert_eq!(
        (floor.median_ns, floor.low_ns, floor.high_ns, floor.passes),
        (110.0, 100.0, 300.0, 3)
    );
    let library = results.timing(Framework::Axum, Case::InvalidKey, Variant::Library);
    assert_eq!(library.map(|t| (t.median_ns, t.passes)), Some((120.0, 1)));
    assert_eq!(
        results.timing(Framework::Actix, Case::InvalidKey, Variant::Floor),
        None
    );
}

#[test]
fn allocation_counts_are_read_per_framework_case_and_variant() {
    let dir = folder("allocations");
    fs::write(
        dir.join("allocations.jsonl"),
        r#"{"framework":"axum","case":"401-invalid-key","variant":"baseline-a","allocations":9.0,"reallocations":1.0,"bytes":1544.0}
"#,
    )
    .expect("allocations.jsonl");
    let results = Results::read(&dir).expect("a readable run");
    let allocs = results.allocs(Framework::Axum, Case::InvalidKey, Variant::BaselineA);
    assert_eq!(allocs.map(|a| (a.blocks(), a.bytes)), Some((10.0, 1544.0)));
}

#[test]
fn load_rounds_add_up_per_scenario_and_the_rate_is_the_median_rounds() {
    let dir = folder("rounds");
    for (round, requests, p99, unexpected) in [
        (1, 90_000, 900.0, 0),
        (2, 20_000, 1500.0, 1),
        (3, 100_000, 800.0, 0),
    ] {
        let record = wrk_record("b-missing-key", requests, p99, unexpected);
        fs::write(
            dir.join(format!("load-actix-b-missing-key-r{round}.json")),
            record,
        )
        .expect("a record");
    }
    let results = Results::read(&dir).expect("a readable run");
    assert_eq!(results.load.len(), 1, "{:?}", results.load);
    let run = &results.load[0];
    assert_eq!(
        (run.rounds(), run.requests, run.duration_us),
        (3, 210_000, 3_000_000)
    );
    assert_eq!(
        run.round_rates,
        vec![90_000.0, 20_000.0, 100_000.0],
        "each round's requests/s"
    );
    assert_eq!(
        run.requests_per_sec(),
        90_000.0,
        "one disturbed round does not decide the rate"
    );
    assert_eq!(run.p99_us, 1500.0, "the worst round's p99");
    assert_eq!(run.statuses.get("401"), Some(&210_000));
    assert_eq!(run.unexpected, 1);
}

#[test]
fn a_profile_is_divided_by_the_requests_wrk_counted_while_perf_sampled() {
    let dir = folder("profile");
    fs::write(
        dir.join("profile-axum-a-sites-200.json"),
        wrk_record("a-sites-200", 100_000, 1.0, 0),
    )
    .expect("the record");
    fs::write(
        dir.join("profile-axum-a-sites-200.txt"),
        "# attractos: sampled at 1000 Hz\n#\n    100.00%  1000  [kernel.kallsyms]  [k] tcp_ack\n",
    )
    .expect("the report");
    let results = Results::read(&dir).expect("a readable run");
    let profile = &results.profiles["axum"]["a-sites-200"];
    assert_eq!(profile.us_per_request(Component::Kernel), 10.0);
    assert_eq!(
        profile.mallocs_per_request, None,
        "no uprobe line, no count"
    );
}

#[test]
fn an_empty_folder_is_an_empty_run_and_a_malformed_file_an_error_naming_it() {
    let dir = folder("empty");
    let results = Results::read(&dir).expect("an empty run");
    assert!(results.timings.is_empty() && results.load.is_empty() && results.machine.is_none());
    fs::write(dir.join("machine.json"), "{").expect("machine.json");
    let err = Results::read(&dir).expect_err("a malformed machine.json");
    assert!(err.to_string().starts_with("machine.json: "), "{err}");
}
