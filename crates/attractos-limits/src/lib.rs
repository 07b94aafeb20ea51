//! Limits that hold across replicas: a request rate per API key and a monthly event quota
//! per account, both by plan, and a failed-authentication allowance per client address, kept
//! in memory (one process) or in Redis (shared by every replica: one round trip per decision,
//! concurrent decisions batched into one Lua script, Redis's clock). Decisions answer with the
//! contract's errors (`RATE_LIMITED`, `LIMIT_EXCEEDED`, with honest `retry_after`) and the IETF
//! `RateLimit-Policy` and `RateLimit` fields ([`fields`] documents the choices the draft leaves
//! open). A store failure is a decided behaviour per policy ([`FailMode`]), bounded by a
//! timeout.
//!
//! ```
//! use attractos_limits::{Account, Limiter, Plan, Policies};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let limiter = Limiter::in_memory(Policies::default());
//! let account = Account { key: "ak_demo_free", id: "user:1", plan: Plan::Free, event_floor: 0 };
//! let verdict = limiter.admit("192.0.2.7".parse().unwrap(), account).await;
//! assert!(verdict.outcome.is_ok());
//! assert_eq!(verdict.fields.policy().unwrap().split(", ").next(), Some(r#""requests";q=20;w=1"#));
//! # });
//! ```
//!
//! In a service, [`ApiKeys`] says how its keys resolve ([`LocalApiKeys`] where the lookup is
//! not `Send`, on actix-web) and [`authenticate`] takes each keyed request through the limits;
//! the adapters' `Authenticated<K>` extractor does that on axum and actix-web.
//!
//! With Redis (the store connects lazily, and reconnects by itself; `rediss://` for TLS with the
//! default `tls` feature, [`RedisStore::connect_with_tls`] for a private CA or a client
//! certificate; [`RedisStore::connect_via_sentinels`] for the primary Redis Sentinel names,
//! followed through a failover; a service on one multi-threaded tokio runtime has the
//! connection driven there with [`RedisStore::on_runtime`]):
//!
//! ```
//! use attractos_limits::{AnyStore, Clock, DEFAULT_TIMEOUT, Limiter, Policies, RedisStore};
//!
//! let store = RedisStore::connect("redis://127.0.0.1:6379/", DEFAULT_TIMEOUT, Clock::Store)?;
//! let limiter = Limiter::new(AnyStore::Redis(store), Policies::default());
//! # Ok::<(), attractos_limits::InvalidRedisUrl>(())
//! ```

mod algorithm;
mod client;
mod context;
pub mod fields;
mod keys;
mod limiter;
mod memory;
mod policy;
mod redis_batch;
mod redis_memory;
mod redis_sentinel;
mod redis_server;
mod redis_store;
#[cfg(feature = "tls")]
mod redis_tls;
mod store;
#[cfg(feature = "test-harness")]
pub mod testing;

use futures_util::future::Either;

pub use client::{AddressPartition, ProxyTrust, client_address};
pub use context::{LimitContext, MissingLimitContext};
pub use keys::{ApiKeys, LocalApiKeys, authenticate, count_event};
pub use limiter::{Account, Limiter, Verdict, key_partition};
pub use memory::MemoryStore;
pub use policy::{AuthFailurePolicy, FailMode, Plan, Policies, QuotaPolicy, RatePolicy};
pub use redis_sentinel::RedisSentinels;
pub use redis_store::{DEFAULT_TIMEOUT, InvalidRedisUrl, RedisStore};
#[cfg(feature = "tls")]
pub use redis_tls::{InvalidPem, RedisTls};
pub use store::{
    AuthFailureQuery, AuthOutcome, Clock, EventQuery, ManualClock, QuotaOutcome, RateOutcome,
    RequestOutcome, RequestQuery, Store, StoreError,
};

/// Either store, chosen at run time (e.g. by a `--redis` flag).
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyStore {
    /// This process's memory.
    Memory(MemoryStore),
    /// A Redis server shared by replicas.
    Redis(RedisStore),
}

/// The same call on whichever store `any` is, as one future type.
macro_rules! chosen {
    ($any:expr, $store:ident => $call:expr) => {
        match $any {
            AnyStore::Memory($store) => Either::Left($call),
            AnyStore::Redis($store) => Either::Right($call),
        }
    };
}

/// Each method's future is the chosen store's, not an `async fn` holding the query beside it.
impl Store for AnyStore {
    fn request(
        &self,
        query: RequestQuery<'_>,
    ) -> impl Future<Output = Result<RequestOutcome, StoreError>> + Send {
        chosen!(self, store => store.request(query))
    }

    fn event(
        &self,
        query: EventQuery<'_>,
    ) -> impl Future<Output = Result<QuotaOutcome, StoreError>> + Send {
        chosen!(self, store => store.event(query))
    }

    fn auth_failure(
        &self,
        query: AuthFailureQuery,
    ) -> impl Future<Output = Result<AuthOutcome, StoreError>> + Send {
        chosen!(self, store => store.auth_failure(query))
    }
}
