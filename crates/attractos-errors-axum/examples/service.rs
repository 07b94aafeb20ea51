//! A small AttractOS-style analytics API on axum whose every error, its own or the
//! framework's, is in the contract: `{"error":"…","code":"…"}` (+ `retry_after` on 429s).
//!
//! Run it with
//!
//! ```text
//! cargo run -p attractos-errors-axum --example service
//! ```
//!
//! It listens on 127.0.0.1:3000, or on the address given as the first argument or in
//! `ATTRACTOS_ADDR`. `ATTRACTOS_DOCS_URL` (e.g. `https://docs.example/error-codes`) adds a
//! `Link` header to every error; `RUST_LOG` sets the log filter. Then try:
//!
//! ```text
//! curl -i localhost:3000/api/v1/sites                                      # 401 MISSING_KEY
//! curl -i -H 'Authorization: Bearer ak_demo' localhost:3000/api/v1/sites   # 200
//! curl -i -H 'Authorization: Bearer ak_demo' \
//!   'localhost:3000/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31'
//! curl -i -H 'Authorization: Bearer ak_demo' \
//!   'localhost:3000/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31&granularity=hour'
//!                                                                          # 403 PLAN_REQUIRED
//! curl -i -H 'Authorization: Bearer ak_demo' -H 'Content-Type: application/json' \
//!   -d '{"site_id":"site_demo","name":"pageview"' localhost:3000/api/v1/events  # 400 INVALID_JSON
//! curl -i localhost:3000/api/v1/debug/panic                                # 500, server lives on
//! curl -i -X DELETE localhost:3000/api/v1/sites                            # 405 with Allow
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use attractos_errors_axum::attractos_errors::{self, rules};
use attractos_errors_axum::{
    ApiError, BearerKey, Contract, ContractExt, DateRange, Json, Query, RetryAfter, SiteId,
};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tower_http::timeout::TimeoutLayer;
use tracing_subscriber::EnvFilter;

/// What the service's own logic can fail with; the HTTP mapping is one `From` impl.
#[derive(Debug, thiserror::Error)]
enum DomainError {
    #[error("no account has this API key")]
    UnknownKey,
    #[error("the key's user was deleted")]
    UserDeleted,
    #[error("site {0} is unknown or not the caller's")]
    SiteNotAccessible(String),
    #[error("hourly granularity needs the Pro plan")]
    NeedsPro,
    #[error("monthly event quota of {quota} spent")]
    QuotaSpent { quota: u32 },
    #[error("the event store failed")]
    Store(#[source] std::io::Error),
}

impl From<DomainError> for attractos_errors::ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::UnknownKey => Self::invalid_key(),
            DomainError::UserDeleted => Self::user_not_found(),
            DomainError::SiteNotAccessible(_) => Self::site_not_found(),
            DomainError::NeedsPro => Self::plan_required(),
            // A real service would compute the time until the billing cycle resets.
            DomainError::QuotaSpent { .. } => Self::limit_exceeded(RetryAfter::from_secs(86_400)),
            // The cause (and its source chain) is logged, the client sees the catalogue message.
            DomainError::Store(_) => Self::internal(err),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Free,
    Pro,
}

struct Account {
    plan: Plan,
    deleted: bool,
    sites: &'static [&'static str],
}

/// The in-memory "database".
#[derive(Clone)]
struct AppState {
    accounts: Arc<HashMap<&'static str, Account>>,
    events: Arc<Mutex<HashMap<String, u32>>>,
    monthly_quota: u32,
}

impl AppState {
    fn demo() -> Self {
        let accounts = HashMap::from([
            (
                "ak_demo",
                Account {
                    plan: Plan::Free,
                    deleted: false,
                    sites: &["site_demo"],
                },
            ),
            (
                "ak_pro",
                Account {
                    plan: Plan::Pro,
                    deleted: false,
                    sites: &["site_demo", "site_shop"],
                },
            ),
            (
                "ak_gone",
                Account {
                    plan: Plan::Free,
                    deleted: true,
                    sites: &[],
                },
            ),
        ]);
        AppState {
            accounts: Arc::new(accounts),
            events: Arc::new(Mutex::new(HashMap::new())),
            monthly_quota: 1000,
        }
    }

    fn account(&self, BearerKey(key): &BearerKey) -> Result<&Account, DomainError> {
        let account = self
            .accounts
            .get(key.as_str())
            .ok_or(DomainError::UnknownKey)?;
        if account.deleted {
            return Err(DomainError::UserDeleted);
        }
        Ok(account)
    }

    fn site<'a>(&self, account: &'a Account, site: &str) -> Result<&'a str, DomainError> {
        account
            .sites
            .iter()
            .copied()
            .find(|s| *s == site)
            .ok_or_else(|| DomainError::SiteNotAccessible(site.to_owned()))
    }
}

#[derive(Serialize)]
struct Sites {
    sites: Vec<&'static str>,
}

async fn list_sites(
    State(state): State<AppState>,
    key: BearerKey,
) -> Result<Json<Sites>, ApiError> {
    let account = state.account(&key)?;
    Ok(Json(Sites {
        sites: account.sites.to_vec(),
    }))
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Granularity {
    Hour,
    #[default]
    Day,
}

/// The query besides `start` and `end` (which [`DateRange`] reads).
#[derive(Debug, Deserialize)]
struct StatsOptions {
    #[serde(default)]
    granularity: Granularity,
}

#[derive(Serialize)]
struct Stats {
    site: String,
    start: String,
    end: String,
    points: i64,
}

async fn stats(
    State(state): State<AppState>,
    key: BearerKey,
    SiteId(site): SiteId,
    DateRange(range): DateRange,
    Query(options): Query<StatsOptions>,
) -> Result<Json<Stats>, ApiError> {
    let account = state.account(&key)?;
    let site = state.site(account, &site)?;
    if options.granularity == Granularity::Hour && account.plan != Plan::Pro {
        return Err(DomainError::NeedsPro.into());
    }
    let points = match options.granularity {
        Granularity::Hour => range.days() * 24,
        Granularity::Day => range.days(),
    };
    Ok(Json(Stats {
        site: site.to_owned(),
        start: range.start.to_string(),
        end: range.end.to_string(),
        points,
    }))
}

#[derive(Deserialize)]
struct Event {
    site_id: String,
    name: String,
}

#[derive(Serialize)]
struct Recorded {
    name: String,
    used: u32,
    quota: u32,
}

async fn track(
    State(state): State<AppState>,
    key: BearerKey,
    Json(event): Json<Event>,
) -> Result<(StatusCode, Json<Recorded>), ApiError> {
    let account = state.account(&key)?;
    state.site(account, &event.site_id)?;
    let used = {
        let mut events = state.events.lock().unwrap_or_else(|e| e.into_inner());
        let used = events.entry(key.0).or_default();
        if *used >= state.monthly_quota {
            return Err(DomainError::QuotaSpent {
                quota: state.monthly_quota,
            }
            .into());
        }
        *used += 1;
        *used
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(Recorded {
            name: event.name,
            used,
            quota: state.monthly_quota,
        }),
    ))
}

async fn debug_panic() -> &'static str {
    panic!("demo panic: the contract catches it")
}

async fn debug_internal() -> Result<(), ApiError> {
    let io = std::io::Error::other("connection refused (db.internal:5432)");
    Err(DomainError::Store(io).into())
}

async fn debug_slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(60)).await;
    "too late"
}

/// The whole service: routes first, then the contract, last.
fn app(state: AppState, contract: Contract) -> Router {
    Router::new()
        .route("/api/v1/sites", get(list_sites))
        .route("/api/v1/sites/{siteId}/stats", get(stats))
        .route("/api/v1/events", axum::routing::post(track))
        .route("/api/v1/debug/panic", get(debug_panic))
        .route("/api/v1/debug/internal", get(debug_internal))
        .route(
            "/api/v1/debug/slow",
            // Its 503 is plain text; the contract turns it into SERVER_ERROR.
            get(debug_slow).layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                Duration::from_secs(2),
            )),
        )
        .with_state(state)
        .with_contract(contract)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,attractos_errors=debug")),
        )
        .init();
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("ATTRACTOS_ADDR").ok())
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned())
        .parse()?;
    let mut contract = Contract::default().with_body_limit(rules::DEFAULT_BODY_LIMIT);
    if let Ok(base) = std::env::var("ATTRACTOS_DOCS_URL") {
        contract = contract.with_docs_base_url(&base)?;
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "listening");
    // Not `axum::serve`: this one bounds slow clients (head timeout, connection cap).
    attractos_errors_axum::serve(listener, app(AppState::demo(), contract.clone()), &contract)
        .with_graceful_shutdown(async {
            // If the signal handler cannot be installed, run until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use attractos_errors_axum::ErrorCode;
    use attractos_errors_axum::attractos_errors::ErrorBody;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = response.into_body().collect().await.expect("body");
        (status, body.to_bytes().to_vec())
    }

    fn get(uri: &str, key: Option<&str>) -> Request<Body> {
        let mut builder = Request::get(uri);
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        builder.body(Body::empty()).expect("valid request")
    }

    fn code(body: &[u8]) -> Option<ErrorCode> {
        ErrorBody::from_slice(body)
            .expect("an error body")
            .code
            .known()
    }

    #[tokio::test]
    async fn answers_domain_errors_in_the_contract() {
        let app = app(AppState::demo(), Contract::default());
        let stats = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31";
        let (status, body) = send(&app, get(stats, Some("ak_demo"))).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));

        let cases = [
            (get(stats, None), ErrorCode::MissingKey),
            (get(stats, Some("ak_nope")), ErrorCode::InvalidKey),
            (get(stats, Some("ak_gone")), ErrorCode::UserNotFound),
            (
                get(&stats.replace("site_demo", "site_shop"), Some("ak_demo")),
                ErrorCode::SiteNotFound,
            ),
            (
                get(&format!("{stats}&granularity=hour"), Some("ak_demo")),
                ErrorCode::PlanRequired,
            ),
            (
                get(&format!("{stats}&granularity=minute"), Some("ak_pro")),
                ErrorCode::InvalidDateRange,
            ),
            (get("/api/v1/debug/internal", None), ErrorCode::ServerError),
            (get("/api/v1/debug/panic", None), ErrorCode::ServerError),
        ];
        for (request, expected) in cases {
            let uri = request.uri().to_string();
            let (status, body) = send(&app, request).await;
            assert_eq!(code(&body), Some(expected), "{uri}");
            assert_eq!(status, expected.status(), "{uri}");
        }
    }

    #[tokio::test]
    async fn the_quota_runs_out_with_a_retry_after() {
        let state = AppState {
            monthly_quota: 1,
            ..AppState::demo()
        };
        let app = app(state, Contract::default());
        let event = || {
            Request::post("/api/v1/events")
                .header("authorization", "Bearer ak_demo")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"site_id":"site_demo","name":"pageview"}"#))
                .expect("valid request")
        };
        assert_eq!(send(&app, event()).await.0, StatusCode::ACCEPTED);
        let (status, body) = send(&app, event()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let body = ErrorBody::from_slice(&body).expect("an error body");
        assert_eq!(body.code.known(), Some(ErrorCode::LimitExceeded));
        assert_eq!(body.retry_after, Some(86_400));
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_answers_server_error() {
        let app = app(AppState::demo(), Contract::default());
        let (status, body) = send(&app, get("/api/v1/debug/slow", None)).await;
        assert_eq!(code(&body), Some(ErrorCode::ServerError));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
