//! `rules::bearer_key`: what an Authorization header may look like.

use attractos_errors::{ErrorCode, rules};

fn key(values: &[&[u8]]) -> Result<String, (ErrorCode, String)> {
    rules::bearer_key(values.iter().copied())
        .map(str::to_owned)
        .map_err(|e| (e.code(), e.message().to_owned()))
}

fn invalid(values: &[&[u8]]) -> String {
    match key(values) {
        Err((ErrorCode::InvalidKey, message)) => message,
        other => panic!("expected INVALID_KEY for {values:?}, got {other:?}"),
    }
}

#[test]
fn a_bearer_key_is_accepted_whatever_the_scheme_case() {
    assert_eq!(key(&[b"Bearer ak_demo_free"]), Ok("ak_demo_free".into()));
    assert_eq!(key(&[b"bearer ak_demo_free"]), Ok("ak_demo_free".into()));
    assert_eq!(
        key(&[b"BEARER   ak_demo_free  "]),
        Ok("ak_demo_free".into())
    );
}

#[test]
fn no_header_is_missing_key_with_the_catalogue_message() {
    assert_eq!(
        key(&[]),
        Err((
            ErrorCode::MissingKey,
            ErrorCode::MissingKey.message().into()
        ))
    );
}

#[test]
fn another_scheme_is_invalid_key_naming_bearer() {
    assert!(invalid(&[b"Basic dXNlcjpwYXNz"]).contains("must use the Bearer scheme"));
    assert!(invalid(&[b"ak_demo_free"]).contains("must use the Bearer scheme"));
    assert!(invalid(&[b"Bearer\tak_demo_free"]).contains("must use the Bearer scheme"));
    assert!(invalid(&[b""]).contains("must use the Bearer scheme"));
}

#[test]
fn bearer_without_a_key_is_invalid_key() {
    assert!(invalid(&[b"Bearer"]).contains("no API key"));
    assert!(invalid(&[b"Bearer    "]).contains("no API key"));
}

#[test]
fn keys_with_invisible_or_non_ascii_bytes_are_invalid() {
    for value in [
        &b"Bearer ak\tdemo"[..],
        b"Bearer ak demo",
        b"Bearer \xff\xfe",
        b"Bearer caf\xc3\xa9",
    ] {
        assert!(invalid(&[value]).contains("visible ASCII"), "{value:?}");
    }
}

#[test]
fn oversized_keys_are_invalid() {
    let long = format!("Bearer {}", "k".repeat(8 * 1024));
    assert!(invalid(&[long.as_bytes()]).contains("at most 512"));
}

#[test]
fn a_key_of_exactly_max_key_len_is_accepted_and_one_byte_more_is_not() {
    assert_eq!(rules::MAX_KEY_LEN, 512);
    let longest = "k".repeat(rules::MAX_KEY_LEN);
    assert_eq!(
        key(&[format!("Bearer {longest}").as_bytes()]),
        Ok(longest.clone())
    );
    // The spaces around the key are not part of it.
    assert_eq!(
        key(&[format!("Bearer   {longest}   ").as_bytes()]),
        Ok(longest.clone())
    );
    assert_eq!(
        invalid(&[format!("Bearer {longest}k").as_bytes()]),
        "The API key is 513 bytes long; keys are at most 512."
    );
}

#[test]
fn several_authorization_headers_are_invalid() {
    assert!(invalid(&[b"Bearer a", b"Bearer a"]).contains("exactly one Authorization header"));
}
