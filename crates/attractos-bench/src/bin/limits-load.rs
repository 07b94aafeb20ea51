//! The server `scripts/limits-load.sh` loads with wrk: one authenticated 200 route served in
//! one of six modes, so the cost of deciding a limit is measured against the same route
//! without one, and against `tower_governor`.
//!
//!     limits-load --mode MODE --addr 127.0.0.1:PORT [--redis URL] [--rate N]
//!
//! `memory` and `redis` decide with `attractos_limits::Limiter` through the axum glue
//! (`Authenticated` and `LimitContextLayer`), as a service does; `governor` puts `tower_governor` keyed by the bearer key in front of
//! the route, `governor-headers` the same with its `x-ratelimit-*` headers on. Two controls:
//! `none` (no limiter) and `fields` (no limiter, but the fields a first `memory` request gets,
//! sent as they are: the bytes of the fields without the deciding). Every mode checks the key.
//! `--rate` (requests per second and burst, default one million) is high so that the load is
//! admitted: the point is the cost of deciding.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use attractos_errors_axum::{ApiError, Authenticated, BearerKey, LimitContextLayer};
use attractos_limits::{
    Account, AnyStore, ApiKeys, Clock, DEFAULT_TIMEOUT, LimitContext, Limiter, Plan, Policies,
    ProxyTrust, RedisStore,
};
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Request};
use axum::routing::get;
use axum::{Json, Router};
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

const KEY: &str = "ak_demo_free";

/// `tower_governor`'s key: the `Authorization` header, as the limiter's is the bearer key.
#[derive(Clone)]
struct AuthorizationKey;

impl KeyExtractor for AuthorizationKey {
    type Key = String;

    fn extract<T>(&self, request: &Request<T>) -> Result<String, GovernorError> {
        request
            .headers()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

type Sites = Json<serde_json::Value>;

fn sites() -> Sites {
    Json(serde_json::json!({ "sites": [{ "id": "site_1", "domain": "example.com" }] }))
}

fn check(key: &str) -> Result<(), ApiError> {
    if key == KEY {
        Ok(())
    } else {
        Err(attractos_errors::ApiError::invalid_key().into())
    }
}

async fn unlimited(BearerKey(key): BearerKey) -> Result<Sites, ApiError> {
    check(&key).map(|()| sites())
}

/// The bench's one key, as a service implements [`ApiKeys`] for `Authenticated`.
#[derive(Clone)]
struct Keys(Arc<Limiter>);

impl ApiKeys for Keys {
    type Caller = ();

    fn limiter(&self) -> &Limiter {
        &self.0
    }

    async fn resolve(&self, key: &str) -> Result<(), attractos_errors::ApiError> {
        check(key).map_err(ApiError::into_inner)
    }

    fn account<'a>(&'a self, _caller: &'a ()) -> Account<'a> {
        ACCOUNT
    }
}

const ACCOUNT: Account<'static> = Account {
    key: KEY,
    id: "user:1",
    plan: Plan::Free,
    event_floor: 0,
};

async fn limited(Authenticated(()): Authenticated<Keys>) -> Sites {
    sites()
}

/// The fields an in-memory limiter's first answer carries, as static headers.
type StaticFields = Vec<(HeaderName, HeaderValue)>;

async fn first_fields(policies: Policies) -> StaticFields {
    let limiter = Limiter::in_memory(policies);
    let verdict = limiter.admit(LimitContext::UNKNOWN_CLIENT, ACCOUNT).await;
    verdict
        .fields
        .into_headers()
        .map(|(field, value)| {
            let value = HeaderValue::from_maybe_shared(value).expect("fields are ASCII");
            (HeaderName::from_static(field.name()), value)
        })
        .collect()
}

async fn with_fields(
    State(fields): State<Arc<StaticFields>>,
    BearerKey(key): BearerKey,
) -> Result<([(HeaderName, HeaderValue); 2], Sites), ApiError> {
    check(&key)?;
    Ok(([fields[0].clone(), fields[1].clone()], sites()))
}

async fn app(mode: &str, rate: NonZeroU32, redis: Option<&str>) -> Router {
    let route = "/api/v1/sites";
    let policies = Policies::default().with_free_rate(rate);
    let limited_by = |limiter: Limiter| {
        Router::new()
            .route(route, get(limited))
            .with_state(Keys(Arc::new(limiter)))
            .layer(LimitContextLayer::new(ProxyTrust::default()))
    };
    match mode {
        "none" => Router::new().route(route, get(unlimited)),
        "fields" => Router::new()
            .route(route, get(with_fields))
            .with_state(Arc::new(first_fields(policies).await)),
        "memory" => limited_by(Limiter::in_memory(policies)),
        "redis" => {
            let url = redis.expect("--redis URL is required with --mode redis");
            // As an axum service on one runtime would: the connection driven there too.
            let store = RedisStore::connect(url, DEFAULT_TIMEOUT, Clock::Store)
                .expect("redis URL")
                .on_runtime(tokio::runtime::Handle::current());
            limited_by(Limiter::new(AnyStore::Redis(store), policies))
        }
        "governor" | "governor-headers" => {
            let period = Duration::from_nanos(1_000_000_000 / u64::from(rate.get()));
            let mut config = GovernorConfigBuilder::default().key_extractor(AuthorizationKey);
            config.period(period).burst_size(rate.get());
            let router = Router::new().route(route, get(unlimited));
            let invalid = "a non-zero period and burst";
            if mode == "governor" {
                router.layer(GovernorLayer::new(config.finish().expect(invalid)))
            } else {
                let config = config.use_headers().finish().expect(invalid);
                router.layer(GovernorLayer::new(config))
            }
        }
        other => panic!(
            "unknown --mode {other}: none, fields, memory, governor, governor-headers, redis"
        ),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|at| args.get(at + 1))
            .map(String::as_str)
    };
    let mode = flag("--mode").unwrap_or("none");
    let addr: SocketAddr = flag("--addr")
        .unwrap_or("127.0.0.1:8080")
        .parse()
        .expect("--addr");
    let rate = flag("--rate").map_or(NonZeroU32::new(1_000_000), |n| n.parse().ok());
    let rate = rate.expect("--rate: a positive integer");
    let app = app(mode, rate, flag("--redis")).await;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("bind --addr");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .expect("serve");
}
