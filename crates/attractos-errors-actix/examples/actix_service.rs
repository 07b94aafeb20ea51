//! A small AttractOS-style events API on actix-web whose every error, its own or the
//! framework's, is in the contract: `{"error":"…","code":"…"}` (+ `retry_after` on 429s). Its
//! tests are in the crate's suite (`tests/example.rs`); the axum adapter's example is a stats
//! API.
//!
//! ```text
//! cargo run -p attractos-errors-actix --example actix_service   # on 127.0.0.1:3000, or ATTRACTOS_ADDR
//! EVENTS=localhost:3000/api/v1/sites/site_demo/events
//! curl -i -X POST "$EVENTS"                                                # 401 MISSING_KEY
//! curl -i -H 'Authorization: Bearer ak_demo' -H 'Content-Type: application/json' \
//!   -d '{"name":"pageview"}' "$EVENTS"                                     # 202
//! curl -i -X POST -H 'Authorization: Bearer ak_demo' "$EVENTS"             # 400 INVALID_JSON
//! curl -i "$EVENTS"                                                        # 405, Allow: POST
//! curl -i localhost:3000/api/v1/debug/panic                                # 500, server lives on
//! ```

use std::sync::{Arc, Mutex};

use actix_web::{HttpResponse, web};
use attractos_errors_actix::attractos_errors;
use attractos_errors_actix::{ApiError, BearerKey, Contract, Json, RetryAfter, SiteId};
use attractos_errors_actix::{contract_app, resource};
use serde::Deserialize;
use serde_json::json;

/// What recording an event fails with; the HTTP mapping is one `From` into the core error (the
/// orphan rule allows it here, where `TrackError` is local), so `?` works in handlers.
#[derive(Debug, thiserror::Error)]
enum TrackError {
    #[error("no account has this API key")]
    UnknownKey,
    #[error("the monthly quota of {quota} events is spent")]
    QuotaSpent { quota: u32 },
    #[error("the event store of {0} failed")]
    Store(String, #[source] std::io::Error),
}

impl From<TrackError> for attractos_errors::ApiError {
    fn from(err: TrackError) -> Self {
        match err {
            TrackError::UnknownKey => Self::invalid_key(),
            // A real service would compute the time until the billing cycle resets.
            TrackError::QuotaSpent { .. } => Self::limit_exceeded(RetryAfter::from_secs(86_400)),
            // The cause (and its source chain) is logged; the client sees the catalogue message.
            TrackError::Store(..) => Self::internal(err),
        }
    }
}

/// The event store, in place of a database: how many events were recorded this month, out of
/// a quota shared by every key.
#[derive(Clone)]
pub struct Events {
    recorded: Arc<Mutex<u32>>,
    quota: u32,
}

impl Events {
    /// A store that takes `quota` events a month.
    pub fn with_quota(quota: u32) -> Self {
        let recorded = Arc::default();
        Events { recorded, quota }
    }

    /// Records one event of `site` for `key`; `site_offline`'s store is down.
    fn record(&self, BearerKey(key): &BearerKey, site: &str) -> Result<u32, TrackError> {
        if key != "ak_demo" {
            return Err(TrackError::UnknownKey);
        }
        if site == "site_offline" {
            let down = std::io::Error::other("connection refused (db.internal:5432)");
            return Err(TrackError::Store(site.to_owned(), down));
        }
        let mut recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        if *recorded >= self.quota {
            return Err(TrackError::QuotaSpent { quota: self.quota });
        }
        *recorded += 1;
        Ok(*recorded)
    }
}

#[derive(Deserialize)]
struct Event {
    name: String,
}

async fn track(
    events: web::Data<Events>,
    key: BearerKey,
    SiteId(site): SiteId,
    Json(event): Json<Event>,
) -> Result<HttpResponse, ApiError> {
    let recorded = events.record(&key, &site)?;
    Ok(HttpResponse::Accepted().json(json!({ "event": event.name, "recorded": recorded })))
}

async fn debug_panic() -> &'static str {
    panic!("demo panic: the contract catches it")
}

/// The routes, for the app [`contract_app`] starts, each path on one [`resource`] so that
/// HEAD, a wrong method (`Allow`) and an empty `{siteId}` answer as on axum.
pub fn routes(events: Events) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .app_data(web::Data::new(events))
            .service(resource("/api/v1/sites/{siteId}/events").route(web::post().to(track)))
            .service(resource("/api/v1/debug/panic").route(web::get().to(debug_panic)));
    }
}

/// The contract's settings. Events are small: a body over 16 KiB is `PAYLOAD_TOO_LARGE`,
/// refused by its `Content-Length` before any handler runs, or cut off while `Json` reads it.
pub fn contract() -> Contract {
    Contract::default().with_body_limit(16 * 1024)
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,attractos_errors=debug".into());
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let addr = std::env::var("ATTRACTOS_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let contract = contract();
    let (events, app_contract) = (Events::with_quota(1000), contract.clone());
    let app = move || contract_app(app_contract.clone()).configure(routes(events.clone()));
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
