//! Running a suite against a target: build each case's request from the fixtures, send it,
//! judge the answer, and collect the verdicts in a [`Report`].
//!
//! A case that does not expect `RATE_LIMITED` but gets it is sent again after the
//! `retry_after` it was given (at most [`Suite::max_wait`]), as a well-behaved client would,
//! so a service's rate limit does not fail unrelated cases.
//!
//! A service that answers nothing stops the run: when the first [`GIVE_UP_AFTER`] cases sent
//! all get no response (connection refused, nothing within the timeout, not HTTP), the rest
//! are not sent, and the report says so once ([`Report::stopped`]). Once the service has
//! answered, every case runs: a case without an answer is then that case's finding (one route
//! may hang while the others answer), and it costs at most the target's timeout.
//!
//! Once every case has run, each case with [`Case::same_answer_as`] is compared with its twin
//! (the `site-not-found-indistinguishable` rule), and the findings join its verdict.

use std::time::Duration;

use attractos_errors::{ErrorCode, rules};
use serde::Serialize;

use crate::case::{self, CONTRACT_HEADERS, Case, Expect, Request};
use crate::fixtures::Fixtures;
use crate::fuzz;
use crate::judge::{self, JudgeOptions, Response, Verdict, show};
use crate::rule::{Finding, Level, Rule};
use crate::target::Target;

/// When this many cases sent first all get no response, a run stops. The service is then
/// unreachable or not answering, and each further case would only repeat that finding, after
/// as long as a timeout when requests hang. More than one, so that a first case that happens
/// to hang does not hide the others' answers.
pub const GIVE_UP_AFTER: usize = 3;

/// The cases of a run and everything they need.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The cases, in the order they run.
    pub cases: Vec<Case>,
    /// Keys and site ids; cases needing an absent one are skipped.
    pub fixtures: Fixtures,
    /// The service's body limit, which sizes the over-limit body.
    pub body_limit: usize,
    /// Rules beyond the contract's own.
    pub judge: JudgeOptions,
    /// The longest `retry_after` the runner waits out before resending a case that was
    /// unexpectedly rate limited; longer ones fail the case.
    pub max_wait: Duration,
}

impl Suite {
    /// The fixed cases ([`case::fixed`]) with `fixtures`, the default body limit, and a
    /// 5-second limit on waiting out rate limits.
    pub fn new(fixtures: Fixtures) -> Self {
        Suite {
            cases: case::fixed(),
            fixtures,
            body_limit: rules::DEFAULT_BODY_LIMIT,
            judge: JudgeOptions::default(),
            max_wait: Duration::from_secs(5),
        }
    }

    /// Makes every burst case (the rate-limit one) send up to `burst` requests.
    pub fn with_burst(mut self, burst: u32) -> Self {
        for case in self.cases.iter_mut().filter(|c| c.request.attempts > 1) {
            case.request.attempts = burst.max(2);
        }
        self
    }

    /// Adds `n` generated cases of `seed` ([`fuzz::cases`]) before the bursts, so a burst
    /// cannot throttle them.
    pub fn with_fuzz(mut self, n: usize, seed: u64) -> Self {
        self.insert_before_bursts(fuzz::cases(seed, n));
        self
    }

    /// Sets the service's body limit.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Forbids `text` anywhere in any response.
    pub fn forbid(mut self, text: impl Into<String>) -> Self {
        self.judge = self.judge.forbid(text);
        self
    }

    /// Fails only on findings at or below `level`; the others are reported as warnings.
    pub fn at_level(mut self, level: Level) -> Self {
        self.judge = self.judge.at_level(level);
        self
    }

    /// Keeps only the cases whose name contains `filter`.
    pub fn only(mut self, filter: &str) -> Self {
        self.cases.retain(|c| c.name.contains(filter));
        self
    }

    fn insert_before_bursts(&mut self, cases: Vec<Case>) {
        let at = self
            .cases
            .iter()
            .position(|c| c.request.attempts > 1)
            .unwrap_or(self.cases.len());
        self.cases.splice(at..at, cases);
    }
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The case's name.
    pub case: String,
    /// What was expected, e.g. `401 MISSING_KEY`.
    pub expected: String,
    /// What came back, e.g. `401 MISSING_KEY`; empty when skipped.
    pub got: String,
    /// The verdict and its reasons.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The request line, e.g. `GET /api/v1/sites`.
    pub request: String,
    /// The full response, when there was one (not serialized).
    #[serde(skip)]
    pub response: Option<Response>,
}

/// All outcomes of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The target's name.
    pub target: String,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases not run for want of a fixture.
    pub skipped: usize,
    /// Cases that passed with findings below the run's level (counted in `passed` too).
    pub warned: usize,
    /// The findings grouped by rule: failing rules first, then warnings, each with how many
    /// cases it hit and its first example.
    pub findings_by_rule: Vec<RuleGroup>,
    /// Every outcome, in run order.
    pub outcomes: Vec<Outcome>,
    /// Why the run stopped before its last case, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
}

/// A run that stopped early: the service answered nothing ([`GIVE_UP_AFTER`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stopped {
    /// Why, e.g. `the first 3 cases sent got no response: the service is unreachable or gives
    /// no answer the checker can read`.
    pub reason: String,
    /// How many cases were not run.
    pub not_run: usize,
}

/// One rule's findings across a report's cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleGroup {
    /// The rule's name.
    pub rule: &'static str,
    /// The rule's level.
    pub level: Level,
    /// The section it comes from, for `http` rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cite: Option<&'static str>,
    /// Whether its findings fail the run (at or below the run's level) or are warnings.
    pub fails: bool,
    /// How many cases it hit.
    pub cases: usize,
    /// The request of the first case it hit, e.g. `GET /api/v1/sites`.
    pub first_request: String,
    /// The first finding's message.
    pub first_message: String,
}

impl RuleGroup {
    /// Groups the findings of `outcomes` by rule: failing rules first, each part in the
    /// rules' order (contract, http, recommended).
    pub fn of(outcomes: &[Outcome]) -> Vec<RuleGroup> {
        let mut groups: Vec<(Rule, RuleGroup)> = Vec::new();
        for outcome in outcomes {
            let failing = outcome.verdict.findings().iter().map(|f| (f, true));
            let warnings = outcome.verdict.warnings().iter().map(|f| (f, false));
            let mut seen: Vec<Rule> = Vec::new();
            for (finding, fails) in failing.chain(warnings) {
                if seen.contains(&finding.rule) {
                    continue;
                }
                seen.push(finding.rule);
                match groups.iter_mut().find(|(rule, _)| *rule == finding.rule) {
                    Some((_, group)) => group.cases += 1,
                    None => groups.push((
                        finding.rule,
                        RuleGroup {
                            rule: finding.rule.id(),
                            level: finding.level(),
                            cite: finding.rule.cite(),
                            fails,
                            cases: 1,
                            first_request: outcome.request.clone(),
                            first_message: finding.message.clone(),
                        },
                    )),
                }
            }
        }
        groups.sort_by_key(|(rule, group)| (!group.fails, *rule));
        groups.into_iter().map(|(_, group)| group).collect()
    }
}

impl Report {
    /// A report of `outcomes`.
    pub fn new(target: impl Into<String>, outcomes: Vec<Outcome>) -> Self {
        let count = |f: fn(&Verdict) -> bool| outcomes.iter().filter(|o| f(&o.verdict)).count();
        Report {
            target: target.into(),
            passed: count(Verdict::is_pass),
            failed: count(Verdict::is_fail),
            skipped: count(|v| matches!(v, Verdict::Skip { .. })),
            warned: count(Verdict::is_warned),
            findings_by_rule: RuleGroup::of(&outcomes),
            outcomes,
            stopped: None,
        }
    }

    /// Whether no case failed and the run did not stop early.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.stopped.is_none()
    }

    /// `N passed, M failed` (and `, K skipped` when some were, `, S not run` when the run
    /// stopped early, and `; W passed with warnings` when some passed with findings below the
    /// run's level).
    pub fn summary(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed, self.failed);
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        if let Some(stopped) = &self.stopped {
            line.push_str(&format!(", {} not run", stopped.not_run));
        }
        if self.warned > 0 {
            line.push_str(&format!("; {} passed with warnings", self.warned));
        }
        line
    }

    /// The failed outcomes.
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.verdict.is_fail())
    }
}

/// Runs every case of `suite` against `target`, one at a time, calling `observe` after each;
/// stops when the first [`GIVE_UP_AFTER`] cases sent all get no response.
pub async fn run<T: Target>(
    target: &T,
    suite: &Suite,
    mut observe: impl FnMut(&Outcome),
) -> Report {
    let mut outcomes = Vec::with_capacity(suite.cases.len());
    let mut answered = false;
    let mut unanswered = 0;
    for case in &suite.cases {
        let outcome = run_case(target, suite, case).await;
        observe(&outcome);
        // A skipped case sent nothing: it counts neither way.
        if outcome.response.is_some() {
            answered = true;
        } else if outcome.verdict.is_fail() {
            unanswered += 1;
        }
        outcomes.push(outcome);
        if !answered && unanswered == GIVE_UP_AFTER {
            break;
        }
    }
    let not_run = suite.cases.len() - outcomes.len();
    compare_twins(&suite.cases, &mut outcomes, suite.judge.level);
    let mut report = Report::new(target.name(), outcomes);
    if not_run > 0 {
        report.stopped = Some(Stopped {
            reason: format!(
                "the first {GIVE_UP_AFTER} cases sent got no response: the service is \
                 unreachable or gives no answer the checker can read"
            ),
            not_run,
        });
    }
    report
}

/// Judges every case that must answer like another ([`Case::same_answer_as`]) against it:
/// same status, same body bytes, same [`CONTRACT_HEADERS`].
fn compare_twins(cases: &[Case], outcomes: &mut [Outcome], level: Level) {
    // A run that stopped early has fewer outcomes than cases.
    for (index, case) in cases.iter().enumerate().take(outcomes.len()) {
        let Some(twin_name) = &case.same_answer_as else {
            continue;
        };
        let Some(twin) = outcomes.iter().find(|o| &o.case == twin_name) else {
            continue; // filtered out of this run
        };
        let (Some(mine), Some(theirs)) = (&outcomes[index].response, &twin.response) else {
            continue; // one of them got no answer or was skipped: nothing to compare
        };
        let findings = differences(mine, theirs, twin_name, &twin.request);
        if !findings.is_empty() {
            outcomes[index].verdict.add(findings, level);
        }
    }
}

fn differences(mine: &Response, theirs: &Response, twin: &str, twin_request: &str) -> Vec<Finding> {
    let rule = Rule::SiteNotFoundIndistinguishable;
    let mut found = Vec::new();
    let against = format!("{twin} ({twin_request})");
    if mine.status != theirs.status {
        found.push(Finding::new(
            rule,
            format!(
                "status {} differs from {against}'s {}",
                mine.status, theirs.status
            ),
        ));
    }
    if mine.body != theirs.body {
        found.push(Finding::new(
            rule,
            format!(
                "body {} differs from {against}'s {}",
                show(&mine.body),
                show(&theirs.body)
            ),
        ));
    }
    for name in CONTRACT_HEADERS {
        let (a, b) = (mine.header(name), theirs.header(name));
        if a != b {
            let text = |v: Option<&[u8]>| v.map_or_else(|| "absent".to_owned(), show);
            found.push(Finding::new(
                rule,
                format!("{name} {} differs from {against}'s {}", text(a), text(b)),
            ));
        }
    }
    found
}

/// Runs one case.
pub async fn run_case<T: Target>(target: &T, suite: &Suite, case: &Case) -> Outcome {
    let expected = case.expect.to_string();
    let request_line = format!("{} {}", case.request.method, case.request.path);
    let request = match case.request.build(&suite.fixtures, suite.body_limit) {
        Ok(request) => request,
        Err(err) => {
            return Outcome {
                case: case.name.clone(),
                expected,
                got: String::new(),
                verdict: Verdict::Skip {
                    reason: err.to_string(),
                },
                request: request_line,
                response: None,
            };
        }
    };
    let request_line = format!("{} {}", request.method, request.target);
    let (got, verdict, response) = match send(target, suite, case, &request).await {
        Ok(response) => {
            let verdict = judge::judge(&case.expect, &request, &response, &suite.judge);
            (response.summary(), verdict, Some(response))
        }
        Err(reason) => (
            "no response".to_owned(),
            Verdict::Fail {
                findings: vec![Finding::new(Rule::Answered, reason)],
                warnings: Vec::new(),
            },
            None,
        ),
    };
    Outcome {
        case: case.name.clone(),
        expected,
        got,
        verdict,
        request: request_line,
        response,
    }
}

/// Sends the request (a burst when `attempts` > 1), waiting out unexpected rate limits.
async fn send<T: Target>(
    target: &T,
    suite: &Suite,
    case: &Case,
    request: &Request,
) -> Result<Response, String> {
    let mut waits = 0;
    loop {
        let mut response = None;
        for _ in 0..case.request.attempts.max(1) {
            let answer = target.send(request).await.map_err(|err| err.to_string())?;
            let settled = !(200..300).contains(&answer.status);
            response = Some(answer);
            if settled {
                break;
            }
        }
        let Some(response) = response else {
            return Err("no attempt was made".to_owned());
        };
        let unexpected_limit = !matches!(
            case.expect,
            Expect::Error(ErrorCode::RateLimited) | Expect::Any
        ) && response.code().as_deref()
            == Some(ErrorCode::RateLimited.as_str());
        if !unexpected_limit || waits == 2 {
            return Ok(response);
        }
        let wait = retry_after(&response);
        if wait > suite.max_wait {
            return Ok(response);
        }
        waits += 1;
        tokio::time::sleep(wait).await;
    }
}

fn retry_after(response: &Response) -> Duration {
    let seconds = response
        .header("retry-after")
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(seconds.max(1))
}
