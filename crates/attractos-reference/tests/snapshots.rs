//! Every code of the catalogue and every success, produced on purpose by the reference server:
//! both frameworks answer byte-identically (status, headers, body), as the shared snapshots
//! record.

use crate::common;

use std::num::NonZeroU32;

use attractos_errors::rules::DEFAULT_BODY_LIMIT;
use attractos_reference::Options;
use attractos_reference::store::keys;
use common::{Req, both};
use time::macros::datetime;

const EVENT: &[u8] = br#"{"site_id":"site_demo","name":"pageview","url":"https://demo.example/"}"#;

/// A fixed clock: the RateLimit fields count the seconds to the end of the month.
fn defaults() -> Options {
    Options::default().clock(|| datetime!(2024-06-15 12:00 UTC))
}

fn snap(name: &str, options: &Options, requests: &[Req]) {
    insta::assert_snapshot!(name, both(options, requests));
}

/// Every answer to one GET on the fixed clock: (snapshot, API key, target).
const GETS: &[(&str, Option<&str>, &str)] = &[
    ("ok_sites", Some(keys::PRO), "/api/v1/sites"),
    (
        "ok_stats",
        Some(keys::FREE),
        "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-03",
    ),
    (
        "ok_timeseries_daily",
        Some(keys::FREE),
        "/api/v1/sites/site_demo/timeseries?start=2024-01-01&end=2024-01-03&granularity=daily",
    ),
    ("code_MISSING_KEY", None, "/api/v1/sites"),
    ("code_INVALID_KEY", Some(keys::REVOKED), "/api/v1/sites"),
    ("code_USER_NOT_FOUND", Some(keys::ORPHAN), "/api/v1/sites"),
    (
        "code_SITE_NOT_FOUND",
        Some(keys::FREE),
        "/api/v1/sites/site_pro/stats?start=2024-01-01&end=2024-01-03",
    ),
    (
        "code_PLAN_REQUIRED",
        Some(keys::FREE),
        "/api/v1/sites/site_demo/timeseries?start=2024-01-01&end=2024-01-03&granularity=hourly",
    ),
    (
        "code_MISSING_SITE_ID",
        Some(keys::FREE),
        "/api/v1/sites//stats?start=2024-01-01&end=2024-01-03",
    ),
    (
        "code_INVALID_DATE_RANGE",
        Some(keys::FREE),
        "/api/v1/sites/site_demo/stats?start=2024-02-30&end=2024-03-01",
    ),
    (
        "code_INVALID_DATE_RANGE_granularity",
        Some(keys::FREE),
        "/api/v1/sites/site_demo/timeseries?start=2024-01-01&end=2024-01-03&granularity=weekly",
    ),
    (
        "code_SERVER_ERROR",
        Some(keys::PRO),
        "/api/v1/sites/site_broken/stats?start=2024-01-01&end=2024-01-03",
    ),
    ("code_NOT_FOUND", None, "/api/v1/stats"),
    (
        "code_METHOD_NOT_ALLOWED",
        Some(keys::FREE),
        "/api/v1/events",
    ),
];

#[test]
fn every_get_answers_as_its_snapshot() {
    for &(name, key, target) in GETS {
        let request = Req::get(target);
        let request = match key {
            Some(key) => request.key(key),
            None => request,
        };
        snap(name, &defaults(), &[request]);
    }
}

/// Every answer to one event upload with the Free key on the fixed clock: (snapshot, body).
fn uploads() -> [(&'static str, Vec<u8>); 3] {
    [
        ("ok_event", EVENT.into()),
        ("code_INVALID_JSON", br#"{"site_id": "#.into()),
        ("code_PAYLOAD_TOO_LARGE", vec![b' '; DEFAULT_BODY_LIMIT + 1]),
    ]
}

#[test]
fn every_upload_answers_as_its_snapshot() {
    for (name, body) in uploads() {
        let request = Req::post("/api/v1/events", "application/json", body).key(keys::FREE);
        snap(name, &defaults(), &[request]);
    }
}

#[test]
fn rate_limited() {
    let options = defaults().rate_limit(NonZeroU32::new(1).expect("non-zero"));
    let request = Req::get("/api/v1/sites").key("ak_demo_free");
    snap("code_RATE_LIMITED", &options, &[request.clone(), request]);
}

#[test]
fn limit_exceeded() {
    let options = defaults().clock(|| datetime!(2024-02-28 00:00 UTC));
    snap(
        "code_LIMIT_EXCEEDED",
        &options,
        &[Req::post(
            "/api/v1/events",
            "application/json",
            r#"{"site_id":"site_quota","name":"pageview","url":"https://quota.example/"}"#,
        )
        .key("ak_demo_quota")],
    );
}
