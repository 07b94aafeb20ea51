//! The business rules, written once: both the axum and the actix-web apps call these
//! functions, and every failure is an [`ApiError`] of the catalogue.
//!
//! ```
//! use attractos_reference::{AppState, Options};
//! use attractos_errors::{rules, ErrorCode};
//!
//! let state = AppState::new(Options::default());
//! let caller = state.authenticate("ak_demo_free").unwrap();
//! # let _ = &caller;
//! let range = rules::date_range(Some("start=2024-01-01&end=2024-01-07")).unwrap();
//! let stats = state.stats(&caller, "site_demo", range).unwrap();
//! assert_eq!(stats.days, 7);
//!
//! let err = state.stats(&caller, "site_pro", range).unwrap_err();
//! assert_eq!(err.code(), ErrorCode::SiteNotFound);
//! ```

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use attractos_errors::ApiError;
use attractos_errors::rules::{self, DateRange};
use attractos_limits::{
    Account, AnyStore, ApiKeys, AuthFailurePolicy, Clock, LimitContext, Limiter, MemoryStore,
    Policies, ProxyTrust, QuotaPolicy, RatePolicy, RedisSentinels, RedisStore, RedisTls,
};
use serde::{Deserialize, Deserializer, Serialize};
use time::{Date, Month, OffsetDateTime, Time, UtcOffset};
use utoipa::ToSchema;

use crate::store::{KeyLookup, Plan, Site, Store, User};

/// The longest range, in days, that stats and daily timeseries cover.
pub const MAX_DAILY_RANGE_DAYS: i64 = 366;

/// The longest range, in days, that an hourly timeseries covers.
pub const MAX_HOURLY_RANGE_DAYS: i64 = 31;

/// The longest event name accepted, in characters.
pub const MAX_EVENT_NAME_CHARS: usize = 64;

/// The longest event URL accepted, in bytes.
pub const MAX_EVENT_URL_LEN: usize = 2048;

/// Where "now" comes from: the system clock unless a test sets one.
pub type NowFn = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// How a server is set up: the limits and their store, the request body limit, the head
/// and body timeouts, the clock.
#[derive(Clone)]
pub struct Options {
    rate_limit: NonZeroU32,
    rate_limit_pro: Option<NonZeroU32>,
    event_quota_free: u64,
    event_quota_pro: u64,
    auth_failure_limit: NonZeroU32,
    redis: Option<String>,
    redis_tls: Option<RedisTls>,
    redis_sentinels: Option<RedisSentinels>,
    redis_timeout: Duration,
    body_limit: usize,
    head_timeout: Duration,
    body_timeout: Duration,
    now: Option<NowFn>,
    debug_routes: bool,
    proxy_trust: ProxyTrust,
}

impl Options {
    /// The default Free-plan rate limit: 20 requests per second per key.
    pub const DEFAULT_RATE_LIMIT: NonZeroU32 = Policies::DEFAULT_FREE_RATE;

    /// The default allowance of failed keys per client address and minute.
    pub const DEFAULT_AUTH_FAILURE_LIMIT: NonZeroU32 = AuthFailurePolicy::DEFAULT.limit;

    /// Requests per second each Free-plan key may make (a burst of that many, refilled
    /// evenly). The Pro plan gets five times that unless [`Options::rate_limit_pro`] says.
    pub fn rate_limit(mut self, per_second: NonZeroU32) -> Self {
        self.rate_limit = per_second;
        self
    }

    /// Requests per second each Pro-plan key may make (default: 5x the Free rate).
    pub fn rate_limit_pro(mut self, per_second: NonZeroU32) -> Self {
        self.rate_limit_pro = Some(per_second);
        self
    }

    /// Events a Free-plan account may record per calendar month (default 10 000).
    pub fn event_quota_free(mut self, events: u64) -> Self {
        self.event_quota_free = events;
        self
    }

    /// Events a Pro-plan account may record per calendar month (default 1 000 000).
    pub fn event_quota_pro(mut self, events: u64) -> Self {
        self.event_quota_pro = events;
        self
    }

    /// Failed keys a client address may send per minute before it is answered
    /// `RATE_LIMITED` whatever key it sends, until the minute has passed (default 30).
    pub fn auth_failure_limit(mut self, per_minute: NonZeroU32) -> Self {
        self.auth_failure_limit = per_minute;
        self
    }

    /// Keeps the limits in the Redis server at `url` (shared by every replica using it)
    /// instead of this process's memory.
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.redis = Some(url.into());
        self
    }

    /// The certificates of a `rediss://` Redis (or of `rediss://` sentinels and their
    /// primary) beyond the system's roots: a private CA that signed its certificate, a client
    /// certificate for one that authenticates its clients.
    pub fn redis_tls(mut self, tls: RedisTls) -> Self {
        self.redis_tls = Some(tls);
        self
    }

    /// Keeps the limits in the Redis primary that `sentinels` name (and name anew after a
    /// failover), instead of [`Options::redis`]'s server or this process's memory.
    pub fn redis_sentinels(mut self, sentinels: RedisSentinels) -> Self {
        self.redis_sentinels = Some(sentinels);
        self
    }

    /// How long one limit decision may wait for Redis before the policy's failure mode
    /// answers (default [`attractos_limits::DEFAULT_TIMEOUT`], 50 ms).
    pub fn redis_timeout(mut self, timeout: Duration) -> Self {
        self.redis_timeout = timeout;
        self
    }

    /// The request body limit in bytes (default [`rules::DEFAULT_BODY_LIMIT`], 64 KiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long a request head may take to arrive (default
    /// [`serving::DEFAULT_HEAD_TIMEOUT`](attractos_errors::serving::DEFAULT_HEAD_TIMEOUT), 5 s).
    pub fn head_timeout(mut self, timeout: Duration) -> Self {
        self.head_timeout = timeout;
        self
    }

    /// How long a request body may take to arrive (default [`rules::DEFAULT_BODY_TIMEOUT`],
    /// 15 s).
    pub fn body_timeout(mut self, deadline: Duration) -> Self {
        self.body_timeout = deadline;
        self
    }

    /// The clock the limits read, rate and quota alike (default: the limit store's own clock,
    /// which for Redis is the server's `TIME`, so replicas agree). A fixed clock never refills
    /// a rate: tests that fix it keep their requests within the burst.
    pub fn clock(mut self, now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        self.now = Some(Arc::new(now));
        self
    }

    /// Adds the fault-injection routes under [`crate::routes::DEBUG_PANIC`] and
    /// [`crate::routes::DEBUG_FAIL`] (default: off). For soak and reliability tests only: they
    /// let a client make a handler panic or fail on purpose.
    pub fn debug_routes(mut self, enabled: bool) -> Self {
        self.debug_routes = enabled;
        self
    }

    /// Whose address the failed-key allowance counts: the peer's (default), or behind one
    /// proxy, the last `X-Forwarded-For` entry ([`ProxyTrust::LastXForwardedFor`]).
    pub fn proxy_trust(mut self, trust: ProxyTrust) -> Self {
        self.proxy_trust = trust;
        self
    }

    /// The configured [`ProxyTrust`].
    pub fn proxy_trust_mode(&self) -> ProxyTrust {
        self.proxy_trust
    }

    /// Whether the fault-injection routes are served.
    pub fn debug_routes_enabled(&self) -> bool {
        self.debug_routes
    }

    /// The configured Free-plan rate limit.
    pub fn rate_limit_per_second(&self) -> NonZeroU32 {
        self.rate_limit
    }

    /// The configured body limit in bytes.
    pub fn body_limit_bytes(&self) -> usize {
        self.body_limit
    }

    /// The configured head timeout.
    pub fn head_timeout_duration(&self) -> Duration {
        self.head_timeout
    }

    /// The configured body deadline.
    pub fn body_timeout_duration(&self) -> Duration {
        self.body_timeout
    }

    /// The limit policies these options describe (store failure modes at their defaults).
    pub fn policies(&self) -> Policies {
        let mut policies = Policies::default().with_free_rate(self.rate_limit);
        if let Some(pro) = self.rate_limit_pro {
            policies.pro_rate = RatePolicy::per_second(pro);
        }
        policies.free_quota = QuotaPolicy {
            events: self.event_quota_free,
        };
        policies.pro_quota = QuotaPolicy {
            events: self.event_quota_pro,
        };
        policies.auth_failures.limit = self.auth_failure_limit;
        policies
    }

    fn limit_clock(&self) -> Clock {
        match &self.now {
            None => Clock::Store,
            Some(now) => {
                let now = Arc::clone(now);
                Clock::Custom(Arc::new(move || {
                    let now = now();
                    now.unix_timestamp() * 1_000_000 + i64::from(now.microsecond())
                }))
            }
        }
    }

    fn now(&self) -> OffsetDateTime {
        self.now
            .as_ref()
            .map_or_else(OffsetDateTime::now_utc, |now| now())
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rate_limit: Self::DEFAULT_RATE_LIMIT,
            rate_limit_pro: None,
            event_quota_free: Policies::DEFAULT_FREE_EVENTS,
            event_quota_pro: Policies::DEFAULT_PRO_EVENTS,
            auth_failure_limit: Self::DEFAULT_AUTH_FAILURE_LIMIT,
            redis: None,
            redis_tls: None,
            redis_sentinels: None,
            redis_timeout: attractos_limits::DEFAULT_TIMEOUT,
            body_limit: rules::DEFAULT_BODY_LIMIT,
            head_timeout: attractos_errors::serving::DEFAULT_HEAD_TIMEOUT,
            body_timeout: rules::DEFAULT_BODY_TIMEOUT,
            now: None,
            debug_routes: false,
            proxy_trust: ProxyTrust::PeerOnly,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The Redis URL may hold a password: only whether there is one is shown.
        f.debug_struct("Options")
            .field("policies", &self.policies())
            .field("redis", &self.redis.is_some())
            .field("redis_tls", &self.redis_tls)
            .field("redis_sentinels", &self.redis_sentinels)
            .field("redis_timeout", &self.redis_timeout)
            .field("body_limit", &self.body_limit)
            .field("head_timeout", &self.head_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("debug_routes", &self.debug_routes)
            .field("proxy_trust", &self.proxy_trust)
            .finish_non_exhaustive()
    }
}

/// Everything a request handler needs, cheap to clone: the store, the limiter, the options.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    limiter: Limiter,
    options: Options,
    /// Injected faults so far (debug routes).
    faults: AtomicU64,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.0.store)
            .field("options", &self.0.options)
            .finish_non_exhaustive()
    }
}

/// An authenticated caller: the key it used and its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The API key, the rate limit's partition.
    pub key: String,
    /// The event quota's partition: the user, `user:<id>`.
    pub account: String,
    /// The key's user.
    pub user: User,
}

/// `GET /api/v1/sites`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SiteList {
    /// The caller's sites, sorted by id.
    pub sites: Vec<Site>,
}

/// `GET /api/v1/sites/{siteId}/stats`: totals over the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Stats {
    /// The site.
    pub site_id: String,
    /// First day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub start: String,
    /// Last day, `YYYY-MM-DD`, inclusive.
    #[schema(format = Date)]
    pub end: String,
    /// Days in the range.
    #[schema(minimum = 1, maximum = 366)]
    pub days: i64,
    /// Visits in the range.
    pub visits: u64,
    /// Page views in the range.
    pub pageviews: u64,
}

/// The `granularity` query parameter of the timeseries endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One point per day (every plan).
    #[default]
    Daily,
    /// One point per hour (Pro plan).
    Hourly,
}

impl Granularity {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Granularity::Daily => "daily",
            Granularity::Hourly => "hourly",
        }
    }
}

impl<'de> Deserialize<'de> for Granularity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        match &*raw {
            "daily" => Ok(Granularity::Daily),
            "hourly" => Ok(Granularity::Hourly),
            other => {
                let shown: String = other
                    .chars()
                    .take(32)
                    .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
                    .collect();
                let more = if other.chars().count() > 32 {
                    "…"
                } else {
                    ""
                };
                Err(serde::de::Error::custom(format_args!(
                    "granularity: '{shown}{more}' is not supported; use daily or hourly"
                )))
            }
        }
    }
}

/// The query of the timeseries endpoint besides `start` and `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct TimeseriesQuery {
    /// `daily` (default) or `hourly`.
    #[serde(default)]
    pub granularity: Granularity,
}

/// One point of a timeseries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Point {
    /// `YYYY-MM-DD` for daily points, `YYYY-MM-DDTHH:00:00Z` for hourly ones.
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:00:00Z)?$")]
    pub time: String,
    /// Visits in the interval.
    pub visits: u64,
    /// Page views in the interval.
    pub pageviews: u64,
}

/// `GET /api/v1/sites/{siteId}/timeseries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Timeseries {
    /// The site.
    pub site_id: String,
    /// The points' interval.
    pub granularity: Granularity,
    /// First day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub start: String,
    /// Last day, `YYYY-MM-DD`, inclusive.
    #[schema(format = Date)]
    pub end: String,
    /// One point per interval, in time order.
    pub points: Vec<Point>,
}

/// The body of `POST /api/v1/events`.
///
/// Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[schema(example = json!({"site_id": "site_pro", "name": "pageview", "url": "https://pro.example/"}))]
pub struct NewEvent {
    /// The site the event happened on; one of the caller's sites.
    #[schema(min_length = 1, example = "site_pro")]
    pub site_id: String,
    /// The event name, e.g. `pageview`: 1 to 64 characters.
    #[schema(min_length = 1, max_length = 64, example = "pageview")]
    pub name: String,
    /// The page URL: 1 to 2048 bytes.
    #[schema(min_length = 1, max_length = 2048, example = "https://pro.example/")]
    pub url: String,
}

/// The answer to a recorded event (`202 Accepted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventReceipt {
    /// Always true.
    pub accepted: bool,
    /// The site the event was recorded against.
    pub site_id: String,
    /// The billing month, `YYYY-MM`.
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}$")]
    pub month: String,
    /// Events recorded this month, this one included.
    #[schema(minimum = 1)]
    pub used: u64,
    /// The monthly quota.
    pub quota: u64,
}

/// The Redis URL of [`Options::redis`] is not usable.
pub use attractos_limits::InvalidRedisUrl;

impl AppState {
    /// A state with the built-in fixtures and `options`.
    ///
    /// # Panics
    /// When [`Options::redis`] holds an unusable URL; [`AppState::try_new`] returns that.
    pub fn new(options: Options) -> Self {
        Self::try_new(options).expect("a usable Redis URL")
    }

    /// A state with the built-in fixtures and `options`, or why the Redis URL is unusable.
    pub fn try_new(options: Options) -> Result<Self, InvalidRedisUrl> {
        let clock = options.limit_clock();
        let timeout = options.redis_timeout;
        let store = match (&options.redis, &options.redis_tls, &options.redis_sentinels) {
            (_, tls, Some(sentinels)) => {
                let sentinels = match tls {
                    Some(tls) => sentinels.clone().with_tls(tls),
                    None => sentinels.clone(),
                };
                AnyStore::Redis(RedisStore::connect_via_sentinels(
                    &sentinels, timeout, clock,
                )?)
            }
            (Some(url), None, None) => AnyStore::Redis(RedisStore::connect(url, timeout, clock)?),
            (Some(url), Some(tls), None) => {
                AnyStore::Redis(RedisStore::connect_with_tls(url, tls, timeout, clock)?)
            }
            (None, _, None) => AnyStore::Memory(MemoryStore::new(clock)),
        };
        let limiter = Limiter::new(store, options.policies());
        Ok(AppState(Arc::new(Inner {
            store: Store::with_fixtures(),
            limiter,
            options,
            faults: AtomicU64::new(0),
        })))
    }

    /// The options this state was built with.
    pub fn options(&self) -> &Options {
        &self.0.options
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// Resolves an API key (already taken from a well-formed `Authorization: Bearer` header)
    /// to its caller, without counting anything (the adapters' `Authenticated` extractor
    /// counts, through [`ApiKeys`]).
    ///
    /// Unknown or revoked -> `INVALID_KEY`; user deleted -> `USER_NOT_FOUND`.
    pub fn authenticate(&self, key: &str) -> Result<Caller, ApiError> {
        match self.0.store.lookup_key(key) {
            KeyLookup::Active(user) => Ok(Caller {
                key: key.to_owned(),
                account: format!("user:{}", user.id.0),
                user,
            }),
            KeyLookup::Unknown | KeyLookup::Revoked => Err(ApiError::invalid_key()),
            KeyLookup::UserDeleted => Err(ApiError::user_not_found()),
        }
    }

    /// `GET /api/v1/sites`: the caller's sites.
    pub fn sites(&self, caller: &Caller) -> SiteList {
        SiteList {
            sites: self.0.store.sites_of(&caller.user),
        }
    }

    /// Checks that the caller owns `site_id`: unknown and foreign sites both answer
    /// `SITE_NOT_FOUND`, identically, so ids cannot be probed.
    fn owned_site(&self, caller: &Caller, site_id: &str) -> Result<(), ApiError> {
        if self.0.store.owns(&caller.user, site_id) {
            Ok(())
        } else {
            Err(ApiError::site_not_found())
        }
    }

    /// `GET /api/v1/sites/{siteId}/stats`: totals over the range.
    pub fn stats(
        &self,
        caller: &Caller,
        site_id: &str,
        range: DateRange,
    ) -> Result<Stats, ApiError> {
        self.owned_site(caller, site_id)?;
        check_span(range, MAX_DAILY_RANGE_DAYS, "stats")?;
        let data = self.0.store.site_data(site_id)?;
        let (visits, pageviews) = days(range).fold((0, 0), |(v, p), day| {
            let (dv, dp) = day_totals(&data.id, day);
            (v + dv, p + dp)
        });
        Ok(Stats {
            site_id: data.id,
            start: range.start.to_string(),
            end: range.end.to_string(),
            days: range.days(),
            visits,
            pageviews,
        })
    }

    /// `GET /api/v1/sites/{siteId}/timeseries`: one point per day, or per hour on the Pro plan.
    pub fn timeseries(
        &self,
        caller: &Caller,
        site_id: &str,
        range: DateRange,
        query: TimeseriesQuery,
    ) -> Result<Timeseries, ApiError> {
        self.owned_site(caller, site_id)?;
        let granularity = query.granularity;
        if granularity == Granularity::Hourly && caller.user.plan != Plan::Pro {
            return Err(ApiError::plan_required().with_message(
                "Hourly granularity requires the Pro plan; use granularity=daily or upgrade to Pro.",
            ));
        }
        let (limit, what) = match granularity {
            Granularity::Daily => (MAX_DAILY_RANGE_DAYS, "daily timeseries"),
            Granularity::Hourly => (MAX_HOURLY_RANGE_DAYS, "hourly timeseries"),
        };
        check_span(range, limit, what)?;
        let data = self.0.store.site_data(site_id)?;
        let points = match granularity {
            Granularity::Daily => days(range)
                .map(|day| {
                    let (visits, pageviews) = day_totals(&data.id, day);
                    Point {
                        time: day.to_string(),
                        visits,
                        pageviews,
                    }
                })
                .collect(),
            Granularity::Hourly => days(range)
                .flat_map(|day| (0..24u8).map(move |hour| (day, hour)))
                .map(|(day, hour)| {
                    let (visits, pageviews) = hour_counts(&data.id, day, hour);
                    Point {
                        time: format!("{day}T{hour:02}:00:00Z"),
                        visits,
                        pageviews,
                    }
                })
                .collect(),
        };
        Ok(Timeseries {
            site_id: data.id,
            granularity,
            start: range.start.to_string(),
            end: range.end.to_string(),
            points,
        })
    }

    /// `POST /api/v1/events`: records one event against the caller's monthly quota. The
    /// quota's RateLimit fields are left in `context`.
    pub async fn record_event(
        &self,
        caller: &Caller,
        event: NewEvent,
        context: &LimitContext,
    ) -> Result<EventReceipt, ApiError> {
        let site_id = rules::site_id(Some(&event.site_id))
            .map_err(|err| err.with_message("The event's site_id is required but was empty."))?;
        let name_chars = event.name.chars().count();
        if name_chars == 0 || name_chars > MAX_EVENT_NAME_CHARS {
            return Err(ApiError::invalid_json().with_message(format!(
                "The event's name must be 1 to {MAX_EVENT_NAME_CHARS} characters long."
            )));
        }
        if event.url.is_empty() || event.url.len() > MAX_EVENT_URL_LEN {
            return Err(ApiError::invalid_json().with_message(format!(
                "The event's url must be 1 to {MAX_EVENT_URL_LEN} bytes long."
            )));
        }
        self.owned_site(caller, site_id)?;
        let data = self.0.store.site_data(site_id)?;
        let quota = attractos_limits::count_event(self, caller, context).await?;
        let quota = quota.ok_or_else(|| {
            // The store failed and the quota fails open: the event is accepted uncounted.
            self.0.options.now()
        });
        let (used, start) = match quota {
            Ok(quota) => (quota.used, quota.cycle_start_us),
            Err(now) => (0, now.unix_timestamp() * 1_000_000),
        };
        let month = OffsetDateTime::from_unix_timestamp(start.div_euclid(1_000_000))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(UtcOffset::UTC);
        Ok(EventReceipt {
            accepted: true,
            site_id: data.id,
            month: format!("{:04}-{:02}", month.year(), u8::from(month.month())),
            used,
            quota: self
                .0
                .limiter
                .policies()
                .quota(caller.user.plan.limits())
                .events,
        })
    }
}

/// The reference's keys as the limits see them: the adapters' `Authenticated` extractor
/// resolves a request's key with [`AppState::authenticate`] and limits it by the key's user.
impl ApiKeys for AppState {
    type Caller = Caller;

    fn limiter(&self) -> &Limiter {
        &self.0.limiter
    }

    async fn resolve(&self, key: &str) -> Result<Caller, ApiError> {
        self.authenticate(key)
    }

    fn account<'a>(&'a self, caller: &'a Caller) -> Account<'a> {
        Account {
            key: &caller.key,
            id: &caller.account,
            plan: caller.user.plan.limits(),
            event_floor: self.0.store.event_floor(&caller.user),
        }
    }
}

/// The secret carried by the injected faults ([`AppState::panic_on_purpose`],
/// [`AppState::fail_on_purpose`]): it must reach the logs and never a response.
pub const DEBUG_FAULT_SECRET: &str = "debug-fault-token=7f3c9a1e";

/// How the message of a panic injected on purpose ([`AppState::panic_on_purpose`]) begins.
const INJECTED_PANIC: &str = "injected panic";

/// Keeps the messages of panics injected on purpose off stderr (the server logs them anyway,
/// and a soak expects them by the thousand); every other panic is reported as usual.
pub fn quiet_injected_panics() {
    quiet_panics_starting_with(INJECTED_PANIC);
}

/// Keeps panics whose message starts with `prefix` off stderr, for tests that cause them on
/// purpose; every other panic is reported as usual.
pub fn quiet_panics_starting_with(prefix: &'static str) {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map_or("", String::as_str);
        if !text.starts_with(prefix) {
            default(info);
        }
    }));
}

/// An internal failure injected on purpose ([`AppState::fail_on_purpose`]).
#[derive(Debug, thiserror::Error)]
#[error("injected failure {sequence} ({DEBUG_FAULT_SECRET})")]
pub struct InjectedFailure {
    /// Which injected failure this is, so each log line differs.
    pub sequence: u64,
    /// The I/O error underneath, for a cause chain of more than one link.
    #[source]
    pub source: std::io::Error,
}

impl AppState {
    /// The handler of [`crate::routes::DEBUG_PANIC`]: panics with a formatted message holding
    /// [`DEBUG_FAULT_SECRET`]. The adapters answer `SERVER_ERROR` and log the message.
    pub fn panic_on_purpose(&self) -> ! {
        let sequence = self.0.faults.fetch_add(1, Ordering::Relaxed);
        panic!("{INJECTED_PANIC} {sequence} ({DEBUG_FAULT_SECRET})")
    }

    /// The handler of [`crate::routes::DEBUG_FAIL`]: an internal error whose cause chain holds
    /// [`DEBUG_FAULT_SECRET`], answered `SERVER_ERROR`.
    pub fn fail_on_purpose(&self) -> ApiError {
        let sequence = self.0.faults.fetch_add(1, Ordering::Relaxed);
        ApiError::internal(InjectedFailure {
            sequence,
            source: std::io::Error::other(format!(
                "connection to replica reset ({DEBUG_FAULT_SECRET})"
            )),
        })
    }
}

/// The time from `now` until 00:00 UTC on the 1st of the next month, when monthly quotas
/// reset. Past the last representable month it saturates at `u32::MAX` seconds.
///
/// ```
/// use attractos_reference::domain::until_next_month;
/// use time::macros::datetime;
///
/// let wait = until_next_month(datetime!(2024-02-29 23:00 UTC));
/// assert_eq!(wait.as_secs(), 3600);
/// ```
pub fn until_next_month(now: OffsetDateTime) -> Duration {
    let now = now.to_offset(UtcOffset::UTC);
    let (year, month) = match now.month() {
        Month::December => (now.year() + 1, Month::January),
        other => (now.year(), other.next()),
    };
    let Ok(first) = Date::from_calendar_date(year, month, 1) else {
        return Duration::from_secs(u64::from(u32::MAX));
    };
    let reset = first.with_time(Time::MIDNIGHT).assume_utc();
    (reset - now).try_into().unwrap_or(Duration::ZERO)
}

fn check_span(range: DateRange, max_days: i64, what: &str) -> Result<(), ApiError> {
    if range.days() > max_days {
        return Err(ApiError::invalid_date_range().with_message(format!(
            "The range spans {} days; {what} cover at most {max_days} days.",
            range.days()
        )));
    }
    Ok(())
}

fn days(range: DateRange) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(range.start), move |day| {
        day.next_day().filter(|next| *next <= range.end)
    })
}

/// Typical visits per hour of the day (UTC), shaping the deterministic numbers.
const HOURLY_CURVE: [u64; 24] = [
    4, 3, 2, 2, 2, 3, 6, 10, 16, 20, 22, 23, 24, 24, 23, 22, 21, 20, 19, 17, 14, 11, 8, 6,
];

/// Visits and page views of one hour: deterministic, derived from site, day and hour.
fn hour_counts(site_id: &str, day: Date, hour: u8) -> (u64, u64) {
    let seed = mix(fnv1a(site_id.as_bytes(), day, hour));
    let visits = HOURLY_CURVE[usize::from(hour)] * (1 + seed % 4) + (seed >> 8) % 7;
    let pageviews = visits + visits * ((seed >> 16) % 3) + (seed >> 24) % 5;
    (visits, pageviews)
}

/// A day's totals: the sum of its hours, so hourly and daily series agree.
fn day_totals(site_id: &str, day: Date) -> (u64, u64) {
    (0..24u8).fold((0, 0), |(v, p), hour| {
        let (hv, hp) = hour_counts(site_id, day, hour);
        (v + hv, p + hp)
    })
}

/// FNV-1a over the site id, the day's Julian number and the hour: stable across builds.
fn fnv1a(site: &[u8], day: Date, hour: u8) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let julian = day.to_julian_day().to_le_bytes();
    for byte in site.iter().chain(&[0xff]).chain(&julian).chain(&[hour]) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The splitmix64 finalizer, spreading FNV's low-entropy bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
