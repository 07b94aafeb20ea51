//! [`Limiter`]: the policies applied through a store, answering with the contract's errors
//! and the RateLimit fields, and deciding what a store failure means.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use attractos_errors::{ApiError, RetryAfter};

use crate::algorithm::{self, AuthOutcome, QuotaOutcome, RateOutcome};
use crate::fields::{self, PolicyItem, RateLimitFields, StateItem, ceil_secs};
use crate::policy::{FailMode, Plan, Policies};
use crate::store::{
    AuthFailureQuery, Clock, EventQuery, RequestOutcome, RequestQuery, Store, StoreError,
};
use crate::{AnyStore, MemoryStore};

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
    /// Events the account's counter starts each cycle with (0 but for fixtures that start
    /// with a spent quota).
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
        let rate = self.policies.rate(account.plan);
        let quota = self.policies.quota(account.plan).events;
        let query = RequestQuery {
            address: address.as_str(),
            key: account.key,
            account: account.id,
            emission_us: rate.emission_interval_us(),
            burst: rate.burst(),
            auth_limit: self.policies.auth_failures.limit.get(),
            quota,
            quota_floor: account.event_floor,
        };
        let outcome = match self.health.guard(self.store.request(query)).await {
            Ok(outcome) => outcome,
            Err(err) => match self.policies.rate_fail_mode {
                FailMode::OpenWithFallback => self.fallback.request_now(query),
                FailMode::Open => return self.unknown_state(account, Ok(())),
                FailMode::Closed => return self.unknown_state(account, Err(internal(err))),
            },
        };
        match outcome {
            RequestOutcome::AddressBlocked(auth) => self.auth_verdict(auth),
            RequestOutcome::Decided { rate, quota } => {
                let outcome = if rate.admitted {
                    Ok(())
                } else {
                    Err(ApiError::rate_limited(retry_after(rate.next_unit_us)))
                };
                self.account_verdict(account, outcome, Some(rate), Some(quota))
            }
        }
    }

    /// Counts one event of `account` against its monthly quota: `LIMIT_EXCEEDED` when it is
    /// spent, with the seconds until the cycle resets.
    pub async fn count_event(&self, account: Account<'_>) -> Verdict {
        let query = EventQuery {
            account: account.id,
            quota: self.policies.quota(account.plan).events,
            quota_floor: account.event_floor,
        };
        let quota = match self.health.guard(self.store.event(query)).await {
            Ok(quota) => quota,
            Err(err) => match self.policies.quota_fail_mode {
                FailMode::OpenWithFallback => self.fallback.event_now(query),
                FailMode::Open => return self.unknown_state(account, Ok(())),
                FailMode::Closed => return self.unknown_state(account, Err(internal(err))),
            },
        };
        let outcome = if quota.accepted {
            Ok(())
        } else {
            Err(ApiError::limit_exceeded(retry_after(quota.reset_us)))
        };
        self.account_verdict(account, outcome, None, Some(quota))
    }

    /// Counts a refused `Authorization` header from `client`, whose answer would be `refusal`
    /// (`MISSING_KEY`, `INVALID_KEY`, `USER_NOT_FOUND`): past the allowance the answer is `RATE_LIMITED` until the window
    /// ends. The fields state the address's allowance.
    pub async fn key_refused(
        &self,
        client: IpAddr,
        refusal: ApiError,
    ) -> (ApiError, RateLimitFields) {
        let address = AddressPartition::new(client);
        let query = AuthFailureQuery {
            address: address.as_str(),
            window_us: self.policies.auth_failures.window_us(),
        };
        let auth = match self.health.guard(self.store.auth_failure(query)).await {
            Ok(auth) => auth,
            Err(err) => match self.policies.rate_fail_mode {
                FailMode::OpenWithFallback => self.fallback.auth_failure_now(query),
                FailMode::Open => return (refusal, RateLimitFields::default()),
                FailMode::Closed => return (internal(err), RateLimitFields::default()),
            },
        };
        let verdict = self.auth_verdict(auth);
        (verdict.outcome.err().unwrap_or(refusal), verdict.fields)
    }

    fn auth_verdict(&self, auth: AuthOutcome) -> Verdict {
        let policy = self.policies.auth_failures;
        let limit = u64::from(policy.limit.get());
        let outcome = if auth.failures > limit {
            Err(ApiError::rate_limited(retry_after(auth.window_left_us)))
        } else {
            Ok(())
        };
        let fields = RateLimitFields::new(
            &[PolicyItem {
                id: fields::AUTH_FAILURES,
                quota: limit,
                window_secs: policy.window.as_secs(),
            }],
            &[StateItem {
                id: fields::AUTH_FAILURES,
                remaining: limit.saturating_sub(auth.failures),
                reset_secs: ceil_secs(auth.window_left_us),
            }],
        );
        Verdict {
            outcome,
            fields,
            quota: None,
        }
    }

    fn policy_items(&self, plan: Plan, cycle_us: i64) -> [PolicyItem; 2] {
        let rate = self.policies.rate(plan);
        [
            PolicyItem {
                id: fields::REQUESTS,
                quota: u64::from(rate.burst()),
                window_secs: u64::from(rate.window_secs()),
            },
            PolicyItem {
                id: fields::EVENTS,
                quota: self.policies.quota(plan).events,
                window_secs: ceil_secs(cycle_us),
            },
        ]
    }

    /// The fields of an account's answer. On a 429 only the refusing policy's state is
    /// listed (see [`crate::fields`]).
    fn account_verdict(
        &self,
        account: Account<'_>,
        outcome: Result<(), ApiError>,
        rate: Option<RateOutcome>,
        quota: Option<QuotaOutcome>,
    ) -> Verdict {
        let cycle_us = quota.map_or_else(local_cycle_us, |quota| quota.cycle_us);
        let limit = self.policies.quota(account.plan).events;
        let rate_item = rate.map(|rate| StateItem {
            id: fields::REQUESTS,
            remaining: rate.remaining,
            reset_secs: ceil_secs(rate.next_unit_us),
        });
        let quota_item = quota.map(|quota| StateItem {
            id: fields::EVENTS,
            remaining: limit.saturating_sub(quota.used),
            reset_secs: ceil_secs(quota.reset_us),
        });
        let (rate_item, quota_item) = match &outcome {
            Err(err) if err.code() == attractos_errors::ErrorCode::RateLimited => (rate_item, None),
            Err(err) if err.code() == attractos_errors::ErrorCode::LimitExceeded => {
                (None, quota_item)
            }
            _ => (rate_item, quota_item),
        };
        // The listed states, without a Vec.
        let listed;
        let states: &[StateItem] = match (rate_item, quota_item) {
            (Some(rate), Some(quota)) => {
                listed = [rate, quota];
                &listed
            }
            (Some(only), None) | (None, Some(only)) => {
                listed = [only, only];
                &listed[..1]
            }
            (None, None) => &[],
        };
        Verdict {
            outcome,
            fields: RateLimitFields::new(&self.policy_items(account.plan, cycle_us), states),
            quota,
        }
    }

    /// The answer when the store failed and the policy does not fall back: the policies are
    /// known, their state is not.
    fn unknown_state(&self, account: Account<'_>, outcome: Result<(), ApiError>) -> Verdict {
        Verdict {
            outcome,
            fields: RateLimitFields::new(&self.policy_items(account.plan, local_cycle_us()), &[]),
            quota: None,
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

/// The partition of an API key: its SHA-1 digest in hex, so the store never holds keys.
pub fn key_partition(key: &str) -> String {
    sha1_smol::Sha1::from(key).digest().to_string()
}

/// The partition of a client address.
pub fn address_partition(client: IpAddr) -> String {
    AddressPartition::new(client).as_str().to_owned()
}

/// [`address_partition`] written on the stack, so a decision does not allocate it.
struct AddressPartition {
    /// `ip:` and the longest IPv6 text (45 bytes, e.g. `ffff:…:255.255.255.255`).
    bytes: [u8; 48],
    len: usize,
}

impl AddressPartition {
    fn new(client: IpAddr) -> Self {
        use std::fmt::Write;
        let mut partition = AddressPartition {
            bytes: [0; 48],
            len: 0,
        };
        write!(partition, "ip:{client}").expect("an address fits in 48 bytes");
        partition
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("written from a str")
    }
}

impl std::fmt::Write for AddressPartition {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.len + text.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
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

    async fn guard<T>(
        &self,
        decision: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        if self.down.load(Ordering::Relaxed)
            && self.now_ms() < self.skip_until_ms.load(Ordering::Relaxed)
        {
            return Err(StoreError::Failed("skipped: the store is down".to_owned()));
        }
        match decision.await {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The partition written on the stack is the one every replica version writes.
        #[test]
        fn an_address_partition_is_ip_and_the_address(client in any::<IpAddr>()) {
            let partition = AddressPartition::new(client);
            prop_assert_eq!(
                partition.as_str(),
                format!("ip:{client}"),
                "the partition differs from `ip:` and the address's text"
            );
        }
    }

    #[test]
    fn the_longest_addresses_fit() {
        for client in [
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:255.255.255.255",
        ] {
            let client: IpAddr = client.parse().expect("an address");
            assert_eq!(
                AddressPartition::new(client).as_str(),
                format!("ip:{client}")
            );
        }
    }
}
