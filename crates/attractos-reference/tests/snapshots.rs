//! Every code of the catalogue and every success, produced on purpose by the reference server:
//! both frameworks answer byte-identically (status, headers, body), as the shared snapshots
//! record.

use crate::common;

use std::num::NonZeroU32;

use attractos_errors::rules::DEFAULT_BODY_LIMIT;
use attractos_reference::Options;
use common::{Req, both};
use time::macros::datetime;

const RANGE: &str = "start=2024-01-01&end=2024-01-03";

/// A fixed clock: the RateLimit fields count the seconds to the end of the month.
fn defaults() -> Options {
    Options::default().clock(|| datetime!(2024-06-15 12:00 UTC))
}

fn snap(name: &str, options: &Options, requests: &[Req]) {
    insta::assert_snapshot!(name, both(options, requests));
}

/// Every answer to one request on the fixed clock: its snapshot's name and the request.
fn single_requests() -> Vec<(&'static str, Req)> {
    vec![
        ("ok_sites", Req::get("/api/v1/sites").key("ak_demo_pro")),
        (
            "ok_stats",
            Req::get(format!("/api/v1/sites/site_demo/stats?{RANGE}")).key("ak_demo_free"),
        ),
        (
            "ok_timeseries_daily",
            Req::get(format!(
                "/api/v1/sites/site_demo/timeseries?{RANGE}&granularity=daily"
            ))
            .key("ak_demo_free"),
        ),
        (
            "ok_event",
            Req::post(
                "/api/v1/events",
                "application/json",
                r#"{"site_id":"site_demo","name":"pageview","url":"https://demo.example/"}"#,
            )
            .key("ak_demo_free"),
        ),
        ("code_MISSING_KEY", Req::get("/api/v1/sites")),
        (
            "code_INVALID_KEY",
            Req::get("/api/v1/sites").key("ak_demo_revoked"),
        ),
        (
            "code_USER_NOT_FOUND",
            Req::get("/api/v1/sites").key("ak_demo_orphan"),
        ),
        (
            "code_SITE_NOT_FOUND",
            Req::get(format!("/api/v1/sites/site_pro/stats?{RANGE}")).key("ak_demo_free"),
        ),
        (
            "code_PLAN_REQUIRED",
            Req::get(format!(
                "/api/v1/sites/site_demo/timeseries?{RANGE}&granularity=hourly"
            ))
            .key("ak_demo_free"),
        ),
        (
            "code_MISSING_SITE_ID",
            Req::get(format!("/api/v1/sites//stats?{RANGE}")).key("ak_demo_free"),
        ),
        (
            "code_INVALID_DATE_RANGE",
            Req::get("/api/v1/sites/site_demo/stats?start=2024-02-30&end=2024-03-01")
                .key("ak_demo_free"),
        ),
        (
            "code_INVALID_DATE_RANGE_granularity",
            Req::get(format!(
                "/api/v1/sites/site_demo/timeseries?{RANGE}&granularity=weekly"
            ))
            .key("ak_demo_free"),
        ),
        (
            "code_INVALID_JSON",
            Req::post("/api/v1/events", "application/json", r#"{"site_id": "#).key("ak_demo_free"),
        ),
        (
            "code_SERVER_ERROR",
            Req::get(format!("/api/v1/sites/site_broken/stats?{RANGE}")).key("ak_demo_pro"),
        ),
        ("code_NOT_FOUND", Req::get("/api/v1/stats")),
        (
            "code_METHOD_NOT_ALLOWED",
            Req::get("/api/v1/events").key("ak_demo_free"),
        ),
        (
            "code_PAYLOAD_TOO_LARGE",
            Req::post(
                "/api/v1/events",
                "application/json",
                vec![b' '; DEFAULT_BODY_LIMIT + 1],
            )
            .key("ak_demo_free"),
        ),
    ]
}

#[test]
fn every_single_request_answers_as_its_snapshot() {
    for (name, request) in single_requests() {
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
