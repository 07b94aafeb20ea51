//! The variants on axum 0.8: each renders a [`Case`] into a full `http::Response`.

use attractos_errors_axum::ApiError;
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::cases::{Case, RETRY_AFTER_SECS, Variant};
use crate::floor_bodies::{CHALLENGE, append_floor_headers, floor_body, status_of};

/// A function that renders a case.
pub type Render = fn(Case) -> Response;

/// Every variant on axum, in report order.
pub const VARIANTS: [(Variant, Render); 5] = [
    (Variant::Library, library),
    (Variant::BaselineA, baseline_a),
    (Variant::BaselineB, baseline_b),
    (Variant::Floor, floor),
    (Variant::ConstFloor, floor_const),
];

/// The library: the handler's error through `attractos-errors-axum`'s `IntoResponse`.
pub fn library(case: Case) -> Response {
    ApiError::from(case.library_error()).into_response()
}

/// Baseline A: `(StatusCode, Json(json!(..))).into_response()`.
pub fn baseline_a(case: Case) -> Response {
    (status_of!(case), Json(case.json_body())).into_response()
}

/// Baseline B: baseline A plus the contract headers, as axum users write headers.
pub fn baseline_b(case: Case) -> Response {
    let status = status_of!(case);
    let contract = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    let body = Json(case.json_body());
    match case {
        Case::InvalidKey => (
            status,
            contract,
            [(header::WWW_AUTHENTICATE, CHALLENGE)],
            body,
        )
            .into_response(),
        Case::CustomMessage => (status, contract, body).into_response(),
        Case::RateLimited => (
            status,
            contract,
            [(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS))],
            body,
        )
            .into_response(),
    }
}

/// The floor, as the issue defines it: a `&'static` body and the same headers set by hand with
/// `HeaderValue::from_static`.
pub fn floor(case: Case) -> Response {
    let mut response = Response::new(Body::from(floor_body(case)));
    *response.status_mut() = status_of!(case);
    append_floor_headers!(response.headers_mut(), case);
    response
}

/// The floor with its header values evaluated at compile time (`const` blocks), so that not
/// even `from_static`'s byte check runs: stricter than the floor.
pub fn floor_const(case: Case) -> Response {
    let mut response = Response::new(Body::from(floor_body(case)));
    *response.status_mut() = status_of!(case);
    append_floor_headers!(const response.headers_mut(), case);
    response
}
