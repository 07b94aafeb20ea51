//! The targets, judged at and just past their thresholds: a target exactly at its
//! bound is met, a hair past it is missed, and a target without its figures is not measured.

use attractos_bench::allocations::Allocations;
use attractos_bench::measurements::{LoadRecord, Results, Timing, key};
use attractos_bench::targets::{self, Check, Reading};
use attractos_bench::{Case, Framework, Variant};

/// A run with only `figures`: (case, variant, median ns, allocation blocks), on axum.
fn axum_run(figures: &[(Case, Variant, f64, f64)]) -> Results {
    let mut results = Results::default();
    for &(case, variant, median, blocks) in figures {
        let key = key(Framework::Axum, case, variant);
        let timing = Timing::from_pass_medians(&[median]).expect("one pass");
        results.timings.insert(key.clone(), timing);
        let allocations = Allocations {
            allocations: blocks,
            reallocations: 0.0,
            bytes: 0.0,
        };
        results.allocations.insert(key, allocations);
    }
    results
}

/// The verdict of the axum target whose text contains `target`.
fn verdict(checks: &[Check], target: &str) -> (String, Option<bool>) {
    let check = checks
        .iter()
        .find(|c| c.framework == "axum" && c.target.contains(target))
        .unwrap_or_else(|| panic!("no target {target:?} in {checks:#?}"));
    (check.measured.clone(), check.met)
}

/// One rendering target at or just past its threshold: the library's (median ns, allocation
/// blocks), the variant it is judged against with its own, the target, what the page says was
/// measured, and the verdict.
type Threshold = (
    Case,
    (f64, f64),
    Variant,
    (f64, f64),
    &'static str,
    &'static str,
    bool,
);

#[rustfmt::skip]
const THRESHOLDS: [Threshold; 12] = [
    (Case::InvalidKey, (100.0, 3.0), Variant::BaselineB, (300.0, 13.0), ">= 3x faster than baseline B", "3.00x", true),
    (Case::InvalidKey, (100.0, 3.0), Variant::BaselineB, (299.0, 13.0), ">= 3x faster than baseline B", "2.99x", false),
    (Case::InvalidKey, (115.0, 3.0), Variant::Floor, (100.0, 3.0), "within 1.15x of the floor", "1.150x the floor (115.0 ns vs 100.0 ns)", true),
    (Case::InvalidKey, (115.1, 3.0), Variant::Floor, (100.0, 3.0), "within 1.15x of the floor", "1.151x the floor (115.1 ns vs 100.0 ns)", false),
    (Case::InvalidKey, (100.0, 3.0), Variant::Floor, (100.0, 3.0), "no more allocations than the floor", "3 vs 3", true),
    (Case::InvalidKey, (100.0, 4.0), Variant::Floor, (100.0, 3.0), "no more allocations than the floor", "4 vs 3", false),
    (Case::InvalidKey, (100.0, 3.0), Variant::BaselineA, (100.0, 10.0), "never slower than baseline A", "1.00x", true),
    (Case::InvalidKey, (100.0, 3.0), Variant::BaselineA, (99.0, 10.0), "never slower than baseline A", "0.99x", false),
    (Case::RateLimited, (200.0, 5.0), Variant::BaselineB, (300.0, 15.0), ">= 1.5x faster than baseline B", "1.50x", true),
    (Case::CustomMessage, (201.0, 5.0), Variant::BaselineB, (300.0, 15.0), ">= 1.5x faster than baseline B", "1.49x", false),
    (Case::RateLimited, (200.0, 5.0), Variant::BaselineB, (300.0, 5.5), "fewer allocations than baseline B", "5 vs 5.50", true),
    (Case::CustomMessage, (200.0, 5.5), Variant::BaselineB, (300.0, 5.5), "fewer allocations than baseline B", "5.50 vs 5.50", false),
];

#[test]
fn a_rendering_target_is_met_at_its_threshold_and_missed_just_past_it() {
    for (case, library, variant, other, target, measured, met) in THRESHOLDS {
        let results = axum_run(&[
            (case, Variant::Library, library.0, library.1),
            (case, variant, other.0, other.1),
        ]);
        let target = format!("{}: {target}", case.id());
        assert_eq!(
            verdict(&targets::rendering(&results), &target),
            (measured.to_owned(), Some(met)),
            "{target} with the library at {library:?} and {variant:?} at {other:?}"
        );
    }
}

#[test]
fn a_target_without_its_figures_is_not_measured_never_met() {
    let checks = targets::rendering(&Results::default());
    // 2 frameworks x (4 targets for the 401 + 2 for each of the two others).
    assert_eq!(checks.len(), 16);
    assert!(
        checks
            .iter()
            .all(|c| c.met.is_none() && c.measured == "not measured"),
        "{checks:#?}"
    );
}

/// A run of one load round per (scenario, requests over one second, unexpected answers, socket
/// errors), on axum.
fn load_runs(runs: &[(&str, u64, u64, u64)]) -> Results {
    let load = runs.iter().map(
        |&(scenario, requests, unexpected, socket_errors)| LoadRecord {
            framework: "axum".into(),
            scenario: scenario.into(),
            request: "GET /x".into(),
            requests,
            duration_us: 1_000_000,
            p50_us: 100.0,
            p99_us: 900.0,
            socket_errors,
            statuses: [("200".to_owned(), requests)].into(),
            unexpected,
            unexpected_sample: String::new(),
            round_rates: Vec::new(),
        },
    );
    Results {
        load: load.collect(),
        ..Results::default()
    }
}

/// One round of every scenario: (b) at exactly 0.95x the rate of (a) with 2 unexpected answers,
/// (c) just below 0.95x, (d) with a socket error, a control that answered nothing.
const ONE_ROUND: &[(&str, u64, u64, u64)] = &[
    ("a-sites-200", 100_000, 0, 0),
    ("b-missing-key", 95_000, 2, 0),
    ("c-invalid-json", 94_900, 0, 0),
    ("d-rate-limited", 99_000, 0, 1),
    ("control-valid-event", 0, 0, 0),
];

#[test]
fn error_scenarios_must_keep_0_95x_of_the_success_scenarios_rate() {
    let checks = targets::load(&load_runs(ONE_ROUND));
    assert_eq!(
        verdict(&checks, "b-missing-key: >= 0.95x"),
        ("0.95x".into(), Some(true))
    );
    assert_eq!(
        verdict(&checks, "c-invalid-json: >= 0.95x"),
        ("0.95x".into(), Some(false))
    );
    assert!(
        !checks
            .iter()
            .any(|c| c.target.contains("control-valid-event: >=")),
        "the control explains (c); it is not held to a rate"
    );
}

#[test]
fn every_load_run_must_answer_only_contract_responses_without_socket_errors() {
    let checks = targets::load(&load_runs(ONE_ROUND));
    let clean = |scenario: &str| verdict(&checks, &format!("{scenario}: only contract"));
    assert_eq!(
        clean("a-sites-200"),
        ("0 unexpected, 0 socket errors".into(), Some(true))
    );
    assert_eq!(
        clean("b-missing-key"),
        ("2 unexpected, 0 socket errors".into(), Some(false))
    );
    assert_eq!(
        clean("d-rate-limited"),
        ("0 unexpected, 1 socket errors".into(), Some(false))
    );
    assert_eq!(
        clean("control-valid-event").1,
        Some(false),
        "a run that answered nothing proves nothing"
    );
}

#[test]
fn the_error_path_is_judged_against_its_control_when_both_measures_agree() {
    let reading = |c_requests| {
        let results = load_runs(&[
            ("a-sites-200", 100_000, 0, 0),
            ("c-invalid-json", c_requests, 0, 0),
            ("control-valid-event", 80_000, 0, 0),
        ]);
        let comparisons = targets::control_comparisons(&results);
        assert_eq!(comparisons.len(), 1, "axum only: {comparisons:?}");
        (
            comparisons[0].c_vs_control,
            comparisons[0].control_vs_a,
            comparisons[0].reading,
        )
    };
    // Without a profile, requests/s decide alone.
    assert_eq!(reading(76_000), (0.95, 0.8, Reading::ErrorCostsNoMore));
    assert_eq!(reading(75_000).2, Reading::ErrorCostsMore);
}

#[test]
fn requests_per_second_and_cpu_per_request_must_agree_for_a_verdict() {
    let kernel = |samples: u64, requests| {
        let report = format!(
            "# attractos: sampled at 1000 Hz\n 100.00% {samples} [kernel.kallsyms] [k] tcp_ack\n"
        );
        attractos_bench::profile::Profile::parse(&report, requests).expect("a profile")
    };
    let mut results = load_runs(&[
        ("a-sites-200", 100_000, 0, 0),
        ("c-invalid-json", 80_000, 0, 0),
        ("control-valid-event", 80_000, 0, 0),
    ]);
    let profiles = results.profiles.entry("axum".into()).or_default();
    profiles.insert("a-sites-200".into(), kernel(1000, 100_000));
    profiles.insert("c-invalid-json".into(), kernel(1250, 80_000));
    profiles.insert("control-valid-event".into(), kernel(1000, 80_000));
    let comparison = targets::control_comparisons(&results)[0];
    // Same requests/s as the control, but 1.25x its CPU per request.
    assert_eq!(comparison.cpu_c_vs_control, Some(1.25));
    assert_eq!(comparison.reading, Reading::WithinNoise);
}
