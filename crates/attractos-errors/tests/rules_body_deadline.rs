//! `rules::body_timed_out` and `BodyTimeout`: a body that does not arrive in time is
//! `INVALID_JSON` naming the deadline, and adapters find the timeout under any wrapping.

use std::time::Duration;

use attractos_errors::{ErrorCode, rules};

fn message(deadline: Duration) -> String {
    let err = rules::body_timed_out(deadline);
    assert_eq!(err.code(), ErrorCode::InvalidJson);
    err.message().to_owned()
}

#[test]
fn the_message_names_the_deadline_in_seconds_without_trailing_zeros() {
    assert_eq!(
        message(rules::DEFAULT_BODY_TIMEOUT),
        "The request body could not be read completely within the 15-second deadline."
    );
    assert_eq!(
        message(Duration::from_secs(10)),
        "The request body could not be read completely within the 10-second deadline."
    );
    assert_eq!(
        message(Duration::from_millis(2500)),
        "The request body could not be read completely within the 2.5-second deadline."
    );
    assert_eq!(
        message(Duration::from_millis(250)),
        "The request body could not be read completely within the 0.25-second deadline."
    );
}

/// A layer's error around whatever failed below it.
#[derive(Debug, thiserror::Error)]
#[error("reading the body failed")]
struct ReadFailed(#[source] Box<dyn std::error::Error + Send + Sync>);

fn wrapped(inner: impl std::error::Error + Send + Sync + 'static) -> ReadFailed {
    ReadFailed(Box::new(inner))
}

#[test]
fn a_body_timeout_is_found_however_deep_it_is_wrapped() {
    let timeout = rules::BodyTimeout(Duration::from_secs(15));
    assert_eq!(rules::BodyTimeout::find(&timeout), Some(timeout));
    assert_eq!(rules::BodyTimeout::find(&wrapped(timeout)), Some(timeout));
    assert_eq!(
        rules::BodyTimeout::find(&wrapped(wrapped(timeout))),
        Some(timeout)
    );
    let reset = wrapped(wrapped(std::io::Error::other("connection reset")));
    assert_eq!(rules::BodyTimeout::find(&reset), None);
}
