//! Reads what `bench/run.sh` leaves in its output folder (`bench/out`):
//!
//! - `criterion/<framework>-<case>/<variant>/pass<N>/estimates.json`, criterion's baselines;
//! - `allocations.jsonl`, one [`AllocationRecord`] per line (the `allocations` binary);
//! - `load-<framework>-<scenario>-r<round>.json`, one [`LoadRecord`] per wrk run
//!   (`bench/wrk/contract.lua`);
//! - `profile-<framework>-<scenario>.{json,txt}`, wrk's record and the flat `perf report` of the
//!   profiled round;
//! - `machine.json` ([`Machine`]).
//!
//! A missing part stays empty: the page then says it was not measured.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Framework;
use crate::allocations::Allocations;
use crate::cases::{Case, Variant};
use crate::profile::Profile;

/// One benchmark's time per response over the passes of a run, in nanoseconds.
///
/// `bench/run.sh` runs the whole criterion suite several times (`--save-baseline pass<N>`), so
/// that a burst of other work during one variant's few seconds cannot decide a ratio: a
/// benchmark's figure is the median of its passes' medians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// The median of the passes' criterion medians.
    pub median_ns: f64,
    /// The smallest pass median.
    pub low_ns: f64,
    /// The largest pass median.
    pub high_ns: f64,
    /// How many passes were measured.
    pub passes: usize,
}

impl Timing {
    /// The timing of passes whose criterion medians are `medians`; `None` without any.
    pub fn from_pass_medians(medians: &[f64]) -> Option<Timing> {
        Some(Timing {
            median_ns: median(medians)?,
            low_ns: medians.iter().copied().reduce(f64::min)?,
            high_ns: medians.iter().copied().reduce(f64::max)?,
            passes: medians.len(),
        })
    }
}

/// The median of `values`; `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The criterion benchmark id of a measurement: group `<framework>-<case>`, function `<variant>`.
pub fn bench_group(framework: Framework, case: Case) -> String {
    format!("{}-{}", framework.as_str(), case.id())
}

/// The variants measured on `framework`, in page order.
pub fn variants(framework: Framework) -> Vec<Variant> {
    match framework {
        Framework::Axum => crate::axum_side::VARIANTS.iter().map(|(v, _)| *v).collect(),
        Framework::Actix => crate::actix_side::VARIANTS
            .iter()
            .map(|(v, _)| *v)
            .collect(),
    }
}

/// One line of `allocations.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllocationRecord {
    /// [`Framework::as_str`].
    pub framework: String,
    /// [`Case::id`].
    pub case: String,
    /// [`Variant::id`].
    pub variant: String,
    /// The counts per response.
    #[serde(flatten)]
    pub allocations: Allocations,
}

/// What `bench/wrk/contract.lua` writes at the end of one wrk run, or several rounds of one
/// scenario added up by [`merge_rounds`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadRecord {
    /// `axum` or `actix`.
    pub framework: String,
    /// The scenario id, e.g. `b-missing-key`.
    pub scenario: String,
    /// The request, e.g. `GET /api/v1/sites, no key`.
    pub request: String,
    /// Completed requests.
    pub requests: u64,
    /// Run duration, microseconds.
    pub duration_us: u64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// Socket errors wrk reported (connect, read, write, timeout).
    pub socket_errors: u64,
    /// Responses per status.
    pub statuses: BTreeMap<String, u64>,
    /// Responses that were not what the scenario allows, or not contract JSON.
    pub unexpected: u64,
    /// The first unexpected response, if any.
    #[serde(default)]
    pub unexpected_sample: String,
    /// Requests/s of each round added up (empty for a single wrk run).
    #[serde(default)]
    pub round_rates: Vec<f64>,
}

impl LoadRecord {
    /// Requests per second: the median of the rounds' rates (a round disturbed by other work
    /// moves it no more than one disturbed criterion pass moves a benchmark), or this run's own.
    pub fn requests_per_sec(&self) -> f64 {
        median(&self.round_rates).unwrap_or_else(|| self.own_rate())
    }

    fn own_rate(&self) -> f64 {
        self.requests as f64 / (self.duration_us.max(1) as f64 / 1e6)
    }

    /// How many wrk runs this record adds up.
    pub fn rounds(&self) -> usize {
        self.round_rates.len().max(1)
    }
}

/// Adds up the rounds of each (framework, scenario), which `bench/load.sh` runs in turn so that
/// other work on the machine weighs on all scenarios alike: requests, durations, statuses and
/// errors add up, p50 and p99 are the worst round's, each round's rate is kept. Records keep
/// the order of their first round.
pub fn merge_rounds(records: &[LoadRecord]) -> Vec<LoadRecord> {
    let mut merged: Vec<LoadRecord> = Vec::new();
    for record in records {
        let same =
            |m: &&mut LoadRecord| m.framework == record.framework && m.scenario == record.scenario;
        let Some(m) = merged.iter_mut().find(same) else {
            merged.push(LoadRecord {
                round_rates: vec![record.own_rate()],
                ..record.clone()
            });
            continue;
        };
        m.requests += record.requests;
        m.duration_us += record.duration_us;
        m.p50_us = m.p50_us.max(record.p50_us);
        m.p99_us = m.p99_us.max(record.p99_us);
        m.socket_errors += record.socket_errors;
        for (status, n) in &record.statuses {
            *m.statuses.entry(status.clone()).or_default() += n;
        }
        m.unexpected += record.unexpected;
        if m.unexpected_sample.is_empty() {
            m.unexpected_sample.clone_from(&record.unexpected_sample);
        }
        m.round_rates.push(record.own_rate());
    }
    merged
}

/// The machine the numbers come from, recorded by `bench/run.sh`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// `nproc`.
    pub nproc: String,
    /// The first `model name` of `/proc/cpuinfo`.
    pub cpu: String,
    /// `rustc --version`.
    pub rustc: String,
    /// `/proc/loadavg` before the run.
    pub loadavg_before: String,
    /// `/proc/loadavg` after the run.
    pub loadavg_after: String,
    /// When the run started (UTC).
    pub date: String,
    /// `git rev-parse --short HEAD`, plus `-dirty` when the tree had changes.
    pub commit: String,
}

/// A measurement's key: (framework, case, variant) ids.
pub type Key = (String, String, String);

/// The key of one measurement.
pub fn key(framework: Framework, case: Case, variant: Variant) -> Key {
    let ids = [framework.as_str(), case.id(), variant.id()];
    ids.map(str::to_owned).into()
}

/// Everything measured in one run.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Criterion timings by [`key`].
    pub timings: BTreeMap<Key, Timing>,
    /// Allocation counts by [`key`].
    pub allocations: BTreeMap<Key, Allocations>,
    /// Load runs, their rounds added up ([`merge_rounds`]), in file-name order.
    pub load: Vec<LoadRecord>,
    /// The profiled round's flat profiles, by framework and scenario id.
    pub profiles: BTreeMap<String, BTreeMap<String, Profile>>,
    /// The machine.
    pub machine: Option<Machine>,
}

impl Results {
    /// Reads a results folder.
    pub fn read(dir: &Path) -> io::Result<Results> {
        let mut results = Results::default();
        for framework in Framework::ALL {
            for case in Case::ALL {
                for variant in variants(framework) {
                    let bench = dir
                        .join("criterion")
                        .join(bench_group(framework, case))
                        .join(variant.id());
                    if let Some(timing) = read_passes(&bench)? {
                        results
                            .timings
                            .insert(key(framework, case, variant), timing);
                    }
                }
            }
        }
        if let Some(lines) = read_optional(&dir.join("allocations.jsonl"))? {
            for line in lines.lines().filter(|l| !l.trim().is_empty()) {
                let r: AllocationRecord = parse(line, "allocations.jsonl")?;
                results
                    .allocations
                    .insert((r.framework, r.case, r.variant), r.allocations);
            }
        }
        let mut names: Vec<String> = fs::read_dir(dir)?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        let mut rounds = Vec::new();
        for name in &names {
            let path = dir.join(name);
            if name.starts_with("load-") && name.ends_with(".json") {
                rounds.push(parse(&fs::read_to_string(&path)?, name)?);
            }
            let profiled = name
                .strip_prefix("profile-")
                .and_then(|n| n.strip_suffix(".txt"));
            if let Some((framework, scenario)) = profiled.and_then(|n| n.split_once('-')) {
                let record: LoadRecord =
                    parse(&fs::read_to_string(path.with_extension("json"))?, name)?;
                let profile = Profile::parse(&fs::read_to_string(&path)?, record.requests)
                    .map_err(|err| io::Error::other(format!("{name}: {err}")))?;
                results
                    .profiles
                    .entry(framework.to_owned())
                    .or_default()
                    .insert(scenario.to_owned(), profile);
            }
        }
        results.load = merge_rounds(&rounds);
        if let Some(json) = read_optional(&dir.join("machine.json"))? {
            results.machine = Some(parse(&json, "machine.json")?);
        }
        Ok(results)
    }

    /// The timing of one measurement.
    pub fn timing(&self, framework: Framework, case: Case, variant: Variant) -> Option<Timing> {
        self.timings.get(&key(framework, case, variant)).copied()
    }

    /// The allocation counts of one measurement.
    pub fn allocs(
        &self,
        framework: Framework,
        case: Case,
        variant: Variant,
    ) -> Option<Allocations> {
        self.allocations
            .get(&key(framework, case, variant))
            .copied()
    }

    /// The load record of `framework`'s scenario whose id starts with `prefix` (`"a-"`, ...).
    pub fn load_run(&self, framework: &str, prefix: &str) -> Option<&LoadRecord> {
        self.load
            .iter()
            .find(|r| r.framework == framework && r.scenario.starts_with(prefix))
    }
}

fn read_optional(path: &Path) -> io::Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

fn parse<T: serde::de::DeserializeOwned>(json: &str, file: &str) -> io::Result<T> {
    serde_json::from_str(json).map_err(|err| io::Error::other(format!("{file}: {err}")))
}

/// criterion's `estimates.json`, reduced to the one figure the page takes.
#[derive(Deserialize)]
struct Estimates {
    median: PointEstimate,
}

#[derive(Deserialize)]
struct PointEstimate {
    point_estimate: f64,
}

/// The passes of one benchmark: criterion's `pass*/estimates.json` baselines, or its last run
/// (`new/estimates.json`) when there are none.
fn read_passes(bench: &Path) -> io::Result<Option<Timing>> {
    let Ok(entries) = fs::read_dir(bench) else {
        return Ok(None);
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with("pass"))
        })
        .map(|e| e.path().join("estimates.json"))
        .filter(|path| path.is_file())
        .collect();
    if files.is_empty() {
        files.push(bench.join("new/estimates.json"));
    }
    let mut medians = Vec::new();
    for path in files.iter().filter(|path| path.is_file()) {
        let estimates: Estimates = parse(&fs::read_to_string(path)?, &path.display().to_string())?;
        medians.push(estimates.median.point_estimate);
    }
    Ok(Timing::from_pass_medians(&medians))
}
