//! Generated request parts for properties: header bytes, `Authorization` values, path
//! segments, query strings and JSON-ish bodies, each mixing valid, near-valid and arbitrary
//! values.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::KEY;

/// Every byte `HeaderValue` accepts: tab, visible ASCII and space, obs-text.
pub fn header_byte() -> impl Strategy<Value = u8> {
    prop_oneof![Just(b'\t'), 0x20_u8..=0x7e, 0x80_u8..=0xff]
}

/// Any `Authorization` value: arbitrary bytes, `Bearer` and junk, the scheme in any case, the
/// service's key.
pub fn authorization() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(header_byte(), 0..48),
        vec(header_byte(), 0..48).prop_map(|key| [b"Bearer ".as_slice(), &key].concat()),
        "[Bb][Ee][Aa][Rr][Ee][Rr] {0,3}[ -~]{0,24}".prop_map(String::into_bytes),
        Just(format!("Bearer {KEY}").into_bytes()),
    ]
}

/// Percent-encodes everything but unreserved characters.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A path segment: encoded text, raw characters, the demo site, blanks, percent-encoded bytes.
pub fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| encode(&s)),
        "[A-Za-z0-9%._~!$&'()*+,;=:@-]{0,24}",
        Just("site_demo".to_owned()),
        "(%20|%09| ){1,3}".prop_map(|s| s.replace(' ', "%20")),
        vec(any::<u8>(), 0..8)
            .prop_map(|bytes| bytes.iter().map(|b| format!("%{b:02X}")).collect()),
    ]
}

/// A query string: arbitrary characters, date ranges, encoded text as a date.
pub fn query() -> impl Strategy<Value = String> {
    let day = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
    prop_oneof![
        "[A-Za-z0-9%&=+._~!$'()*,;:@/?-]{0,48}",
        (day, day).prop_map(|(start, end)| format!("start={start}&end={end}")),
        any::<String>().prop_map(|s| format!("start={}&end=2024-12-31", encode(&s))),
        Just("start=2024-01-01&end=2024-01-31".to_owned()),
    ]
}

/// A body: arbitrary bytes, near-events, JSON punctuation.
pub fn json_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..160),
        r#"\{"name":"[a-z]{0,8}","count":-?[0-9]{1,4}\}"#.prop_map(String::into_bytes),
        r#"[\{\}\[\]":,a-z0-9 ]{0,40}"#.prop_map(String::into_bytes),
    ]
}
