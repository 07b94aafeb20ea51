//! The adapter's error type: the core [`attractos_errors::ApiError`] in a newtype, so that it
//! can implement axum's [`IntoResponse`] (the orphan rule forbids implementing a foreign trait
//! for a foreign type).

use axum::body::Body;
use axum::response::{IntoResponse, Response};

attractos_errors::__define_api_error! {
    /// What handlers and extractors return on failure: a contract error that axum can send.
    ///
    /// It has the core error's constructors and builders (`ApiError::site_not_found()`,
    /// `ApiError::rate_limited(..)`, `.with_message(..)`, `.with_cause(..)`), and reads
    /// everything else through `Deref` to [`attractos_errors::ApiError`]. Any error that converts
    /// into the core error converts into this one, so `?` works on domain errors that implement
    /// `From<DomainError> for attractos_errors::ApiError` (the impl targets the core type, which
    /// both adapters accept):
    ///
    /// ```
    /// use attractos_errors_axum::{ApiError, Result, attractos_errors};
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// enum StoreError {
    ///     #[error("no such site")]
    ///     UnknownSite,
    ///     #[error("store offline")]
    ///     Offline(#[source] std::io::Error),
    /// }
    ///
    /// impl From<StoreError> for attractos_errors::ApiError {
    ///     fn from(err: StoreError) -> Self {
    ///         match err {
    ///             StoreError::UnknownSite => Self::site_not_found(),
    ///             err @ StoreError::Offline(_) => Self::internal(err),
    ///         }
    ///     }
    /// }
    ///
    /// fn lookup(id: &str) -> Result<&'static str, StoreError> {
    ///     if id == "site_demo" { Ok("demo.example") } else { Err(StoreError::UnknownSite) }
    /// }
    ///
    /// async fn handler(plan: &str) -> Result<&'static str> {
    ///     if plan == "free" {
    ///         return Err(ApiError::plan_required().with_message("Exports need the Pro plan."));
    ///     }
    ///     Ok(lookup("nope")?)
    /// }
    /// ```
    ///
    /// Rendering ([`IntoResponse`]): the code's status, the core's contract headers in their
    /// order, the core's exact body bytes, and one call to [`attractos_errors::ApiError::log`].
    /// The log happens here, while the handler's future is being polled inside the request
    /// span, so the line carries the span's `request_id` and the cause never has to travel.
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        render(&self.0)
    }
}

/// The response for `err`, without logging it.
pub(crate) fn render(err: &attractos_errors::ApiError) -> Response {
    let mut response = Response::new(Body::from(err.to_bytes()));
    *response.status_mut() = err.code().status();
    write_headers(err, response.headers_mut());
    response
}

attractos_errors::__header_writer!(http::header);

#[cfg(test)]
mod tests {
    use super::*;
    use attractos_errors::{ErrorCode, RetryAfter};
    use http::header::LINK;
    use http::{HeaderName, HeaderValue};

    /// Every code's headers as the core lists them, converted one by one.
    fn converted(err: &attractos_errors::ApiError) -> Vec<(HeaderName, HeaderValue)> {
        err.headers()
            .map(|(name, value)| (HeaderName::from_static(name), converted_value(value)))
            .collect()
    }

    fn rendered(err: &attractos_errors::ApiError) -> Vec<(HeaderName, HeaderValue)> {
        let response = render(err);
        response
            .headers()
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    fn errors() -> Vec<attractos_errors::ApiError> {
        let mut errors: Vec<_> = ErrorCode::ALL
            .iter()
            .map(|&code| attractos_errors::docs::example(code))
            .collect();
        for secs in [1, 7, 30, 3600, u32::MAX] {
            errors.push(attractos_errors::ApiError::rate_limited(
                RetryAfter::from_secs(secs),
            ));
            errors.push(attractos_errors::ApiError::limit_exceeded(
                RetryAfter::from_secs(secs),
            ));
        }
        errors.push(attractos_errors::ApiError::invalid_json().with_message("custom"));
        errors
    }

    #[test]
    fn written_headers_are_the_cores_headers_in_order_with_and_without_the_docs_link() {
        for err in errors() {
            assert_eq!(rendered(&err), converted(&err), "{err:?}");
        }
        let docs = attractos_errors::Contract::new()
            .with_docs_base_url("https://docs.attractos.example/errors")
            .expect("a valid base URL");
        for err in errors() {
            let rendered = docs.__in_scope(|| rendered(&err));
            let mut expected = converted(&err);
            let link = docs.docs_link(err.code()).expect("a link for every code");
            expected.push((LINK, HeaderValue::from_str(link).expect("a header value")));
            assert_eq!(rendered, expected, "{err:?}: the link comes last");
        }
    }

    #[test]
    fn seconds_are_decimal_digits() {
        for secs in [0, 1, 9, 10, 30, 86_400, u32::MAX] {
            assert_eq!(seconds(secs), secs.to_string(), "{secs}");
        }
    }
}
