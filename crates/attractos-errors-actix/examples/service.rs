//! A small AttractOS-style analytics API on actix-web whose every error, its own or the
//! framework's, is in the contract: `{"error":"…","code":"…"}` (+ `retry_after` on 429s). The
//! same service as the axum adapter's example; its tests are in the crate's suite
//! (`tests/example.rs`).
//!
//! ```text
//! cargo run -p attractos-errors-actix --example service   # on 127.0.0.1:3000, or ATTRACTOS_ADDR
//! STATS='localhost:3000/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31'
//! curl -i "$STATS"                                                         # 401 MISSING_KEY
//! curl -i -H 'Authorization: Bearer ak_demo' "$STATS"                      # 200
//! curl -i -H 'Authorization: Bearer ak_demo' "$STATS&granularity=hour"     # 403 PLAN_REQUIRED
//! curl -i -H 'Authorization: Bearer ak_demo' -H 'Content-Type: application/json' \
//!   -d '{"site_id":"site_demo","name":"pageview"' localhost:3000/api/v1/events  # 400 INVALID_JSON
//! curl -i localhost:3000/api/v1/debug/panic                                # 500, server lives on
//! curl -i -X DELETE "$STATS"                                              # 405 with Allow
//! ```
//!
//! `ATTRACTOS_DOCS_URL` (e.g. `https://docs.example/error-codes`) adds a `Link` to every error.

use std::sync::{Arc, Mutex};

use actix_web::{HttpResponse, web};
use attractos_errors_actix::attractos_errors;
use attractos_errors_actix::{ApiError, BearerKey, Contract, DateRange, Json, Query};
use attractos_errors_actix::{RetryAfter, SiteId, contract_app, resource};
use serde::Deserialize;
use serde_json::json;

/// What the service's own logic fails with; the HTTP mapping is one `From` into the core error
/// (the orphan rule allows it here), so `?` works in every handler.
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
    #[error("monthly event quota spent")]
    QuotaSpent,
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
            DomainError::QuotaSpent => Self::limit_exceeded(RetryAfter::from_secs(86_400)),
            // The cause (and its source chain) is logged; the client sees the catalogue message.
            DomainError::Store(_) => Self::internal(err),
        }
    }
}

/// The in-memory "database": fixed accounts, and the events recorded this month out of a quota.
#[derive(Clone)]
pub struct Store(Arc<Mutex<u32>>, u32);

impl Store {
    /// A store whose keys may record `monthly_quota` events between them.
    pub fn new(monthly_quota: u32) -> Self {
        Store(Arc::default(), monthly_quota)
    }

    /// Whether the key's account is on the Pro plan, if it owns `site`.
    fn is_pro(&self, BearerKey(key): &BearerKey, site: &str) -> Result<bool, DomainError> {
        let (pro, sites): (bool, &[&str]) = match key.as_str() {
            "ak_demo" => (false, &["site_demo"]),
            "ak_pro" => (true, &["site_demo", "site_shop"]),
            "ak_gone" => return Err(DomainError::UserDeleted),
            _ => return Err(DomainError::UnknownKey),
        };
        match sites.contains(&site) {
            true => Ok(pro),
            false => Err(DomainError::SiteNotAccessible(site.into())),
        }
    }
}

/// `?granularity=`: daily unless asked; any other value is the query's `INVALID_DATE_RANGE`.
#[derive(Deserialize, Default, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Granularity {
    #[default]
    Day,
    Hour,
}

#[derive(Deserialize)]
struct StatsOptions {
    #[serde(default)]
    granularity: Granularity,
}

async fn stats(
    store: web::Data<Store>,
    key: BearerKey,
    SiteId(site): SiteId,
    DateRange(range): DateRange,
    Query(options): Query<StatsOptions>,
) -> Result<HttpResponse, ApiError> {
    let pro = store.is_pro(&key, &site)?;
    let points = match options.granularity {
        Granularity::Day => range.days(),
        Granularity::Hour if pro => range.days() * 24,
        Granularity::Hour => return Err(DomainError::NeedsPro.into()),
    };
    Ok(HttpResponse::Ok().json(json!({ "site": site, "points": points })))
}

#[derive(Deserialize)]
struct Event {
    site_id: String,
}

async fn track(
    store: web::Data<Store>,
    key: BearerKey,
    Json(event): Json<Event>,
) -> Result<HttpResponse, ApiError> {
    store.is_pro(&key, &event.site_id)?;
    let mut used = store.0.lock().unwrap_or_else(|e| e.into_inner());
    if *used >= store.1 {
        return Err(DomainError::QuotaSpent.into());
    }
    *used += 1;
    Ok(HttpResponse::Accepted().finish())
}

async fn debug_panic() -> &'static str {
    panic!("demo panic: the contract catches it")
}

async fn debug_internal() -> Result<HttpResponse, ApiError> {
    let io = std::io::Error::other("connection refused (db.internal:5432)");
    Err(DomainError::Store(io).into())
}

/// The routes, for the app [`contract_app`] starts, each on [`resource`] so that HEAD, a wrong
/// method (`Allow`) and an empty `{siteId}` answer as on axum.
pub fn routes(store: Store) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .app_data(web::Data::new(store))
            .service(resource("/api/v1/sites/{siteId}/stats").route(web::get().to(stats)))
            .service(resource("/api/v1/events").route(web::post().to(track)))
            .service(resource("/api/v1/debug/panic").route(web::get().to(debug_panic)))
            .service(resource("/api/v1/debug/internal").route(web::get().to(debug_internal)));
    }
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,attractos_errors=debug".into());
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let addr = std::env::var("ATTRACTOS_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let mut contract = Contract::default();
    if let Ok(base) = std::env::var("ATTRACTOS_DOCS_URL") {
        contract = contract.with_docs_base_url(&base)?;
    }
    let (store, app_contract) = (Store::new(1000), contract.clone());
    let app = move || contract_app(app_contract.clone()).configure(routes(store.clone()));
    tracing::info!(%addr, "listening");
    // `server` is `HttpServer::new` with the contract's head timeout and connection cap; it
    // stops gracefully on ctrl-c.
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    attractos_errors_actix::server(app, &contract, workers)
        .bind(&addr)?
        .run()
        .await?;
    Ok(())
}
