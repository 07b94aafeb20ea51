//! The in-memory store: the limits of one process, the default when no Redis is configured.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::store::{
    AuthFailureQuery, AuthOutcome, Clock, EventQuery, QuotaOutcome, RequestOutcome, RequestQuery,
    Store, StoreError,
};
use crate::{AddressPartition, algorithm};

/// Limit state in this process's memory, behind one lock, held for the lookups and the
/// update only (a request's look at its quota is worked out after it is released). The maps
/// hash with aHash, randomly keyed per map (their keys, addresses above all, come from
/// clients: a fixed hash would let them choose colliding ones), much faster than SipHash on
/// short keys. Entries whose state has become the same as no entry are swept when a map has
/// doubled since the last sweep, so unused keys and addresses do not accumulate.
///
/// ```
/// use attractos_limits::{AddressPartition, AuthFailureQuery, Clock, ManualClock, MemoryStore, Store};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let clock = ManualClock::at_unix_secs(1_700_000_000);
/// let store = MemoryStore::new(Clock::Manual(clock));
/// let address = AddressPartition::new("192.0.2.1".parse().unwrap());
/// let query = AuthFailureQuery { address, window_us: 60_000_000 };
/// assert_eq!(store.auth_failure(query).await.unwrap().failures, 1);
/// assert_eq!(store.auth_failure(query).await.unwrap().failures, 2);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    clock: Clock,
    state: Mutex<State>,
}

/// A map from partitions, hashed with a randomly keyed aHash.
type Map<K, V> = HashMap<K, V, ahash::RandomState>;

#[derive(Debug, Default)]
struct State {
    rates: Swept<String, i64>,
    quotas: Map<String, (i64, u64)>,
    auth: Swept<AddressPartition, (u64, i64)>,
    /// The billing cycle of the latest decision, `(start, end)`: worked out again only when
    /// "now" leaves it, about once a month.
    cycle: (i64, i64),
}

impl State {
    fn cycle_at(&mut self, now: i64) -> (i64, i64) {
        let (start, end) = self.cycle;
        if !(start <= now && now < end) {
            self.cycle = algorithm::cycle(now);
        }
        self.cycle
    }
}

/// A map swept of entries that no longer matter once it has doubled in size.
#[derive(Debug)]
struct Swept<K, V> {
    entries: Map<K, V>,
    sweep_at: usize,
}

impl<K, V> Default for Swept<K, V> {
    fn default() -> Self {
        Swept {
            entries: Map::default(),
            sweep_at: 1024,
        }
    }
}

impl<K: Hash + Eq, V: Copy> Swept<K, V> {
    fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.entries.get(key).copied()
    }

    /// [`update`], then a sweep of the entries that are no longer `live` when an insert has
    /// doubled the map.
    fn update<Q: Hash + Eq + ToOwned<Owned = K> + ?Sized, T>(
        &mut self,
        key: &Q,
        decide: impl FnOnce(Option<V>) -> (Option<V>, T),
        live: impl Fn(&V) -> bool,
    ) -> T
    where
        K: Borrow<Q>,
    {
        let (outcome, inserted) = update(&mut self.entries, key, decide);
        if inserted && self.entries.len() >= self.sweep_at {
            self.entries.retain(|_, value| live(value));
            self.sweep_at = (self.entries.len() * 2).max(1024);
        }
        outcome
    }
}

/// Decides with `key`'s stored value in one lookup: `decide` returns the value to store
/// (`None`: leave it as it is) and its outcome. Also says whether a new entry was inserted.
fn update<K, Q, V, T>(
    map: &mut Map<K, V>,
    key: &Q,
    decide: impl FnOnce(Option<V>) -> (Option<V>, T),
) -> (T, bool)
where
    K: Hash + Eq + Borrow<Q>,
    Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    V: Copy,
{
    if let Some(slot) = map.get_mut(key) {
        let (value, outcome) = decide(Some(*slot));
        if let Some(value) = value {
            *slot = value;
        }
        return (outcome, false);
    }
    let (value, outcome) = decide(None);
    let inserted = value.is_some();
    if let Some(value) = value {
        map.insert(key.to_owned(), value);
    }
    (outcome, inserted)
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
        let stored = state.auth.get(&query.address);
        let (_, auth) = algorithm::auth_failures(stored, now, 0, false);
        if auth.failures > u64::from(query.auth_limit) {
            return RequestOutcome::AddressBlocked(auth);
        }
        let rate = state.rates.update(
            query.key,
            |tat| {
                let (tat, rate) = algorithm::gcra(tat, now, query.emission_us, query.burst);
                (rate.admitted.then_some(tat), rate)
            },
            |tat| *tat > now,
        );
        let stored = state.quotas.get(query.account).copied();
        let cycle = state.cycle_at(now);
        drop(state);
        let look = algorithm::quota(stored, now, cycle, query.quota, query.quota_floor, false);
        RequestOutcome::Decided {
            rate,
            quota: look.1,
        }
    }

    /// Counts an event (the synchronous core of [`Store::event`]).
    pub fn event_now(&self, query: EventQuery<'_>) -> QuotaOutcome {
        let now = self.now_us();
        let mut state = self.state();
        let cycle = state.cycle_at(now);
        // One entry per account, replaced each cycle: no sweep needed.
        let (outcome, _) = update(&mut state.quotas, query.account, |stored| {
            let (counter, outcome) =
                algorithm::quota(stored, now, cycle, query.quota, query.quota_floor, true);
            (outcome.accepted.then_some(counter), outcome)
        });
        outcome
    }

    /// Counts a failed key (the synchronous core of [`Store::auth_failure`]).
    pub fn auth_failure_now(&self, query: AuthFailureQuery) -> AuthOutcome {
        let now = self.now_us();
        self.state().auth.update(
            &query.address,
            |stored| {
                let (window, outcome) =
                    algorithm::auth_failures(stored, now, query.window_us, true);
                (Some(window), outcome)
            },
            |(_, end)| *end > now,
        )
    }
}

/// Each decision is taken when it is asked for: the futures are ready.
impl Store for MemoryStore {
    fn request(
        &self,
        query: RequestQuery<'_>,
    ) -> impl Future<Output = Result<RequestOutcome, StoreError>> + Send {
        std::future::ready(Ok(self.request_now(query)))
    }

    fn event(
        &self,
        query: EventQuery<'_>,
    ) -> impl Future<Output = Result<QuotaOutcome, StoreError>> + Send {
        std::future::ready(Ok(self.event_now(query)))
    }

    fn auth_failure(
        &self,
        query: AuthFailureQuery,
    ) -> impl Future<Output = Result<AuthOutcome, StoreError>> + Send {
        std::future::ready(Ok(self.auth_failure_now(query)))
    }
}

/// The sweep: memory stays bounded by the live state, the live state survives it, and it runs
/// only when a map has doubled (its cost is amortized over the inserts).
#[cfg(test)]
mod sweep {
    use super::*;
    use crate::store::ManualClock;

    const HOUR_US: i64 = 3_600_000_000;

    fn store() -> (MemoryStore, ManualClock) {
        let clock = ManualClock::at_unix_secs(1_700_000_000);
        (MemoryStore::new(Clock::Manual(clock.clone())), clock)
    }

    /// A request of `key` at one per `emission_us`, with a burst of one.
    fn request(store: &MemoryStore, key: &str, emission_us: i64) -> bool {
        let query = RequestQuery {
            address: address(1),
            key,
            account: "account",
            emission_us,
            burst: 1,
            auth_limit: 10,
            quota: 10,
            quota_floor: 0,
        };
        match store.request_now(query) {
            RequestOutcome::Decided { rate, .. } => rate.admitted,
            RequestOutcome::AddressBlocked(_) => panic!("no failed keys were sent"),
        }
    }

    /// The partition of the `n`th IPv4 address.
    fn address(n: u32) -> AddressPartition {
        AddressPartition::new(std::net::Ipv4Addr::from_bits(n).into())
    }

    fn fail(store: &MemoryStore, n: u32, window_us: i64) -> u64 {
        let address = address(n);
        store
            .auth_failure_now(AuthFailureQuery { address, window_us })
            .failures
    }

    #[test]
    fn a_spent_key_stays_spent_and_keys_whose_state_ended_this_instant_are_dropped() {
        let (store, clock) = store();
        assert!(
            request(&store, "spent", HOUR_US),
            "the first request is admitted"
        );
        // Keys whose next request is admitted again exactly at the sweep: the same as no entry.
        for n in 0..1022 {
            assert!(
                request(&store, &format!("done-{n}"), 1_000),
                "key {n} admitted"
            );
        }
        clock.advance_us(1_000);
        assert!(
            request(&store, "last", HOUR_US),
            "the 1024th entry, which sweeps"
        );
        let rates = store.state().rates.entries.len();
        assert_eq!(rates, 2, "only the live keys are left: `spent` and `last`");
        assert!(
            !request(&store, "spent", HOUR_US),
            "the spent key is still refused"
        );
    }

    #[test]
    fn an_address_keeps_its_failures_and_addresses_whose_window_ended_this_instant_are_dropped() {
        let (store, clock) = store();
        let (guesser, last) = (0, 1);
        assert_eq!(fail(&store, guesser, HOUR_US), 1);
        for n in 2..1024 {
            fail(&store, n, 1_000);
        }
        clock.advance_us(1_000);
        fail(&store, last, HOUR_US);
        let addresses = store.state().auth.entries.len();
        assert_eq!(addresses, 2, "only the live windows are left");
        assert_eq!(fail(&store, guesser, HOUR_US), 2, "its count survived");
    }

    #[test]
    fn the_map_is_swept_only_once_it_has_doubled_since_the_last_sweep() {
        let (store, clock) = store();
        let len = |store: &MemoryStore| store.state().rates.entries.len();
        // 600 live keys, then dead ones up to the first sweep at 1024 entries.
        for n in 0..600 {
            request(&store, &format!("live-{n}"), HOUR_US);
        }
        for n in 0..423 {
            request(&store, &format!("dead-{n}"), 1);
        }
        assert_eq!(len(&store), 1023, "no sweep below 1024 entries");
        clock.advance_us(1);
        request(&store, "live-600", HOUR_US);
        assert_eq!(len(&store), 601, "the sweep at 1024 left the live keys");
        // The next sweep waits for twice the 601 live entries, however many have ended since.
        for n in 0..600 {
            request(&store, &format!("late-{n}"), 1);
            clock.advance_us(1);
        }
        assert_eq!(len(&store), 1201, "no sweep before the map doubles");
        request(&store, "live-601", HOUR_US);
        assert_eq!(len(&store), 602, "swept at 1202 entries");
    }
}
