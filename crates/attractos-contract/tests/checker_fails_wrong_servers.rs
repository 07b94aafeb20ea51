//! The checker can fail: services that break the contract in the usual ways get failures,
//! each with a reason that names the broken rule.

use attractos_contract::fixtures::Fixtures;
use attractos_contract::run::{self, Report, Suite};
use attractos_contract::target::{AxumTarget, HttpTarget};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

async fn check(router: Router, filter: &str) -> Report {
    let target = AxumTarget::new("wrong server", router);
    let suite = Suite::new(Fixtures::reference()).only(filter);
    run::run(&target, &suite, |_| {}).await
}

fn reasons(report: &Report, case: &str) -> String {
    let outcome = report
        .outcomes
        .iter()
        .find(|o| o.case == case)
        .unwrap_or_else(|| panic!("no case {case}"));
    assert!(
        outcome.verdict.is_fail(),
        "{case} should fail: {}",
        outcome.verdict
    );
    outcome.verdict.reasons().join("\n")
}

#[tokio::test]
async fn plain_axum_with_text_404s_fails_not_found() {
    // "not-found" also selects site-not-found-* and user-not-found.
    let report = check(Router::new(), "not-found").await;
    assert_eq!(report.summary(), "0 passed, 8 failed");
    let why = reasons(&report, "not-found");
    assert!(why.contains("no content-type header"), "{why}");
    assert!(why.contains("no x-request-id header"), "{why}");
    assert!(why.contains("the body is not JSON"), "{why}");
    assert!(
        why.contains("expected 404 NOT_FOUND, got 404 (not a JSON error)"),
        "{why}"
    );
}

#[tokio::test]
async fn plain_axum_fails_every_fixed_case() {
    let report = check(Router::new(), "").await;
    assert_eq!(
        report.passed,
        0,
        "{}",
        attractos_contract::report::table(&report)
    );
    assert_eq!(report.failed, report.outcomes.len());
}

/// An answer with every contract header right, so only its status and body can be wrong.
fn json_error(status: StatusCode, body: &'static str) -> impl IntoResponse {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::HeaderName::from_static("x-request-id"), "r-1"),
        ],
        body,
    )
}

async fn leaky_500() -> impl IntoResponse {
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"error":"connect failed: db-password=hunter2","code":"SERVER_ERROR"}"#,
    )
}

#[tokio::test]
async fn a_500_that_leaks_its_cause_fails_server_error() {
    let router = Router::new().route("/api/v1/sites/{siteId}/stats", get(leaky_500));
    let report = check(router, "server-error").await;
    let why = reasons(&report, "server-error");
    assert!(
        why.contains("must say only the catalogue's message"),
        "{why}"
    );
    assert!(
        why.contains("hunter2"),
        "the reason quotes what leaked: {why}"
    );
}

#[tokio::test]
async fn a_forbidden_string_fails_wherever_it_appears() {
    let router = Router::new().route("/api/v1/sites/{siteId}/stats", get(leaky_500));
    let target = AxumTarget::new("leaky", router);
    let suite = Suite::new(Fixtures::reference())
        .only("server-error")
        .forbid("hunter2");
    let report = run::run(&target, &suite, |_| {}).await;
    let why = reasons(&report, "server-error");
    assert!(
        why.contains("the body contains the forbidden text \"hunter2\""),
        "{why}"
    );
}

async fn limited_without_header() -> impl IntoResponse {
    json_error(
        StatusCode::TOO_MANY_REQUESTS,
        r#"{"error":"slow down","code":"RATE_LIMITED","retry_after":3}"#,
    )
}

#[tokio::test]
async fn a_429_without_retry_after_header_fails() {
    let router = Router::new().route("/api/v1/sites", get(limited_without_header));
    let report = check(router, "rate-limited").await;
    let why = reasons(&report, "rate-limited");
    assert_eq!(why, "a 429 needs a Retry-After header");
}

#[test]
fn an_unreachable_service_fails_with_no_response() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    drop(listener); // nothing listens there any more
    let target = HttpTarget::new(&url).expect("a valid URL");
    let suite = Suite::new(Fixtures::reference()).only("missing-key");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let report = runtime.block_on(run::run(&target, &suite, |_| {}));
    assert_eq!(report.summary(), "0 passed, 2 failed");
    assert_eq!(report.outcomes[0].got, "no response");
}
