//! Extractors whose rejection is the contract's [`ApiError`]. Each is glue around one of the
//! core's [`rules`], so the axum adapter answers the same request with the same bytes.

use std::fmt;
use std::future::{Ready, ready};

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder};
use attractos_errors::Contract;
use attractos_errors::rules::{self, SITE_ID_PARAM};
use bytes::BytesMut;
use futures_util::StreamExt as _;
use futures_util::future::LocalBoxFuture;
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ApiError;
use crate::framework;

/// The API key of `Authorization: Bearer <key>` ([`rules::bearer_key`]): no header is
/// `MISSING_KEY`; several headers, another scheme, no key, or a key with anything but visible
/// ASCII is `INVALID_KEY`.
///
/// `Debug` does not print the key, so a logged extractor never leaks it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerKey(pub String);

impl fmt::Debug for BearerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerKey(<redacted>)")
    }
}

impl FromRequest for BearerKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let values = req
            .headers()
            .get_all(AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        ready(
            rules::bearer_key(values)
                .map(|key| BearerKey(key.to_owned()))
                .map_err(ApiError),
        )
    }
}

/// The route's `siteId` path parameter, percent-decoded and trimmed ([`rules::site_id`]): a
/// route without that parameter, or a blank value, is `MISSING_SITE_ID`; a path that does not
/// decode to UTF-8 is `NOT_FOUND`, like any path that names nothing.
///
/// Register the route with [`resource`](crate::resource()): actix-web's plain `{siteId}` does
/// not match an empty segment, so with `web::resource` `/api/v1/sites//stats` would be
/// `NOT_FOUND` instead of `MISSING_SITE_ID` (the axum adapter's router matches it with an
/// empty `siteId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteId(pub String);

impl FromRequest for SiteId {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(site_id(req).map(SiteId).map_err(ApiError))
    }
}

fn site_id(req: &HttpRequest) -> Result<String, attractos_errors::ApiError> {
    // actix-web decodes the path lossily (invalid UTF-8 becomes U+FFFD) and leaves `%25`,
    // `%2F` and `%2B` encoded; the raw path tells whether anything was lost.
    if percent_decode_str(req.uri().path()).decode_utf8().is_err() {
        return Err(rules::unparsable_path());
    }
    let raw = req
        .match_info()
        .get(SITE_ID_PARAM)
        .map(|value| percent_decode_str(value).decode_utf8_lossy());
    Ok(rules::site_id(raw.as_deref())?.to_owned())
}

/// The `start` and `end` query parameters as a validated range ([`rules::date_range`]):
/// every failure is `INVALID_DATE_RANGE` naming the parameter and the expected format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange(pub rules::DateRange);

impl FromRequest for DateRange {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            rules::date_range(req.uri().query())
                .map(DateRange)
                .map_err(ApiError),
        )
    }
}

/// The query string deserialized into `T` ([`rules::query`]); failures are
/// `INVALID_DATE_RANGE`, since the API's query parameters all shape the reported range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(rules::query(req.uri().query()).map(Query).map_err(ApiError))
    }
}

/// A JSON request body deserialized into `T`, read by the adapter itself within the body limit
/// (the [`Contract`]'s, else [`rules::DEFAULT_BODY_LIMIT`]) and checked with [`rules::json`].
///
/// A body over the limit is `PAYLOAD_TOO_LARGE`, refused before reading when `Content-Length`
/// already says so. Every other failure (no JSON content type, empty body, invalid UTF-8, a
/// syntax error with its line and column, the wrong fields or types, a body cut short) is
/// `INVALID_JSON`, never actix-web's `JsonPayloadError` text.
///
/// As a response, `Json` serializes `T` with `Content-Type: application/json`; a value that
/// cannot be serialized becomes a logged `SERVER_ERROR`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = body_limit(req);
        let announced = rules::announced_body(
            req.headers()
                .get_all(CONTENT_LENGTH)
                .map(HeaderValue::as_bytes),
            limit,
        );
        let content_type = req.headers().get(CONTENT_TYPE).cloned();
        let mut payload = payload.take();
        Box::pin(async move {
            announced?;
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|err| ApiError(framework::payload(&err, limit)))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError(rules::payload_too_large(limit)));
                }
                body.extend_from_slice(&chunk);
            }
            let content_type = content_type.as_ref().map(HeaderValue::as_bytes);
            Ok(Json(rules::json(content_type, &body)?))
        })
    }
}

impl<T: Serialize> Responder for Json<T> {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        match serde_json::to_vec(&self.0) {
            Ok(body) => HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
                .body(body),
            Err(err) => HttpResponse::from_error(ApiError::internal(err)),
        }
    }
}

/// The body limit the [`Contract`] registered on the app, else the default.
pub(crate) fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<Contract>()
        .map_or(rules::DEFAULT_BODY_LIMIT, Contract::body_limit)
}

attractos_errors::__deref_to_inner!(Query, Json);
