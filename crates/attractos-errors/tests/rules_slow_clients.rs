//! Slow clients: a body past its deadline is `INVALID_JSON` naming the deadline, found through
//! any error chain; servers cap connections below the open-file limit.

use std::time::Duration;

use attractos_errors::rules::{self, BodyTimeout};
use attractos_errors::{ErrorCode, serving};

#[test]
fn a_body_past_its_deadline_is_invalid_json_naming_the_deadline() {
    let message = |deadline| {
        let err = rules::body_timed_out(deadline);
        assert_eq!(err.code(), ErrorCode::InvalidJson);
        err.message().to_owned()
    };
    assert_eq!(
        message(rules::DEFAULT_BODY_TIMEOUT),
        "The request body could not be read completely within the 15-second deadline."
    );
    assert_eq!(
        message(Duration::from_millis(250)),
        "The request body could not be read completely within the 0.25-second deadline."
    );
    assert!(rules::DEFAULT_BODY_TIMEOUT <= Duration::from_secs(15));
    assert!(serving::DEFAULT_HEAD_TIMEOUT <= Duration::from_secs(10));
}

#[test]
fn a_body_timeout_is_found_anywhere_in_an_error_chain() {
    let deadline = BodyTimeout(Duration::from_secs(3));
    let wrapped = std::io::Error::new(std::io::ErrorKind::TimedOut, deadline);
    let outer = Outer(wrapped);
    assert_eq!(BodyTimeout::find(&outer), Some(deadline));
    let other = std::io::Error::other("connection reset");
    assert_eq!(BodyTimeout::find(&other), None);
}

#[derive(Debug, thiserror::Error)]
#[error("reading the body failed")]
struct Outer(#[source] std::io::Error);

#[test]
fn connections_are_capped_at_three_quarters_of_the_open_file_limit() {
    assert_eq!(serving::max_connections_for(Some(1024)), 768);
    assert_eq!(serving::max_connections_for(Some(256)), 192);
    assert_eq!(serving::max_connections_for(Some(1)), 1, "never zero");
    assert_eq!(
        serving::max_connections_for(None),
        serving::DEFAULT_MAX_CONNECTIONS
    );
}

#[test]
#[cfg(target_os = "linux")]
fn the_open_file_limit_is_the_soft_limit_the_shell_reports() {
    // A child shell inherits this process's limits; `ulimit -n` prints the soft one.
    let shell = std::process::Command::new("sh")
        .args(["-c", "ulimit -n"])
        .output()
        .expect("running sh");
    let shown = String::from_utf8(shell.stdout).expect("ASCII");
    let expected = shown.trim().parse::<u64>().ok(); // "unlimited" is no limit
    assert_eq!(serving::open_file_limit(), expected, "ulimit -n: {shown}");
}
