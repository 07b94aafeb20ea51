//! `docs/performance.md`: the template `performance.md.tpl` (all of the page's prose) with its
//! placeholders filled by the small table writers below, from one run's [`Results`].
//!
//! ```
//! use attractos_bench::Framework;
//! use attractos_bench::measurements::Results;
//! use attractos_bench::page;
//!
//! let empty = Results::default();
//! assert!(page::render(&empty).unwrap().contains("Not recorded."));
//! let tables = page::rendering_tables(&empty, Framework::Axum);
//! assert!(tables.contains("| library (adapter rendering) | – | – | – | – | – |"));
//! ```

use std::fmt::Write as _;

use crate::Framework;
use crate::cases::{Case, Variant};
use crate::measurements::{Results, variants};
use crate::profile::{Component, Profile, SCENARIOS, largest_increases};
use crate::targets::{self, Check, Reading, count, ns};
use crate::template::{TemplateError, fill};

/// The page's prose, with a `{{placeholder}}` for each table.
pub const TEMPLATE: &str = include_str!("../performance.md.tpl");

/// The page for `results`.
pub fn render(results: &Results) -> Result<String, TemplateError> {
    let rendering = targets::rendering(results);
    let load = targets::load(results);
    let missed: Vec<Check> = rendering
        .iter()
        .chain(&load)
        .filter(|c| c.met == Some(false))
        .cloned()
        .collect();
    let passes = results
        .timings
        .values()
        .map(|t| t.passes)
        .max()
        .unwrap_or(0);
    let [axum_profile, axum_growth] = profile_tables(results, Framework::Axum);
    let [actix_profile, actix_growth] = profile_tables(results, Framework::Actix);
    let page = fill(
        TEMPLATE,
        &[
            ("machine", machine_table(results)),
            ("passes", passes.to_string()),
            ("axum_rendering", rendering_tables(results, Framework::Axum)),
            (
                "actix_rendering",
                rendering_tables(results, Framework::Actix),
            ),
            ("rendering_targets", targets_table(&rendering)),
            ("load", load_tables(results, &load)),
            ("axum_profile", axum_profile),
            ("axum_growth", axum_growth),
            ("actix_profile", actix_profile),
            ("actix_growth", actix_growth),
            (
                "missed_targets",
                if missed.is_empty() {
                    "None.".to_owned()
                } else {
                    targets_table(&missed)
                },
            ),
            ("control_readings", control_table(results)),
        ],
    )?;
    Ok(page.trim_end().to_owned() + "\n")
}

/// A markdown table: `head` is its header and alignment lines, `rows` its cells.
fn table(head: &str, rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = head.to_owned();
    for row in rows {
        let _ = write!(out, "\n| {} |", row.join(" | "));
    }
    out
}

/// The machine's table, or "Not recorded.".
pub fn machine_table(results: &Results) -> String {
    let Some(m) = &results.machine else {
        return "Not recorded.".to_owned();
    };
    table(
        "| | |\n| --- | --- |",
        [
            ["date (UTC)", &m.date],
            ["commit", &format!("`{}`", m.commit)],
            ["nproc", &m.nproc],
            ["CPU (`/proc/cpuinfo`)", &m.cpu],
            ["rustc", &format!("`{}`", m.rustc)],
            [
                "load average before / after",
                &format!("`{}` / `{}`", m.loadavg_before, m.loadavg_after),
            ],
        ]
        .map(|row| row.map(str::to_owned).to_vec()),
    )
}

/// One table per case of `framework`'s criterion timings and allocation counts.
pub fn rendering_tables(results: &Results, framework: Framework) -> String {
    let tables = Case::ALL.map(|case| {
        let library = results.timing(framework, case, Variant::Library);
        let rows = variants(framework).into_iter().map(|variant| {
            let timing = results.timing(framework, case, variant);
            let allocs = results.allocs(framework, case, variant);
            let dash = || "–".to_owned();
            vec![
                variant.title().to_owned(),
                timing.map_or_else(dash, |t| ns(t.median_ns)),
                timing.map_or_else(dash, |t| format!("{} – {}", ns(t.low_ns), ns(t.high_ns))),
                timing
                    .zip(library)
                    .map_or_else(dash, |(t, l)| format!("{:.2}x", t.median_ns / l.median_ns)),
                allocs.map_or_else(dash, |a| count(a.blocks())),
                allocs.map_or_else(dash, |a| format!("{:.0}", a.bytes)),
            ]
        });
        let head = "| variant | median | pass medians (min – max) | vs library | allocations | bytes allocated |\n\
                    | --- | ---: | ---: | ---: | ---: | ---: |";
        format!("**{}**\n\n{}", case.title(), table(head, rows))
    });
    tables.join("\n\n")
}

/// The targets and their verdicts.
pub fn targets_table(checks: &[Check]) -> String {
    let rows = checks.iter().map(|check| {
        let verdict = match check.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "not measured",
        };
        [check.framework, &check.target, &check.measured, verdict]
            .map(str::to_owned)
            .to_vec()
    });
    table(
        "| framework | target | measured | result |\n| --- | --- | --- | --- |",
        rows,
    )
}

/// The load runs, the first unexpected response of each run that had one, and the targets; or
/// "Not measured in this run.".
pub fn load_tables(results: &Results, checks: &[Check]) -> String {
    if results.load.is_empty() {
        return "Not measured in this run.".to_owned();
    }
    let rows = results.load.iter().map(|run| {
        let base = results.load_run(&run.framework, "a-");
        let rates = &run.round_rates;
        let spread = rates
            .iter()
            .copied()
            .reduce(f64::min)
            .zip(rates.iter().copied().reduce(f64::max));
        let statuses: Vec<String> = run
            .statuses
            .iter()
            .map(|(s, n)| format!("{n} × {s}"))
            .collect();
        vec![
            run.framework.clone(),
            run.scenario.clone(),
            run.request.clone(),
            run.rounds().to_string(),
            format!("{:.0}", run.requests_per_sec()),
            spread.map_or("–".to_owned(), |(min, max)| {
                format!("{min:.0} – {max:.0}")
            }),
            base.map_or("–".to_owned(), |a| {
                format!("{:.2}x", run.requests_per_sec() / a.requests_per_sec())
            }),
            format!("{:.2} ms", run.p50_us / 1000.0),
            format!("{:.2} ms", run.p99_us / 1000.0),
            statuses.join(", "),
            run.unexpected.to_string(),
            run.socket_errors.to_string(),
        ]
    });
    let head = "| framework | scenario | request | rounds | requests/s | rounds' requests/s (min – max) | vs (a) | p50 | p99 | responses | unexpected | socket errors |\n\
                | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |";
    let mut out = table(head, rows);
    for run in results.load.iter().filter(|r| r.unexpected > 0) {
        let sample = run.unexpected_sample.replace('`', "'");
        let _ = write!(
            out,
            "\n\nFirst unexpected response of {} {}: `{sample}`",
            run.framework, run.scenario
        );
    }
    out + "\n\n" + &targets_table(checks)
}

/// `framework`'s server CPU per request by component, and the functions that grew most from
/// (a) to (c); "Not profiled in this run." when any of [`SCENARIOS`] was not profiled.
pub fn profile_tables(results: &Results, framework: Framework) -> [String; 2] {
    let profiles = results.profiles.get(framework.as_str());
    let found = SCENARIOS.map(|scenario| profiles.and_then(|p| p.get(scenario)));
    let [Some(a), Some(c), Some(control)] = found else {
        return ["Not profiled in this run.".to_owned(), "–".to_owned()];
    };
    let row = |label: &str, [a, c, control]: [f64; 3]| {
        let values = [a, c, control].map(|v| format!("{v:.2}"));
        let deltas = [c - a, c - control].map(|v| format!("{v:+.2}"));
        [&[label.to_owned()][..], &values, &deltas].concat()
    };
    let scenarios = [a, c, control];
    let mut rows: Vec<Vec<String>> = Component::ALL
        .into_iter()
        .map(|component| (component, scenarios.map(|p| p.us_per_request(component))))
        .filter(|(_, values)| values.iter().any(|v| *v >= 0.005))
        .map(|(component, values)| row(component.label(), values))
        .collect();
    rows.push(row(
        "**total**",
        scenarios.map(Profile::total_us_per_request),
    ));
    if let [Some(a), Some(c), Some(control)] = scenarios.map(|p| p.mallocs_per_request) {
        rows.push(row("`malloc` calls per request (count)", [a, c, control]));
    }
    let requests = scenarios.map(|p| p.requests.to_string());
    rows.push(
        [
            &["requests sampled".to_owned()][..],
            &requests,
            &["–".to_owned(), "–".to_owned()],
        ]
        .concat(),
    );
    let head = "| component | (a) 200 | (c) INVALID_JSON | control 202 | (c) − (a) | (c) − control |\n\
                | --- | ---: | ---: | ---: | ---: | ---: |";
    let growth = largest_increases(a, c, 8)
        .into_iter()
        .map(|((component, symbol), delta)| {
            vec![
                format!("`{}`", short(&symbol)),
                component.label().to_owned(),
                format!("{delta:+.2}"),
            ]
        });
    let growth_head = "| function | component | (c) − (a), µs per request |\n| --- | --- | ---: |";
    [table(head, rows), table(growth_head, growth)]
}

/// Per framework, (c) against its control and the control against (a), with the verdict.
pub fn control_table(results: &Results) -> String {
    let comparisons = targets::control_comparisons(results);
    if comparisons.is_empty() {
        return "Not measured in this run.".to_owned();
    }
    let rows = comparisons.iter().map(|c| {
        let reading = match c.reading {
            Reading::ErrorCostsNoMore => "the error costs no more than the success",
            Reading::ErrorCostsMore => "**the error path is slower**",
            Reading::WithinNoise => "the measures disagree: within noise",
        };
        vec![
            c.framework.as_str().to_owned(),
            format!("{:.2}x", c.c_vs_control),
            format!("{:.2}x", c.control_vs_a),
            c.cpu_c_vs_control
                .map_or("not profiled".to_owned(), |r| format!("{r:.2}x")),
            reading.to_owned(),
        ]
    });
    let head = "| framework | (c) vs control, requests/s | control vs (a), requests/s | (c) vs control, server CPU per request | reading |\n\
                | --- | ---: | ---: | ---: | --- |";
    table(head, rows)
}

/// A symbol without its generic arguments, and with no backtick to break the code span.
fn short(symbol: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for ch in symbol.chars() {
        match ch {
            '<' if depth > 0 || !out.is_empty() => depth += 1,
            '>' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out.replace('`', "'")
}
