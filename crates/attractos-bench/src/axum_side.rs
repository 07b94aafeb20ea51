//! The variants on axum 0.8: each renders a [`Case`] into a full `http::Response`.

use attractos_errors_axum::ApiError;
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::cases::{Case, RETRY_AFTER_SECS, Variant, owned_message};
use crate::floor_bodies::{
    CHALLENGE, CUSTOM_BODY, INVALID_KEY_BODY, RATE_LIMITED_BODY, append_floor_headers,
    floor_status_and_body,
};

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
    match case {
        Case::InvalidKey => (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "error": "The API key provided is invalid or has been revoked.",
                "code": "INVALID_KEY",
            })),
        )
            .into_response(),
        Case::CustomMessage => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": owned_message(), "code": "INVALID_DATE_RANGE" })),
        )
            .into_response(),
        Case::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({
                "error": "You have exceeded the API rate limit for your plan.",
                "code": "RATE_LIMITED",
                "retry_after": RETRY_AFTER_SECS,
            })),
        )
            .into_response(),
    }
}

/// Baseline B: baseline A plus the contract headers, as axum users write headers.
pub fn baseline_b(case: Case) -> Response {
    let contract = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    match case {
        Case::InvalidKey => (
            StatusCode::UNAUTHORIZED,
            contract,
            [(header::WWW_AUTHENTICATE, CHALLENGE)],
            Json(json!({
                "error": "The API key provided is invalid or has been revoked.",
                "code": "INVALID_KEY",
            })),
        )
            .into_response(),
        Case::CustomMessage => (
            StatusCode::BAD_REQUEST,
            contract,
            Json(json!({ "error": owned_message(), "code": "INVALID_DATE_RANGE" })),
        )
            .into_response(),
        Case::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            contract,
            [(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS))],
            Json(json!({
                "error": "You have exceeded the API rate limit for your plan.",
                "code": "RATE_LIMITED",
                "retry_after": RETRY_AFTER_SECS,
            })),
        )
            .into_response(),
    }
}

/// The floor, as the issue defines it: a `&'static` body and the same headers set by hand with
/// `HeaderValue::from_static`.
pub fn floor(case: Case) -> Response {
    let (status, body) = floor_status_and_body!(case);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    append_floor_headers!(response.headers_mut(), case);
    response
}

/// The floor with its header values evaluated at compile time (`const` blocks), so that not
/// even `from_static`'s byte check runs: stricter than the floor.
pub fn floor_const(case: Case) -> Response {
    let (status, body) = floor_status_and_body!(case);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    append_floor_headers!(const response.headers_mut(), case);
    response
}
