//! The interface both stores implement, the queries they answer and the clock they read.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::AddressPartition;
pub use crate::algorithm::{AuthOutcome, QuotaOutcome, RateOutcome};

/// Where a store reads "now".
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Clock {
    /// The store's own clock: the system clock for the in-memory store, Redis `TIME` for
    /// the Redis store (so replicas with skewed clocks agree).
    #[default]
    Store,
    /// A clock tests set by hand.
    Manual(ManualClock),
    /// A clock of the caller's (microseconds since the epoch), e.g. a test's fixed time.
    Custom(Arc<dyn Fn() -> i64 + Send + Sync>),
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Clock::Store => f.write_str("Store"),
            Clock::Manual(clock) => f.debug_tuple("Manual").field(clock).finish(),
            Clock::Custom(_) => f.write_str("Custom"),
        }
    }
}

/// A clock that moves only when told, shared by clones.
///
/// ```
/// use attractos_limits::ManualClock;
/// let clock = ManualClock::at_unix_secs(1_700_000_000);
/// clock.advance_us(1_500_000);
/// assert_eq!(clock.now_us(), 1_700_000_001_500_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock at `secs` seconds after the Unix epoch.
    pub fn at_unix_secs(secs: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(secs * 1_000_000)))
    }

    /// Microseconds since the Unix epoch.
    pub fn now_us(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Moves the clock forward.
    pub fn advance_us(&self, us: i64) {
        self.0.fetch_add(us, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set_us(&self, us: i64) {
        self.0.store(us, Ordering::SeqCst);
    }
}

/// A request of an authenticated key: the address is checked for too many failed keys, then
/// the key's rate decides, and the account's event quota is looked at (not consumed).
#[derive(Debug, Clone, Copy)]
pub struct RequestQuery<'a> {
    /// The client address's partition.
    pub address: AddressPartition,
    /// The API key. The Redis store keys by its partition ([`crate::key_partition`], a SHA-1
    /// digest, the same for every replica); the in-memory store by the key itself.
    pub key: &'a str,
    /// The account's partition (for the quota look).
    pub account: &'a str,
    /// GCRA emission interval, microseconds.
    pub emission_us: i64,
    /// GCRA burst.
    pub burst: u32,
    /// Failed keys allowed per window for the address.
    pub auth_limit: u32,
    /// The account's quota.
    pub quota: u64,
    /// The fewest events the account has used this cycle ([`Account::event_floor`]).
    ///
    /// [`Account::event_floor`]: crate::Account::event_floor
    pub quota_floor: u64,
}

/// The answer to a [`RequestQuery`].
///
/// Closed on purpose: a caller must act on every outcome, so a new one has to break its
/// `match` rather than fall into a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// The address has failed too often: nothing else was decided.
    AddressBlocked(AuthOutcome),
    /// The rate decision and a look at the quota.
    Decided {
        /// The key's rate.
        rate: RateOutcome,
        /// The account's quota, unchanged.
        quota: QuotaOutcome,
    },
}

/// An event to count against an account's quota.
#[derive(Debug, Clone, Copy)]
pub struct EventQuery<'a> {
    /// The account's partition.
    pub account: &'a str,
    /// The quota.
    pub quota: u64,
    /// The fewest events the account has used this cycle ([`Account::event_floor`]).
    ///
    /// [`Account::event_floor`]: crate::Account::event_floor
    pub quota_floor: u64,
}

/// A failed key from an address.
#[derive(Debug, Clone, Copy)]
pub struct AuthFailureQuery {
    /// The client address's partition.
    pub address: AddressPartition,
    /// The window a first failure opens, microseconds.
    pub window_us: i64,
}

/// The store could not decide: unreachable, too slow, or an unexpected answer. The text is
/// for operators (logs) and never holds the store's URL or password.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No answer within the store timeout.
    #[error("the limit store did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The store answered with an error or could not be reached.
    #[error("the limit store failed: {0}")]
    Failed(String),
}

/// A place where limit state lives: the in-memory store of one process, or Redis shared by
/// replicas. Each method is one atomic decision (one round trip for a remote store).
pub trait Store: Send + Sync + 'static {
    /// Decides a request of an authenticated key.
    fn request(
        &self,
        query: RequestQuery<'_>,
    ) -> impl Future<Output = Result<RequestOutcome, StoreError>> + Send;

    /// Counts an event against a quota unless it is spent.
    fn event(
        &self,
        query: EventQuery<'_>,
    ) -> impl Future<Output = Result<QuotaOutcome, StoreError>> + Send;

    /// Counts a failed key of an address.
    fn auth_failure(
        &self,
        query: AuthFailureQuery,
    ) -> impl Future<Output = Result<AuthOutcome, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_shows_which_it_is() {
        assert_eq!(format!("{:?}", Clock::Store), "Store");
        assert_eq!(format!("{:?}", Clock::Custom(Arc::new(|| 0))), "Custom");
        let manual = format!("{:?}", Clock::Manual(ManualClock::at_unix_secs(1)));
        assert!(manual.starts_with("Manual("), "{manual}");
    }
}
