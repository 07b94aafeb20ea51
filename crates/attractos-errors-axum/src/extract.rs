//! Extractors whose rejection is the contract's [`ApiError`]. Each is glue around one of the
//! core's [`rules`], so the actix-web adapter answers the same request with the same bytes.

use std::error::Error as StdError;
use std::fmt;

use attractos_errors::rules::{self, BodyTimeout, SITE_ID_PARAM};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderValue;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ApiError;
use crate::contract::BodyLimit;

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

impl<S: Send + Sync> FromRequestParts<S> for BearerKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let values = parts
            .headers
            .get_all(AUTHORIZATION)
            .iter()
            .map(HeaderValue::as_bytes);
        let key = rules::bearer_key(values)?;
        Ok(BearerKey(key.to_owned()))
    }
}

/// The route's `siteId` path parameter (declare it as `{siteId}`), trimmed
/// ([`rules::site_id`]): a route without that parameter, or a blank value, is
/// `MISSING_SITE_ID`; a parameter that does not decode to UTF-8 is `NOT_FOUND`, like any path
/// that names nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for SiteId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::RawPathParamsRejection;
        let raw = match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => params
                .iter()
                .find(|(name, _)| *name == SITE_ID_PARAM)
                .map(|(_, value)| value.to_owned()),
            Err(RawPathParamsRejection::InvalidUtf8InPathParam(_)) => {
                return Err(rules::unparsable_path().into());
            }
            // No parameters at all on this route (or a future rejection kind): there is no siteId.
            Err(_) => None,
        };
        let id = rules::site_id(raw.as_deref())?;
        Ok(SiteId(id.to_owned()))
    }
}

/// The `start` and `end` query parameters as a validated range ([`rules::date_range`]):
/// every failure is `INVALID_DATE_RANGE` naming the parameter and the expected format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange(pub rules::DateRange);

impl<S: Send + Sync> FromRequestParts<S> for DateRange {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(DateRange(rules::date_range(parts.uri.query())?))
    }
}

/// The query string deserialized into `T` ([`rules::query`]); failures are
/// `INVALID_DATE_RANGE`, since the API's query parameters all shape the reported range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Query(rules::query(parts.uri.query())?))
    }
}

/// A JSON request body deserialized into `T`, read by the adapter itself within the body limit
/// (the [`Contract`](crate::Contract)'s, else [`rules::DEFAULT_BODY_LIMIT`]) and checked with
/// [`rules::json`].
///
/// A body over the limit is `PAYLOAD_TOO_LARGE`, refused before reading when `Content-Length`
/// already says so; one that has not arrived within the contract's body deadline is
/// `INVALID_JSON` naming the deadline ([`rules::body_timed_out`]). Every other failure (no JSON content type, empty body, invalid UTF-8, a
/// syntax error with its line and column, the wrong fields or types) is `INVALID_JSON`, never
/// axum's 415 or 422.
///
/// As a response, `Json` serializes `T` with `Content-Type: application/json`; a value that
/// cannot be serialized becomes a logged `SERVER_ERROR`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map_or(rules::DEFAULT_BODY_LIMIT, |limit| limit.0);
        let lengths = req.headers().get_all(CONTENT_LENGTH);
        rules::announced_body(lengths.iter().map(HeaderValue::as_bytes), limit)?;
        let (parts, body) = req.into_parts();
        let bytes = read_body(body, limit).await?;
        let content_type = parts.headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes);
        Ok(Json(rules::json(content_type, &bytes)?))
    }
}

/// The whole body, at most `limit` bytes.
async fn read_body(body: axum::body::Body, limit: usize) -> Result<Bytes, ApiError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        // Our own limit: the message can name it.
        Err(err) if err.is::<LengthLimitError>() => Err(rules::payload_too_large(limit).into()),
        Err(err) => {
            if let Some(BodyTimeout(deadline)) = BodyTimeout::find(&*err) {
                return Err(rules::body_timed_out(deadline).into());
            }
            let mut source: Option<&(dyn StdError + 'static)> = Some(&*err);
            while let Some(current) = source {
                if current.is::<LengthLimitError>() {
                    // A limit some other layer (e.g. tower-http's RequestBodyLimitLayer) put on
                    // the body: too large, but not by our count.
                    return Err(ApiError::payload_too_large());
                }
                source = current.source();
            }
            Err(rules::unreadable_body()
                .with_shared_cause(err.into())
                .into())
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => {
                let mut response = Response::new(axum::body::Body::from(body));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                response
            }
            Err(err) => ApiError::internal(err).into_response(),
        }
    }
}

attractos_errors::__deref_to_inner!(Query, Json);
