//! What the adapters decide from a request's head alone: the `Content-Length` they believe, the
//! body limit it breaks, and which client request ids they echo.

use attractos_errors::rules::{self, DEFAULT_BODY_LIMIT, MAX_REQUEST_ID_LEN};
use attractos_errors::{Contract, ErrorCode};

fn announced(values: &[&str], limit: usize) -> Result<(), ErrorCode> {
    rules::announced_body(values.iter().map(|v| v.as_bytes()), limit).map_err(|err| err.code())
}

#[test]
fn one_numeric_content_length_is_believed() {
    let length = |values: &[&str]| rules::content_length(values.iter().map(|v| v.as_bytes()));
    assert_eq!(length(&["1000"]), Some(1000));
    assert_eq!(
        length(&[" 7 "]),
        Some(7),
        "optional whitespace around the value"
    );
    assert_eq!(length(&[]), None, "no header");
    assert_eq!(length(&["10", "10"]), None, "two values are not one length");
    assert_eq!(length(&["ten"]), None);
    assert_eq!(length(&["-1"]), None);
}

#[test]
fn a_body_announced_past_the_limit_is_refused_before_it_is_read() {
    assert_eq!(announced(&["64"], 64), Ok(()), "exactly the limit");
    assert_eq!(announced(&["65"], 64), Err(ErrorCode::PayloadTooLarge));
    assert_eq!(
        announced(&[&(DEFAULT_BODY_LIMIT + 1).to_string()], DEFAULT_BODY_LIMIT),
        Err(ErrorCode::PayloadTooLarge)
    );
    assert_eq!(
        announced(&["65", "65"], 64),
        Ok(()),
        "an ambiguous length is left to the body limit while reading"
    );
    assert_eq!(
        announced(&[], 64),
        Ok(()),
        "no length: the reading limit decides"
    );
}

#[test]
fn client_request_ids_up_to_8_kib_of_visible_ascii_are_echoed() {
    assert_eq!(MAX_REQUEST_ID_LEN, 8192);
    let contract = Contract::default();
    let longest = vec![b'a'; 8192];
    assert_eq!(&*contract.request_id(Some(&longest)), &longest[..]);
    let too_long = vec![b'a'; 8193];
    assert_eq!(
        contract.request_id(Some(&too_long)).len(),
        36,
        "replaced by a new UUID"
    );
    assert_eq!(
        contract.request_id(Some(b"req 1")).len(),
        36,
        "a space is not visible ASCII"
    );
    assert_eq!(contract.request_id(Some(b"")).len(), 36, "empty");
    assert_eq!(&*contract.request_id(Some(b"req-1")), b"req-1");
}
