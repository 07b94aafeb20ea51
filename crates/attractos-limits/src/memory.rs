//! The in-memory store: the limits of one process, the default when no Redis is configured.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::algorithm;
use crate::store::{
    AuthFailureQuery, AuthOutcome, Clock, EventQuery, QuotaOutcome, RequestOutcome, RequestQuery,
    Store, StoreError,
};

/// Limit state in this process's memory, behind one lock (a decision holds it for well under
/// a microsecond). Entries whose state has become the same as no entry are swept when a map
/// has doubled since the last sweep, so unused keys and addresses do not accumulate.
///
/// ```
/// use attractos_limits::{Clock, ManualClock, MemoryStore, Store, AuthFailureQuery};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let clock = ManualClock::at_unix_secs(1_700_000_000);
/// let store = MemoryStore::new(Clock::Manual(clock));
/// let query = AuthFailureQuery { address: "ip:192.0.2.1", window_us: 60_000_000 };
/// assert_eq!(store.auth_failure(query).await.unwrap().failures, 1);
/// assert_eq!(store.auth_failure(query).await.unwrap().failures, 2);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    clock: Clock,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    rates: Swept<i64>,
    quotas: HashMap<String, (i64, u64)>,
    auth: Swept<(u64, i64)>,
}

/// A map swept of entries that no longer matter once it has doubled in size.
#[derive(Debug)]
struct Swept<V> {
    entries: HashMap<String, V>,
    sweep_at: usize,
}

impl<V> Default for Swept<V> {
    fn default() -> Self {
        Swept {
            entries: HashMap::new(),
            sweep_at: 1024,
        }
    }
}

impl<V: Copy> Swept<V> {
    fn get(&self, key: &str) -> Option<V> {
        self.entries.get(key).copied()
    }

    fn put(&mut self, key: &str, value: V, live: impl Fn(&V) -> bool) {
        match self.entries.get_mut(key) {
            Some(slot) => *slot = value,
            None => {
                self.entries.insert(key.to_owned(), value);
            }
        }
        if self.entries.len() >= self.sweep_at {
            self.entries.retain(|_, value| live(value));
            self.sweep_at = (self.entries.len() * 2).max(1024);
        }
    }
}

impl MemoryStore {
    /// An empty store reading `clock`.
    pub fn new(clock: Clock) -> Self {
        MemoryStore {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn now_us(&self) -> i64 {
        match &self.clock {
            Clock::Manual(clock) => clock.now_us(),
            Clock::Custom(now) => now(),
            Clock::Store => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_micros() as i64),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock means a panic mid-decision elsewhere; every write is one assignment,
        // so the maps are consistent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Decides a request (the synchronous core of [`Store::request`]).
    pub fn request_now(&self, query: RequestQuery<'_>) -> RequestOutcome {
        let now = self.now_us();
        let mut state = self.state();
        let stored = state.auth.get(query.address);
        let (_, auth) = algorithm::auth_failures(stored, now, 0, false);
        if auth.failures > u64::from(query.auth_limit) {
            return RequestOutcome::AddressBlocked(auth);
        }
        let (tat, rate) = algorithm::gcra(
            state.rates.get(query.key),
            now,
            query.emission_us,
            query.burst,
        );
        if rate.admitted {
            state.rates.put(query.key, tat, |tat| *tat > now);
        }
        let stored = state.quotas.get(query.account).copied();
        let (_, quota) = algorithm::quota(stored, now, query.quota, query.quota_floor, false);
        RequestOutcome::Decided { rate, quota }
    }

    /// Counts an event (the synchronous core of [`Store::event`]).
    pub fn event_now(&self, query: EventQuery<'_>) -> QuotaOutcome {
        let now = self.now_us();
        let mut state = self.state();
        let stored = state.quotas.get(query.account).copied();
        let (counter, outcome) =
            algorithm::quota(stored, now, query.quota, query.quota_floor, true);
        if outcome.accepted {
            // One entry per account, replaced each cycle: no sweep needed.
            state.quotas.insert(query.account.to_owned(), counter);
        }
        outcome
    }

    /// Counts a failed key (the synchronous core of [`Store::auth_failure`]).
    pub fn auth_failure_now(&self, query: AuthFailureQuery<'_>) -> AuthOutcome {
        let now = self.now_us();
        let mut state = self.state();
        let stored = state.auth.get(query.address);
        let (window, outcome) = algorithm::auth_failures(stored, now, query.window_us, true);
        state.auth.put(query.address, window, |(_, end)| *end > now);
        outcome
    }
}

impl Store for MemoryStore {
    async fn request(&self, query: RequestQuery<'_>) -> Result<RequestOutcome, StoreError> {
        Ok(self.request_now(query))
    }

    async fn event(&self, query: EventQuery<'_>) -> Result<QuotaOutcome, StoreError> {
        Ok(self.event_now(query))
    }

    async fn auth_failure(&self, query: AuthFailureQuery<'_>) -> Result<AuthOutcome, StoreError> {
        Ok(self.auth_failure_now(query))
    }
}
