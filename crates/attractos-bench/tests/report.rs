//! `docs/performance.md` is written from the files the tools leave, and says which targets a
//! run met: a missed target is reported as missed, never rounded into a pass.

use std::fs;
use std::path::{Path, PathBuf};

use attractos_bench::report::{Results, bench_group, load_checks, markdown, render_checks};
use attractos_bench::{Case, Framework, Variant};

/// A fresh folder under the system temp dir, named after the test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "attractos-bench-report-{name}-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a temp folder");
    dir
}

/// criterion's `estimates.json`, reduced to what the report reads (plus a field it ignores).
fn estimates(median: f64) -> String {
    format!(
        r#"{{"mean":{{"point_estimate":{m},"confidence_interval":{{"lower_bound":{m},"upper_bound":{m}}}}},
            "median":{{"point_estimate":{median},"standard_error":1.0,
            "confidence_interval":{{"confidence_level":0.95,"lower_bound":{lo},"upper_bound":{hi}}}}}}}"#,
        m = median + 5.0,
        lo = median - 1.0,
        hi = median + 1.0
    )
}

fn write_timing(dir: &Path, framework: Framework, case: Case, variant: Variant, median: f64) {
    write_pass(dir, framework, case, variant, "new", median);
}

fn write_pass(
    dir: &Path,
    framework: Framework,
    case: Case,
    variant: Variant,
    pass: &str,
    median: f64,
) {
    let path = dir
        .join("criterion")
        .join(bench_group(framework, case))
        .join(variant.id())
        .join(pass);
    fs::create_dir_all(&path).expect("criterion folders");
    fs::write(path.join("estimates.json"), estimates(median)).expect("estimates.json");
}

/// A run in which every rendering target is met, except (when `slow_axum_401`) the axum 401's
/// distance to the floor.
fn measured_run(test: &str, slow_axum_401: bool) -> PathBuf {
    let dir = folder(test);
    let mut allocations = String::new();
    for framework in Framework::ALL {
        for case in Case::ALL {
            let library = if slow_axum_401 && framework == Framework::Axum {
                140.0
            } else {
                110.0
            };
            for (variant, median, blocks) in [
                (Variant::Library, library, 3),
                (Variant::LibraryViaError, 120.0, 4),
                (Variant::BaselineA, 300.0, 10),
                (Variant::BaselineB, 450.0, 13),
                (Variant::Floor, 100.0, 3),
            ] {
                if variant == Variant::LibraryViaError && framework == Framework::Axum {
                    continue;
                }
                write_timing(&dir, framework, case, variant, median);
                allocations.push_str(&format!(
                    "{{\"framework\":\"{}\",\"case\":\"{}\",\"variant\":\"{}\",\"allocations\":{blocks}.0,\"reallocations\":0.0,\"bytes\":100.0}}\n",
                    framework.id(),
                    case.id(),
                    variant.id()
                ));
            }
        }
    }
    fs::write(dir.join("allocations.jsonl"), allocations).expect("allocations.jsonl");
    for (scenario, requests, unexpected) in [
        ("a-sites-200", 100_000, 0),
        ("b-missing-key", 99_000, 0),
        ("c-invalid-json", 90_000, 0),
        ("d-rate-limited", 120_000, 2),
        ("control-valid-event", 88_000, 0),
    ] {
        fs::write(
            dir.join(format!("load-axum-{scenario}.json")),
            format!(
                r#"{{"framework":"axum","scenario":"{scenario}","request":"GET /x","expected":"200:-",
                    "requests":{requests},"duration_us":10000000,"p50_us":300.5,"p99_us":1200.0,
                    "socket_errors":0,"status_over_399":0,"statuses":{{"200":{requests}}},
                    "unexpected":{unexpected},"unexpected_sample":"{sample}"}}"#,
                sample = if unexpected > 0 { "500 text/plain oops" } else { "" }
            ),
        )
        .expect("a load record");
    }
    fs::write(
        dir.join("machine.json"),
        r#"{"nproc":"2","cpu":"Test CPU","rustc":"rustc 1.95.0","loadavg_before":"0.1","loadavg_after":"0.2","date":"today","commit":"abc1234"}"#,
    )
    .expect("machine.json");
    dir
}

#[test]
fn every_measurement_is_read_from_the_tools_files() {
    let results = Results::read(&measured_run("read", false)).expect("a readable run");
    let timing = results
        .timing(Framework::Actix, Case::RateLimited, Variant::BaselineB)
        .expect("a timing");
    assert_eq!(
        (
            timing.median_ns,
            timing.low_ns,
            timing.high_ns,
            timing.passes
        ),
        (450.0, 450.0, 450.0, 1)
    );
    let allocs = results
        .allocs(Framework::Axum, Case::InvalidKey, Variant::BaselineA)
        .expect("an allocation count");
    assert_eq!(allocs.blocks(), 10.0);
    assert_eq!(results.load.len(), 5);
    assert_eq!(results.load[0].scenario, "a-sites-200");
    assert!((results.load[0].requests_per_sec() - 10_000.0).abs() < 1e-9);
    assert_eq!(
        results.machine.as_ref().map(|m| m.cpu.as_str()),
        Some("Test CPU")
    );
}

#[test]
fn targets_are_checked_as_ratios_of_medians_and_allocation_counts() {
    let met = Results::read(&measured_run("met", false)).expect("a readable run");
    let checks = render_checks(&met);
    // 2 frameworks x (4 checks for the 401 + 2 for each of the two others).
    assert_eq!(checks.len(), 16);
    assert!(checks.iter().all(|c| c.met == Some(true)), "{checks:#?}");

    let missed = Results::read(&measured_run("missed", true)).expect("a readable run");
    let floor = render_checks(&missed)
        .into_iter()
        .find(|c| c.scope == "axum" && c.target.contains("within 1.15x of the floor"))
        .expect("the floor check");
    assert_eq!(floor.met, Some(false));
    assert_eq!(floor.measured, "1.400x the floor (140.0 ns vs 100.0 ns)");
}

#[test]
fn load_targets_compare_each_error_scenario_with_the_success_scenario() {
    let results = Results::read(&measured_run("load", false)).expect("a readable run");
    let checks = load_checks(&results);
    let verdict = |text: &str| {
        checks
            .iter()
            .find(|c| c.target.contains(text))
            .map(|c| (c.measured.clone(), c.met))
            .expect(text)
    };
    assert_eq!(
        verdict("b-missing-key: >= 0.95x"),
        ("0.99x".to_owned(), Some(true))
    );
    assert_eq!(
        verdict("c-invalid-json: >= 0.95x"),
        ("0.90x".to_owned(), Some(false))
    );
    assert_eq!(
        verdict("d-rate-limited: only contract"),
        ("2 unexpected, 0 socket errors".to_owned(), Some(false))
    );
}

#[test]
fn the_page_shows_the_machine_the_tables_and_every_missed_target() {
    let page = markdown(&Results::read(&measured_run("page", true)).expect("a readable run"));
    for expected in [
        "| CPU (`/proc/cpuinfo`) | Test CPU |",
        "| rustc | `rustc 1.95.0` |",
        "bash bench/run.sh",
        "| baseline B: `json!` body + contract headers | 450.0 ns |",
        "| axum | 401-invalid-key: within 1.15x of the floor | 1.400x the floor (140.0 ns vs 100.0 ns) | **missed** |",
        "- axum 401-invalid-key: within 1.15x of the floor: 1.400x the floor (140.0 ns vs 100.0 ns)",
        "- axum load c-invalid-json: >= 0.95x the requests/s of (a): 0.90x",
        "First unexpected response of axum d-rate-limited: `500 text/plain oops`",
        "- axum: (c) runs at 1.02x the requests/s of its control",
        "which runs at 0.88x of (a): answering INVALID_JSON costs no more than accepting",
    ] {
        assert!(page.contains(expected), "missing {expected:?} in:\n{page}");
    }
}

#[test]
fn a_run_without_measurements_says_so_instead_of_inventing_figures() {
    let page = markdown(&Results::read(&folder("empty")).expect("an empty run"));
    assert!(page.contains("Not recorded."));
    assert!(page.contains("Not measured in this run."));
    assert!(page.contains("| not measured |"));
    assert!(!page.contains(" ns |"), "no timing without a measurement");
}

#[test]
fn a_benchmark_is_the_median_of_its_passes() {
    let dir = measured_run("passes", false);
    for (pass, median) in [("pass1", 100.0), ("pass2", 300.0), ("pass3", 110.0)] {
        write_pass(
            &dir,
            Framework::Axum,
            Case::InvalidKey,
            Variant::Floor,
            pass,
            median,
        );
    }
    let results = Results::read(&dir).expect("a readable run");
    let floor = results
        .timing(Framework::Axum, Case::InvalidKey, Variant::Floor)
        .expect("the floor");
    // One slow pass (300 ns) moves neither the figure nor the ratios; `new` is ignored once
    // there are passes.
    assert_eq!(
        (floor.median_ns, floor.low_ns, floor.high_ns, floor.passes),
        (110.0, 100.0, 300.0, 3)
    );
}

#[test]
fn load_rounds_add_up_per_scenario() {
    let dir = folder("rounds");
    for (round, requests, p99, unexpected) in [(1, 1000, 900.0, 0), (2, 3000, 1500.0, 1)] {
        fs::write(
            dir.join(format!("load-actix-b-missing-key-r{round}.json")),
            format!(
                r#"{{"framework":"actix","scenario":"b-missing-key","request":"GET /x",
                    "expected":"401:MISSING_KEY","requests":{requests},"duration_us":1000000,
                    "p50_us":100.0,"p99_us":{p99},"socket_errors":0,"status_over_399":{requests},
                    "statuses":{{"401":{requests}}},"unexpected":{unexpected}}}"#
            ),
        )
        .expect("a load record");
    }
    let results = Results::read(&dir).expect("a readable run");
    assert_eq!(results.load.len(), 1, "{:?}", results.load);
    let run = &results.load[0];
    assert_eq!(
        (run.rounds, run.requests, run.duration_us),
        (2, 4000, 2_000_000)
    );
    assert!(
        (run.requests_per_sec() - 2000.0).abs() < 1e-9,
        "the median of the rounds' rates"
    );
    assert_eq!(run.p99_us, 1500.0, "the worst round's p99");
    assert_eq!(run.statuses.get("401"), Some(&4000));
    assert_eq!(run.unexpected, 1);
    assert_eq!(
        run.round_rates,
        vec![1000.0, 3000.0],
        "each round's requests/s"
    );
}

#[test]
fn one_disturbed_round_does_not_decide_a_scenarios_rate() {
    let dir = folder("disturbed");
    for (round, requests) in [(1, 90_000), (2, 20_000), (3, 100_000)] {
        fs::write(
            dir.join(format!("load-axum-a-sites-200-r{round}.json")),
            format!(
                r#"{{"framework":"axum","scenario":"a-sites-200","request":"GET /x",
                    "expected":"200:-","requests":{requests},"duration_us":1000000,
                    "p50_us":100.0,"p99_us":900.0,"socket_errors":0,"status_over_399":0,
                    "statuses":{{"200":{requests}}},"unexpected":0}}"#
            ),
        )
        .expect("a load record");
    }
    let results = Results::read(&dir).expect("a readable run");
    assert_eq!(results.load[0].requests_per_sec(), 90_000.0);
}

/// A profile round's files for one scenario: wrk's record and the flat report.
fn write_profile(dir: &Path, scenario: &str, requests: u64, lines: &[&str], mallocs: u64) {
    fs::write(
        dir.join(format!("profile-axum-{scenario}.json")),
        format!(
            r#"{{"framework":"axum","scenario":"{scenario}","request":"GET /x","expected":"200:-",
                "requests":{requests},"duration_us":1000000,"p50_us":1.0,"p99_us":2.0,
                "socket_errors":0,"status_over_399":0,"statuses":{{"200":{requests}}},
                "unexpected":0}}"#
        ),
    )
    .expect("a profile record");
    let mut report = String::from("# attractos: sampled at 1000 Hz\n#\n");
    for line in lines {
        report.push_str(line);
        report.push('\n');
    }
    report.push_str(&format!(
        "# attractos: malloc calls {mallocs} in {requests} requests\n"
    ));
    fs::write(dir.join(format!("profile-axum-{scenario}.txt")), report).expect("a profile");
}

#[test]
fn the_profile_section_gives_cpu_time_per_request_by_component() {
    let dir = measured_run("profile", false);
    // 1000 samples at 1000 Hz are one second of CPU; over 100,000 requests, 10 µs each.
    write_profile(
        &dir,
        "a-sites-200",
        100_000,
        &[
            "  90.00%  900  [kernel.kallsyms]  [k] tcp_ack",
            "  10.00%  100  libc.so.6  [.] malloc",
        ],
        2_000_000,
    );
    write_profile(
        &dir,
        "c-invalid-json",
        80_000,
        &[
            "  80.00%  800  [kernel.kallsyms]  [k] tcp_ack",
            "  10.00%  100  libc.so.6  [.] malloc",
            "  10.00%  100  attractos-reference  [.] attractos_errors::rules::json_error",
        ],
        1_760_000,
    );
    write_profile(
        &dir,
        "control-valid-event",
        80_000,
        &[
            "  90.00%  900  [kernel.kallsyms]  [k] tcp_ack",
            "  10.00%  100  libc.so.6  [.] malloc",
        ],
        1_680_000,
    );
    let page = markdown(&Results::read(&dir).expect("a readable run"));
    for expected in [
        "**axum**: server CPU time per request, µs (100000 / 80000 / 80000 requests sampled)",
        "| kernel (TCP/IP, syscalls, scheduling) | 9.00 | 10.00 | 11.25 | +1.00 | -1.25 |",
        "| this library (attractos-errors and its adapters) | 0.00 | 1.25 | 0.00 | +1.25 | +1.25 |",
        "| **total** | 10.00 | 12.50 | 12.50 | +2.50 | +0.00 |",
        "| `malloc` calls per request (count) | 20.00 | 22.00 | 21.00 | +2.00 | +1.00 |",
        "`attractos_errors::rules::json_error` (+1.25, this)",
        "of the +2.50 µs, this library's own code is +1.25 µs",
        "in the profile, (c) takes 1.00x its control's server CPU per request: answering \
         INVALID_JSON costs no more than accepting the same body",
    ] {
        assert!(page.contains(expected), "missing {expected:?} in:\n{page}");
    }
    assert!(!page.contains("Not profiled in this run"));
}

#[test]
fn a_run_without_a_profile_says_so() {
    let page = markdown(&Results::read(&measured_run("no-profile", false)).expect("a run"));
    assert!(page.contains("Not profiled in this run"));
}

#[test]
fn requests_per_second_and_cpu_per_request_must_agree_for_a_verdict() {
    // By requests/s (c) keeps up with its control (1.02x); by the profile it costs 1.25x the
    // control's CPU per request: no verdict either way.
    let dir = measured_run("disagree", false);
    let kernel = |samples: u32| format!("  100.00%  {samples}  [kernel.kallsyms]  [k] tcp_ack");
    write_profile(&dir, "a-sites-200", 100_000, &[&kernel(1000)], 2_000_000);
    write_profile(&dir, "c-invalid-json", 80_000, &[&kernel(1250)], 1_760_000);
    write_profile(
        &dir,
        "control-valid-event",
        80_000,
        &[&kernel(1000)],
        1_680_000,
    );
    let page = markdown(&Results::read(&dir).expect("a readable run"));
    assert!(
        page.contains(
            "in the profile, (c) takes 1.25x its control's server CPU per request: the two \
             measures disagree"
        ),
        "{page}"
    );
}
