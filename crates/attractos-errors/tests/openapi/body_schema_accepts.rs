//! Every body a server sends validates against the `ErrorBody` schema.

use attractos_errors::{ErrorCode, docs};

use super::support::{body_validator, error, failure, wire};

#[test]
fn every_code_with_its_catalogue_message_is_valid() {
    let validator = body_validator();
    for &code in ErrorCode::ALL {
        let body = wire(&docs::example(code));
        assert_eq!(failure(&validator, &body), None, "{code}: {body}");
    }
}

#[test]
fn every_code_with_a_specific_message_is_valid() {
    let validator = body_validator();
    let messages = [
        "",
        "start: '2024-13-01' is not a date",
        "quotes \" and backslashes \\ and\ncontrol characters \u{0}",
        "non-ASCII: é 🦀",
    ];
    for &code in ErrorCode::ALL {
        for message in messages {
            let body = wire(&error(code, 30).with_message(message));
            assert_eq!(failure(&validator, &body), None, "{code}: {body}");
        }
    }
}

#[test]
fn the_429_codes_are_valid_with_any_retry_after_a_server_can_send() {
    let validator = body_validator();
    let throttled = ErrorCode::ALL.iter().filter(|c| c.carries_retry_after());
    for &code in throttled {
        for secs in [0, 1, 30, 86_400, u32::MAX] {
            let body = wire(&error(code, secs));
            assert!(body["retry_after"].as_u64().is_some(), "{code}: {body}");
            assert_eq!(failure(&validator, &body), None, "{code}: {body}");
        }
    }
}
