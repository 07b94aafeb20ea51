//! The contract headers each code carries, decided once here for every adapter.

use attractos_errors::{ApiError, ErrorCode, HeaderText, RetryAfter, docs};

fn headers(err: &ApiError) -> Vec<(&'static str, String)> {
    err.headers()
        .map(|(name, value)| (name, value.to_string()))
        .collect()
}

#[test]
fn every_error_is_json_uncacheable_and_unsniffable() {
    for &code in ErrorCode::ALL {
        let got = headers(&docs::example(code));
        assert_eq!(
            got[..3],
            [
                ("content-type", "application/json".to_owned()),
                ("cache-control", "no-store".to_owned()),
                ("x-content-type-options", "nosniff".to_owned()),
            ],
            "{code}"
        );
    }
}

#[test]
fn retry_after_header_equals_the_body_seconds_on_429s_only() {
    for &code in ErrorCode::ALL {
        let err = docs::example(code);
        let header: Vec<HeaderText> = err
            .headers()
            .filter(|(n, _)| *n == "retry-after")
            .map(|(_, v)| v)
            .collect();
        match err.retry_after() {
            Some(wait) => assert_eq!(header, [HeaderText::Seconds(wait.as_secs())], "{code}"),
            None => assert!(header.is_empty(), "{code}"),
        }
    }
    let err = ApiError::limit_exceeded(RetryAfter::from_secs(86_400));
    assert!(headers(&err).contains(&("retry-after", "86400".to_owned())));
}

#[test]
fn a_401_carries_its_challenge() {
    assert!(
        headers(&ApiError::missing_key())
            .contains(&("www-authenticate", r#"Bearer realm="attractos""#.to_owned()))
    );
    for err in [ApiError::invalid_key(), ApiError::user_not_found()] {
        assert!(headers(&err).contains(&(
            "www-authenticate",
            r#"Bearer realm="attractos", error="invalid_token""#.to_owned()
        )));
    }
    assert!(
        headers(&ApiError::site_not_found())
            .iter()
            .all(|(n, _)| *n != "www-authenticate")
    );
}
