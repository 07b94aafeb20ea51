//! The test service's logic, written once: each framework module only wraps it in that
//! adapter's extractors and routes.
//!
//! Routes: `GET /api/v1/sites/{siteId}/stats` (a key, a site, a date range, a granularity),
//! `GET /api/v1/no-site` (`SiteId` on a route without the parameter), `GET
//! /api/v1/timeseries` (a typed query), `POST /api/v1/events` (a key and a JSON body), `GET
//! /codes/{code}` (every catalogue code with its default message), `GET /custom` (a specific
//! message), `GET /internal` (a cause with a source chain), `GET /panic`, and the routes
//! behind the limits ([`limited`]).

use attractos_errors::rules::DateRange;
use attractos_errors::{ApiError, ErrorCode, docs};
use serde::{Deserialize, Serialize};

/// The only key the service accepts.
pub const KEY: &str = "ak_test_1";

/// What the service's store fails with, mapped with one `From`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The site does not exist.
    #[error("no such site")]
    UnknownSite,
    /// The store is down; the cause carries a secret that must never reach a client.
    #[error("store unavailable")]
    Unavailable(#[source] std::io::Error),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::UnknownSite => ApiError::site_not_found(),
            StoreError::Unavailable(_) => ApiError::internal(err),
        }
    }
}

/// A cause with a source, to see the whole chain in the log.
#[derive(Debug, thiserror::Error)]
#[error("loading the report failed")]
pub struct ReportError(#[source] pub std::io::Error);

/// The stats route's granularity (`hour` needs a plan this key lacks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// Hourly points: `PLAN_REQUIRED`.
    Hour,
    /// Daily points.
    #[default]
    Day,
}

/// The stats route's query besides `start` and `end`.
#[derive(Debug, Deserialize)]
pub struct StatsOptions {
    /// Daily unless asked.
    #[serde(default)]
    pub granularity: Granularity,
}

/// The stats route's success body.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    /// The site id as the handler got it.
    pub site: String,
    /// The site's host.
    pub host: String,
    /// Days in the range.
    pub days: i64,
}

/// The timeseries route's query.
#[derive(Debug, Deserialize)]
pub struct Timeseries {
    /// Any word; `hour` is refused by the handler.
    pub granularity: String,
    /// An optional count.
    pub limit: Option<u32>,
}

/// The events route's body, echoed back.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Event {
    /// The event's name.
    pub name: String,
    /// How many.
    pub count: u32,
}

fn check_key(key: &str) -> Result<(), ApiError> {
    if key == KEY {
        Ok(())
    } else {
        Err(ApiError::invalid_key())
    }
}

fn find_site(id: &str) -> Result<&'static str, StoreError> {
    match id {
        "site_demo" => Ok("demo.example"),
        "site_offline" => Err(StoreError::Unavailable(std::io::Error::other(
            "connection refused: db-password=hunter2",
        ))),
        _ => Err(StoreError::UnknownSite),
    }
}

/// `GET /api/v1/sites/{siteId}/stats`.
pub fn stats(
    key: &str,
    site: String,
    range: DateRange,
    options: StatsOptions,
) -> Result<Stats, ApiError> {
    check_key(key)?;
    let host = find_site(&site)?;
    if options.granularity == Granularity::Hour {
        return Err(ApiError::plan_required());
    }
    Ok(Stats {
        site,
        host: host.to_owned(),
        days: range.days(),
    })
}

/// `GET /api/v1/timeseries`.
pub fn timeseries(query: Timeseries) -> Result<String, ApiError> {
    if query.granularity == "hour" {
        return Err(ApiError::plan_required());
    }
    Ok(format!(
        "{} x{}",
        query.granularity,
        query.limit.unwrap_or(10)
    ))
}

/// `POST /api/v1/events`.
pub fn events(key: &str, event: Event) -> Result<Event, ApiError> {
    check_key(key)?;
    Ok(event)
}

/// `GET /codes/{code}`: the code's default error, or a `NOT_FOUND` for an unknown name.
pub fn code(name: &str) -> ApiError {
    match name.parse::<ErrorCode>() {
        Ok(code) => docs::example(code),
        Err(_) => ApiError::not_found().with_message("no such code"),
    }
}

/// `GET /custom`: a specific message.
pub fn custom() -> ApiError {
    ApiError::invalid_date_range().with_message("start: expected YYYY-MM-DD, got '2024-13-01'")
}

/// `GET /internal`: a cause (with a source) that is logged, never sent.
pub fn internal() -> ApiError {
    ApiError::internal(ReportError(std::io::Error::other(
        "disk quota exceeded: secret-path=/var/private",
    )))
}

/// A cause with a source, so the logged chain of a 4xx has two links.
#[derive(Debug, thiserror::Error)]
#[error("site lookup failed")]
pub struct LookupFailed(#[source] pub std::io::Error);

/// `GET /cause`: a 4xx with a cause, logged at debug level with its chain.
pub fn cause() -> ApiError {
    ApiError::site_not_found().with_cause(LookupFailed(std::io::Error::other("connection reset")))
}

/// `GET /teapot` answers a plain-text 418, as another layer would: the contract sends it as
/// a `SERVER_ERROR` and logs a warning with the original status.
pub const TEAPOT: &str = "short and stout";

/// What the routes answering as another layer would (not through `ApiError`) send: `GET
/// /throttled` a plain-text 429 with `Retry-After: 7`, `GET /unauthorized` a bare 401, `GET
/// /own-json` a JSON 409 of the handler's own, `GET /plain` a plain-text 201.
pub mod other_layers {
    /// The plain 429's body and `Retry-After`.
    pub const THROTTLED: (&str, &str) = ("slow down", "7");
    /// The handler's own JSON error body.
    pub const OWN_JSON: &str = r#"{"conflict":true}"#;
    /// The plain success's body.
    pub const PLAIN: &str = "plain text is fine";
    /// The plain answers' content type.
    pub const TEXT: &str = "text/plain; charset=utf-8";
}

/// The routes behind the limits (`attractos-limits` in memory, through each adapter's glue):
/// `GET /limited/sites` takes its caller with `Authenticated<Keys>`, `POST /limited/events`
/// counts an event against the caller's quota; served without the glue (a misconfiguration)
/// both answer `SERVER_ERROR`.
pub mod limited {
    use std::num::NonZeroU32;
    use std::rc::Rc;
    use std::sync::Arc;
    use std::time::Duration;

    use attractos_errors::ApiError;
    use attractos_limits::{
        Account, ApiKeys, AuthFailurePolicy, Limiter, LocalApiKeys, Plan, Policies, QuotaPolicy,
        RatePolicy,
    };

    /// The key whose lookup fails: the key store is down.
    pub const STORE_DOWN_KEY: &str = "ak_store_down";
    /// What the key store's failure carries, which must reach the log and never a client.
    pub const STORE_SECRET: &str = "keystore=10.0.0.9:7000";
    /// A key's burst and the seconds it takes to refill.
    pub const RATE: (u32, u32) = (2, 60);
    /// Events per month: fewer than [`RATE`]'s burst, so the quota refuses before the rate.
    pub const QUOTA: u64 = 1;
    /// Failed keys an address may send per minute.
    pub const AUTH_FAILURES: u32 = 3;

    /// The service's keys: [`crate::KEY`] is `user:1`'s, [`STORE_DOWN_KEY`] fails its lookup,
    /// any other is unknown. A fresh limiter per service.
    #[derive(Debug, Clone)]
    pub struct Keys(Arc<Limiter>);

    #[derive(Debug, thiserror::Error)]
    #[error("key store unreachable: {STORE_SECRET}")]
    struct KeyStoreDown;

    fn n(value: u32) -> NonZeroU32 {
        NonZeroU32::new(value).expect("not zero")
    }

    impl Keys {
        /// Keys limited by [`RATE`], [`QUOTA`] and [`AUTH_FAILURES`], in memory.
        pub fn new() -> Self {
            let policies = Policies {
                free_rate: RatePolicy::new(n(RATE.0), n(RATE.1)),
                free_quota: QuotaPolicy { events: QUOTA },
                auth_failures: AuthFailurePolicy {
                    limit: n(AUTH_FAILURES),
                    window: Duration::from_secs(60),
                },
                ..Policies::default()
            };
            Keys(Arc::new(Limiter::in_memory(policies)))
        }
    }

    impl Default for Keys {
        fn default() -> Self {
            Self::new()
        }
    }

    impl ApiKeys for Keys {
        type Caller = &'static str;

        fn limiter(&self) -> &Limiter {
            &self.0
        }

        async fn resolve(&self, key: &str) -> Result<&'static str, ApiError> {
            match key {
                crate::KEY => Ok("user:1"),
                STORE_DOWN_KEY => Err(ApiError::internal(KeyStoreDown)),
                _ => Err(ApiError::invalid_key()),
            }
        }

        fn account<'a>(&'a self, user: &'a &'static str) -> Account<'a> {
            Account {
                key: crate::KEY,
                id: user,
                plan: Plan::Free,
                event_floor: 0,
            }
        }
    }

    /// [`Keys`] as an actix-web worker may hold them: behind a lookup whose future is not
    /// `Send` (it keeps the worker's `Rc` across an await), so `LocalApiKeys`. The actix-web
    /// side of the conformance suite serves its limited routes with these, axum with [`Keys`]:
    /// the same answers either way.
    #[derive(Debug, Clone, Default)]
    pub struct WorkerKeys {
        keys: Keys,
        worker: Rc<()>,
    }

    impl LocalApiKeys for WorkerKeys {
        type Caller = &'static str;

        fn limiter(&self) -> &Limiter {
            ApiKeys::limiter(&self.keys)
        }

        async fn resolve(&self, key: &str) -> Result<&'static str, ApiError> {
            let worker = Rc::clone(&self.worker);
            let caller = ApiKeys::resolve(&self.keys, key).await;
            drop(worker);
            caller
        }

        fn account<'a>(&'a self, user: &'a &'static str) -> Account<'a> {
            ApiKeys::account(&self.keys, user)
        }
    }

    /// `POST /limited/events`' answer: the events counted this month.
    pub fn counted(quota: Option<attractos_limits::QuotaOutcome>) -> String {
        quota.map_or(0, |quota| quota.used).to_string()
    }
}

/// `GET /panic`: a `&str` payload.
pub fn boom() -> &'static str {
    panic!("the handler fell over")
}

/// `GET /panic/formatted`: a `String` payload.
pub fn boom_formatted() -> &'static str {
    let id = 7;
    panic!("a String payload for {id}")
}

/// `GET /panic/any`: a payload that is not a string.
pub fn boom_any() -> &'static str {
    std::panic::panic_any(42_u8)
}

/// The handlers that read the same on both adapters, written once: each framework's module
/// (`on_axum`, `on_actix`) expands them where `ApiError`, `BearerKey`, `SiteId`, `DateRange`,
/// `Query` and `Json` name its adapter's types, which have the same names and shapes.
macro_rules! handlers_on_the_adapter {
    () => {
        async fn stats(
            key: BearerKey,
            SiteId(site): SiteId,
            DateRange(range): DateRange,
            Query(options): Query<$crate::service::StatsOptions>,
        ) -> Result<Json<$crate::service::Stats>, ApiError> {
            Ok(Json($crate::service::stats(&key.0, site, range, options)?))
        }

        async fn no_site(SiteId(site): SiteId) -> String {
            site
        }

        async fn timeseries(
            Query(query): Query<$crate::service::Timeseries>,
        ) -> Result<String, ApiError> {
            Ok($crate::service::timeseries(query)?)
        }

        async fn events(
            key: BearerKey,
            Json(event): Json<$crate::service::Event>,
        ) -> Result<Json<$crate::service::Event>, ApiError> {
            Ok(Json($crate::service::events(&key.0, event)?))
        }

        async fn custom() -> Result<String, ApiError> {
            Err($crate::service::custom().into())
        }

        async fn internal() -> Result<String, ApiError> {
            Err($crate::service::internal().into())
        }

        async fn cause() -> Result<String, ApiError> {
            Err($crate::service::cause().into())
        }

        async fn boom() -> &'static str {
            $crate::service::boom()
        }

        async fn boom_formatted() -> &'static str {
            $crate::service::boom_formatted()
        }

        async fn boom_any() -> &'static str {
            $crate::service::boom_any()
        }
    };
}
pub(crate) use handlers_on_the_adapter;
