//! The whole suite, fixed cases and generated ones, passes against the reference server: over
//! HTTP with each framework, and in-process through each framework's test harness.

use std::net::TcpListener;

use attractos_contract::fixtures::Fixtures;
use attractos_contract::run::{self, Report, Suite};
use attractos_contract::target::{ActixTarget, AxumTarget, HttpTarget};
use attractos_reference::{AppState, Framework, Options, actix_app, axum_app, serve};

/// Fixed cases, 150 generated ones, and the reference fixtures' secret forbidden everywhere.
fn suite() -> Suite {
    Suite::new(Fixtures::reference())
        .with_fuzz(150, 20_240_115)
        .forbid("hunter2")
}

fn assert_all_pass(report: &Report) {
    let failures: Vec<String> = report
        .failures()
        .map(|o| format!("{} ({}): {}", o.case, o.request, o.verdict))
        .collect();
    assert!(
        failures.is_empty(),
        "{}:\n{}",
        report.target,
        failures.join("\n")
    );
    assert_eq!(report.skipped, 0, "the reference fixtures cover every case");
    assert_eq!(report.passed, suite().cases.len());
}

fn check_over_http(framework: Framework) -> Report {
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let server = serve(framework, listener, Options::default()).expect("the server starts");
    let target = HttpTarget::named(framework.as_str(), &server.url()).expect("a valid URL");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let report = runtime.block_on(run::run(&target, &suite(), |_| {}));
    // Close the client's keep-alive connections, so the graceful stop is immediate.
    drop(target);
    drop(runtime);
    server.stop().expect("a clean stop");
    report
}

#[test]
fn axum_over_http_passes_every_case() {
    assert_all_pass(&check_over_http(Framework::Axum));
}

#[test]
fn actix_over_http_passes_every_case() {
    assert_all_pass(&check_over_http(Framework::Actix));
}

#[tokio::test]
async fn axum_in_process_passes_every_case() {
    let router = axum_app::router(AppState::new(Options::default()));
    let target = AxumTarget::new("axum in-process", router);
    assert_all_pass(&run::run(&target, &suite(), |_| {}).await);
}

#[actix_web::test]
async fn actix_in_process_passes_every_case() {
    let app = actix_app::app(AppState::new(Options::default()));
    let target = ActixTarget::new("actix in-process", app).await;
    assert_all_pass(&run::run(&target, &suite(), |_| {}).await);
}

#[test]
fn every_code_of_the_catalogue_is_produced_on_purpose() {
    let report = check_over_http(Framework::Axum);
    let produced: std::collections::BTreeSet<String> = report
        .outcomes
        .iter()
        .filter(|o| !o.case.starts_with("fuzz-"))
        .filter_map(|o| o.response.as_ref().and_then(|r| r.code()))
        .collect();
    for code in attractos_errors::ErrorCode::ALL {
        assert!(
            produced.contains(code.as_str()),
            "no fixed case produced {code}; produced: {produced:?}"
        );
    }
}
