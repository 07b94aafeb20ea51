//! The 200 route that `scripts/limits-load.sh` loads with wrk and [`in_process`] calls in
//! process (`limits-load --in-process`, for `scripts/limits-bench.sh`), served in one of eight
//! [`MODES`], so the cost of deciding a limit is
//! measured against the same route without one, and against `tower_governor`.
//!
//! Every mode is under the contract, as an AttractOS service is. `memory` and `redis` decide
//! with `attractos_limits::Limiter` through the axum glue (`Authenticated` and
//! `ContractRouter::with_limits`), as a service does; `governor` puts `tower_governor` keyed
//! by the bearer key in front of the route, `governor-headers` the same with its
//! `x-ratelimit-*` headers on. Four controls without a limiter: `none`; `state`, `none` with a
//! state, as every limited mode has (`Authenticated` reads its keys from it) and a service's
//! routes have anyway: axum clones a route with a state for every request, and only a
//! stateless one costs nothing to clone; `fields`, the fields a first `memory` request gets
//! sent as they are, from a state (their bytes without the deciding); `glue`, the limits' glue
//! around the route (what it costs before any deciding). Every mode checks
//! the key. The rate (requests per second and burst) is meant to be high, so that the load is
//! admitted: the point is the cost of deciding.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use attractos_errors_axum::{
    ApiError, Authenticated, BearerKey, Contract, ContractExt, ContractRouter,
};
use attractos_limits::{
    Account, AnyStore, ApiKeys, Clock, DEFAULT_TIMEOUT, LimitContext, Limiter, Plan, Policies,
    ProxyTrust, RedisStore,
};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use tower::ServiceExt;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

/// The route's path.
pub const ROUTE: &str = "/api/v1/sites";

/// The modes [`app`] serves the route in.
pub const MODES: [&str; 8] = [
    "none",
    "state",
    "fields",
    "glue",
    "memory",
    "governor",
    "governor-headers",
    "redis",
];

/// The one valid key.
pub const KEY: &str = "ak_demo_free";

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

/// The route served in `mode` (one of [`MODES`]) at `rate`, as an AttractOS service serves
/// it: under the contract (`with_contract(Contract::default())`), the limiters inside it as
/// each one's documentation wires it (`with_limits`; `tower_governor`'s layer on the routes).
/// `redis` is the store's URL in the `redis` mode. Its routes are made (`with_state(())`), as
/// `axum::serve` makes them for each connection, so that the modes without a state do not make
/// them again on each request in process. Panics on an unknown mode or a missing URL.
pub async fn app(mode: &str, rate: NonZeroU32, redis: Option<&str>) -> ContractRouter {
    let route = ROUTE;
    let policies = Policies::default().with_free_rate(rate);
    let contract = Contract::default();
    let limited_by = |limiter: Limiter| {
        Router::new()
            .route(route, get(limited))
            .with_state(Keys(Arc::new(limiter)))
            .with_contract(contract.clone())
            .with_limits(ProxyTrust::default())
    };
    let bare = || Router::new().route(route, get(unlimited));
    let router = match mode {
        "none" => bare().with_contract(contract),
        // A state the handler does not read: what having one costs, nothing else.
        "state" => Router::new()
            .route(route, get(unlimited))
            .with_state(Arc::new(sites()))
            .with_contract(contract),
        "fields" => Router::new()
            .route(route, get(with_fields))
            .with_state(Arc::new(first_fields(policies).await))
            .with_contract(contract),
        "glue" => bare()
            .with_contract(contract)
            .with_limits(ProxyTrust::default()),
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
            let invalid = "a non-zero period and burst";
            let router = if mode == "governor" {
                bare().layer(GovernorLayer::new(config.finish().expect(invalid)))
            } else {
                let config = config.use_headers().finish().expect(invalid);
                bare().layer(GovernorLayer::new(config))
            };
            router.with_contract(contract)
        }
        other => panic!("unknown mode {other}: one of {}", MODES.join(", ")),
    };
    router.with_state(())
}

/// One slice of [`in_process`]: a mode's mean time a request over the slice.
#[derive(Debug, Clone, Copy)]
pub struct Slice {
    /// The slice's number, from 0.
    pub index: u32,
    /// The mode.
    pub mode: &'static str,
    /// Nanoseconds a request.
    pub nanos: f64,
}

/// A rate no run in process reaches: every request is admitted.
const IN_PROCESS_RATE: NonZeroU32 = NonZeroU32::new(1_000_000_000).expect("not zero");

/// Calls the route `requests` times through `router` in process (as a tower service, the body
/// collected, no socket). Panics on an answer other than 200: it would measure something else.
/// `scripts/limits-bench.sh` counts the instructions of this function alone, by its name.
async fn call_in_process(mode: &str, router: &ContractRouter, requests: u32) {
    let peer: SocketAddr = ([127, 0, 0, 1], 40_000).into();
    let authorization = HeaderValue::try_from(format!("Bearer {KEY}")).expect("a header value");
    for _ in 0..requests {
        let mut request = Request::get(ROUTE)
            .header(AUTHORIZATION, authorization.clone())
            .body(Body::empty())
            .expect("a request");
        // As `axum::serve` with `into_make_service_with_connect_info` gives it.
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = router.clone().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::OK, "mode {mode}");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await;
        std::hint::black_box(body.expect("a body"));
    }
}

/// `requests` requests of `mode` (not `redis`) in process, untimed: for an instruction count
/// (`limits-load --mode MODE --requests N` under callgrind, in `scripts/limits-bench.sh`).
pub async fn run_in_process(mode: &str, requests: u32) {
    let router = app(mode, IN_PROCESS_RATE, None).await;
    call_in_process(mode, &router, requests).await;
}

/// The route called in process, as [`run_in_process`] calls it, in each mode but `redis`:
/// `slices` times `requests` requests per mode, the modes taking turns slice by slice (each
/// slice starting with the next mode), so that a ratio taken within a slice compares the modes
/// under the same neighbours on a shared machine.
pub async fn in_process(slices: u32, requests: u32) -> Vec<Slice> {
    let mut routers = Vec::new();
    for mode in MODES.into_iter().filter(|mode| *mode != "redis") {
        let router = app(mode, IN_PROCESS_RATE, None).await;
        call_in_process(mode, &router, requests).await;
        routers.push((mode, router));
    }
    let mut timed = Vec::new();
    for index in 0..slices {
        routers.rotate_left(1);
        for (mode, router) in &routers {
            let start = Instant::now();
            call_in_process(mode, router, requests).await;
            let nanos = start.elapsed().as_nanos() as f64 / f64::from(requests);
            timed.push(Slice { index, mode, nanos });
        }
    }
    timed
}
