//! The AttractOS error contract: every error is `{"error": "<message>", "code": "<CODE>"}`,
//! plus `"retry_after": <seconds>` on 429s only.
//!
//! [`ErrorCode`] is the catalogue (one table: status, category, message, fix), [`ApiError`] is
//! what handlers return, and [`ErrorBody`] is the wire body clients parse. The framework glue
//! lives in `attractos-errors-axum` and `attractos-errors-actix`; this crate has no web framework.
//! With the `openapi` feature, `openapi` describes the contract for OpenAPI 3.1 (utoipa 5) and
//! JSON Schema.
//!
//! ```
//! use attractos_errors::{ApiError, ErrorBody, ErrorCode};
//!
//! fn find_site(id: &str) -> Result<&'static str, ApiError> {
//!     if id == "site_demo" { Ok("demo.example") } else { Err(ApiError::site_not_found()) }
//! }
//!
//! let err = find_site("nope").unwrap_err();
//! assert_eq!(err.code().status().as_u16(), 403);
//! let body = ErrorBody::from_slice(&err.to_bytes()).unwrap();
//! assert_eq!(body.code.known(), Some(ErrorCode::SiteNotFound));
//! ```

mod adapter;
mod body;
mod code;
pub mod docs;
mod error;
mod headers;
mod log;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod rules;
mod settings;

pub use body::{Code, ErrorBody, MAX_BODY_LEN, ParseError};
pub use code::{Category, ErrorCode, Retry, UnknownCode};
pub use error::{ApiError, Cause, RetryAfter, RetryAfterRequired};
pub use headers::{DocsLinkError, HeaderText, names as header_names, values as header_values};
#[doc(hidden)]
pub use settings::__docs_link;
pub use settings::Contract;
pub use time::Date;

#[doc(hidden)]
pub use itoa as __itoa;
