//! `rules::panic` and `rules::from_status`: failures from outside the handler's own logic.

use attractos_errors::{ErrorCode, rules};

#[test]
fn a_panic_is_a_server_error_whose_message_stays_internal() {
    let payload: Box<dyn std::any::Any + Send> = Box::new(format!("secret {}", 42));
    let err = rules::panic(&*payload);
    assert_eq!(err.code(), ErrorCode::ServerError);
    assert_eq!(err.message(), ErrorCode::ServerError.message());
    assert_eq!(
        err.cause().unwrap().to_string(),
        "handler panicked: secret 42"
    );

    let payload: Box<dyn std::any::Any + Send> = Box::new("static str");
    assert_eq!(
        rules::panic(&*payload).cause().unwrap().to_string(),
        "handler panicked: static str"
    );
    let payload: Box<dyn std::any::Any + Send> = Box::new(7_u8);
    assert!(
        rules::panic(&*payload)
            .cause()
            .unwrap()
            .to_string()
            .contains("non-string payload")
    );
}

#[test]
fn framework_statuses_map_into_the_catalogue() {
    let cases = [
        (400, ErrorCode::InvalidJson),
        (401, ErrorCode::InvalidKey),
        (404, ErrorCode::NotFound),
        (405, ErrorCode::MethodNotAllowed),
        (408, ErrorCode::ServerError),
        (413, ErrorCode::PayloadTooLarge),
        (415, ErrorCode::InvalidJson),
        (422, ErrorCode::InvalidJson),
        (429, ErrorCode::RateLimited),
        (500, ErrorCode::ServerError),
        (503, ErrorCode::ServerError),
    ];
    for (status, code) in cases {
        assert_eq!(rules::from_status(status, None).code(), code, "{status}");
    }
}

#[test]
fn a_foreign_429_keeps_its_retry_after() {
    let err = rules::from_status(429, Some(b" 17 "));
    assert_eq!(err.retry_after().map(|r| r.as_secs()), Some(17));
    assert_eq!(
        rules::from_status(429, Some(b"Wed, 21 Oct 2015 07:28:00 GMT"))
            .retry_after()
            .map(|r| r.as_secs()),
        Some(1)
    );
}

#[test]
fn a_foreign_server_error_logs_its_status() {
    let err = rules::from_status(504, None);
    assert_eq!(
        err.cause().unwrap().to_string(),
        "a layer answered 504 outside the error contract"
    );
}
