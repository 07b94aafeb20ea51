//! A bounded soak: a mixed flood of good and bad requests (the fixed cases, generated noise and,
//! optionally, handlers that panic or fail on purpose) from many concurrent clients against a
//! running service, every answer judged by [`judge::judge`], beside a share of slow clients
//! that send part of a request head or body and then nothing, each of which the service must
//! close or answer within [`SoakConfig::slow_bound`]; then the fixed suite once more, to
//! show the service still answers correctly, and the process's resident memory before and after.
//!
//! It only stops by itself: after [`SoakConfig::duration`], each request bounded by
//! [`SoakConfig::request_timeout`]. Point it at loopback addresses only.
//!
//! ```no_run
//! use std::time::Duration;
//! use attractos_contract::{fixtures::Fixtures, soak::{self, SoakConfig}, target::HttpTarget};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let target = HttpTarget::new("http://127.0.0.1:8080").unwrap();
//! let config = SoakConfig::new(Duration::from_secs(2)).with_concurrency(8);
//! let report = soak::soak(&target, Fixtures::reference(), &config).await;
//! println!("{}", report.render());
//! assert!(report.ok());
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attractos_errors::rules;
use futures_util::future::join_all;

use crate::case::{self, Case, Expect, Request, RequestSpec};
use crate::fixtures::Fixtures;
use crate::fuzz;
use crate::judge::{self, JudgeOptions};
use crate::run::{self, Report, Suite};
use crate::target::{HttpTarget, Target};

/// The fault-injection routes of the reference server (`--debug-routes`).
pub const FAULT_PATHS: [&str; 2] = ["/api/v1/debug/panic", "/api/v1/debug/fail"];

/// How a soak runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoakConfig {
    /// How long the flood lasts (the warm-up included).
    pub duration: Duration,
    /// Concurrent clients.
    pub concurrency: usize,
    /// Seed of the generated requests.
    pub seed: u64,
    /// How many generated requests join the fixed cases in the pool the clients cycle through.
    pub fuzz: usize,
    /// Whether the pool includes [`FAULT_PATHS`] (a server with its debug routes on).
    pub faults: bool,
    /// The service's body limit, which sizes the over-limit body.
    pub body_limit: usize,
    /// The longest one request may take before it counts as no response.
    pub request_timeout: Duration,
    /// The resident-memory growth allowed between the end of the warm-up and the end.
    pub max_rss_growth: u64,
    /// The per-key rate limit of the service: the check after the flood sends a burst past it.
    pub rate_limit: u32,
    /// Rules beyond the contract's own (forbidden secrets).
    pub judge: JudgeOptions,
    /// Slow clients beside the flood: each opens a connection, sends part of a request head
    /// (or a whole head and the first byte of a body), then nothing, and waits for the service
    /// to close or answer it; then opens the next.
    pub slow_clients: usize,
    /// How long a slow connection may stay open: the service's head or body timeout plus a
    /// margin. One held longer fails the soak.
    pub slow_bound: Duration,
}

impl SoakConfig {
    /// A soak of `duration`: 32 clients, seed 1, 400 generated requests, no fault routes, the
    /// default body limit, 10 s per request, 64 MiB of allowed growth, a rate limit of 20/s.
    pub fn new(duration: Duration) -> Self {
        SoakConfig {
            duration,
            concurrency: 32,
            seed: 1,
            fuzz: 400,
            faults: false,
            body_limit: rules::DEFAULT_BODY_LIMIT,
            request_timeout: Duration::from_secs(10),
            max_rss_growth: 64 << 20,
            rate_limit: 20,
            judge: JudgeOptions::default(),
            slow_clients: 0,
            slow_bound: Duration::from_secs(20),
        }
    }

    /// Adds `clients` slow clients, each of whose connections the service must close or answer
    /// within `bound`.
    pub fn with_slow_clients(mut self, clients: usize, bound: Duration) -> Self {
        self.slow_clients = clients;
        self.slow_bound = bound;
        self
    }

    /// Sets the number of concurrent clients (at least 1).
    pub fn with_concurrency(mut self, clients: usize) -> Self {
        self.concurrency = clients.max(1);
        self
    }

    /// Adds the fault-injection routes to the pool.
    pub fn with_faults(mut self, faults: bool) -> Self {
        self.faults = faults;
        self
    }

    /// Sets the service's per-key rate limit (requests per second).
    pub fn with_rate_limit(mut self, per_second: u32) -> Self {
        self.rate_limit = per_second;
        self
    }

    /// Sets the seed and the number of generated requests.
    pub fn with_fuzz(mut self, n: usize, seed: u64) -> Self {
        self.fuzz = n;
        self.seed = seed;
        self
    }

    /// Sets the allowed resident-memory growth in bytes.
    pub fn with_max_rss_growth(mut self, bytes: u64) -> Self {
        self.max_rss_growth = bytes;
        self
    }

    /// Forbids `text` in every response.
    pub fn forbid(mut self, text: impl Into<String>) -> Self {
        self.judge = self.judge.forbid(text);
        self
    }
}

/// What a soak saw.
#[derive(Debug, Clone)]
pub struct SoakReport {
    /// The target's name.
    pub target: String,
    /// How long the flood ran.
    pub elapsed: Duration,
    /// Requests sent during the flood.
    pub requests: u64,
    /// Responses by `status CODE` (or bare status for successes), e.g. `401 MISSING_KEY`.
    pub by_code: BTreeMap<String, u64>,
    /// Responses the judge refused.
    pub non_contract: u64,
    /// Requests that got no response: the connection failed under them, or no answer came
    /// within [`SoakConfig::request_timeout`]. Each is sent once, never retried, so a server
    /// that closes a connection its client may still use shows here.
    pub no_response: u64,
    /// Slow connections opened, and how they ended: closed without an answer, answered by the
    /// HTTP server itself (a bare `408`, before any app code), or still open past the bound.
    /// Answers from the app are in [`SoakReport::by_code`] as `slow: …` and judged like the rest.
    pub slow: SlowTally,
    /// Up to ten examples of refused responses and missing answers.
    pub samples: Vec<String>,
    /// Resident memory (bytes) at the end of the warm-up, where the platform tells.
    pub rss_before: Option<u64>,
    /// Resident memory (bytes) at the end of the flood.
    pub rss_after: Option<u64>,
    /// The allowed growth, in bytes.
    pub max_rss_growth: u64,
    /// The fixed suite, run once more after the flood.
    pub after: Report,
}

impl SoakReport {
    /// Resident-memory growth in bytes (0 when it shrank; `None` where unknown).
    pub fn rss_growth(&self) -> Option<u64> {
        Some(self.rss_after?.saturating_sub(self.rss_before?))
    }

    /// Whether every answer kept the contract, every request got one, memory stayed within
    /// the bound and the service still answered the fixed suite correctly.
    pub fn ok(&self) -> bool {
        self.non_contract == 0
            && self.no_response == 0
            && self.slow.held == 0
            && self
                .rss_growth()
                .is_none_or(|growth| growth <= self.max_rss_growth)
            && self.after.ok()
    }

    /// A readable account, one figure a line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let secs = self.elapsed.as_secs_f64();
        let _ = writeln!(out, "soak {}: {secs:.1} s", self.target);
        let _ = writeln!(
            out,
            "requests: {} ({:.0}/s)",
            self.requests,
            self.requests as f64 / secs.max(f64::EPSILON)
        );
        let _ = writeln!(out, "responses by code:");
        for (code, count) in &self.by_code {
            let _ = writeln!(out, "  {code}: {count}");
        }
        let _ = writeln!(out, "non-contract responses: {}", self.non_contract);
        let _ = writeln!(out, "no response: {}", self.no_response);
        if self.slow.opened > 0 {
            let _ = writeln!(
                out,
                "slow connections: {} (closed: {}, bare 408 from the HTTP server: {}, held past the bound: {})",
                self.slow.opened, self.slow.closed, self.slow.framework_timeout, self.slow.held
            );
        }
        for sample in &self.samples {
            let _ = writeln!(out, "  e.g. {sample}");
        }
        let mib = |bytes: Option<u64>| {
            bytes.map_or("unknown".to_owned(), |b| {
                format!("{:.1} MiB", b as f64 / f64::from(1 << 20))
            })
        };
        let _ = writeln!(
            out,
            "RSS after warm-up: {}, after the flood: {}, growth: {} (bound {})",
            mib(self.rss_before),
            mib(self.rss_after),
            mib(self.rss_growth()),
            mib(Some(self.max_rss_growth))
        );
        let _ = writeln!(out, "after the soak: {}", self.after.summary());
        for failure in self.after.failures() {
            let _ = writeln!(
                out,
                "  {}: {} ({})",
                failure.case, failure.got, failure.verdict
            );
        }
        let _ = writeln!(out, "result: {}", if self.ok() { "ok" } else { "FAILED" });
        out
    }
}

/// The resident set size of this process in bytes, from `/proc/self/status` (Linux).
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// The requests the clients cycle through: every fixed case once (bursts sent once, no event
/// recording, so the monthly quotas the check after the flood needs stay untouched), `fuzz`
/// generated ones and, with `faults`, the fault-injection routes (a tenth of the pool).
pub fn pool(fixtures: &Fixtures, config: &SoakConfig) -> Vec<Request> {
    let mut cases: Vec<Case> = case::fixed()
        .into_iter()
        .filter(|c| c.expect != Expect::Status(202))
        .chain(fuzz::cases(config.seed, config.fuzz))
        .collect();
    if config.faults {
        let share = (cases.len() / 10).max(2);
        for i in 0..share {
            let path = FAULT_PATHS[i % FAULT_PATHS.len()];
            cases.push(Case::new(
                "fault",
                "a handler that panics or fails on purpose",
                RequestSpec::get(path),
                Expect::Any,
            ));
        }
    }
    cases
        .iter()
        .filter_map(|c| c.request.build(fixtures, config.body_limit).ok())
        .collect()
}

#[derive(Default)]
struct Tally {
    requests: u64,
    by_code: BTreeMap<String, u64>,
    non_contract: u64,
    no_response: u64,
    slow: SlowTally,
    samples: Vec<String>,
}

/// How the slow connections of a soak ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlowTally {
    /// Slow connections opened.
    pub opened: u64,
    /// Closed by the service without an answer.
    pub closed: u64,
    /// Answered by the HTTP server itself with a bare `408 Request Timeout` (actix-web's head
    /// timeout; recorded in `docs/reliability.md`), not by the app.
    pub framework_timeout: u64,
    /// Still open after [`SoakConfig::slow_bound`].
    pub held: u64,
}

impl Tally {
    fn sample(&mut self, text: String) {
        if self.samples.len() < 10 {
            self.samples.push(text);
        }
    }
}

/// Floods `target` for `config.duration`, then runs the fixed suite once more.
///
/// The first fifth of the duration is a warm-up (connections, buffers, caches), after which
/// resident memory is sampled; it is sampled again at the end. That is this process's memory:
/// run the service in-process (as the `soak` command does) for it to include the server's.
pub async fn soak(target: &HttpTarget, fixtures: Fixtures, config: &SoakConfig) -> SoakReport {
    let requests = Arc::new(pool(&fixtures, config));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let warm_until = start + config.duration / 5;
    let end = start + config.duration;

    let flood = |until: Instant| {
        let clients = (0..config.concurrency).map(|_| {
            client(
                target,
                Arc::clone(&requests),
                Arc::clone(&next),
                Arc::clone(&tally),
                config,
                until,
            )
        });
        join_all(clients)
    };
    let slow = join_all(
        (0..config.slow_clients)
            .map(|i| slow_client(target, &fixtures, i, Arc::clone(&tally), config, end)),
    );
    let floods = async {
        flood(warm_until).await;
        let rss_before = rss_bytes();
        flood(end).await;
        (rss_before, rss_bytes())
    };
    let ((rss_before, rss_after), _) = futures_util::future::join(floods, slow).await;
    let elapsed = start.elapsed();

    let suite = Suite::new(fixtures)
        .with_body_limit(config.body_limit)
        .with_burst(config.rate_limit.saturating_mul(3).saturating_add(10));
    let mut suite = suite;
    suite.judge = config.judge.clone();
    let after = run::run(target, &suite, |_| {}).await;

    let tally = std::mem::take(&mut *tally.lock().unwrap_or_else(|e| e.into_inner()));
    SoakReport {
        target: target.name().to_owned(),
        elapsed,
        requests: tally.requests,
        by_code: tally.by_code,
        non_contract: tally.non_contract,
        no_response: tally.no_response,
        slow: tally.slow,
        samples: tally.samples,
        rss_before,
        rss_after,
        max_rss_growth: config.max_rss_growth,
        after,
    }
}

/// One client: sends the pool's requests in turn until `until`.
async fn client(
    target: &HttpTarget,
    requests: Arc<Vec<Request>>,
    next: Arc<AtomicUsize>,
    tally: Arc<Mutex<Tally>>,
    config: &SoakConfig,
    until: Instant,
) {
    if requests.is_empty() {
        return;
    }
    while Instant::now() < until {
        let index = next.fetch_add(1, Ordering::Relaxed) % requests.len();
        let request = &requests[index];
        let answer = tokio::time::timeout(config.request_timeout, target.send(request)).await;
        let mut tally = tally.lock().unwrap_or_else(|e| e.into_inner());
        tally.requests += 1;
        match answer {
            Ok(Ok(response)) => {
                *tally.by_code.entry(response.summary()).or_default() += 1;
                let verdict = judge::judge(&Expect::Any, request, &response, &config.judge);
                if verdict.is_fail() {
                    tally.non_contract += 1;
                    tally.sample(format!(
                        "{} {}: {} ({verdict})",
                        request.method,
                        short(&request.target),
                        response.summary()
                    ));
                }
            }
            Ok(Err(err)) => {
                tally.no_response += 1;
                tally.sample(format!(
                    "{} {}{}: {err}",
                    request.method,
                    short(&request.target),
                    body_note(request)
                ));
            }
            Err(_) => {
                tally.no_response += 1;
                tally.sample(format!(
                    "{} {}{}: no answer within {:?}",
                    request.method,
                    short(&request.target),
                    body_note(request),
                    config.request_timeout
                ));
            }
        }
    }
}

/// The slow request a slow client sends: part of a head, or a whole head and one byte of its
/// announced 1000-byte body.
fn slow_request(fixtures: &Fixtures, nth: usize) -> (Request, Vec<u8>) {
    let key = fixtures
        .key(crate::fixtures::KeyRef::Free)
        .unwrap_or("ak_none");
    let post = nth % 2 == 1;
    let (method, target) = if post {
        (http::Method::POST, "/api/v1/events")
    } else {
        (http::Method::GET, "/api/v1/sites")
    };
    let mut headers = vec![
        (http::header::HOST, "localhost".to_owned()),
        (http::header::AUTHORIZATION, format!("Bearer {key}")),
        (
            http::HeaderName::from_static("x-request-id"),
            format!("soak-slow-{nth}"),
        ),
    ];
    if post {
        headers.push((http::header::CONTENT_TYPE, "application/json".to_owned()));
        headers.push((http::header::CONTENT_LENGTH, "1000".to_owned()));
    }
    let mut raw = format!("{method} {target} HTTP/1.1\r\n");
    for (name, value) in &headers {
        let _ = write!(raw, "{name}: {value}\r\n");
    }
    // A POST's head is whole and its body stops after one byte; a GET's head never ends.
    if post {
        raw.push_str("\r\n{");
    }
    let request = Request {
        method,
        target: target.to_owned(),
        headers: headers
            .into_iter()
            .filter_map(|(name, value)| Some((name, http::HeaderValue::from_str(&value).ok()?)))
            .collect(),
        body: bytes::Bytes::new(),
    };
    (request, raw.into_bytes())
}

/// One slow client: slow connections one after the other until `until`, each waited on until
/// the service closes or answers it, for at most [`SoakConfig::slow_bound`].
async fn slow_client(
    target: &HttpTarget,
    fixtures: &Fixtures,
    index: usize,
    tally: Arc<Mutex<Tally>>,
    config: &SoakConfig,
    until: Instant,
) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let Some(addr) = target
        .base_url()
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/').to_owned())
    else {
        return;
    };
    let mut nth = index;
    while Instant::now() < until {
        let (request, raw) = slow_request(fixtures, nth);
        nth += config.slow_clients.max(1);
        let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let mut received = Vec::new();
        let ended = tokio::time::timeout(config.slow_bound, async {
            // A reset (the server may answer and close first) ends the connection as well.
            let _ = stream.write_all(&raw).await;
            let _ = stream.read_to_end(&mut received).await;
        })
        .await;
        let mut tally = tally.lock().unwrap_or_else(|e| e.into_inner());
        tally.slow.opened += 1;
        if ended.is_err() {
            tally.slow.held += 1;
            tally.sample(format!(
                "slow {} {}: still open after {:?}",
                request.method, request.target, config.slow_bound
            ));
            continue;
        }
        match judge::Response::parse(&received) {
            None => tally.slow.closed += 1,
            Some(response) if response.status == 408 && response.body.is_empty() => {
                tally.slow.framework_timeout += 1;
            }
            Some(response) => {
                *tally
                    .by_code
                    .entry(format!("slow: {}", response.summary()))
                    .or_default() += 1;
                let verdict = judge::judge(&Expect::Any, &request, &response, &config.judge);
                if verdict.is_fail() {
                    tally.non_contract += 1;
                    tally.sample(format!(
                        "slow {} {}: {} ({verdict})",
                        request.method,
                        request.target,
                        response.summary()
                    ));
                }
            }
        }
    }
}

/// ` (N-byte body)` for a request with a body, else nothing: whether a request carried a body
/// tells connection failures apart.
fn body_note(request: &Request) -> String {
    if request.body.is_empty() {
        String::new()
    } else {
        format!(" ({}-byte body)", request.body.len())
    }
}

fn short(target: &str) -> String {
    if target.chars().count() <= 80 {
        target.to_owned()
    } else {
        let mut cut: String = target.chars().take(80).collect();
        cut.push('…');
        cut
    }
}

/// Parses a duration such as `30s`, `2m`, `500ms` or `1.5s` (a bare number is seconds).
///
/// ```
/// use std::time::Duration;
/// use attractos_contract::soak::parse_duration;
/// assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
/// assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert!(parse_duration("soon").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 30s, 2m or 500ms"))?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        other => return Err(format!("unknown unit {other:?}; use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|err| format!("{text:?}: {err}"))
}
