//! [`ApiError`], the value handlers return, and [`RetryAfter`].
//!
//! ```
//! use attractos_errors::{ApiError, ErrorCode, RetryAfter};
//!
//! let err = ApiError::invalid_date_range().with_message("start: expected YYYY-MM-DD, got '2024-13-01'");
//! assert_eq!(err.code(), ErrorCode::InvalidDateRange);
//!
//! // 429s cannot be built without retry_after; nothing else can carry one.
//! let limited = ApiError::rate_limited(RetryAfter::from_secs(30));
//! assert_eq!(limited.retry_after().map(RetryAfter::as_secs), Some(30));
//! assert!(ApiError::try_from(ErrorCode::RateLimited).is_err());
//! ```

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use crate::ErrorCode;

/// The internal cause of an error: logged, never sent.
pub type Cause = Arc<dyn StdError + Send + Sync + 'static>;

/// Whole seconds a client must wait before retrying; at least 1, as `Retry-After` and the
/// contract's `retry_after` require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RetryAfter(NonZeroU32);

impl RetryAfter {
    /// `secs` seconds; 0 becomes 1, since a client told to wait 0 seconds would retry at once.
    ///
    /// ```
    /// use attractos_errors::RetryAfter;
    /// assert_eq!(RetryAfter::from_secs(0).as_secs(), 1);
    /// ```
    pub const fn from_secs(secs: u32) -> Self {
        match NonZeroU32::new(secs) {
            Some(secs) => RetryAfter(secs),
            None => RetryAfter(NonZeroU32::MIN),
        }
    }

    /// A duration rounded up to whole seconds (at least 1, saturating at `u32::MAX`).
    ///
    /// ```
    /// use attractos_errors::RetryAfter;
    /// use std::time::Duration;
    /// assert_eq!(RetryAfter::from_duration(Duration::from_millis(1200)).as_secs(), 2);
    /// ```
    pub fn from_duration(wait: Duration) -> Self {
        let secs = wait
            .as_secs()
            .saturating_add(u64::from(wait.subsec_nanos() > 0));
        Self::from_secs(u32::try_from(secs).unwrap_or(u32::MAX))
    }

    /// The number of seconds, never 0.
    pub const fn as_secs(self) -> u32 {
        self.0.get()
    }
}

/// An error a service returns: a catalogue code, the public message, `retry_after` for the
/// 429 codes, and an optional internal cause that is logged but never sent.
///
/// Build it with the constructor named after the code (`ApiError::site_not_found()`), or from an
/// [`ErrorCode`] with `TryFrom` (which refuses the 429 codes, as they need a [`RetryAfter`]).
#[derive(Clone, thiserror::Error)]
#[error("{code}: {}", self.message())]
pub struct ApiError {
    code: ErrorCode,
    detail: Option<Cow<'static, str>>,
    retry_after: Option<RetryAfter>,
    #[source]
    cause: Option<Cause>,
}

/// The constructors named after a code that needs no data, listed once: the core's
/// `ApiError` and every adapter's newtype (through [`__define_api_error!`](crate::__define_api_error))
/// get theirs from this list. `$callback` receives `doc, name => Variant;` rows.
#[doc(hidden)]
#[macro_export]
macro_rules! __plain_constructors {
    ($($callback:tt)+) => {
        $($callback)+! {
            /// `MISSING_KEY` (401).
            missing_key => MissingKey;
            /// `INVALID_KEY` (401).
            invalid_key => InvalidKey;
            /// `USER_NOT_FOUND` (401).
            user_not_found => UserNotFound;
            /// `SITE_NOT_FOUND` (403).
            site_not_found => SiteNotFound;
            /// `PLAN_REQUIRED` (403).
            plan_required => PlanRequired;
            /// `MISSING_SITE_ID` (400).
            missing_site_id => MissingSiteId;
            /// `INVALID_DATE_RANGE` (400).
            invalid_date_range => InvalidDateRange;
            /// `INVALID_JSON` (400).
            invalid_json => InvalidJson;
            /// `SERVER_ERROR` (500). Prefer `internal`, which keeps the cause for the logs.
            server_error => ServerError;
            /// `NOT_FOUND` (404, protocol-level).
            not_found => NotFound;
            /// `METHOD_NOT_ALLOWED` (405, protocol-level).
            method_not_allowed => MethodNotAllowed;
            /// `PAYLOAD_TOO_LARGE` (413, protocol-level).
            payload_too_large => PayloadTooLarge;
        }
    };
}

macro_rules! core_constructors {
    ($( $(#[$doc:meta])* $name:ident => $variant:ident; )+) => {$(
        $(#[$doc])*
        pub const fn $name() -> Self {
            Self::plain(ErrorCode::$variant)
        }
    )+};
}

impl ApiError {
    const fn plain(code: ErrorCode) -> Self {
        ApiError {
            code,
            detail: None,
            retry_after: None,
            cause: None,
        }
    }

    const fn throttled(code: ErrorCode, retry_after: RetryAfter) -> Self {
        ApiError {
            code,
            detail: None,
            retry_after: Some(retry_after),
            cause: None,
        }
    }

    crate::__plain_constructors!(core_constructors);

    /// `RATE_LIMITED` (429): the client may retry after `retry_after`.
    pub const fn rate_limited(retry_after: RetryAfter) -> Self {
        Self::throttled(ErrorCode::RateLimited, retry_after)
    }

    /// `LIMIT_EXCEEDED` (429): `retry_after` is the time until the monthly quota resets.
    pub const fn limit_exceeded(retry_after: RetryAfter) -> Self {
        Self::throttled(ErrorCode::LimitExceeded, retry_after)
    }

    /// `SERVER_ERROR` (500) caused by `cause`, which is logged and never sent.
    ///
    /// ```
    /// use attractos_errors::ApiError;
    /// let err = ApiError::internal(std::io::Error::other("db-password=hunter2"));
    /// assert_eq!(err.message(), "An unexpected error occurred on the server.");
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    pub fn internal<E: StdError + Send + Sync + 'static>(cause: E) -> Self {
        Self::server_error().with_cause(cause)
    }

    /// Replaces the catalogue's message with a more specific one.
    ///
    /// On `SERVER_ERROR` the text is kept for the logs only: a 500's public message is always
    /// the catalogue's.
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.detail = Some(message.into());
        self
    }

    /// Attaches the internal cause: logged (with its source chain), never sent.
    pub fn with_cause<E: StdError + Send + Sync + 'static>(mut self, cause: E) -> Self {
        self.cause = Some(Arc::new(cause));
        self
    }

    /// Attaches an already shared internal cause.
    pub fn with_shared_cause(mut self, cause: Cause) -> Self {
        self.cause = Some(cause);
        self
    }

    /// The catalogue code.
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message clients see: the specific one if set (never on a 500), else the catalogue's.
    pub fn message(&self) -> &str {
        match self.public_detail() {
            Some(detail) => detail,
            None => self.code.message(),
        }
    }

    /// The text given with [`ApiError::with_message`], public or (on a 500) internal.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The seconds to wait: `Some` exactly for the 429 codes.
    pub const fn retry_after(&self) -> Option<RetryAfter> {
        self.retry_after
    }

    /// The internal cause, if any.
    pub fn cause(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.cause.as_deref()
    }

    /// The specific message clients see, if any: `None` means the body is the catalogue's constant.
    pub(crate) fn public_detail(&self) -> Option<&str> {
        match self.code {
            ErrorCode::ServerError => None,
            _ => self.detail.as_deref(),
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ApiError");
        debug
            .field("code", &self.code)
            .field("message", &self.message());
        if let Some(retry_after) = self.retry_after {
            debug.field("retry_after", &retry_after.as_secs());
        }
        if let Some(cause) = &self.cause {
            debug.field("cause", cause);
        }
        debug.finish()
    }
}

/// The code needs data `From` cannot supply: the 429 codes need a [`RetryAfter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} needs a retry_after; use ApiError::rate_limited or ApiError::limit_exceeded")]
pub struct RetryAfterRequired(pub ErrorCode);

impl TryFrom<ErrorCode> for ApiError {
    type Error = RetryAfterRequired;

    fn try_from(code: ErrorCode) -> Result<Self, Self::Error> {
        if code.carries_retry_after() {
            Err(RetryAfterRequired(code))
        } else {
            Ok(ApiError::plain(code))
        }
    }
}
