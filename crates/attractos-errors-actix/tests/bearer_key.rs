//! `BearerKey`: every way an `Authorization` header can be wrong, and the one way it is right.

mod common;

use actix_web::http::header::HeaderValue;
use attractos_errors::ErrorCode;
use attractos_errors::rules::MAX_KEY_LEN;
use common::{KEY, Sent, Stats, request, send_one};

const STATS: &str = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31";

async fn with_authorization(values: &[HeaderValue]) -> Sent {
    let mut builder = request("GET", STATS);
    for value in values {
        builder = builder.append_header(("authorization", value.clone()));
    }
    send_one(builder).await
}

async fn with(value: &str) -> Sent {
    with_authorization(&[HeaderValue::from_str(value).expect("a valid header value")]).await
}

#[actix_web::test]
async fn a_bearer_key_is_accepted_with_the_scheme_in_any_case() {
    for value in [
        format!("Bearer {KEY}"),
        format!("bearer {KEY}"),
        format!("BEARER  {KEY} "),
    ] {
        let sent = with(&value).await;
        assert_eq!(sent.status, 200, "{value}: {sent}");
        let stats: Stats = serde_json::from_slice(&sent.body).expect("the stats body");
        assert_eq!(stats.days, 31);
    }
}

#[actix_web::test]
async fn no_header_is_missing_key_with_a_plain_challenge() {
    let sent = with_authorization(&[]).await;
    sent.assert_error(ErrorCode::MissingKey);
    assert_eq!(
        sent.header("www-authenticate"),
        Some(r#"Bearer realm="attractos""#)
    );
}

#[actix_web::test]
async fn another_scheme_is_invalid_key() {
    let sent = with("Basic dXNlcjpwYXNz").await;
    sent.assert_error(ErrorCode::InvalidKey);
    assert!(sent.message().contains("Bearer scheme"), "{sent}");
    assert_eq!(
        sent.header("www-authenticate"),
        Some(r#"Bearer realm="attractos", error="invalid_token""#)
    );
}

#[actix_web::test]
async fn an_empty_key_is_invalid_key() {
    for value in ["Bearer", "Bearer ", "Bearer    ", ""] {
        let sent = with(value).await;
        sent.assert_error(ErrorCode::InvalidKey);
    }
    assert!(with("Bearer ").await.message().contains("no API key"));
}

#[actix_web::test]
async fn a_key_with_non_visible_ascii_is_invalid_key() {
    let values = [
        HeaderValue::from_bytes(b"Bearer ak_\xe9t\xe9").expect("obs-text is a valid header value"),
        HeaderValue::from_str("Bearer ak\tkey").expect("a tab is a valid header value"),
    ];
    for value in values {
        let sent = with_authorization(&[value]).await;
        sent.assert_error(ErrorCode::InvalidKey);
        assert!(sent.message().contains("visible ASCII"), "{sent}");
    }
}

#[actix_web::test]
async fn an_overlong_key_is_invalid_key() {
    let sent = with(&format!("Bearer {}", "k".repeat(MAX_KEY_LEN + 1))).await;
    sent.assert_error(ErrorCode::InvalidKey);
    assert!(sent.message().contains("keys are at most"), "{sent}");
}

#[actix_web::test]
async fn several_authorization_headers_are_invalid_key() {
    let key = HeaderValue::from_str(&format!("Bearer {KEY}")).expect("a valid header value");
    let sent = with_authorization(&[key.clone(), key]).await;
    sent.assert_error(ErrorCode::InvalidKey);
    assert!(sent.message().contains("exactly one"), "{sent}");
}

#[actix_web::test]
async fn a_well_formed_but_unknown_key_is_the_handlers_invalid_key() {
    let sent = with("Bearer ak_someone_else").await;
    sent.assert_error(ErrorCode::InvalidKey);
    assert_eq!(sent.message(), ErrorCode::InvalidKey.message());
}

#[actix_web::test]
async fn the_key_is_redacted_in_debug_output() {
    let key = attractos_errors_actix::BearerKey("ak_secret".to_owned());
    assert_eq!(format!("{key:?}"), "BearerKey(<redacted>)");
}
