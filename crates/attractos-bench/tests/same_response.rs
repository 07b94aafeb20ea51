//! The comparison is fair only if every variant sends what the library sends: the floor the
//! very same bytes, the baselines the same status, headers (baseline B) and error body.

use crate::common;

use attractos_bench::floor_bodies::{CUSTOM_BODY, INVALID_KEY_BODY, RATE_LIMITED_BODY};
use attractos_bench::{Case, actix_side, axum_side, cases::CUSTOM_MESSAGE};
use common::Seen;

fn axum(render: axum_side::Render, case: Case) -> Seen {
    common::axum(render(case))
}

fn actix(render: actix_side::Render, case: Case) -> Seen {
    common::actix(render(case))
}

#[test]
fn both_floors_send_exactly_what_the_library_sends() {
    for case in Case::ALL {
        assert_eq!(
            axum(axum_side::library, case),
            axum(axum_side::floor, case),
            "axum {case:?}"
        );
        assert_eq!(
            actix(actix_side::library, case),
            actix(actix_side::floor, case),
            "actix {case:?}"
        );
        assert_eq!(
            axum(axum_side::library, case),
            axum(axum_side::floor_const, case),
            "axum {case:?}"
        );
        assert_eq!(
            actix(actix_side::library, case),
            actix(actix_side::floor_const, case),
            "actix {case:?}"
        );
    }
}

#[test]
fn both_adapters_send_the_same_response() {
    for case in Case::ALL {
        assert_eq!(
            axum(axum_side::library, case),
            actix(actix_side::library, case),
            "{case:?}"
        );
    }
}

#[test]
fn the_library_boxed_as_an_actix_error_renders_the_same_response() {
    for case in Case::ALL {
        assert_eq!(
            actix(actix_side::library_via_error, case),
            actix(actix_side::library, case),
            "{case:?}"
        );
    }
}

#[test]
fn baseline_b_sends_the_same_status_headers_and_error_body() {
    for case in Case::ALL {
        for (library, baseline) in [
            (
                axum(axum_side::library, case),
                axum(axum_side::baseline_b, case),
            ),
            (
                actix(actix_side::library, case),
                actix(actix_side::baseline_b, case),
            ),
        ] {
            assert_eq!(baseline.status, library.status, "{case:?}");
            assert_eq!(baseline.headers, library.headers, "{case:?}");
            assert_eq!(baseline.error_body(), library.error_body(), "{case:?}");
        }
    }
}

#[test]
fn baseline_a_sends_the_same_status_and_error_body_with_fewer_headers() {
    for case in Case::ALL {
        for (library, baseline) in [
            (
                axum(axum_side::library, case),
                axum(axum_side::baseline_a, case),
            ),
            (
                actix(actix_side::library, case),
                actix(actix_side::baseline_a, case),
            ),
        ] {
            assert_eq!(baseline.status, library.status, "{case:?}");
            assert_eq!(baseline.error_body(), library.error_body(), "{case:?}");
            assert_eq!(
                baseline.headers,
                vec![("content-type".to_owned(), "application/json".to_owned())],
                "{case:?}"
            );
            assert!(baseline.headers.len() < library.headers.len(), "{case:?}");
        }
    }
}

#[test]
fn the_cases_are_the_errors_they_are_named_after() {
    let invalid_key = axum(axum_side::library, Case::InvalidKey);
    assert_eq!(invalid_key.status, 401);
    assert_eq!(invalid_key.body, INVALID_KEY_BODY.as_bytes());

    let custom = axum(axum_side::library, Case::CustomMessage);
    assert_eq!(custom.status, 400);
    assert_eq!(custom.error_body().error, CUSTOM_MESSAGE);
    assert_eq!(custom.body, CUSTOM_BODY.as_bytes());

    let limited = axum(axum_side::library, Case::RateLimited);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body, RATE_LIMITED_BODY.as_bytes());
    assert!(
        limited
            .headers
            .contains(&("retry-after".to_owned(), "30".to_owned()))
    );
}
