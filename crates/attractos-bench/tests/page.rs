//! The page is its template with every placeholder filled by a table writer; each writer's
//! output for given figures is stated here in full.

use attractos_bench::allocations::Allocations;
use attractos_bench::measurements::{LoadRecord, Machine, Results, Timing, key};
use attractos_bench::page;
use attractos_bench::profile::Profile;
use attractos_bench::targets::Check;
use attractos_bench::template::{TemplateError, fill};
use attractos_bench::{Case, Framework, Variant};

#[test]
fn a_template_is_filled_placeholder_by_placeholder() {
    let values = [("a", "1".to_owned()), ("b", "two".to_owned())];
    assert_eq!(
        fill("{{a}} and {{ b }}, {{a}} again", &values),
        Ok("1 and two, 1 again".into())
    );
    assert_eq!(fill("no placeholder", &[]), Ok("no placeholder".into()));
}

#[test]
fn an_unknown_placeholder_an_unused_value_or_an_unclosed_brace_is_an_error() {
    let a = [("a", "1".to_owned())];
    assert_eq!(
        fill("{{a}} {{typo}}", &a),
        Err(TemplateError::Unknown("typo".into()))
    );
    assert_eq!(fill("text", &a), Err(TemplateError::Unused("a".into())));
    assert_eq!(fill("{{a", &a), Err(TemplateError::Unclosed));
}

#[test]
fn the_page_template_has_a_value_for_every_placeholder_even_without_measurements() {
    let page = page::render(&Results::default()).expect("every placeholder filled");
    assert!(!page.contains("{{"), "{page}");
    for said in [
        "Not recorded.",
        "Not measured in this run.",
        "Not profiled in this run.",
    ] {
        assert!(page.contains(said), "missing {said:?} in:\n{page}");
    }
    assert!(!page.contains(" ns |"), "no timing without a measurement");
}

#[test]
fn the_machine_table_shows_what_run_sh_recorded() {
    let results = Results {
        machine: Some(Machine {
            nproc: "2".into(),
            cpu: "AMD EPYC".into(),
            rustc: "rustc 1.95.0".into(),
            loadavg_before: "2.12 1.58".into(),
            loadavg_after: "2.25 1.79".into(),
            date: "2026-11-25 18:32:44".into(),
            commit: "ae01e95".into(),
        }),
        ..Results::default()
    };
    assert_eq!(
        page::machine_table(&results),
        "| | |\n| --- | --- |\n\
         | date (UTC) | 2026-11-25 18:32:44 |\n\
         | commit | `ae01e95` |\n\
         | nproc | 2 |\n\
         | CPU (`/proc/cpuinfo`) | AMD EPYC |\n\
         | rustc | `rustc 1.95.0` |\n\
         | load average before / after | `2.12 1.58` / `2.25 1.79` |"
    );
}

#[test]
fn a_rendering_table_gives_each_variants_median_spread_ratio_and_allocations() {
    let mut results = Results::default();
    for (variant, passes, blocks, bytes) in [
        (Variant::Library, &[104.8, 105.8, 123.1][..], 3.0, 688.0),
        (Variant::BaselineB, &[445.2, 438.7, 462.6][..], 13.0, 1606.0),
        (Variant::Floor, &[12_345.0][..], 2.5, 100.0),
    ] {
        let key = key(Framework::Axum, Case::InvalidKey, variant);
        results.timings.insert(
            key.clone(),
            Timing::from_pass_medians(passes).expect("passes"),
        );
        let allocations = Allocations {
            allocations: blocks - 0.5,
            reallocations: 0.5,
            bytes,
        };
        results.allocations.insert(key, allocations);
    }
    let tables = page::rendering_tables(&results, Framework::Axum);
    let first = tables
        .split("\n\n")
        .take(2)
        .collect::<Vec<_>>()
        .join("\n\n");
    assert_eq!(
        first,
        "**401 INVALID_KEY (catalogue message)**\n\n\
         | variant | median | pass medians (min – max) | vs library | allocations | bytes allocated |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n\
         | library (adapter rendering) | 105.8 ns | 104.8 ns – 123.1 ns | 1.00x | 3 | 688 |\n\
         | baseline A: status + `json!` body | – | – | – | – | – |\n\
         | baseline B: `json!` body + contract headers | 445.2 ns | 438.7 ns – 462.6 ns | 4.21x | 13 | 1606 |\n\
         | floor: `&'static` body + `from_static` headers | 12.3 µs | 12.3 µs – 12.3 µs | 116.68x | 2.50 | 100 |\n\
         | floor, values `const`: `const { from_static }` headers | – | – | – | – | – |"
    );
    assert_eq!(
        tables.matches("| variant |").count(),
        3,
        "one table per case"
    );
}

#[test]
fn a_targets_table_marks_a_missed_target_in_bold() {
    let check = |met| Check {
        framework: "actix",
        target: "401-invalid-key: within 1.15x of the floor".into(),
        measured: "1.043x the floor (93.2 ns vs 89.3 ns)".into(),
        met,
    };
    assert_eq!(
        page::targets_table(&[check(Some(true)), check(Some(false)), check(None)]),
        "| framework | target | measured | result |\n| --- | --- | --- | --- |\n\
         | actix | 401-invalid-key: within 1.15x of the floor | 1.043x the floor (93.2 ns vs 89.3 ns) | met |\n\
         | actix | 401-invalid-key: within 1.15x of the floor | 1.043x the floor (93.2 ns vs 89.3 ns) | **missed** |\n\
         | actix | 401-invalid-key: within 1.15x of the floor | 1.043x the floor (93.2 ns vs 89.3 ns) | not measured |"
    );
}

fn load_run(scenario: &str, statuses: &[(&str, u64)], round_rates: Vec<f64>) -> LoadRecord {
    LoadRecord {
        framework: "actix".into(),
        scenario: scenario.into(),
        request: "GET /api/v1/sites".into(),
        requests: statuses.iter().map(|(_, n)| n).sum(),
        duration_us: 1_000_000,
        p50_us: 240.0,
        p99_us: 6360.0,
        socket_errors: 0,
        statuses: statuses.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
        unexpected: 0,
        unexpected_sample: String::new(),
        round_rates,
    }
}

#[test]
fn the_load_table_gives_each_scenarios_rate_against_a_and_its_first_unexpected_answer() {
    let mut throttled = load_run(
        "d-rate-limited",
        &[("200", 18), ("429", 1_371_825)],
        vec![78_502.0, 89_369.0, 107_357.0],
    );
    throttled.unexpected = 1;
    throttled.unexpected_sample = "500 text/plain `oops`".into();
    let results = Results {
        load: vec![
            load_run(
                "a-sites-200",
                &[("200", 1_228_997)],
                vec![63_539.0, 88_220.0, 95_955.0],
            ),
            throttled,
        ],
        ..Results::default()
    };
    let table = page::load_tables(&results, &[]);
    let expected = "| framework | scenario | request | rounds | requests/s | rounds' requests/s (min – max) | vs (a) | p50 | p99 | responses | unexpected | socket errors |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |\n\
         | actix | a-sites-200 | GET /api/v1/sites | 3 | 88220 | 63539 – 95955 | 1.00x | 0.24 ms | 6.36 ms | 1228997 × 200 | 0 | 0 |\n\
         | actix | d-rate-limited | GET /api/v1/sites | 3 | 89369 | 78502 – 107357 | 1.01x | 0.24 ms | 6.36 ms | 18 × 200, 1371825 × 429 | 1 | 0 |\n\
         \n\
         First unexpected response of actix d-rate-limited: `500 text/plain 'oops'`";
    assert!(table.starts_with(expected), "{table}");
}

/// A flat profile of `requests` requests at 1000 Hz from (samples, dso, symbol) lines.
fn profile(requests: u64, lines: &[(u64, &str, &str)], mallocs: u64) -> Profile {
    let mut report = format!(
        "# attractos: sampled at 1000 Hz\n# attractos: malloc calls {mallocs} in {requests} requests\n"
    );
    for (samples, dso, symbol) in lines {
        report.push_str(&format!("  10.00%  {samples}  {dso}  [.] {symbol}\n"));
    }
    Profile::parse(&report, requests).expect("a profile")
}

#[test]
fn the_profile_tables_give_cpu_per_request_by_component_and_the_functions_that_grew() {
    // 1000 samples at 1000 Hz are one second of CPU; over 100,000 requests, 10 µs each.
    let kernel = "[kernel.kallsyms]";
    let json_error = "attractos_errors::rules::json_error";
    let a = profile(
        100_000,
        &[(900, kernel, "tcp_ack"), (100, "libc.so.6", "malloc")],
        2_000_000,
    );
    let c = profile(
        80_000,
        &[
            (800, kernel, "tcp_ack"),
            (100, "libc.so.6", "malloc"),
            (100, "attractos-reference", json_error),
        ],
        1_760_000,
    );
    let control = profile(
        80_000,
        &[(900, kernel, "tcp_ack"), (100, "libc.so.6", "malloc")],
        1_680_000,
    );
    let mut results = Results::default();
    results.profiles.insert(
        "axum".into(),
        [
            ("a-sites-200", a),
            ("c-invalid-json", c),
            ("control-valid-event", control),
        ]
        .map(|(scenario, p)| (scenario.to_owned(), p))
        .into(),
    );
    let [components, growth] = page::profile_tables(&results, Framework::Axum);
    assert_eq!(
        components,
        "| component | (a) 200 | (c) INVALID_JSON | control 202 | (c) − (a) | (c) − control |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n\
         | kernel (TCP/IP, syscalls, scheduling) | 9.00 | 10.00 | 11.25 | +1.00 | -1.25 |\n\
         | allocator (glibc malloc/free) | 1.00 | 1.25 | 1.25 | +0.25 | +0.00 |\n\
         | this library (attractos-errors and its adapters) | 0.00 | 1.25 | 0.00 | +1.25 | +1.25 |\n\
         | **total** | 10.00 | 12.50 | 12.50 | +2.50 | +0.00 |\n\
         | `malloc` calls per request (count) | 20.00 | 22.00 | 21.00 | +2.00 | +1.00 |\n\
         | requests sampled | 100000 | 80000 | 80000 | – | – |"
    );
    assert_eq!(
        growth,
        "| function | component | (c) − (a), µs per request |\n| --- | --- | ---: |\n\
         | `attractos_errors::rules::json_error` | this library (attractos-errors and its adapters) | +1.25 |\n\
         | `tcp_ack` | kernel (TCP/IP, syscalls, scheduling) | +1.00 |\n\
         | `malloc` | allocator (glibc malloc/free) | +0.25 |"
    );
    assert_eq!(
        page::profile_tables(&results, Framework::Actix)[0],
        "Not profiled in this run.",
        "no actix profile"
    );
}

#[test]
fn the_control_table_gives_both_ratios_and_the_reading() {
    let results = Results {
        load: vec![
            load_run("a-sites-200", &[("200", 100_000)], vec![]),
            load_run("c-invalid-json", &[("400", 72_000)], vec![]),
            load_run("control-valid-event", &[("202", 80_000)], vec![]),
        ],
        ..Results::default()
    };
    assert_eq!(
        page::control_table(&results),
        "| framework | (c) vs control, requests/s | control vs (a), requests/s | (c) vs control, server CPU per request | reading |\n\
         | --- | ---: | ---: | ---: | --- |\n\
         | actix | 0.90x | 0.80x | not profiled | **the error path is slower** |"
    );
}
