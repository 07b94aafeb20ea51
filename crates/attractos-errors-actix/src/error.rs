//! The adapter's error type: the core [`attractos_errors::ApiError`] in a newtype, so that it
//! can implement actix-web's [`ResponseError`] (the orphan rule forbids implementing a foreign
//! trait for a foreign type).

use std::fmt;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::{HttpResponse, ResponseError};

attractos_errors::__define_api_error! {
    /// What handlers and extractors return on failure: a contract error that actix-web can send.
    ///
    /// It has the core error's constructors and builders (`ApiError::site_not_found()`,
    /// `ApiError::rate_limited(..)`, `.with_message(..)`, `.with_cause(..)`), and reads
    /// everything else through `Deref` to [`attractos_errors::ApiError`]. Any error that converts
    /// into the core error converts into this one, so `?` works on domain errors that implement
    /// `From<DomainError> for attractos_errors::ApiError` (the impl targets the core type, which
    /// both adapters accept):
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// use attractos_errors_actix::{ApiError, Result, attractos_errors};
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
    /// async fn handler(plan: &str) -> Result<HttpResponse> {
    ///     if plan == "free" {
    ///         return Err(ApiError::plan_required().with_message("Exports need the Pro plan."));
    ///     }
    ///     Ok(HttpResponse::Ok().body(lookup("nope")?))
    /// }
    /// ```
    ///
    /// Rendering ([`ResponseError`]): both methods are overridden (actix-web's defaults are a
    /// 500 and a `text/plain` body of the `Display` text): the code's status, the core's
    /// contract headers in their order, the core's exact body bytes, and one call to
    /// [`attractos_errors::ApiError::log`]. actix-web renders a handler's or extractor's error
    /// while the handler's future is polled, inside the request span of
    /// [`contract_app`](crate::contract_app), so the log line carries the span's `request_id`.
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        render(&self.0)
    }
}

/// The status of `err` in actix-web's `http` 0.2 type, converted through the number.
pub(crate) fn status(err: &attractos_errors::ApiError) -> StatusCode {
    // Every catalogue status is a valid code in both `http` versions.
    StatusCode::from_u16(err.code().status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The response for `err`, without logging it: the status, the contract headers in the core's
/// order, the exact body bytes.
pub(crate) fn render(err: &attractos_errors::ApiError) -> HttpResponse {
    // Boxed from the start: `map_into_boxed_body` would move the whole response once more.
    let mut response = HttpResponse::with_body(status(err), BoxBody::new(err.to_bytes()));
    write_headers(err, response.headers_mut());
    response
}

// actix-web's header map is a hash map: it keeps no order between names.
attractos_errors::__header_writer!(actix_web::http::header, ordered: false);

/// A contract error already logged by the middleware, for the one path where actix-web hands
/// the middleware no request to answer with: the inner service failed (`Err`) or panicked.
/// The middleware returns it as its own `Err`; actix-web's dispatcher then sends
/// [`ResponseError::error_response`], which renders the contract response with the request id
/// and logs nothing (the middleware already did, inside the span).
pub(crate) struct Answered {
    pub(crate) error: attractos_errors::ApiError,
    pub(crate) request_id: HeaderValue,
    /// Rendered in its scope, as the dispatcher renders outside the middleware's.
    pub(crate) contract: attractos_errors::Contract,
}

impl fmt::Display for Answered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl fmt::Debug for Answered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl ResponseError for Answered {
    fn status_code(&self) -> StatusCode {
        status(&self.error)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = self.contract.__in_scope(|| render(&self.error));
        response
            .headers_mut()
            .insert(crate::middleware::X_REQUEST_ID, self.request_id.clone());
        response
    }
}
