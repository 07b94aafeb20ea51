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

/// Runs `check` over HTTP against the reference server of `framework`, which lets each key
/// send `per_second` requests a second, then stops the server.
fn on_limited_server<T, F>(
    framework: Framework,
    per_second: u32,
    check: impl FnOnce(HttpTarget) -> F,
) -> T
where
    F: Future<Output = T>,
{
    let options = Options::default().rate_limit(NonZeroU32::new(per_second).expect("non-zero"));
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let server = serve(framework, listener, options).expect("the server starts");
    let target = HttpTarget::new(&server.url()).expect("a valid URL");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // `check` owns the target: its keep-alive connections close with it and the runtime, so
    // the graceful stop is immediate.
    let result = runtime.block_on(check(target));
    drop(runtime);
    server.stop().expect("a clean stop");
    result
}

fn burst_until_limited(framework: Framework) -> (Response, usize) {
    let case = attractos_contract::case::fixed()
        .into_iter()
        .find(|c| c.name == "sites-ok")
        .expect("the sites case");
    let request = case
        .request
        .build(&Fixtures::reference(), 64 * 1024)
        .expect("fixtures");
    on_limited_server(framework, 2, async |target| {
        for sent in 1..=20 {
            let response = target.send(&request).await.expect("a response");
            if response.status == 429 {
                return (response, sent);
            }
            assert_eq!(
                response.status, 200,
                "{framework}: request {sent} before the limit"
            );
        }
        panic!("{framework}: 20 requests at a limit of 2/s were never limited");
    })
}

#[test]
fn a_burst_is_rate_limited_with_retry_after_in_body_and_header_on_both_frameworks() {
    for framework in Framework::ALL {
        let (response, sent) = burst_until_limited(framework);
        assert!(
            sent >= 3,
            "{framework}: the burst of 2 passes first, limited at request {sent}"
        );
        let body = ErrorBody::from_slice(&response.body).expect("a contract body");
        assert_eq!(body.code.as_str(), "RATE_LIMITED", "{framework}");
        let seconds = body.retry_after.expect("retry_after on a 429");
        assert!(seconds >= 1, "{framework}: whole seconds, at least 1");
        let header = response
            .header("retry-after")
            .expect("a Retry-After header");
        assert_eq!(
            std::str::from_utf8(header).expect("ASCII"),
            seconds.to_string(),
            "{framework}: Retry-After matches the body"
        );
    }
}

#[test]
fn the_rate_limited_case_passes_with_a_small_burst_at_a_tiny_limit() {
    let suite = Suite::new(Fixtures::reference())
        .only("rate-limited")
        .with_burst(3);
    let report = on_limited_server(Framework::Axum, 1, async |target| {
        run::run(&target, &suite, |_| {}).await
    });
    assert_eq!(
        report.summary(),
        "1 passed, 0 failed",
        "{}",
        attractos_contract::report::table(&report)
    );
}
