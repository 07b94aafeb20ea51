//! A small AttractOS-style analytics API on axum whose every error, its own or the framework's,
//! is in the contract: `{"error":"…","code":"…"}` (+ `retry_after` on 429s). Its tests are in
//! the crate's suite (`tests/example.rs`).
//!
//! ```text
//! cargo run -p attractos-errors-axum --example service   # on 127.0.0.1:3000, or ATTRACTOS_ADDR
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

use attractos_errors_axum::attractos_errors;
use attractos_errors_axum::{ApiError, BearerKey, Contract, ContractExt, ContractRouter};
use attractos_errors_axum::{DateRange, Json};
use attractos_errors_axum::{Query, RetryAfter, SiteId};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

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
    State(store): State<Store>,
    key: BearerKey,
    SiteId(site): SiteId,
    DateRange(range): DateRange,
    Query(options): Query<StatsOptions>,
) -> Result<Json<Value>, ApiError> {
    let pro = store.is_pro(&key, &site)?;
    let points = match options.granularity {
        Granularity::Day => range.days(),
        Granularity::Hour if pro => range.days() * 24,
        Granularity::Hour => return Err(DomainError::NeedsPro.into()),
    };
    Ok(Json(json!({ "site": site, "points": points })))
}

#[derive(Deserialize)]
struct Event {
    site_id: String,
}

async fn track(
    State(store): State<Store>,
    key: BearerKey,
    Json(event): Json<Event>,
) -> Result<StatusCode, ApiError> {
    store.is_pro(&key, &event.site_id)?;
    let mut used = store.0.lock().unwrap_or_else(|e| e.into_inner());
    if *used >= store.1 {
        return Err(DomainError::QuotaSpent.into());
    }
    *used += 1;
    Ok(StatusCode::ACCEPTED)
}

async fn debug_panic() -> &'static str {
    panic!("demo panic: the contract catches it")
}

async fn debug_internal() -> Result<(), ApiError> {
    let io = std::io::Error::other("connection refused (db.internal:5432)");
    Err(DomainError::Store(io).into())
}

/// The whole service: routes first, then the contract.
pub fn app(store: Store, contract: Contract) -> ContractRouter {
    Router::new()
        .route("/api/v1/sites/{siteId}/stats", get(stats))
        .route("/api/v1/events", post(track))
        .route("/api/v1/debug/panic", get(debug_panic))
        .route("/api/v1/debug/internal", get(debug_internal))
        .with_state(store)
        .with_contract(contract)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,attractos_errors=debug".into());
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let addr = std::env::var("ATTRACTOS_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let mut contract = Contract::default();
    if let Ok(base) = std::env::var("ATTRACTOS_DOCS_URL") {
        contract = contract.with_docs_base_url(&base)?;
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(%addr, "listening");
    // Not `axum::serve`: this one bounds slow clients (head timeout, connection cap).
    attractos_errors_axum::serve(listener, app(Store::new(1000), contract.clone()), &contract)
        .await?;
    Ok(())
}
