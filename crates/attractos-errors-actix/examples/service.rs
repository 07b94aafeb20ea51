//! A small AttractOS-style analytics API on actix-web whose every error, its own or the
//! framework's, is in the contract: `{"error":"…","code":"…"}` (+ `retry_after` on 429s). The
//! same service as the axum adapter's example.
//!
//! Run it with
//!
//! ```text
//! cargo run -p attractos-errors-actix --example service
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

use actix_web::dev::Service as _;
use actix_web::{HttpResponse, web};
use attractos_errors_actix::attractos_errors::{self, rules};
use attractos_errors_actix::{
    ApiError, BearerKey, Contract, DateRange, Json, Query, RetryAfter, SiteId, contract_app,
};
use serde::{Deserialize, Serialize};
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

async fn list_sites(state: web::Data<AppState>, key: BearerKey) -> Result<Json<Sites>, ApiError> {
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
    state: web::Data<AppState>,
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
    state: web::Data<AppState>,
    key: BearerKey,
    Json(event): Json<Event>,
) -> Result<HttpResponse, ApiError> {
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
    Ok(HttpResponse::Accepted().json(Recorded {
        name: event.name,
        used,
        quota: state.monthly_quota,
    }))
}

async fn debug_panic() -> &'static str {
    panic!("demo panic: the contract catches it")
}

async fn debug_internal() -> Result<HttpResponse, ApiError> {
    let io = std::io::Error::other("connection refused (db.internal:5432)");
    Err(DomainError::Store(io).into())
}

async fn debug_slow() -> &'static str {
    actix_web::rt::time::sleep(Duration::from_secs(60)).await;
    "too late"
}

/// The whole service on the app [`contract_app`] returns: one `web::resource` per path (so a
/// wrong method gets `METHOD_NOT_ALLOWED` with `Allow`; HEAD next to GET, as axum's `get`
/// answers it), `{siteId:[^/]*}` so that an empty segment is `MISSING_SITE_ID`. `/debug/slow`
/// gives up after `timeout`.
fn routes(state: AppState, timeout: Duration) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .app_data(web::Data::new(state))
            .service(
                web::resource("/api/v1/sites")
                    .route(web::get().to(list_sites))
                    .route(web::head().to(list_sites)),
            )
            .service(
                web::resource("/api/v1/sites/{siteId:[^/]*}/stats")
                    .route(web::get().to(stats))
                    .route(web::head().to(stats)),
            )
            .service(web::resource("/api/v1/events").route(web::post().to(track)))
            .service(web::resource("/api/v1/debug/panic").route(web::get().to(debug_panic)))
            .service(web::resource("/api/v1/debug/internal").route(web::get().to(debug_internal)))
            .service(
                web::resource("/api/v1/debug/slow")
                    // Its 503 is plain text; the contract turns it into SERVER_ERROR.
                    .wrap_fn(move |req, srv| {
                        let call = srv.call(req);
                        async move {
                            match actix_web::rt::time::timeout(timeout, call).await {
                                Ok(response) => response,
                                Err(_elapsed) => Err(actix_web::error::ErrorServiceUnavailable(
                                    "request timed out",
                                )),
                            }
                        }
                    })
                    .route(web::get().to(debug_slow)),
            );
    }
}

#[actix_web::main]
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
    let state = AppState::demo();
    tracing::info!(%addr, "listening");
    // actix-web stops gracefully on ctrl-c by itself.
    // `server` is `HttpServer::new` with the contract's head timeout and connection cap.
    let app_contract = contract.clone();
    let app = move || {
        contract_app(app_contract.clone()).configure(routes(state.clone(), Duration::from_secs(2)))
    };
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    attractos_errors_actix::server(app, &contract, workers)
        .bind(addr)?
        .run()
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use actix_web::test::{self, TestRequest};
    use attractos_errors_actix::ErrorCode;
    use attractos_errors_actix::attractos_errors::ErrorBody;

    async fn send_all(state: AppState, requests: Vec<TestRequest>) -> Vec<(StatusCode, Vec<u8>)> {
        // A timeout far below the slow route's 60 s, so its test does not wait.
        let routes = routes(state, Duration::from_millis(1));
        let app = test::init_service(contract_app(Contract::default()).configure(routes)).await;
        let mut answers = Vec::new();
        for request in requests {
            let (status, body) = match app.call(request.to_request()).await {
                Ok(response) => (response.status(), test::read_body(response).await),
                // A panic leaves the middleware as an error the dispatcher renders.
                Err(err) => {
                    let response = err.error_response();
                    let status = response.status();
                    let body = actix_web::body::to_bytes(response.into_body())
                        .await
                        .unwrap_or_default();
                    (status, body)
                }
            };
            answers.push((status, body.to_vec()));
        }
        answers
    }

    fn get(uri: &str, key: Option<&str>) -> TestRequest {
        let mut request = TestRequest::get().uri(uri);
        if let Some(key) = key {
            request = request.insert_header(("authorization", format!("Bearer {key}")));
        }
        request
    }

    fn code(body: &[u8]) -> Option<ErrorCode> {
        ErrorBody::from_slice(body)
            .expect("an error body")
            .code
            .known()
    }

    #[actix_web::test]
    async fn answers_domain_errors_in_the_contract() {
        let stats = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31";
        let ok = send_all(AppState::demo(), vec![get(stats, Some("ak_demo"))]).await;
        assert_eq!(
            ok[0].0,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&ok[0].1)
        );

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
            (
                TestRequest::delete().uri("/api/v1/sites"),
                ErrorCode::MethodNotAllowed,
            ),
        ];
        let expected: Vec<ErrorCode> = cases.iter().map(|(_, code)| *code).collect();
        let requests = cases.into_iter().map(|(request, _)| request).collect();
        let answers = send_all(AppState::demo(), requests).await;
        for ((status, body), expected) in answers.into_iter().zip(expected) {
            assert_eq!(code(&body), Some(expected), "{expected}");
            assert_eq!(status.as_u16(), expected.status().as_u16(), "{expected}");
        }
    }

    #[actix_web::test]
    async fn the_quota_runs_out_with_a_retry_after() {
        let state = AppState {
            monthly_quota: 1,
            ..AppState::demo()
        };
        let event = || {
            TestRequest::post()
                .uri("/api/v1/events")
                .insert_header(("authorization", "Bearer ak_demo"))
                .insert_header(("content-type", "application/json"))
                .set_payload(r#"{"site_id":"site_demo","name":"pageview"}"#)
        };
        let answers = send_all(state, vec![event(), event()]).await;
        assert_eq!(answers[0].0, StatusCode::ACCEPTED);
        assert_eq!(answers[1].0, StatusCode::TOO_MANY_REQUESTS);
        let body = ErrorBody::from_slice(&answers[1].1).expect("an error body");
        assert_eq!(body.code.known(), Some(ErrorCode::LimitExceeded));
        assert_eq!(body.retry_after, Some(86_400));
    }

    #[actix_web::test]
    async fn a_timeout_answers_server_error() {
        let answers = send_all(AppState::demo(), vec![get("/api/v1/debug/slow", None)]).await;
        assert_eq!(code(&answers[0].1), Some(ErrorCode::ServerError));
        assert_eq!(answers[0].0, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
