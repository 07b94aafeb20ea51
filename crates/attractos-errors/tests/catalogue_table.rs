//! The table tests itself: every string form round-trips, statuses agree with categories.
//! (Unique UPPER_SNAKE names, fourteen codes and `ALL` in declaration order are `const`
//! assertions beside the table: a table breaking them does not compile.)

use attractos_errors::{Category, ErrorCode};

#[test]
fn from_str_display_and_serde_use_the_wire_name() {
    for &code in ErrorCode::ALL {
        assert_eq!(code.to_string(), code.as_str());
        assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{}\"", code.as_str()));
        assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
    }
    assert!(
        "invalid_key".parse::<ErrorCode>().is_err(),
        "names are case-sensitive"
    );
    let err = serde_json::from_str::<ErrorCode>("\"NOPE\"").unwrap_err();
    assert!(
        err.to_string().contains("unknown error code `NOPE`"),
        "{err}"
    );
}

#[test]
fn the_status_follows_the_category() {
    for &code in ErrorCode::ALL {
        let status = code.status().as_u16();
        let allowed: &[u16] = match code.category() {
            Category::Authentication => &[401],
            Category::Authorization => &[403],
            Category::Request => &[400],
            Category::RateLimit => &[429],
            Category::Server => &[500],
            Category::Protocol => &[404, 405, 413],
            other => panic!("{code}: category {other:?} has no statuses in this test yet"),
        };
        assert!(allowed.contains(&status), "{code}: {status}");
    }
}

#[test]
fn every_401_carries_a_bearer_challenge_and_nothing_else_does() {
    for &code in ErrorCode::ALL {
        match code.challenge() {
            Some(challenge) => {
                assert_eq!(code.status().as_u16(), 401, "{code}");
                assert!(
                    challenge.starts_with("Bearer realm=\"attractos\""),
                    "{challenge}"
                );
                assert_eq!(
                    challenge.contains("error=\"invalid_token\""),
                    code != ErrorCode::MissingKey,
                    "{code}: RFC 6750 sends no error code when credentials are absent"
                );
            }
            None => assert_ne!(code.status().as_u16(), 401, "{code}"),
        }
    }
}

#[test]
fn messages_and_fixes_are_sentences_without_json_escapes() {
    // The static bodies are built with `concat!`, so a quote or backslash would break them.
    for code in ErrorCode::ALL {
        for text in [code.message(), code.fix()] {
            assert!(!text.is_empty(), "{code}");
            assert!(
                !text.contains(['"', '\\']) && !text.chars().any(char::is_control),
                "{code}: {text}"
            );
        }
    }
}
