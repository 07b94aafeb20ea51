//! Cases that need a key or site the run does not have are skipped, and the verdict names the
//! flag and environment variable that would supply it.

use attractos_contract::case::{Body, RequestSpec};
use attractos_contract::fixtures::{Fixture, Fixtures, KeyRef, SiteRef};
use attractos_contract::judge::Verdict;
use attractos_contract::run::{self, Suite};
use attractos_contract::target::AxumTarget;
use attractos_reference::{AppState, Options, axum_app};

#[tokio::test]
async fn without_fixtures_only_the_cases_needing_none_run() {
    let router = axum_app::router(AppState::new(Options::default()));
    let target = AxumTarget::new("axum", router);
    let report = run::run(&target, &Suite::new(Fixtures::default()), |_| {}).await;
    assert_eq!(
        report.failed,
        0,
        "{}",
        attractos_contract::report::table(&report)
    );
    let ran: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict.is_pass())
        .map(|o| o.case.as_str())
        .collect();
    assert_eq!(
        ran,
        [
            "missing-key",
            "missing-key-request-id-echo",
            "invalid-key-unknown",
            "invalid-key-scheme",
            "invalid-key-empty",
            "not-found",
        ]
    );
    let skip = report
        .outcomes
        .iter()
        .find(|o| o.case == "user-not-found")
        .expect("the case exists");
    assert_eq!(
        skip.verdict,
        Verdict::Skip {
            reason: "needs key-orphan (--key-orphan or ATTRACTOS_KEY_ORPHAN)".to_owned()
        }
    );
    assert!(
        report.summary().ends_with("skipped"),
        "{}",
        report.summary()
    );
}

#[test]
fn a_request_names_every_fixture_it_needs() {
    let spec = RequestSpec::get("/api/v1/sites/{site}/stats")
        .key(KeyRef::Pro)
        .site(SiteRef::Broken);
    assert_eq!(
        spec.needs(),
        [Fixture::Key(KeyRef::Pro), Fixture::Site(SiteRef::Broken)]
    );
    let unknown = RequestSpec::get("/api/v1/sites/{site}/stats").site(SiteRef::Unknown);
    assert!(
        unknown.needs().is_empty(),
        "the unknown site needs no fixture"
    );
}

#[test]
fn site_placeholders_are_filled_in_path_and_body() {
    let fixtures = Fixtures::default()
        .with_key(KeyRef::Free, "k1")
        .with_site(SiteRef::Free, "s1");
    let request = RequestSpec::get("/x/{site}/y")
        .key(KeyRef::Free)
        .site(SiteRef::Free)
        .body(Body::Text(r#"{"site_id":"{site}"}"#.to_owned()))
        .build(&fixtures, 10)
        .expect("all fixtures present");
    assert_eq!(request.target, "/x/s1/y");
    assert_eq!(&request.body[..], br#"{"site_id":"s1"}"#);
    assert_eq!(
        request.header("authorization").map(|v| v.as_bytes()),
        Some(&b"Bearer k1"[..])
    );
}

#[test]
fn the_over_limit_body_is_one_byte_over_and_well_formed() {
    for limit in [10, 1024, 64 * 1024] {
        let fixtures = Fixtures::reference();
        let request = RequestSpec::get("/")
            .site(SiteRef::Free)
            .body(Body::OverLimit)
            .build(&fixtures, limit)
            .expect("fixtures");
        if limit > 100 {
            assert_eq!(request.body.len(), limit + 1);
            let value: serde_json::Value =
                serde_json::from_slice(&request.body).expect("still JSON");
            assert_eq!(value["site_id"], "site_demo");
        } else {
            assert!(request.body.len() > limit, "never under the limit");
        }
    }
}
