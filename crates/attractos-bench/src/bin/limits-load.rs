//! The server `scripts/limits-load.sh` loads with wrk: one authenticated 200 route served in
//! one of four modes, so the cost of deciding a limit is measured against the same route
//! without one.
//!
//!     limits-load --mode none|memory|governor|redis --addr 127.0.0.1:PORT [--redis URL] [--rate N]
//!
//! `memory` and `redis` decide with `attractos_limits::Limiter` and write the RateLimit fields
//! through the axum glue; `governor` puts `tower_governor` keyed by the bearer key in front of
//! the route; every mode checks the key. `--rate` (requests per second and burst, default one
//! million) is high so that the load is admitted: the point is the cost of deciding.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use attractos_errors_axum::{ApiError, BearerKey, LimitContextLayer};
use attractos_limits::{
    Account, AnyStore, Clock, DEFAULT_TIMEOUT, LimitContext, Limiter, Plan, Policies, ProxyTrust,
    RedisStore,
};
use axum::extract::{Extension, State};
use axum::http::Request;
use axum::routing::get;
use axum::{Json, Router};
use tower_governor::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;

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

async fn limited(
    State(limiter): State<Arc<Limiter>>,
    Extension(context): Extension<LimitContext>,
    BearerKey(key): BearerKey,
) -> Result<Sites, ApiError> {
    check(&key)?;
    let account = Account {
        key: &key,
        id: "user:1",
        plan: Plan::Free,
        event_floor: 0,
    };
    let verdict = limiter.admit(context.client(), account).await;
    context.set_fields(verdict.fields);
    verdict.outcome?;
    Ok(sites())
}

fn app(mode: &str, rate: NonZeroU32, redis: Option<&str>) -> Router {
    let route = "/api/v1/sites";
    let policies = Policies::default().with_free_rate(rate);
    let limited_by = |limiter: Limiter| {
        Router::new()
            .route(route, get(limited))
            .with_state(Arc::new(limiter))
            .layer(LimitContextLayer::new(ProxyTrust::default()))
    };
    match mode {
        "none" => Router::new().route(route, get(unlimited)),
        "memory" => limited_by(Limiter::in_memory(policies)),
        "redis" => {
            let url = redis.expect("--redis URL is required with --mode redis");
            let store = RedisStore::connect(url, DEFAULT_TIMEOUT, Clock::Store).expect("redis URL");
            limited_by(Limiter::new(AnyStore::Redis(store), policies))
        }
        "governor" => {
            let period = Duration::from_nanos(1_000_000_000 / u64::from(rate.get()));
            let config = GovernorConfigBuilder::default()
                .key_extractor(AuthorizationKey)
                .period(period)
                .burst_size(rate.get())
                .finish()
                .expect("a non-zero period and burst");
            Router::new()
                .route(route, get(unlimited))
                .layer(tower_governor::GovernorLayer::new(config))
        }
        other => panic!("unknown --mode {other}: none, memory, governor or redis"),
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
    let app = app(
        mode,
        rate.expect("--rate: a positive integer"),
        flag("--redis"),
    );
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
