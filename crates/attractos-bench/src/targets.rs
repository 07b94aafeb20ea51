//! The targets, judged against one run's measurements. A target without the figures
//! it needs is "not measured", never met.

use crate::Framework;
use crate::cases::{Case, Variant};
use crate::measurements::Results;
use crate::profile::{Profile, SCENARIOS};

/// One target and this run's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The framework's id, `axum` or `actix`.
    pub framework: &'static str,
    /// What is required, e.g. `401-invalid-key: >= 3x faster than baseline B`.
    pub target: String,
    /// What was measured, e.g. `4.21x`.
    pub measured: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measured.
    pub met: Option<bool>,
}

impl Check {
    fn new(framework: Framework, target: String, measured: Option<(String, bool)>) -> Check {
        let (measured, met) = match measured {
            Some((text, met)) => (text, Some(met)),
            None => ("not measured".to_owned(), None),
        };
        Check {
            framework: framework.as_str(),
            target,
            measured,
            met,
        }
    }
}

/// The rendering targets. A catalogue-message error: >= 3x faster than baseline B, within 1.15x
/// of the floor, no more allocations than the floor, never slower than baseline A. A
/// custom-message or 429 error: >= 1.5x faster than baseline B, with fewer allocations.
pub fn rendering(results: &Results) -> Vec<Check> {
    let mut checks = Vec::new();
    for framework in Framework::ALL {
        for case in Case::ALL {
            let time = |v| results.timing(framework, case, v).map(|t| t.median_ns);
            let blocks = |v| results.allocs(framework, case, v).map(|a| a.blocks());
            let library = time(Variant::Library);
            let speedup = |base, min: f64| {
                library
                    .zip(time(base))
                    .map(|(l, b)| (format!("{:.2}x", b / l), b / l >= min))
            };
            let allocs = |base, fits: fn(f64, f64) -> bool| {
                let pair = blocks(Variant::Library).zip(blocks(base));
                pair.map(|(l, b)| (format!("{} vs {}", count(l), count(b)), fits(l, b)))
            };
            let check = |target: &str, measured| {
                Check::new(framework, format!("{}: {target}", case.id()), measured)
            };
            if case.is_default_message() {
                let floor = library.zip(time(Variant::Floor)).map(|(l, f)| {
                    let measured = format!("{:.3}x the floor ({} vs {})", l / f, ns(l), ns(f));
                    (measured, l / f <= 1.15)
                });
                checks.extend([
                    check(
                        ">= 3x faster than baseline B",
                        speedup(Variant::BaselineB, 3.0),
                    ),
                    check("within 1.15x of the floor", floor),
                    check(
                        "no more allocations than the floor",
                        allocs(Variant::Floor, |l, f| l <= f),
                    ),
                    check(
                        "never slower than baseline A",
                        speedup(Variant::BaselineA, 1.0),
                    ),
                ]);
            } else {
                checks.extend([
                    check(
                        ">= 1.5x faster than baseline B",
                        speedup(Variant::BaselineB, 1.5),
                    ),
                    check(
                        "fewer allocations than baseline B",
                        allocs(Variant::BaselineB, |l, b| l < b),
                    ),
                ]);
            }
        }
    }
    checks
}

/// The load targets: (b), (c) and (d) at >= 0.95x the requests/s of (a); every run, (a) and
/// the control included, answered only contract responses with no socket error.
pub fn load(results: &Results) -> Vec<Check> {
    let mut checks = Vec::new();
    for framework in Framework::ALL {
        let baseline = results.load_run(framework.as_str(), "a-");
        for run in results
            .load
            .iter()
            .filter(|r| r.framework == framework.as_str())
        {
            if ["b-", "c-", "d-"]
                .iter()
                .any(|p| run.scenario.starts_with(p))
            {
                let ratio = baseline.map(|a| run.requests_per_sec() / a.requests_per_sec());
                checks.push(Check::new(
                    framework,
                    format!("load {}: >= 0.95x the requests/s of (a)", run.scenario),
                    ratio.map(|ratio| (format!("{ratio:.2}x"), ratio >= 0.95)),
                ));
            }
            let clean = run.unexpected == 0 && run.socket_errors == 0 && run.requests > 0;
            let measured = format!(
                "{} unexpected, {} socket errors",
                run.unexpected, run.socket_errors
            );
            checks.push(Check::new(
                framework,
                format!(
                    "load {}: only contract responses, no socket errors",
                    run.scenario
                ),
                Some((measured, clean)),
            ));
        }
    }
    checks
}

/// What separates (c), the invalid 1 KiB upload, from its control, the same upload valid and
/// accepted: the error path, or nothing beyond this run's noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// (c) keeps >= 0.95x its control's requests/s and, when profiled, takes <= 1.05x its CPU.
    ErrorCostsNoMore,
    /// Both measures put (c) past those bounds.
    ErrorCostsMore,
    /// Requests/s and CPU per request disagree.
    WithinNoise,
}

/// One framework's (c) against its control, and the control against (a).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControlComparison {
    /// The framework.
    pub framework: Framework,
    /// (c)'s requests/s over the control's.
    pub c_vs_control: f64,
    /// The control's requests/s over (a)'s.
    pub control_vs_a: f64,
    /// (c)'s server CPU per request over the control's, when both were profiled.
    pub cpu_c_vs_control: Option<f64>,
    /// The verdict.
    pub reading: Reading,
}

/// The comparison of every framework whose (a), (c) and control were measured.
pub fn control_comparisons(results: &Results) -> Vec<ControlComparison> {
    let mut comparisons = Vec::new();
    for framework in Framework::ALL {
        let run = |prefix| results.load_run(framework.as_str(), prefix);
        let (Some(a), Some(c), Some(control)) = (run("a-"), run("c-"), run("control-")) else {
            continue;
        };
        let c_vs_control = c.requests_per_sec() / control.requests_per_sec();
        let cpu_c_vs_control = results
            .profiles
            .get(framework.as_str())
            .and_then(|profiles| {
                let cpu = |scenario| profiles.get(scenario).map(Profile::total_us_per_request);
                Some(cpu(SCENARIOS[1])? / cpu(SCENARIOS[2])?)
            });
        // Requests/s also move with wrk and with other work on a shared machine, and one
        // profiled run has noise of its own, so a verdict needs both measures to agree.
        let reading = match (c_vs_control >= 0.95, cpu_c_vs_control.map(|r| r <= 1.05)) {
            (true, None | Some(true)) => Reading::ErrorCostsNoMore,
            (false, None | Some(false)) => Reading::ErrorCostsMore,
            _ => Reading::WithinNoise,
        };
        comparisons.push(ControlComparison {
            framework,
            c_vs_control,
            control_vs_a: control.requests_per_sec() / a.requests_per_sec(),
            cpu_c_vs_control,
            reading,
        });
    }
    comparisons
}

/// An allocation count: whole when it is.
pub fn count(blocks: f64) -> String {
    if blocks.fract() == 0.0 {
        format!("{blocks:.0}")
    } else {
        format!("{blocks:.2}")
    }
}

/// A duration given in nanoseconds, in ns below 10 µs.
pub fn ns(value: f64) -> String {
    if value >= 10_000.0 {
        format!("{:.1} µs", value / 1000.0)
    } else {
        format!("{value:.1} ns")
    }
}
