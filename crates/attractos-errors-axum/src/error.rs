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

attractos_errors::__header_writer!(http::header, ordered: true);
