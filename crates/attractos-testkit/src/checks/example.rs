//! What the adapters' example services (`examples/service.rs`, the same demo API on each
//! framework) must answer. Each adapter's suite calls these on its example, started with a
//! monthly quota of one event.

use attractos_errors::ErrorCode;

use crate::{Req, TestService};

const STATS: &str = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31";

fn get(uri: &str, key: Option<&str>) -> Req {
    let request = Req::bare("GET", uri);
    match key {
        Some(key) => request.header("authorization", format!("Bearer {key}")),
        None => request,
    }
}

/// Each domain error through its one `From`, a query the service refuses, a cause and a panic.
pub async fn answers_domain_errors_in_the_contract(example: &TestService) {
    let ok = example.send(&get(STATS, Some("ak_demo"))).await;
    assert_eq!(ok.status, 200, "{ok}");
    let cases = [
        (get(STATS, None), ErrorCode::MissingKey),
        (get(STATS, Some("ak_nope")), ErrorCode::InvalidKey),
        (get(STATS, Some("ak_gone")), ErrorCode::UserNotFound),
        (
            get(&STATS.replace("site_demo", "site_shop"), Some("ak_demo")),
            ErrorCode::SiteNotFound,
        ),
        (
            get(&format!("{STATS}&granularity=hour"), Some("ak_demo")),
            ErrorCode::PlanRequired,
        ),
        (
            get(&format!("{STATS}&granularity=minute"), Some("ak_pro")),
            ErrorCode::InvalidDateRange,
        ),
        (get("/api/v1/debug/internal", None), ErrorCode::ServerError),
        (get("/api/v1/debug/panic", None), ErrorCode::ServerError),
    ];
    for (request, expected) in cases {
        let sent = example.send(&request).await;
        sent.assert_error(expected);
        assert!(
            !sent.to_string().contains("db.internal"),
            "a cause leaked: {sent}"
        );
    }
    let hourly = example
        .send(&get(&format!("{STATS}&granularity=hour"), Some("ak_pro")))
        .await;
    assert_eq!(hourly.status, 200, "{hourly}");
}

/// The second event of a one-event quota: `LIMIT_EXCEEDED`, a day to wait.
pub async fn the_quota_runs_out_with_a_retry_after(example: &TestService) {
    let event = Req::bare("POST", "/api/v1/events")
        .header("authorization", "Bearer ak_demo")
        .header("content-type", "application/json")
        .sized(r#"{"site_id":"site_demo","name":"pageview"}"#);
    let first = example.send(&event).await;
    assert_eq!(first.status, 202, "{first}");
    let body = example
        .send(&event)
        .await
        .assert_error(ErrorCode::LimitExceeded);
    assert_eq!(body.retry_after, Some(86_400));
}
