//! A small AttractOS-style stats API on axum whose every error, its own or the framework's, is
//! in the contract: `{"error":"…","code":"…"}` (+ `retry_after` on 429s). Its tests are in the
//! crate's suite (`tests/example.rs`); the actix-web adapter's example is an events API.
//!
//! ```text
//! cargo run -p attractos-errors-axum --example axum_service   # on 127.0.0.1:3000, or ATTRACTOS_ADDR
//! STATS='localhost:3000/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31'
//! curl -i "$STATS"                                                         # 401 MISSING_KEY
//! curl -i -H 'Authorization: Bearer ak_demo' "$STATS"                      # 200
//! curl -i -H 'Authorization: Bearer ak_demo' "$STATS&granularity=hour"     # 403 PLAN_REQUIRED
//! curl -i -H 'Authorization: Bearer ak_demo' "$STATS&granularity=minute"   # 400 INVALID_DATE_RANGE
//! curl -i localhost:3000/api/v1/debug/panic                                # 500, server lives on
//! curl -i -X DELETE "$STATS"                                              # 405 with Allow
//! ```
//!
//! `ATTRACTOS_DOCS_URL` (e.g. `https://docs.example/error-codes`) adds a `Link` to every error.

use attractos_errors_axum::attractos_errors;
use attractos_errors_axum::{ApiError, BearerKey, Contract, ContractExt, ContractRouter};
use attractos_errors_axum::{DateRange, Json, Query, SiteId};
use axum::Router;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

/// What the service's own logic fails with; the HTTP mapping is one `From` into the core error
/// (the orphan rule allows it here, where `StatsError` is local), so `?` works in handlers.
#[derive(Debug, thiserror::Error)]
enum StatsError {
    #[error("no account has this API key")]
    UnknownKey,
    #[error("the key's user was deleted")]
    UserDeleted,
    #[error("site {0} is unknown or not the caller's")]
    NotTheirSite(String),
    #[error("hourly granularity needs the Pro plan")]
    NeedsPro,
    #[error("the stats store failed")]
    Store(#[source] std::io::Error),
}

impl From<StatsError> for attractos_errors::ApiError {
    fn from(err: StatsError) -> Self {
        match err {
            StatsError::UnknownKey => Self::invalid_key(),
            StatsError::UserDeleted => Self::user_not_found(),
            StatsError::NotTheirSite(_) => Self::site_not_found(),
            StatsError::NeedsPro => Self::plan_required(),
            // The cause (and its source chain) is logged; the client sees the catalogue message.
            StatsError::Store(_) => Self::internal(err),
        }
    }
}

/// The accounts, in place of a database: each key's plan (Pro or not) and sites.
fn account(BearerKey(key): &BearerKey) -> Result<(bool, &'static [&'static str]), StatsError> {
    match key.as_str() {
        "ak_demo" => Ok((false, &["site_demo"])),
        "ak_pro" => Ok((true, &["site_demo", "site_shop", "site_offline"])),
        "ak_gone" => Err(StatsError::UserDeleted),
        _ => Err(StatsError::UnknownKey),
    }
}

/// The stats store: a site's daily points over `days` days; `site_offline`'s store is down.
fn daily_points(site: &str, days: i64) -> Result<i64, StatsError> {
    match site {
        "site_offline" => Err(StatsError::Store(std::io::Error::other(
            "connection refused (db.internal:5432)",
        ))),
        _ => Ok(days),
    }
}

/// `?granularity=`: daily unless asked; any other value is the query's `INVALID_DATE_RANGE`.
#[derive(Deserialize, Default)]
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
    key: BearerKey,
    SiteId(site): SiteId,
    DateRange(range): DateRange,
    Query(options): Query<StatsOptions>,
) -> Result<Json<Value>, ApiError> {
    let (pro, sites) = account(&key)?;
    if !sites.contains(&site.as_str()) {
        return Err(StatsError::NotTheirSite(site).into());
    }
    let daily = daily_points(&site, range.days())?;
    let points = match options.granularity {
        Granularity::Day => daily,
        Granularity::Hour if pro => daily * 24,
        Granularity::Hour => return Err(StatsError::NeedsPro.into()),
    };
    Ok(Json(json!({ "site": site, "points": points })))
}

async fn debug_panic() -> &'static str {
    panic!("demo panic: the contract catches it")
}

/// The whole service: routes first, then the contract.
pub fn app(contract: Contract) -> ContractRouter {
    Router::new()
        .route("/api/v1/sites/{siteId}/stats", get(stats))
        .route("/api/v1/debug/panic", get(debug_panic))
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
    attractos_errors_axum::serve(listener, app(contract.clone()), &contract).await?;
    Ok(())
}
