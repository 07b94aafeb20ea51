//! [`Limiter`]: the policies applied through a store, answering with the contract's errors
//! and the RateLimit fields, and deciding what a store failure means.

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use attractos_errors::{ApiError, ErrorCode, RetryAfter};

use crate::algorithm::{self, AuthOutcome, QuotaOutcome, RateOutcome};
use crate::fields::{PolicyField, PolicyId, PolicyItem, RateLimitFields, StateItem, ceil_secs};
use crate::policy::{FailMode, Plan, Policies};
use crate::store::{
    AuthFailureQuery, Clock, EventQuery, RequestOutcome, RequestQuery, Store, StoreError,
};
use crate::{AddressPartition, AnyStore, MemoryStore};

/// Who is asking: the authenticated key and its account.
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    /// The API key (rate partition: the Redis store holds only its SHA-1 digest; the
    /// in-memory store keys by it in this process, which holds the key anyway).
    pub key: &'a str,
    /// A stable account id (quota partition), e.g. the user id.
    pub id: &'a str,
    /// The account's plan.
    pub plan: Plan,
    /// The fewest events the account has used this cycle: its counter never reads lower.
    /// 0 where the service keeps no count of its own; the service's own count of the
    /// cycle's events where it does, so that a counter Redis has lost (a restart without
    /// persistence, an eviction, a failover to a replica that lags) resumes from it instead
    /// of from zero. A fixture may start with a spent quota by giving the quota.
    pub event_floor: u64,
}

/// A decision: go on (`Ok`) or answer the error, and the RateLimit fields for the response
/// either way.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// `Ok` to serve the request; else the answer (`RATE_LIMITED`, `LIMIT_EXCEEDED`, or
    /// `SERVER_ERROR` when the store failed and the policy fails closed).
    pub outcome: Result<(), ApiError>,
    /// The fields to put on the response.
    pub fields: RateLimitFields,
    /// The account's event quota after the decision, when the store told it.
    pub quota: Option<QuotaOutcome>,
    /// The key's request rate after an admission ([`Limiter::admit`]), when the store told
    /// it: what [`Limiter::count_event`] states beside the quota for the same request.
    pub rate: Option<RateOutcome>,
}

/// The policies, a store, and what a store failure means.
///
/// ```
/// use attractos_limits::{Account, Limiter, Plan, Policies};
/// use attractos_errors::ErrorCode;
/// use std::num::NonZeroU32;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let policies = Policies::default().with_free_rate(NonZeroU32::new(1).unwrap());
/// let limiter = Limiter::in_memory(policies);
/// let account = Account { key: "ak_demo_free", id: "user:1", plan: Plan::Free, event_floor: 0 };
/// let client = "192.0.2.7".parse().unwrap();
///
/// let first = limiter.admit(client, account).await;
/// assert!(first.outcome.is_ok());
/// let state = first.fields.current().unwrap();
/// assert!(state.starts_with(r#""requests";r=0;t=1, "events";r=10000;t="#), "{state}");
///
/// let second = limiter.admit(client, account).await;
/// let err = second.outcome.unwrap_err();
/// assert_eq!(err.code(), ErrorCode::RateLimited);
/// assert_eq!(second.fields.current(), Some(r#""requests";r=0;t=1"#));
/// # });
/// ```
#[derive(Debug)]
pub struct Limiter<S = AnyStore> {
    store: S,
    policies: Policies,
    fallback: MemoryStore,
    health: Health,
    announced: Announced,
}

impl Limiter<AnyStore> {
    /// A limiter on a fresh in-memory store (one process's limits).
    pub fn in_memory(policies: Policies) -> Self {
        Limiter::new(AnyStore::Memory(MemoryStore::new(Clock::Store)), policies)
    }
}

impl<S: Store> Limiter<S> {
    /// A limiter applying `policies` through `store`.
    pub fn new(store: S, policies: Policies) -> Self {
        Limiter {
            store,
            announced: Announced::new(&policies),
            policies,
            fallback: MemoryStore::new(Clock::Store),
            health: Health::new(),
        }
    }

    /// The policies.
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Decides a request of an authenticated account from `client`: the address's failed
    /// keys, then the key's rate. The fields state the rate and the event quota.
    pub async fn admit(&self, client: IpAddr, account: Account<'_>) -> Verdict {
        let address = AddressPartition::new(client);
        // The query is made twice rather than kept across the await: the future stays small.
        let query = || self.request_query(address, account);
        let answer = self.health.guard(|| self.store.request(query())).await;
        let fallback = |store: &MemoryStore| store.request_now(query());
        let verdict = |outcome| match outcome {
            RequestOutcome::AddressBlocked(auth) => self.auth_verdict(auth),
            RequestOutcome::Decided { rate, quota } => {
                let outcome = if rate.admitted {
                    Ok(())
                } else {
                    Err(ApiError::rate_limited(retry_after(rate.next_unit_us)))
                };
                self.account_verdict(account, outcome, Some(rate), quota)
            }
        };
        let mode = self.policies.rate_fail_mode;
        self.for_account(account, mode, answer, fallback, verdict)
    }

    fn request_query<'q>(
        &self,
        address: AddressPartition,
        account: Account<'q>,
    ) -> RequestQuery<'q> {
        let rate = self.policies.rate(account.plan);
        RequestQuery {
            address,
            key: account.key,
            account: account.id,
            emission_us: rate.emission_interval_us(),
            burst: rate.burst(),
            auth_limit: self.policies.auth_failures.limit.get(),
            quota: self.policies.quota(account.plan).events,
            quota_floor: account.event_floor,
        }
    }

    /// Counts one event of `account` against its monthly quota: `LIMIT_EXCEEDED` when it is
    /// spent, with the seconds until the cycle resets. `admitted` is the [`Verdict::rate`] of
    /// the same request's admission: an accepted event's fields state it beside the quota, so
    /// the answer to an event says, as every answer of the key does, when its next request
    /// may go.
    pub async fn count_event(
        &self,
        account: Account<'_>,
        admitted: Option<RateOutcome>,
    ) -> Verdict {
        let query = EventQuery {
            account: account.id,
            quota: self.policies.quota(account.plan).events,
            quota_floor: account.event_floor,
        };
        let answer = self.health.guard(|| self.store.event(query)).await;
        let fallback = |store: &MemoryStore| store.event_now(query);
        let verdict = |quota: QuotaOutcome| {
            let outcome = if quota.accepted {
                Ok(())
            } else {
                Err(ApiError::limit_exceeded(retry_after(quota.reset_us)))
            };
            self.account_verdict(account, outcome, admitted, quota)
        };
        let mode = self.policies.quota_fail_mode;
        self.for_account(account, mode, answer, fallback, verdict)
    }

    /// Counts a refused `Authorization` header from `client`, whose answer would be `refusal`
    /// (`MISSING_KEY`, `INVALID_KEY`, `USER_NOT_FOUND`): past the allowance the answer is `RATE_LIMITED` until the window
    /// ends. The fields state the address's allowance.
    pub async fn key_refused(
        &self,
        client: IpAddr,
        refusal: ApiError,
    ) -> (ApiError, RateLimitFields) {
        let query = AuthFailureQuery {
            address: AddressPartition::new(client),
            window_us: self.policies.auth_failures.window_us(),
        };
        let answer = self.health.guard(|| self.store.auth_failure(query)).await;
        let fallback = |store: &MemoryStore| store.auth_failure_now(query);
        let (outcome, fields) = match self.settle(self.policies.rate_fail_mode, answer, fallback) {
            Ok(auth) => {
                let verdict = self.auth_verdict(auth);
                (verdict.outcome, verdict.fields)
            }
            Err(outcome) => (outcome, RateLimitFields::default()),
        };
        (outcome.err().unwrap_or(refusal), fields)
    }

    /// [`Limiter::settle`] for a decision about `account`: its verdict from the answer, or
    /// with the state unknown, the fail mode's outcome and the policies alone.
    fn for_account<T>(
        &self,
        account: Account<'_>,
        mode: FailMode,
        answer: Result<T, StoreError>,
        fallback: impl FnOnce(&MemoryStore) -> T,
        verdict: impl FnOnce(T) -> Verdict,
    ) -> Verdict {
        match self.settle(mode, answer, fallback) {
            Ok(answer) => verdict(answer),
            Err(outcome) => self.unknown_state(account, outcome),
        }
    }

    /// The store's answer; when it failed, `mode` decides: the fallback store's answer, or
    /// (as `Err`) the outcome to give with the state unknown.
    fn settle<T>(
        &self,
        mode: FailMode,
        answer: Result<T, StoreError>,
        fallback: impl FnOnce(&MemoryStore) -> T,
    ) -> Result<T, Result<(), ApiError>> {
        match answer {
            Ok(answer) => Ok(answer),
            Err(err) => match mode {
                FailMode::OpenWithFallback => Ok(fallback(&self.fallback)),
                FailMode::Open => Err(Ok(())),
                FailMode::Closed => Err(Err(internal(err))),
            },
        }
    }

    fn auth_verdict(&self, auth: AuthOutcome) -> Verdict {
        let policy = self.policies.auth_failures;
        let limit = u64::from(policy.limit.get());
        let outcome = if auth.failures > limit {
            Err(ApiError::rate_limited(retry_after(auth.window_left_us)))
        } else {
            Ok(())
        };
        let fields = RateLimitFields::with_policy(
            self.announced.auth_failures.clone(),
            &[StateItem {
                id: PolicyId::AuthFailures,
                remaining: limit.saturating_sub(auth.failures),
                reset_secs: ceil_secs(auth.window_left_us),
            }],
        );
        Verdict {
            outcome,
            fields,
            quota: None,
            rate: None,
        }
    }

    /// The fields of an account's answer: the rate's state, when known, and the quota's. On a
    /// 429 only the refusing policy's state is listed (see [`crate::fields`]).
    fn account_verdict(
        &self,
        account: Account<'_>,
        outcome: Result<(), ApiError>,
        rate: Option<RateOutcome>,
        quota: QuotaOutcome,
    ) -> Verdict {
        let quota_item = StateItem {
            id: PolicyId::Events,
            remaining: self
                .policies
                .quota(account.plan)
                .events
                .saturating_sub(quota.used),
            reset_secs: ceil_secs(quota.reset_us),
        };
        let refused_by = outcome.as_ref().err().map(ApiError::code);
        let rate_item = rate.map(|rate| StateItem {
            id: PolicyId::Requests,
            remaining: rate.remaining,
            reset_secs: ceil_secs(rate.next_unit_us),
        });
        let (listed, count) = match (rate_item, refused_by) {
            (Some(rate_item), Some(ErrorCode::RateLimited)) => ([rate_item, rate_item], 1),
            (Some(rate_item), None) => ([rate_item, quota_item], 2),
            _ => ([quota_item, quota_item], 1),
        };
        Verdict {
            outcome,
            fields: RateLimitFields::with_policy(
                self.announced
                    .account(&self.policies, account.plan, quota.cycle_us),
                &listed[..count],
            ),
            quota: Some(quota),
            rate,
        }
    }

    /// The answer when the store failed and the policy does not fall back: the policies are
    /// known, their state is not.
    fn unknown_state(&self, account: Account<'_>, outcome: Result<(), ApiError>) -> Verdict {
        Verdict {
            outcome,
            fields: RateLimitFields::with_policy(
                self.announced
                    .account(&self.policies, account.plan, local_cycle_us()),
                &[],
            ),
            quota: None,
            rate: None,
        }
    }
}

fn retry_after(us: i64) -> RetryAfter {
    RetryAfter::from_duration(Duration::from_micros(us.max(0) as u64))
}

fn internal(err: StoreError) -> ApiError {
    ApiError::internal(err)
}

/// The current cycle's length by this process's clock (when the store cannot say).
fn local_cycle_us() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_micros() as i64);
    let (start, end) = algorithm::cycle(now);
    end - start
}

/// The `RateLimit-Policy` values of a limiter, serialized once: they depend only on the
/// policies, the plan and the length of the billing cycle, so every response shares one.
#[derive(Debug)]
struct Announced {
    /// Per plan (Free, Pro) and cycle length (28 to 31 days).
    accounts: [[PolicyField; 4]; 2],
    auth_failures: PolicyField,
}

impl Announced {
    const SHORTEST_CYCLE_DAYS: u64 = 28;
    const DAY_SECS: u64 = 86_400;

    fn new(policies: &Policies) -> Self {
        let cycles = |plan| {
            std::array::from_fn(|longer| {
                let days = Self::SHORTEST_CYCLE_DAYS + longer as u64;
                PolicyField::new(&account_policies(policies, plan, days * Self::DAY_SECS))
            })
        };
        let auth = policies.auth_failures;
        Announced {
            accounts: [cycles(Plan::Free), cycles(Plan::Pro)],
            auth_failures: PolicyField::new(&[PolicyItem {
                id: PolicyId::AuthFailures,
                quota: u64::from(auth.limit.get()),
                window_secs: auth.window.as_secs(),
            }]),
        }
    }

    /// The policies of an account of `plan` in a cycle of `cycle_us`.
    fn account(&self, policies: &Policies, plan: Plan, cycle_us: i64) -> PolicyField {
        let window_secs = ceil_secs(cycle_us);
        let plan_index = match plan {
            Plan::Free => 0,
            Plan::Pro => 1,
        };
        let cached = (window_secs % Self::DAY_SECS == 0)
            .then(|| (window_secs / Self::DAY_SECS).checked_sub(Self::SHORTEST_CYCLE_DAYS))
            .flatten()
            .and_then(|longer| self.accounts[plan_index].get(longer as usize));
        match cached {
            Some(field) => field.clone(),
            // A cycle no calendar month has (the end of the calendar): written for it.
            None => PolicyField::new(&account_policies(policies, plan, window_secs)),
        }
    }
}

/// The policies of an account of `plan`, with a cycle of `cycle_secs`.
fn account_policies(policies: &Policies, plan: Plan, cycle_secs: u64) -> [PolicyItem; 2] {
    let rate = policies.rate(plan);
    [
        PolicyItem {
            id: PolicyId::Requests,
            quota: u64::from(rate.burst()),
            window_secs: u64::from(rate.window_secs()),
        },
        PolicyItem {
            id: PolicyId::Events,
            quota: policies.quota(plan).events,
            window_secs: cycle_secs,
        },
    ]
}

/// The partition of an API key: its SHA-1 digest in hex, so the store never holds keys.
pub fn key_partition(key: &str) -> String {
    String::from_utf8(key_partition_hex(key).to_vec()).expect("hex digits are ASCII")
}

/// [`key_partition`] as bytes on the stack, so the Redis store writes it without allocating.
pub(crate) fn key_partition_hex(key: &str) -> [u8; 40] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = sha1_smol::Sha1::from(key).digest().bytes();
    std::array::from_fn(|at| {
        let byte = digest[at / 2];
        HEX[usize::from(if at % 2 == 0 { byte >> 4 } else { byte & 0xf })]
    })
}

/// The store's health, so an outage is logged once and a store that is down is asked again
/// only every [`Health::PROBE_INTERVAL`] (requests in between take the fail mode at once
/// instead of each waiting for the timeout).
#[derive(Debug)]
struct Health {
    started: Instant,
    down: AtomicBool,
    /// Milliseconds since `started` before which the store is not asked.
    skip_until_ms: AtomicU64,
}

impl Health {
    /// How often a store that failed is asked again: recovery is noticed within this.
    const PROBE_INTERVAL: Duration = Duration::from_millis(250);

    fn new() -> Self {
        Health {
            started: Instant::now(),
            down: AtomicBool::new(false),
            skip_until_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// The store's answer to `decision`, asked unless the store is down and not yet due for
    /// another try. A future of its own, not an `async fn`: the decision's future is the
    /// only thing it holds, so the handler futures that await it stay small.
    fn guard<F: Future>(&self, decision: impl FnOnce() -> F) -> Guarded<'_, F> {
        let skip = self.down.load(Ordering::Relaxed)
            && self.now_ms() < self.skip_until_ms.load(Ordering::Relaxed);
        Guarded {
            health: self,
            decision: (!skip).then(decision),
        }
    }

    /// Notes the store's answer: a failure starts (or extends) an outage, an answer ends one.
    fn note<T>(&self, answer: Result<T, StoreError>) -> Result<T, StoreError> {
        match answer {
            Ok(value) => {
                // A load first: the swap writes the shared flag, and this runs on every decision.
                if self.down.load(Ordering::Relaxed) && self.down.swap(false, Ordering::Relaxed) {
                    tracing::info!("the limit store answers again; limits are shared again");
                }
                Ok(value)
            }
            Err(err) => {
                self.skip_until_ms.store(
                    self.now_ms() + Self::PROBE_INTERVAL.as_millis() as u64,
                    Ordering::Relaxed,
                );
                if !self.down.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        cause = %err,
                        "the limit store failed; each policy's fail mode applies until it answers"
                    );
                }
                Err(err)
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// [`Health::guard`]'s future.
    struct Guarded<'h, F> {
        health: &'h Health,
        // `None`: skipped, the store is down.
        #[pin]
        decision: Option<F>,
    }
}

impl<T, F: Future<Output = Result<T, StoreError>>> Future for Guarded<'_, F> {
    type Output = Result<T, StoreError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.decision.as_pin_mut() {
            None => Poll::Ready(Err(StoreError::Failed(
                "skipped: the store is down".to_owned(),
            ))),
            Some(decision) => Poll::Ready(this.health.note(ready!(decision.poll(cx)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_partition_is_the_keys_sha1_in_hex() {
        // FIPS 180's test vector for "abc".
        assert_eq!(
            key_partition("abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn every_calendar_month_shares_the_policy_field_written_at_construction() {
        const DAY_US: i64 = 86_400_000_000;
        let policies = Policies::default();
        let announced = Announced::new(&policies);
        for (index, plan) in [Plan::Free, Plan::Pro].into_iter().enumerate() {
            for days in 28..=31 {
                let field = announced.account(&policies, plan, days * DAY_US);
                let written = &announced.accounts[index][days as usize - 28];
                assert_eq!(&field, written, "{plan:?}, {days} days");
                assert_eq!(
                    field.0.as_ptr(),
                    written.0.as_ptr(),
                    "{plan:?}, {days} days: the bytes are shared, not written again"
                );
            }
        }
        // A cycle no month has (the end of the calendar) is written for it.
        let odd = announced.account(&policies, Plan::Free, 27 * DAY_US);
        let written = account_policies(&policies, Plan::Free, 27 * 86_400);
        assert_eq!(odd, PolicyField::new(&written), "27 days");
    }
}
