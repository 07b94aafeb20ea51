//! `cargo run -p attractos-errors-actix --example service`
//!
//! A small AttractOS-style analytics API on actix-web, answering every failure in the error
//! contract. It listens on 127.0.0.1:8080 (set `PORT` to change it). Try:
//!
//! ```text
//! curl -i localhost:8080/api/v1/sites                                    # MISSING_KEY 401
//! curl -i -H 'Authorization: Bearer ak_live_demo' localhost:8080/api/v1/sites
//! curl -i -H 'Authorization: Bearer ak_live_demo' \
//!   'localhost:8080/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31'
//! curl -i -H 'Authorization: Bearer ak_live_demo' \
//!   'localhost:8080/api/v1/sites/site_demo/stats?start=2024-13-01&end=2024-01-31'  # INVALID_DATE_RANGE
//! curl -i -H 'Authorization: Bearer ak_live_demo' \
//!   'localhost:8080/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31&granularity=hour'  # PLAN_REQUIRED
//! curl -i -H 'Authorization: Bearer ak_live_demo' -H 'Content-Type: application/json' \
//!   -d '{"name":"pageview","url":"/"}' localhost:8080/api/v1/sites/site_demo/events
//! curl -i -H 'Authorization: Bearer ak_live_demo' -H 'Content-Type: application/json' \
//!   -d '{"name":' localhost:8080/api/v1/sites/site_demo/events                      # INVALID_JSON
//! curl -i -X DELETE localhost:8080/api/v1/sites                           # METHOD_NOT_ALLOWED
//! curl -i localhost:8080/nope                                             # NOT_FOUND
//! ```
//!
//! Keys: `ak_live_demo` (free plan, owns `site_demo`), `ak_live_pro` (pro plan, owns
//! `site_pro`), `ak_revoked` (`INVALID_KEY`), `ak_orphan` (`USER_NOT_FOUND`), `ak_quota`
//! (event quota spent: `LIMIT_EXCEEDED`).

use std::fmt;

use actix_web::{HttpResponse, HttpServer, web};
use attractos_errors_actix::attractos_errors::ApiError as CoreError;
use attractos_errors_actix::{
    ApiError, BearerKey, Contract, DateRange, Json, Query, RetryAfter, SiteId, contract_app,
};
use serde::{Deserialize, Serialize};

/// Why the store refused a request; converted into the contract by one `From` impl, so that
/// handlers use `?`.
#[derive(Debug)]
enum StoreError {
    UnknownKey,
    DeletedUser,
    NoSuchSite,
    FreePlan,
    QuotaSpent { resets_in_secs: u32 },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl From<StoreError> for CoreError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::UnknownKey => CoreError::invalid_key(),
            StoreError::DeletedUser => CoreError::user_not_found(),
            StoreError::NoSuchSite => CoreError::site_not_found(),
            StoreError::FreePlan => CoreError::plan_required(),
            StoreError::QuotaSpent { resets_in_secs } => {
                CoreError::limit_exceeded(RetryAfter::from_secs(resets_in_secs))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Free,
    Pro,
}

/// The account behind an API key.
#[derive(Debug, Clone, Copy)]
struct Account {
    plan: Plan,
    site: &'static str,
    quota_spent: bool,
}

fn account(BearerKey(key): &BearerKey) -> Result<Account, StoreError> {
    match key.as_str() {
        "ak_live_demo" => Ok(Account {
            plan: Plan::Free,
            site: "site_demo",
            quota_spent: false,
        }),
        "ak_live_pro" => Ok(Account {
            plan: Plan::Pro,
            site: "site_pro",
            quota_spent: false,
        }),
        "ak_quota" => Ok(Account {
            plan: Plan::Free,
            site: "site_demo",
            quota_spent: true,
        }),
        "ak_orphan" => Err(StoreError::DeletedUser),
        _ => Err(StoreError::UnknownKey),
    }
}

fn owned_site(account: &Account, SiteId(site): &SiteId) -> Result<&'static str, StoreError> {
    if account.site == site {
        Ok(account.site)
    } else {
        Err(StoreError::NoSuchSite)
    }
}

#[derive(Serialize)]
struct Site {
    id: &'static str,
}

async fn list_sites(key: BearerKey) -> Result<Json<Vec<Site>>, ApiError> {
    let account = account(&key)?;
    Ok(Json(vec![Site { id: account.site }]))
}

#[derive(Deserialize)]
struct StatsParams {
    #[serde(default)]
    granularity: Granularity,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Granularity {
    #[default]
    Day,
    Hour,
}

#[derive(Serialize)]
struct Stats {
    site: &'static str,
    start: String,
    end: String,
    days: i64,
    visits: i64,
}

async fn stats(
    key: BearerKey,
    site: SiteId,
    DateRange(range): DateRange,
    Query(params): Query<StatsParams>,
) -> Result<Json<Stats>, ApiError> {
    let account = account(&key)?;
    let site = owned_site(&account, &site)?;
    if params.granularity == Granularity::Hour && account.plan != Plan::Pro {
        return Err(StoreError::FreePlan.into());
    }
    Ok(Json(Stats {
        site,
        start: range.start.to_string(),
        end: range.end.to_string(),
        days: range.days(),
        visits: 42 * range.days(),
    }))
}

#[derive(Deserialize)]
struct Event {
    name: String,
    url: String,
}

async fn track(
    key: BearerKey,
    site: SiteId,
    Json(event): Json<Event>,
) -> Result<HttpResponse, ApiError> {
    let account = account(&key)?;
    owned_site(&account, &site)?;
    if account.quota_spent {
        return Err(StoreError::QuotaSpent {
            resets_in_secs: 86_400,
        }
        .into());
    }
    tracing::info!(name = %event.name, url = %event.url, "event tracked");
    Ok(HttpResponse::Accepted().finish())
}

/// The routes, on the app [`contract_app`] returns. One `web::resource` per path, so a wrong
/// method gets `METHOD_NOT_ALLOWED` with an `Allow` header; `{siteId:[^/]*}` also matches an
/// empty segment, so `/api/v1/sites//stats` is `MISSING_SITE_ID` rather than `NOT_FOUND`.
fn routes(config: &mut web::ServiceConfig) {
    config
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
        .service(web::resource("/api/v1/sites/{siteId:[^/]*}/events").route(web::post().to(track)));
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(8080);
    tracing::info!(port, "listening on 127.0.0.1");
    HttpServer::new(|| contract_app(Contract::default()).configure(routes))
        .bind(("127.0.0.1", port))?
        .run()
        .await
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::test::{self, TestRequest};
    use attractos_errors_actix::attractos_errors::{ErrorBody, ErrorCode};

    use super::*;

    async fn send(request: TestRequest) -> (StatusCode, bytes::Bytes) {
        let app = test::init_service(contract_app(Contract::default()).configure(routes)).await;
        let response = test::call_service(&app, request.to_request()).await;
        (response.status(), test::read_body(response).await)
    }

    async fn code(request: TestRequest) -> ErrorCode {
        let (_, body) = send(request).await;
        let body = ErrorBody::from_slice(&body).expect("a contract body");
        body.code.known().expect("a catalogue code")
    }

    const DEMO: (&str, &str) = ("authorization", "Bearer ak_live_demo");

    #[actix_web::test]
    async fn stats_answer_for_the_owner_and_a_valid_range() {
        let request = TestRequest::get()
            .uri("/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31")
            .insert_header(DEMO);
        let (status, body) = send(request).await;
        assert_eq!(status, StatusCode::OK);
        let body = String::from_utf8(body.to_vec()).expect("UTF-8");
        assert!(body.contains(r#""days":31"#), "{body}");
    }

    #[actix_web::test]
    async fn every_domain_failure_has_its_code() {
        let stats = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31";
        assert_eq!(
            code(TestRequest::get().uri(stats)).await,
            ErrorCode::MissingKey
        );
        let revoked = ("authorization", "Bearer ak_revoked");
        assert_eq!(
            code(TestRequest::get().uri(stats).insert_header(revoked)).await,
            ErrorCode::InvalidKey
        );
        let orphan = ("authorization", "Bearer ak_orphan");
        assert_eq!(
            code(TestRequest::get().uri(stats).insert_header(orphan)).await,
            ErrorCode::UserNotFound
        );
        let other_site = "/api/v1/sites/site_pro/stats?start=2024-01-01&end=2024-01-31";
        assert_eq!(
            code(TestRequest::get().uri(other_site).insert_header(DEMO)).await,
            ErrorCode::SiteNotFound
        );
        let hourly = format!("{stats}&granularity=hour");
        assert_eq!(
            code(TestRequest::get().uri(&hourly).insert_header(DEMO)).await,
            ErrorCode::PlanRequired
        );
        let quota = TestRequest::post()
            .uri("/api/v1/sites/site_demo/events")
            .insert_header(("authorization", "Bearer ak_quota"))
            .insert_header(("content-type", "application/json"))
            .set_payload(r#"{"name":"pageview","url":"/"}"#);
        assert_eq!(code(quota).await, ErrorCode::LimitExceeded);
        let broken = TestRequest::post()
            .uri("/api/v1/sites/site_demo/events")
            .insert_header(DEMO)
            .insert_header(("content-type", "application/json"))
            .set_payload(r#"{"name":"#);
        assert_eq!(code(broken).await, ErrorCode::InvalidJson);
        assert_eq!(
            code(TestRequest::delete().uri("/api/v1/sites")).await,
            ErrorCode::MethodNotAllowed
        );
    }

    #[actix_web::test]
    async fn events_are_accepted() {
        let request = TestRequest::post()
            .uri("/api/v1/sites/site_demo/events")
            .insert_header(DEMO)
            .insert_header(("content-type", "application/json"))
            .set_payload(r#"{"name":"pageview","url":"/"}"#);
        let (status, _) = send(request).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
}
