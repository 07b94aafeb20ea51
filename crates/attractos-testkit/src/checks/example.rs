//! What the adapters' example services (`examples/axum_service.rs`,
//! `examples/actix_service.rs`) must answer: the axum one is a stats API, the actix-web one an
//! events API (under its own contract, with a monthly quota of one event). Each adapter's
//! suite calls its example's check.

use attractos_errors::ErrorCode;

use crate::{Req, TestService, assert_case_error};

const STATS: &str = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31";

fn with_key(request: Req, key: Option<&str>) -> Req {
    match key {
        Some(key) => request.header("authorization", format!("Bearer {key}")),
        None => request,
    }
}

fn get(uri: &str, key: Option<&str>) -> Req {
    with_key(Req::bare("GET", uri), key)
}

/// Sends each `(case, request, code)` and checks the answer is that contract error, with no
/// cause's text in it.
async fn assert_errors(example: &TestService, cases: Vec<(&str, Req, ErrorCode)>) {
    for (case, request, code) in cases {
        let sent = example.send(&request).await;
        assert_case_error(case, &sent, code);
        assert!(
            !sent.to_string().contains("db.internal"),
            "{case}: a cause leaked: {sent}"
        );
    }
}

/// The stats example: each of its errors through its one `From` (the store's cause logged,
/// never sent), a query the service refuses, a panic; the Pro key gets hourly points.
pub async fn the_stats_example_answers_in_the_contract(example: &TestService) {
    let ok = example.send(&get(STATS, Some("ak_demo"))).await;
    assert_eq!(ok.status, 200, "{ok}");
    let hourly = format!("{STATS}&granularity=hour");
    let cases = vec![
        ("no key", get(STATS, None), ErrorCode::MissingKey),
        (
            "an unknown key",
            get(STATS, Some("ak_nope")),
            ErrorCode::InvalidKey,
        ),
        (
            "a deleted user's key",
            get(STATS, Some("ak_gone")),
            ErrorCode::UserNotFound,
        ),
        (
            "a site of another account",
            get(&STATS.replace("site_demo", "site_shop"), Some("ak_demo")),
            ErrorCode::SiteNotFound,
        ),
        (
            "hourly on the free plan",
            get(&hourly, Some("ak_demo")),
            ErrorCode::PlanRequired,
        ),
        (
            "a granularity the query does not know",
            get(&format!("{STATS}&granularity=minute"), Some("ak_pro")),
            ErrorCode::InvalidDateRange,
        ),
        (
            "a site whose store is down",
            get(&STATS.replace("site_demo", "site_offline"), Some("ak_pro")),
            ErrorCode::ServerError,
        ),
        (
            "a panic",
            get("/api/v1/debug/panic", None),
            ErrorCode::ServerError,
        ),
    ];
    assert_errors(example, cases).await;
    let hourly = example.send(&get(&hourly, Some("ak_pro"))).await;
    assert_eq!(hourly.status, 200, "{hourly}");
}

/// The events example: its errors (the store's cause logged, never sent), then the second
/// event of a one-event quota is `LIMIT_EXCEEDED` with a day to wait.
pub async fn the_events_example_answers_in_the_contract(example: &TestService) {
    let post = |site: &str, key, body: &str| {
        let request = Req::bare("POST", format!("/api/v1/sites/{site}/events"))
            .header("content-type", "application/json")
            .sized(body);
        with_key(request, key)
    };
    let event = r#"{"name":"pageview"}"#;
    let cases = vec![
        (
            "no key",
            post("site_demo", None, event),
            ErrorCode::MissingKey,
        ),
        (
            "an unknown key",
            post("site_demo", Some("ak_nope"), event),
            ErrorCode::InvalidKey,
        ),
        (
            "a cut-off body",
            post("site_demo", Some("ak_demo"), r#"{"name":"#),
            ErrorCode::InvalidJson,
        ),
        (
            "an event over the example's 16 KiB body limit",
            post("site_demo", Some("ak_demo"), &" ".repeat(16 * 1024 + 1)),
            ErrorCode::PayloadTooLarge,
        ),
        (
            "a store that is down",
            post("site_offline", Some("ak_demo"), event),
            ErrorCode::ServerError,
        ),
        (
            "a panic",
            get("/api/v1/debug/panic", None),
            ErrorCode::ServerError,
        ),
    ];
    assert_errors(example, cases).await;
    let first = example
        .send(&post("site_demo", Some("ak_demo"), event))
        .await;
    assert_eq!(first.status, 202, "{first}");
    let body = example
        .send(&post("site_demo", Some("ak_demo"), event))
        .await
        .assert_error(ErrorCode::LimitExceeded);
    assert_eq!(body.retry_after, Some(86_400));
}
