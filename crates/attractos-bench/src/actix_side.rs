//! The variants on actix-web 4: each renders a [`Case`] into a full `HttpResponse`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use attractos_errors_actix::ApiError;

use crate::cases::{Case, RETRY_AFTER_SECS, Variant};
use crate::floor_bodies::{CHALLENGE, append_floor_headers, floor_body, status_of};

/// A function that renders a case.
pub type Render = fn(Case) -> HttpResponse;

/// Every variant on actix-web, in report order.
pub const VARIANTS: [(Variant, Render); 6] = [
    (Variant::Library, library),
    (Variant::LibraryViaError, library_via_error),
    (Variant::BaselineA, baseline_a),
    (Variant::BaselineB, baseline_b),
    (Variant::Floor, floor),
    (Variant::ConstFloor, floor_const),
];

/// The library: `attractos-errors-actix`'s `ResponseError::error_response`, which actix-web
/// calls to render a handler's or extractor's error.
pub fn library(case: Case) -> HttpResponse {
    ApiError::from(case.library_error()).error_response()
}

/// The library as a handler's `Err`: actix-web boxes it into `actix_web::Error`, renders it,
/// and keeps the error in the response (`HttpResponse::from_error`, what `Responder for
/// Result` does).
pub fn library_via_error(case: Case) -> HttpResponse {
    HttpResponse::from_error(ApiError::from(case.library_error()))
}

/// Baseline A: `HttpResponse::build(status).json(json!(..))`.
pub fn baseline_a(case: Case) -> HttpResponse {
    HttpResponse::build(status_of!(case)).json(case.json_body())
}

/// Baseline B: baseline A plus the contract headers, as actix-web users write headers.
pub fn baseline_b(case: Case) -> HttpResponse {
    let mut builder = HttpResponse::build(status_of!(case));
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    match case {
        Case::InvalidKey => builder.insert_header((header::WWW_AUTHENTICATE, CHALLENGE)),
        Case::CustomMessage => &mut builder,
        Case::RateLimited => builder.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS)),
    }
    .json(case.json_body())
}

/// The floor, as the issue defines it: a `&'static` body and the same headers set by hand with
/// `HeaderValue::from_static`.
pub fn floor(case: Case) -> HttpResponse {
    let mut response =
        HttpResponse::with_body(status_of!(case), floor_body(case)).map_into_boxed_body();
    append_floor_headers!(response.headers_mut(), case);
    response
}

/// The floor with its header values evaluated at compile time (`const` blocks), so that not
/// even `from_static`'s byte check runs: stricter than the floor.
pub fn floor_const(case: Case) -> HttpResponse {
    let mut response =
        HttpResponse::with_body(status_of!(case), floor_body(case)).map_into_boxed_body();
    append_floor_headers!(const response.headers_mut(), case);
    response
}
