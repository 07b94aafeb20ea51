//! The soak, short: both reference servers, with panicking and failing handlers in the flood,
//! keep the contract on every answer, answer the suite correctly afterwards and stay within a
//! memory bound; a server that breaks the contract fails the soak.
//!
//! The memory figure here is the whole test process (both servers, the client, the other test
//! of this file, a debug build), so the bound is a runaway-leak guard only; the release soak
//! (`attractos-contract soak`) checks the real 64 MiB bound on a server of its own.

use std::net::TcpListener;
use std::time::Duration;

use attractos_contract::fixtures::Fixtures;
use attractos_contract::soak::{self, SoakConfig};
use attractos_contract::target::HttpTarget;
use attractos_reference::domain::DEBUG_FAULT_SECRET;
use attractos_reference::{Framework, Options, serve};

const RATE_LIMIT: u32 = 100;

fn config() -> SoakConfig {
    SoakConfig::new(Duration::from_millis(1500))
        .with_concurrency(8)
        .with_rate_limit(RATE_LIMIT)
        .with_fuzz(200, 3)
        .with_faults(true)
        .forbid("hunter2")
        .forbid(DEBUG_FAULT_SECRET)
        .with_max_rss_growth(512 << 20)
        .with_slow_clients(4, SLOW_TIMEOUT * 4)
}

/// The servers' head and body timeouts, short so that slow clients finish inside the soak.
const SLOW_TIMEOUT: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_of_both_reference_servers_keeps_the_contract() {
    attractos_reference::domain::quiet_injected_panics();
    // Thousands of made-up keys from one address on purpose: the failed-key throttle (tested
    // on its own) is out of the way.
    let options = Options::default()
        .rate_limit(RATE_LIMIT.try_into().expect("not zero"))
        .auth_failure_limit(std::num::NonZeroU32::MAX)
        .head_timeout(SLOW_TIMEOUT)
        .body_timeout(SLOW_TIMEOUT)
        .debug_routes(true);
    for framework in Framework::ALL {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let server = serve(framework, listener, options.clone()).expect("the server starts");
        let target = HttpTarget::named(framework.as_str(), &server.url()).expect("a URL");
        let report = soak::soak(&target, Fixtures::reference(), &config()).await;
        println!("{}", report.render());
        assert!(report.ok(), "{}", report.render());
        assert!(report.requests > 0, "the flood sent requests");
        let count = |code: &str| report.by_code.get(code).copied().unwrap_or(0);
        assert!(
            count("500 SERVER_ERROR") > 0,
            "injected faults were answered: {:?}",
            report.by_code
        );
        assert!(
            count("200") > 0,
            "good requests succeeded: {:?}",
            report.by_code
        );
        assert!(
            report.slow.opened >= 4 && report.slow.held == 0,
            "slow clients ran, and the server let go of each of their connections: {:?}",
            report.slow
        );
        assert!(
            report.after.passed > 30,
            "the suite ran after the flood: {}",
            report.after.summary()
        );
        drop(target);
        server.stop().expect("a clean stop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_outside_the_contract_fails_the_soak() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let server = tokio::spawn(async move { axum::serve(listener, axum::Router::new()).await });
    let target = HttpTarget::new(&url).expect("a URL");
    let config = SoakConfig::new(Duration::from_millis(300)).with_concurrency(2);
    let report = soak::soak(&target, Fixtures::reference(), &config).await;
    server.abort();
    assert!(!report.ok(), "{}", report.render());
    assert!(
        // A plain axum server may close a connection under a request (the adapter's fix for
        // that is what it lacks), so a request either got a refused answer or none.
        report.non_contract > 0 && report.non_contract + report.no_response == report.requests,
        "every plain-text 404 is refused: {}",
        report.render()
    );
    assert!(!report.after.ok(), "the suite fails too");
}

#[test]
fn rss_is_read_on_linux() {
    if cfg!(target_os = "linux") {
        let rss = soak::rss_bytes().expect("/proc/self/status has VmRSS");
        assert!(rss > 1 << 20, "a test process uses more than 1 MiB: {rss}");
    }
}
