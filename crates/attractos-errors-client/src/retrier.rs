//! The retry loop: a [`Policy`], a shared [`RetryBudget`], a jitter source and a hook that
//! sees each retry, around any client's send function and any runtime's sleep.

use std::collections::hash_map::RandomState;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use attractos_errors::Code;
use http::StatusCode;

use crate::budget::{RetryBudget, Spent};
use crate::decision::{Answer, Attempt, Decision, Policy, Reason, Reply, RequestInfo, Stop};
use crate::error::Error;
use crate::pacing::Pacer;

/// One retry the loop made: what came back, why it retried, and how long it waited.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryNote {
    /// The attempt that failed (1 for the first send).
    pub attempt: u32,
    /// Its status; `None` when no answer came.
    pub status: Option<StatusCode>,
    /// Its body's code, when it was a contract body.
    pub code: Option<Code>,
    /// Why a retry could help.
    pub reason: Reason,
    /// How long the loop waited before the next attempt.
    pub wait: Duration,
}

impl fmt::Display for RetryNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attempt {} got ", self.attempt)?;
        match (self.status, &self.code) {
            (Some(status), Some(code)) => write!(f, "{} {code}", status.as_u16())?,
            (Some(status), None) => write!(f, "{}", status.as_u16())?,
            (None, _) => f.write_str("no answer")?,
        }
        write!(
            f,
            " ({}): retrying in {} ms",
            self.reason.as_str(),
            self.wait.as_millis()
        )
    }
}

type Roll = Arc<dyn Fn() -> f64 + Send + Sync>;
type Hook = Arc<dyn Fn(&RetryNote) + Send + Sync>;

/// The retry loop: a [`Policy`], a [`RetryBudget`], a jitter source and a hook that sees each
/// retry, around any client's send function and any runtime's sleep. Clones share the budget:
/// give one to every request of a client (or of a whole process).
///
/// ```
/// use attractos_errors_client::{Policy, RequestInfo, Retrier};
/// use http::{HeaderMap, Method};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let retrier = Retrier::new(Policy::default()).on_retry(|note| eprintln!("{note}"));
/// let (method, headers) = (Method::GET, HeaderMap::new());
/// let response = retrier
///     .send(
///         RequestInfo::new(&method, &headers),
///         // Your client: send the request, return the whole answer as an `http::Response`.
///         || async { Ok::<_, std::io::Error>(http::Response::new(br#"{"sites":[]}"#.to_vec())) },
///         tokio::time::sleep,
///     )
///     .await
///     .unwrap();
/// assert_eq!(response.status(), 200);
/// # });
/// ```
#[derive(Clone)]
pub struct Retrier {
    policy: Policy,
    budget: RetryBudget,
    roll: Roll,
    hook: Option<Hook>,
    pacer: Option<Pacer>,
}

impl fmt::Debug for Retrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retrier")
            .field("policy", &self.policy)
            .field("budget", &self.budget)
            .field("pacer", &self.pacer)
            .finish_non_exhaustive()
    }
}

impl Default for Retrier {
    fn default() -> Self {
        Retrier::new(Policy::default())
    }
}

impl Retrier {
    /// A retrier with `policy`, a default [`RetryBudget`] and random jitter.
    pub fn new(policy: Policy) -> Self {
        Retrier {
            policy,
            budget: RetryBudget::default(),
            roll: Arc::new(random_roll),
            hook: None,
            pacer: None,
        }
    }

    /// Shares `budget` (e.g. one per process) instead of a budget of its own.
    pub fn budget(self, budget: RetryBudget) -> Self {
        Retrier { budget, ..self }
    }

    /// Draws the jitter roll (a number in `[0, 1]`) from `roll`: a fixed roll makes waits
    /// exact in tests.
    pub fn jitter(self, roll: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        Retrier {
            roll: Arc::new(roll),
            ..self
        }
    }

    /// Calls `hook` before each retry's wait (to log it, count it, print it).
    pub fn on_retry(self, hook: impl Fn(&RetryNote) + Send + Sync + 'static) -> Self {
        Retrier {
            hook: Some(Arc::new(hook)),
            ..self
        }
    }

    /// Waits before sending a request whose key the answers' `RateLimit` field said has
    /// nothing left ([`Pacer`]; share one pacer between retriers that use the same keys).
    pub fn pace(self, pacer: Pacer) -> Self {
        Retrier {
            pacer: Some(pacer),
            ..self
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The shared budget.
    pub fn retry_budget(&self) -> &RetryBudget {
        &self.budget
    }

    /// Sends a request with any client until it succeeds or the decision stops.
    ///
    /// `send` sends the request once more (each call a fresh copy) and returns the whole
    /// answer; `sleep` waits (`tokio::time::sleep`, or any runtime's). A success (any status
    /// below 400) is returned as it came; an error answer or a failure to get one becomes an
    /// [`Error`] carrying why the loop stopped and the retries it made.
    pub async fn send<B, E, Send, Sent, Sleep, Slept>(
        &self,
        request: RequestInfo<'_>,
        send: Send,
        sleep: Sleep,
    ) -> Result<http::Response<B>, Error>
    where
        B: AsRef<[u8]>,
        E: Into<Box<dyn StdError + std::marker::Send + Sync>>,
        Send: FnMut() -> Sent,
        Sent: Future<Output = Result<http::Response<B>, E>>,
        Sleep: Fn(Duration) -> Slept,
        Slept: Future<Output = ()>,
    {
        let ended = self.run(request, send, sleep).await;
        match (ended.last, ended.stop) {
            (Ok(response), None) => Ok(response),
            (Ok(response), Some(stop)) => {
                Err(Error::from_answer_at(&response.answer(), ended.received_at)
                    .with_history(stop, ended.retries))
            }
            (Err(error), stop) => Err(Error::no_answer(error)
                .with_history(stop.unwrap_or(Stop::NotRetryable), ended.retries)),
        }
    }

    /// Sleeps what the pacer, if any, says a request with `authorization` should wait first
    /// (never longer than the policy's longest wait).
    pub(crate) async fn wait_for_pace<Sleep, Slept>(
        &self,
        authorization: Option<&[u8]>,
        sleep: &Sleep,
    ) where
        Sleep: Fn(Duration) -> Slept,
        Slept: Future<Output = ()>,
    {
        if let Some(pacer) = &self.pacer {
            let wait = pacer.wait(authorization, Instant::now());
            if !wait.is_zero() {
                sleep(wait.min(self.policy.longest_wait())).await;
            }
        }
    }

    /// Tells the pacer, if any, the headers of an answer to a request with `authorization`.
    pub(crate) fn learn_pace(&self, authorization: Option<&[u8]>, headers: &http::HeaderMap) {
        if let Some(pacer) = &self.pacer {
            pacer.learn(authorization, headers, Instant::now());
        }
    }

    /// The loop itself, for any kind of received answer.
    pub(crate) async fn run<R, E, Send, Sent, Sleep, Slept>(
        &self,
        request: RequestInfo<'_>,
        mut send: Send,
        sleep: Sleep,
    ) -> Ended<R, E>
    where
        R: Received,
        Send: FnMut() -> Sent,
        Sent: Future<Output = Result<R, E>>,
        Sleep: Fn(Duration) -> Slept,
        Slept: Future<Output = ()>,
    {
        let mut retries = Vec::new();
        let mut spent: Option<Spent> = None;
        let mut number = 0u32;
        let authorization = request.authorization();
        loop {
            number = number.saturating_add(1);
            self.wait_for_pace(authorization, &sleep).await;
            let last = send().await;
            let received_at = SystemTime::now();
            if let Ok(received) = &last {
                self.learn_pace(authorization, received.answer().headers);
            }
            let attempt = Attempt::new(number, received_at).with_roll((self.roll)());
            let (decision, status, code) = match &last {
                Ok(received) => {
                    let answer = received.answer();
                    let decision = self
                        .policy
                        .decide(&request, &Reply::Answer(answer), &attempt);
                    let code = match decision {
                        Decision::Retry { .. } => answer.error_body().map(|b| b.code),
                        _ => None,
                    };
                    (decision, Some(answer.status), code)
                }
                Err(_) => (
                    self.policy.decide(&request, &Reply::NoAnswer, &attempt),
                    None,
                    None,
                ),
            };
            let (wait, reason) = match decision {
                Decision::Retry { wait, reason } => (wait, reason),
                Decision::Accept => {
                    match spent {
                        Some(spent) => self.budget.refund(spent),
                        None => self.budget.credit_success(),
                    }
                    return Ended::new(last, None, retries, received_at);
                }
                Decision::Stop(stop) => return Ended::new(last, Some(stop), retries, received_at),
            };
            match self.budget.try_spend_retry(status.is_none()) {
                Some(tokens) => spent = Some(tokens),
                None => return Ended::new(last, Some(Stop::BudgetSpent), retries, received_at),
            }
            let note = RetryNote {
                attempt: number,
                status,
                code,
                reason,
                wait,
            };
            if let Some(hook) = &self.hook {
                hook(&note);
            }
            retries.push(note);
            // Let the connection go back to the pool before waiting.
            drop(last);
            sleep(wait).await;
        }
    }
}

/// What the loop ended with: the last reply, why it stopped (`None`: accepted), the retries.
pub(crate) struct Ended<R, E> {
    pub(crate) last: Result<R, E>,
    pub(crate) stop: Option<Stop>,
    pub(crate) retries: Vec<RetryNote>,
    pub(crate) received_at: SystemTime,
}

impl<R, E> Ended<R, E> {
    fn new(
        last: Result<R, E>,
        stop: Option<Stop>,
        retries: Vec<RetryNote>,
        received_at: SystemTime,
    ) -> Self {
        Ended {
            last,
            stop,
            retries,
            received_at,
        }
    }
}

/// A received answer the loop can decide on.
pub(crate) trait Received {
    /// Its status, headers and (bounded) body.
    fn answer(&self) -> Answer<'_>;
}

impl<B: AsRef<[u8]>> Received for http::Response<B> {
    fn answer(&self) -> Answer<'_> {
        Answer::new(self.status(), self.headers(), self.body().as_ref())
    }
}

/// A roll in `[0, 1)` from std's randomly keyed hasher: jitter needs spread, not strength,
/// and this needs no dependency.
fn random_roll() -> f64 {
    let bits = RandomState::new().hash_one(SystemTime::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}
