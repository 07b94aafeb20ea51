//! The three error responses every benchmark renders, and the variants that render them.

use attractos_errors::{ApiError, RetryAfter};
use serde_json::json;

/// The specific message of [`Case::CustomMessage`], as `rules::date_range` would write it.
pub const CUSTOM_MESSAGE: &str = "start: '2024-02-30' is not a calendar day; use ISO 8601 date format: YYYY-MM-DD (e.g., 2024-01-15)";

/// The seconds [`Case::RateLimited`] tells the client to wait.
pub const RETRY_AFTER_SECS: u32 = 30;

/// One error response to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// `INVALID_KEY` (401) with the catalogue's message: the flood-of-bad-keys case.
    InvalidKey,
    /// `INVALID_DATE_RANGE` (400) with a specific message, an owned `String` built per request
    /// in every variant (as a `format!`ed message would be).
    CustomMessage,
    /// `RATE_LIMITED` (429) with `retry_after` 30: the throttled-client case.
    RateLimited,
}

impl Case {
    /// Every case, in report order.
    pub const ALL: [Case; 3] = [Case::InvalidKey, Case::CustomMessage, Case::RateLimited];

    /// A stable id, used in benchmark names and result files.
    pub const fn id(self) -> &'static str {
        match self {
            Case::InvalidKey => "401-invalid-key",
            Case::CustomMessage => "400-custom-message",
            Case::RateLimited => "429-rate-limited",
        }
    }

    /// A short human title for the report.
    pub const fn title(self) -> &'static str {
        match self {
            Case::InvalidKey => "401 INVALID_KEY (catalogue message)",
            Case::CustomMessage => "400 INVALID_DATE_RANGE (custom message)",
            Case::RateLimited => "429 RATE_LIMITED (retry_after 30)",
        }
    }

    /// Whether the body is the catalogue's constant (the "default-message" targets apply).
    pub const fn is_default_message(self) -> bool {
        matches!(self, Case::InvalidKey)
    }

    /// The case's id from [`Case::id`].
    pub fn from_id(id: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|case| case.id() == id)
    }

    /// The error a handler using the library returns for this case.
    pub fn library_error(self) -> ApiError {
        match self {
            Case::InvalidKey => ApiError::invalid_key(),
            Case::CustomMessage => ApiError::invalid_date_range().with_message(owned_message()),
            Case::RateLimited => ApiError::rate_limited(RetryAfter::from_secs(RETRY_AFTER_SECS)),
        }
    }

    /// The error body as people write it by hand: a `json!` value, built on every call (the
    /// baselines' body on both frameworks).
    pub fn json_body(self) -> serde_json::Value {
        match self {
            Case::InvalidKey => json!({
                "error": "The API key provided is invalid or has been revoked.",
                "code": "INVALID_KEY",
            }),
            Case::CustomMessage => {
                json!({ "error": owned_message(), "code": "INVALID_DATE_RANGE" })
            }
            Case::RateLimited => json!({
                "error": "You have exceeded the API rate limit for your plan.",
                "code": "RATE_LIMITED",
                "retry_after": RETRY_AFTER_SECS,
            }),
        }
    }
}

/// The per-request message of [`Case::CustomMessage`]: one allocation, paid by every variant.
pub fn owned_message() -> String {
    std::hint::black_box(CUSTOM_MESSAGE).to_owned()
}

/// How a response is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The library, through the framework adapter's rendering (`IntoResponse` /
    /// `ResponseError::error_response`), including its `log()` call.
    Library,
    /// actix-web only: the library error as a handler's `Err`, which actix-web boxes into its
    /// `actix_web::Error` before rendering (`HttpResponse::from_error`), as a real handler does.
    LibraryViaError,
    /// Baseline A, what people write today: the status and `json!` body, nothing else.
    BaselineA,
    /// Baseline B: the same `json!` body plus the contract headers the library sends, written
    /// the usual way (header-name constants, `&str` values).
    BaselineB,
    /// The floor, as the issue defines it: a `&'static` body and the same headers built with
    /// `HeaderValue::from_static`.
    Floor,
    /// The floor with `from_static` in `const` blocks (evaluated at compile time, so not even
    /// the value check runs): stricter than the floor, shown for reference.
    ConstFloor,
}

impl Variant {
    /// A stable id, used in benchmark names and result files.
    pub const fn id(self) -> &'static str {
        match self {
            Variant::Library => "library",
            Variant::LibraryViaError => "library-via-error",
            Variant::BaselineA => "baseline-a",
            Variant::BaselineB => "baseline-b",
            Variant::Floor => "floor",
            Variant::ConstFloor => "floor-const",
        }
    }

    /// What the variant is, for the report.
    pub const fn title(self) -> &'static str {
        match self {
            Variant::Library => "library (adapter rendering)",
            Variant::LibraryViaError => {
                "library as a handler `Err` (boxed into `actix_web::Error`)"
            }
            Variant::BaselineA => "baseline A: status + `json!` body",
            Variant::BaselineB => "baseline B: `json!` body + contract headers",
            Variant::Floor => "floor: `&'static` body + `from_static` headers",
            Variant::ConstFloor => "floor, values `const`: `const { from_static }` headers",
        }
    }

    /// The variant with id `id`.
    pub fn from_id(id: &str) -> Option<Variant> {
        [
            Variant::Library,
            Variant::LibraryViaError,
            Variant::BaselineA,
            Variant::BaselineB,
            Variant::Floor,
            Variant::ConstFloor,
        ]
        .into_iter()
        .find(|variant| variant.id() == id)
    }
}
