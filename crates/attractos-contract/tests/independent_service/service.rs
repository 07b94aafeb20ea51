//! A service nobody here wrote: the reference fixtures' API in plain axum, following the
//! published error page word for word (bodies and headers written by hand, no adapter), with
//! the house headers on or off and one rule broken at a time by a [`Mutation`].
//!
//! Shared by the contract crate's tests (in-process) and the CLI's tests (over a socket).

#![allow(dead_code)] // each test crate uses part of it

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use attractos_errors::ErrorCode;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use serde_json::{Value, json};

/// One way to break (or strip) the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Sends only what the published page asks: no `Cache-Control`, no `nosniff`, no
    /// `X-Request-Id`, no RateLimit fields.
    NoHouseHeaders,
    /// A `SERVER_ERROR` whose `error` carries the failure's secret.
    LeakedSecret,
    /// `granularity=weekly` answers 200 instead of `INVALID_DATE_RANGE`.
    WeeklyGranularityOk,
    /// A 405 without `Allow`.
    NoAllowOn405,
    /// A 401 without `WWW-Authenticate`.
    NoWwwAuthenticate,
    /// A foreign site's `SITE_NOT_FOUND` says "You do not have access to this site.".
    ForeignSiteOwnMessage,
    /// `retry_after` on a 400.
    RetryAfterOn400,
    /// A 429's `Retry-After` header differs from its body's `retry_after`.
    RetryAfterHeaderDiffers,
    /// `code` in lowercase (`not_found`).
    LowercaseCode,
    /// An extra `details` key in error bodies.
    ExtraBodyField,
    /// A `SERVER_ERROR` with a message of its own (no secret in it).
    CustomServerErrorMessage,
    /// `INVALID_KEY` sent with status 403.
    WrongStatusForCode,
    /// Errors sent as `text/plain` (the body still JSON).
    TextPlainErrors,
    /// `Cache-Control: no-cache` on errors.
    CacheableErrors,
    /// An `X-Request-Id` that ignores the client's.
    RequestIdNotEchoed,
    /// `RateLimit` members that are tokens, not quoted policy ids.
    RateLimitMalformed,
    /// A 429 whose `Retry-After` is earlier than the spent limit's reset `t`.
    RateLimitResetAfterRetry,
}

/// The secret behind the broken site's failure.
pub const SECRET: &str = "db-password=hunter2";

/// Requests per one-second window a Free key gets on `GET /api/v1/sites`.
const RATE: u64 = 5;
const BODY_LIMIT: usize = 64 * 1024;

#[derive(Debug)]
struct Service {
    mutations: Vec<Mutation>,
    started: Instant,
    /// The current window (seconds since start) and how many requests it has seen.
    window: AtomicU64,
    used: AtomicU64,
    next_id: AtomicU64,
}

/// The service as an axum router, with `mutations` applied.
pub fn router(mutations: &[Mutation]) -> axum::Router {
    let service = Arc::new(Service {
        mutations: mutations.to_vec(),
        started: Instant::now(),
        window: AtomicU64::new(0),
        used: AtomicU64::new(0),
        next_id: AtomicU64::new(1),
    });
    axum::Router::new().fallback(handle).with_state(service)
}

/// What a request resolves to before it is written.
enum Answer {
    Ok(StatusCode, Value),
    Err(ErrorCode, Option<u64>),
    /// `SITE_NOT_FOUND` for a site that exists but is someone else's.
    ForeignSite,
}

struct User {
    plan_pro: bool,
    sites: &'static [&'static str],
    quota_spent: bool,
    free: bool,
}

const ALL_SITES: [&str; 4] = ["site_demo", "site_pro", "site_broken", "site_quota"];

fn user(key: &str) -> Result<User, ErrorCode> {
    match key {
        "ak_demo_free" => Ok(User {
            plan_pro: false,
            sites: &["site_demo"],
            quota_spent: false,
            free: true,
        }),
        "ak_demo_pro" => Ok(User {
            plan_pro: true,
            sites: &["site_pro", "site_broken"],
            quota_spent: false,
            free: false,
        }),
        "ak_demo_quota" => Ok(User {
            plan_pro: false,
            sites: &["site_quota"],
            quota_spent: true,
            free: false,
        }),
        "ak_demo_orphan" => Err(ErrorCode::UserNotFound),
        _ => Err(ErrorCode::InvalidKey),
    }
}

async fn handle(State(service): State<Arc<Service>>, request: Request) -> Response<Body> {
    let client_id = request.headers().get("x-request-id").cloned();
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, BODY_LIMIT + 1).await.unwrap_or_default();
    let (answer, limited_route) = service.answer(&parts.method, &parts.uri, &parts.headers, &body);
    let mut response = service.write(answer);
    let headers = response.headers_mut();
    if !service.has(Mutation::NoHouseHeaders) {
        let id = match (&client_id, service.has(Mutation::RequestIdNotEchoed)) {
            (Some(id), false) => id.clone(),
            _ => HeaderValue::from(service.next_id.fetch_add(1, Ordering::Relaxed)),
        };
        headers.insert("x-request-id", id);
        if let Some((remaining, reset)) = limited_route {
            service.ratelimit_fields(headers, remaining, reset);
        }
    }
    response
}

impl Service {
    fn has(&self, mutation: Mutation) -> bool {
        self.mutations.contains(&mutation)
    }

    /// The answer, and for the rate-limited route what remains of the window and its reset.
    fn answer(
        &self,
        method: &Method,
        uri: &axum::http::Uri,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> (Answer, Option<(u64, u64)>) {
        let path = uri.path();
        let query = uri.query().unwrap_or("");
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let route = match segments.as_slice() {
            ["api", "v1", "sites"] => Route::Sites,
            ["api", "v1", "events"] => Route::Events,
            ["api", "v1", "sites", site, "stats"] => Route::Stats(site),
            ["api", "v1", "sites", site, "timeseries"] => Route::Timeseries(site),
            _ => return (Answer::Err(ErrorCode::NotFound, None), None),
        };
        let allowed = if matches!(route, Route::Events) {
            Method::POST
        } else {
            Method::GET
        };
        if *method != allowed {
            return (Answer::Err(ErrorCode::MethodNotAllowed, None), None);
        }
        let user = match authenticate(headers) {
            Ok(user) => user,
            Err(code) => return (Answer::Err(code, None), None),
        };
        match route {
            Route::Sites => {
                if !user.free {
                    return (Answer::Ok(StatusCode::OK, json!(user.sites)), None);
                }
                let (allowed, remaining) = self.take();
                let limit = Some((remaining, 1));
                if allowed {
                    (Answer::Ok(StatusCode::OK, json!(user.sites)), limit)
                } else {
                    (Answer::Err(ErrorCode::RateLimited, Some(1)), limit)
                }
            }
            Route::Stats(site) | Route::Timeseries(site) => {
                let site = site.replace("%20", " ");
                if site.trim().is_empty() {
                    return (Answer::Err(ErrorCode::MissingSiteId, None), None);
                }
                if let Some(refused) = self.ownership(&user, &site) {
                    return (refused, None);
                }
                if !valid_range(query) {
                    return (Answer::Err(ErrorCode::InvalidDateRange, None), None);
                }
                if site == "site_broken" {
                    return (Answer::Err(ErrorCode::ServerError, None), None);
                }
                if matches!(route, Route::Stats(_)) {
                    return (
                        Answer::Ok(StatusCode::OK, json!({"visits": 10, "pageviews": 20})),
                        None,
                    );
                }
                match param(query, "granularity").unwrap_or("daily") {
                    "daily" => (Answer::Ok(StatusCode::OK, json!([])), None),
                    "hourly" if user.plan_pro => (Answer::Ok(StatusCode::OK, json!([])), None),
                    "hourly" => (Answer::Err(ErrorCode::PlanRequired, None), None),
                    _ if self.has(Mutation::WeeklyGranularityOk) => {
                        (Answer::Ok(StatusCode::OK, json!([])), None)
                    }
                    _ => (Answer::Err(ErrorCode::InvalidDateRange, None), None),
                }
            }
            Route::Events => (self.event(&user, headers, body), None),
        }
    }

    fn event(&self, user: &User, headers: &HeaderMap, body: &Bytes) -> Answer {
        if body.len() > BODY_LIMIT {
            return Answer::Err(ErrorCode::PayloadTooLarge, None);
        }
        let json_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let event: Option<Value> = serde_json::from_slice(body).ok();
        let site = event
            .as_ref()
            .and_then(|e| e.get("site_id")?.as_str().map(str::to_owned));
        let name_ok = event
            .as_ref()
            .is_some_and(|e| e.get("name").is_some_and(Value::is_string));
        let (true, Some(site), true) = (json_type, site, name_ok) else {
            return Answer::Err(ErrorCode::InvalidJson, None);
        };
        if let Some(refused) = self.ownership(user, &site) {
            return refused;
        }
        if user.quota_spent {
            return Answer::Err(ErrorCode::LimitExceeded, Some(seconds_to_next_month()));
        }
        Answer::Ok(StatusCode::ACCEPTED, json!({"accepted": true}))
    }

    fn ownership(&self, user: &User, site: &str) -> Option<Answer> {
        if user.sites.contains(&site) {
            None
        } else if ALL_SITES.contains(&site) {
            Some(Answer::ForeignSite)
        } else {
            Some(Answer::Err(ErrorCode::SiteNotFound, None))
        }
    }

    /// Takes one request from the current one-second window: whether it is allowed, and
    /// how many remain after it.
    fn take(&self) -> (bool, u64) {
        let now = self.started.elapsed().as_secs();
        if self.window.swap(now, Ordering::Relaxed) != now {
            self.used.store(0, Ordering::Relaxed);
        }
        let used = self.used.fetch_add(1, Ordering::Relaxed) + 1;
        (used <= RATE, RATE.saturating_sub(used))
    }

    fn ratelimit_fields(&self, headers: &mut HeaderMap, remaining: u64, reset: u64) {
        let limit = if self.has(Mutation::RateLimitMalformed) {
            format!("rate;r={remaining};t={reset}")
        } else if self.has(Mutation::RateLimitResetAfterRetry) {
            format!("\"rate\";r={remaining};t={}", reset + 4)
        } else {
            format!("\"rate\";r={remaining};t={reset}")
        };
        headers.insert(
            "ratelimit-policy",
            HeaderValue::from_str(&format!("\"rate\";q={RATE};w=1")).expect("ASCII"),
        );
        headers.insert("ratelimit", HeaderValue::from_str(&limit).expect("ASCII"));
    }

    /// Writes an answer the way the published page describes it.
    fn write(&self, answer: Answer) -> Response<Body> {
        let (code, retry_after, message) = match answer {
            Answer::Ok(status, value) => {
                let mut response = Response::new(Body::from(value.to_string()));
                *response.status_mut() = status;
                response
                    .headers_mut()
                    .insert("content-type", HeaderValue::from_static("application/json"));
                return response;
            }
            Answer::ForeignSite if self.has(Mutation::ForeignSiteOwnMessage) => (
                ErrorCode::SiteNotFound,
                None,
                "You do not have access to this site.".to_owned(),
            ),
            Answer::ForeignSite => (
                ErrorCode::SiteNotFound,
                None,
                ErrorCode::SiteNotFound.message().to_owned(),
            ),
            Answer::Err(ErrorCode::ServerError, _) if self.has(Mutation::LeakedSecret) => (
                ErrorCode::ServerError,
                None,
                format!("stats store refused the connection ({SECRET})"),
            ),
            Answer::Err(ErrorCode::ServerError, _)
                if self.has(Mutation::CustomServerErrorMessage) =>
            {
                (
                    ErrorCode::ServerError,
                    None,
                    "Something went wrong on our side.".to_owned(),
                )
            }
            Answer::Err(code, retry_after) => (code, retry_after, code.message().to_owned()),
        };
        let mut body = json!({"error": message, "code": code.as_str()});
        if self.has(Mutation::LowercaseCode) {
            body["code"] = json!(code.as_str().to_lowercase());
        }
        if self.has(Mutation::ExtraBodyField) {
            body["details"] = json!(null);
        }
        let retry_after = match retry_after {
            None if self.has(Mutation::RetryAfterOn400)
                && code.status() == StatusCode::BAD_REQUEST =>
            {
                Some(1)
            }
            other => other,
        };
        if let Some(seconds) = retry_after {
            body["retry_after"] = json!(seconds);
        }
        let mut response = Response::new(Body::from(body.to_string()));
        *response.status_mut() =
            if self.has(Mutation::WrongStatusForCode) && code == ErrorCode::InvalidKey {
                StatusCode::FORBIDDEN
            } else {
                code.status()
            };
        let headers = response.headers_mut();
        let content_type = if self.has(Mutation::TextPlainErrors) {
            "text/plain"
        } else {
            "application/json"
        };
        headers.insert("content-type", HeaderValue::from_static(content_type));
        if !self.has(Mutation::NoHouseHeaders) {
            let cache = if self.has(Mutation::CacheableErrors) {
                "no-cache"
            } else {
                "no-store"
            };
            headers.insert("cache-control", HeaderValue::from_static(cache));
            headers.insert(
                "x-content-type-options",
                HeaderValue::from_static("nosniff"),
            );
        }
        if code.status() == StatusCode::UNAUTHORIZED && !self.has(Mutation::NoWwwAuthenticate) {
            headers.insert(
                "www-authenticate",
                HeaderValue::from_static("Bearer realm=\"independent\""),
            );
        }
        if code == ErrorCode::MethodNotAllowed && !self.has(Mutation::NoAllowOn405) {
            headers.insert("allow", HeaderValue::from_static("GET, HEAD"));
        }
        if let Some(seconds) =
            retry_after.filter(|_| code.status() == StatusCode::TOO_MANY_REQUESTS)
        {
            let header = if self.has(Mutation::RetryAfterHeaderDiffers) {
                seconds + 30
            } else {
                seconds
            };
            headers.insert("retry-after", HeaderValue::from(header));
        }
        response
    }
}

enum Route<'a> {
    Sites,
    Events,
    Stats(&'a str),
    Timeseries(&'a str),
}

fn authenticate(headers: &HeaderMap) -> Result<User, ErrorCode> {
    let mut values = headers.get_all("authorization").iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(if headers.contains_key("authorization") {
            ErrorCode::InvalidKey
        } else {
            ErrorCode::MissingKey
        });
    };
    let key = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(ErrorCode::InvalidKey)?;
    user(key)
}

fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// `start` and `end` present, `YYYY-MM-DD`, real days, start not after end.
fn valid_range(query: &str) -> bool {
    let day = |name| {
        let text = param(query, name)?;
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let last = days_in_month(year, month)?;
        (1..=last).contains(&day).then_some((year, month, day))
    };
    matches!((day("start"), day("end")), (Some(start), Some(end)) if start <= end)
}

/// Whole seconds (at least 1) until the next UTC month starts.
fn seconds_to_next_month() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Days since the epoch to the first of next month, by walking months: fine for a test.
    let (mut year, mut start) = (1970u32, 0u64);
    loop {
        for month in 1..=12 {
            let days = u64::from(days_in_month(year, month).unwrap_or(31));
            let next = start + days * 86_400;
            if next > now {
                return (next - now).max(1);
            }
            start = next;
        }
        year += 1;
    }
}

fn days_in_month(year: u32, month: u32) -> Option<u32> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 => Some(if leap { 29 } else { 28 }),
        _ => None,
    }
}
