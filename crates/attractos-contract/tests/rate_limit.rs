//! With a tiny per-key limit, a burst is answered RATE_LIMITED with a Retry-After header equal
//! to the body's retry_after, on both frameworks, over HTTP.

use std::net::TcpListener;
use std::num::NonZeroU32;

use attractos_contract::fixtures::Fixtures;
use attractos_contract::judge::Response;
use attractos_contract::run::{self, Suite};
use attractos_contract::target::{HttpTarget, Target};
use attractos_errors::ErrorBody;
use attractos_reference::{Framework, Options, serve};

fn burst_until_limited(framework: Framework) -> (Response, usize) {
    let options = Options::default().rate_limit(NonZeroU32::new(2).expect("non-zero"));
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let server = serve(framework, listener, options).expect("the server starts");
    let target = HttpTarget::new(&server.url()).expect("a valid URL");
    let case = attractos_contract::case::fixed()
        .into_iter()
        .find(|c| c.name == "sites-ok")
        .expect("the sites case");
    let request = case
        .request
        .build(&Fixtures::reference(), 64 * 1024)
        .expect("fixtures");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let result = runtime.block_on(async {
        for sent in 1..=20 {
            let response = target.send(&request).await.expect("a response");
            if response.status == 429 {
                return (response, sent);
            }
            assert_eq!(response.status, 200, "request {sent} before the limit");
        }
        panic!("20 requests at a limit of 2/s were never limited");
    });
    // Close the client's keep-alive connections, so the graceful stop is immediate.
    drop(target);
    drop(runtime);
    server.stop().expect("a clean stop");
    result
}

fn assert_limited(framework: Framework) {
    let (response, sent) = burst_until_limited(framework);
    assert!(
        sent >= 3,
        "{framework}: the burst of 2 passes first, limited at request {sent}"
    );
    let body = ErrorBody::from_slice(&response.body).expect("a contract body");
    assert_eq!(body.code.as_str(), "RATE_LIMITED");
    let seconds = body.retry_after.expect("retry_after on a 429");
    assert!(seconds >= 1, "whole seconds, at least 1");
    let header = response
        .header("retry-after")
        .expect("a Retry-After header");
    assert_eq!(
        std::str::from_utf8(header).expect("ASCII"),
        seconds.to_string(),
        "{framework}: Retry-After matches the body"
    );
}

#[test]
fn axum_limits_a_burst() {
    assert_limited(Framework::Axum);
}

#[test]
fn actix_limits_a_burst() {
    assert_limited(Framework::Actix);
}

#[test]
fn the_rate_limited_case_passes_with_a_small_burst_at_a_tiny_limit() {
    let options = Options::default().rate_limit(NonZeroU32::new(1).expect("non-zero"));
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let server = serve(Framework::Axum, listener, options).expect("the server starts");
    let target = HttpTarget::new(&server.url()).expect("a valid URL");
    let suite = Suite::new(Fixtures::reference())
        .only("rate-limited")
        .with_burst(3);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let report = runtime.block_on(run::run(&target, &suite, |_| {}));
    assert_eq!(
        report.summary(),
        "1 passed, 0 failed",
        "{}",
        attractos_contract::report::table(&report)
    );
    // Close the client's keep-alive connections, so the graceful stop is immediate.
    drop(target);
    drop(runtime);
    server.stop().expect("a clean stop");
}
