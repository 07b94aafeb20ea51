//! `BearerKey`: every way an `Authorization` header can be wrong, and the one way it is right.

use attractos_errors::ErrorCode;
use attractos_errors::rules::MAX_KEY_LEN;

use crate::service::Stats;
use crate::{Framework, KEY, Req, Response};

const STATS: &str = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31";

async fn with_authorization(framework: Framework, values: &[&[u8]]) -> Response {
    let request = values.iter().fold(Req::get(STATS), |req, value| {
        req.header("authorization", value)
    });
    framework.send(request).await
}

async fn with(framework: Framework, value: &str) -> Response {
    with_authorization(framework, &[value.as_bytes()]).await
}

/// `Bearer`, `bearer`, `BEARER` with extra spaces: all the key.
pub async fn a_bearer_key_is_accepted_with_the_scheme_in_any_case(framework: Framework) {
    for value in [
        format!("Bearer {KEY}"),
        format!("bearer {KEY}"),
        format!("BEARER  {KEY} "),
    ] {
        let sent = with(framework, &value).await;
        assert_eq!(sent.status, 200, "{value}: {sent}");
        let stats: Stats = serde_json::from_slice(&sent.body).expect("the stats body");
        assert_eq!(stats.days, 31);
    }
}

/// No header: `MISSING_KEY` with a challenge without an error.
pub async fn no_header_is_missing_key_with_a_plain_challenge(framework: Framework) {
    let sent = with_authorization(framework, &[]).await;
    sent.assert_error(ErrorCode::MissingKey);
    assert_eq!(
        sent.header_str("www-authenticate"),
        Some(r#"Bearer realm="attractos""#)
    );
}

/// Another scheme: `INVALID_KEY` saying so, with `error="invalid_token"`.
pub async fn another_scheme_is_invalid_key(framework: Framework) {
    let sent = with(framework, "Basic dXNlcjpwYXNz").await;
    let body = sent.assert_error(ErrorCode::InvalidKey);
    assert!(body.error.contains("Bearer scheme"), "{sent}");
    assert_eq!(
        sent.header_str("www-authenticate"),
        Some(r#"Bearer realm="attractos", error="invalid_token""#)
    );
}

/// The scheme without a key, or nothing at all.
pub async fn an_empty_key_is_invalid_key(framework: Framework) {
    for value in ["Bearer", "Bearer ", "Bearer    ", ""] {
        with(framework, value)
            .await
            .assert_error(ErrorCode::InvalidKey);
    }
    let body = with(framework, "Bearer ")
        .await
        .assert_error(ErrorCode::InvalidKey);
    assert!(body.error.contains("no API key"), "{}", body.error);
}

/// obs-text or a tab in the key.
pub async fn a_key_with_non_visible_ascii_is_invalid_key(framework: Framework) {
    for value in [&b"Bearer ak_\xe9t\xe9"[..], b"Bearer ak\tkey"] {
        let sent = with_authorization(framework, &[value]).await;
        let body = sent.assert_error(ErrorCode::InvalidKey);
        assert!(body.error.contains("visible ASCII"), "{sent}");
    }
}

/// A key one byte over the longest accepted.
pub async fn an_overlong_key_is_invalid_key(framework: Framework) {
    let sent = with(
        framework,
        &format!("Bearer {}", "k".repeat(MAX_KEY_LEN + 1)),
    )
    .await;
    let body = sent.assert_error(ErrorCode::InvalidKey);
    assert!(body.error.contains("keys are at most"), "{sent}");
}

/// Two `Authorization` headers, even equal ones.
pub async fn several_authorization_headers_are_invalid_key(framework: Framework) {
    let key = format!("Bearer {KEY}");
    let sent = with_authorization(framework, &[key.as_bytes(), key.as_bytes()]).await;
    let body = sent.assert_error(ErrorCode::InvalidKey);
    assert!(body.error.contains("exactly one"), "{sent}");
}

/// A well-formed key the handler does not know: its own `INVALID_KEY`, catalogue message.
pub async fn a_well_formed_but_unknown_key_is_the_handlers_invalid_key(framework: Framework) {
    with(framework, "Bearer ak_someone_else")
        .await
        .assert_error_message(ErrorCode::InvalidKey);
}
