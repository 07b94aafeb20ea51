//! The reference server's broken site fails with `db-password=hunter2` inside; no response to
//! any case, fixed or generated, carries that text in a header or the body, on either framework.

use attractos_contract::case::Case;
use attractos_contract::fixtures::Fixtures;
use attractos_contract::judge::Response;
use attractos_contract::target::{ActixTarget, AxumTarget, Target};
use attractos_contract::{case, fuzz};
use attractos_errors::rules::DEFAULT_BODY_LIMIT;
use attractos_reference::{AppState, Options, actix_app, axum_app};

const SECRET: &[u8] = b"hunter2";

fn cases() -> Vec<Case> {
    let mut cases = case::fixed_with_burst(30);
    cases.extend(fuzz::cases(99, 120));
    cases
}

fn leaks(response: &Response) -> Vec<String> {
    let has = |bytes: &[u8]| bytes.windows(SECRET.len()).any(|w| w == SECRET);
    let mut found: Vec<String> = response
        .headers
        .iter()
        .filter(|(name, value)| has(name.as_bytes()) || has(value))
        .map(|(name, _)| format!("header {name}"))
        .collect();
    if has(&response.body) {
        found.push("body".to_owned());
    }
    found
}

async fn assert_no_leak<T: Target>(target: &T) {
    let fixtures = Fixtures::reference();
    let mut server_errors = 0;
    for case in cases() {
        let request = case
            .request
            .build(&fixtures, DEFAULT_BODY_LIMIT)
            .expect("the reference fixtures cover every case");
        let response = target.send(&request).await.expect("a response");
        if response.status == 500 {
            server_errors += 1;
        }
        let found = leaks(&response);
        assert!(
            found.is_empty(),
            "{}: {} leaks the secret in {found:?}",
            target.name(),
            case.name
        );
    }
    assert!(server_errors >= 1, "the broken site was read at least once");
}

#[tokio::test]
async fn axum_never_sends_the_secret() {
    let router = axum_app::router(AppState::new(Options::default()));
    assert_no_leak(&AxumTarget::new("axum", router)).await;
}

#[actix_web::test]
async fn actix_never_sends_the_secret() {
    let app = actix_app::app(AppState::new(Options::default()));
    assert_no_leak(&ActixTarget::new("actix", app).await).await;
}
