//! The comparison is fair only if every variant sends what the library sends: the floor the
//! very same bytes, the baselines the same status, headers (baseline B) and error body.

use attractos_bench::floor_bodies::{CUSTOM_BODY, INVALID_KEY_BODY, RATE_LIMITED_BODY};
use attractos_bench::{Case, Framework, Variant, cases::CUSTOM_MESSAGE};
use attractos_errors::ErrorBody;

use crate::common::{Response, render};

#[test]
fn both_floors_send_exactly_what_the_library_sends() {
    for case in Case::ALL {
        for framework in Framework::ALL {
            let library = render(framework, Variant::Library, case);
            for floor in [Variant::Floor, Variant::ConstFloor] {
                let what = format!("{framework} {floor:?} {case:?}");
                assert_eq!(render(framework, floor, case), library, "{what}");
            }
        }
    }
}

#[test]
fn the_library_sends_the_same_response_on_both_adapters_and_boxed_as_an_actix_error() {
    for case in Case::ALL {
        let axum = render(Framework::Axum, Variant::Library, case);
        let actix = render(Framework::Actix, Variant::Library, case);
        assert_eq!(actix, axum, "actix {case:?}");
        let boxed = render(Framework::Actix, Variant::LibraryViaError, case);
        assert_eq!(boxed, actix, "boxed as an actix error {case:?}");
    }
}

fn error_body(response: &Response) -> ErrorBody {
    ErrorBody::from_slice(&response.body).expect("a contract error body")
}

#[test]
fn the_baselines_send_the_same_status_and_error_body_baseline_b_the_same_headers_too() {
    for case in Case::ALL {
        for framework in Framework::ALL {
            let library = render(framework, Variant::Library, case);
            let [a, b] =
                [Variant::BaselineA, Variant::BaselineB].map(|v| render(framework, v, case));
            for (baseline, sent) in [("A", &a), ("B", &b)] {
                let what = format!("baseline {baseline}, {framework} {case:?}");
                assert_eq!(sent.status, library.status, "{what}");
                assert_eq!(error_body(sent), error_body(&library), "{what}");
            }
            let what = format!("{framework} {case:?}");
            assert_eq!(b.headers, library.headers, "baseline B's headers, {what}");
            assert_eq!(
                a.headers,
                vec![("content-type".to_owned(), b"application/json".to_vec())],
                "baseline A sends only the content type, {what}"
            );
            assert!(a.headers.len() < library.headers.len(), "{what}");
        }
    }
}

#[test]
fn the_cases_are_the_errors_they_are_named_after() {
    let library = |case| render(Framework::Axum, Variant::Library, case);

    let invalid_key = library(Case::InvalidKey);
    assert_eq!(invalid_key.status, 401);
    assert_eq!(invalid_key.body, INVALID_KEY_BODY.as_bytes());

    let custom = library(Case::CustomMessage);
    assert_eq!(custom.status, 400);
    assert_eq!(error_body(&custom).error, CUSTOM_MESSAGE);
    assert_eq!(custom.body, CUSTOM_BODY.as_bytes());

    let limited = library(Case::RateLimited);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body, RATE_LIMITED_BODY.as_bytes());
    assert_eq!(limited.header_str("retry-after"), Some("30"));
}
