//! The catalogue: every error code, its status, category, message and fix, in one table.
//!
//! ```
//! use attractos_errors::{Category, ErrorCode};
//!
//! let code: ErrorCode = "INVALID_KEY".parse().unwrap();
//! assert_eq!(code, ErrorCode::InvalidKey);
//! assert_eq!(code.status().as_u16(), 401);
//! assert_eq!(code.category(), Category::Authentication);
//! assert_eq!(code.message(), "The API key provided is invalid or has been revoked.");
//! ```

use std::fmt;
use std::str::FromStr;

use http::StatusCode;

/// The group a code belongs to; the published error page has one section per category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Category {
    /// 401: the API key is missing, invalid or revoked.
    Authentication,
    /// 403: authenticated, but without permission for the resource.
    Authorization,
    /// 400: the request is malformed or misses required parameters.
    Request,
    /// 429: request or event limits exceeded.
    RateLimit,
    /// 500: an unexpected problem on the server.
    Server,
    /// 404, 405, 413: protocol-level additions to the published catalogue, so that even a
    /// framework's own failures answer in the contract.
    Protocol,
}

impl Category {
    /// Every category, in the order of the reference page.
    pub const ALL: [Category; 6] = [
        Category::Authentication,
        Category::Authorization,
        Category::Request,
        Category::RateLimit,
        Category::Server,
        Category::Protocol,
    ];

    /// The section title used in the reference page, e.g. `"Authentication Errors"`.
    pub const fn title(self) -> &'static str {
        match self {
            Category::Authentication => "Authentication Errors",
            Category::Authorization => "Authorization Errors",
            Category::Request => "Request Errors",
            Category::RateLimit => "Rate Limit Errors",
            Category::Server => "Server Errors",
            Category::Protocol => "Protocol Errors",
        }
    }

    /// The sentence that introduces the section in the reference page.
    pub const fn summary(self) -> &'static str {
        match self {
            Category::Authentication => {
                "These errors occur when your API key is missing, invalid, or revoked."
            }
            Category::Authorization => {
                "These errors occur when you're authenticated but lack permission for the resource."
            }
            Category::Request => {
                "These errors occur when your request is malformed or missing required parameters."
            }
            Category::RateLimit => {
                "These errors occur when you've exceeded your request or event limits."
            }
            Category::Server => "These errors indicate an unexpected problem on our end.",
            Category::Protocol => {
                "Protocol-level additions to the published catalogue: the HTTP layer's own failures \
                 (no such route, wrong method, body too large) answer in the same format."
            }
        }
    }

    /// Whether the published error page lists this category (every one but [`Category::Protocol`]).
    pub const fn is_published(self) -> bool {
        !matches!(self, Category::Protocol)
    }

    /// A stable machine name, e.g. `"rate_limit"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Authentication => "authentication",
            Category::Authorization => "authorization",
            Category::Request => "request",
            Category::RateLimit => "rate_limit",
            Category::Server => "server",
            Category::Protocol => "protocol",
        }
    }
}

/// Whether the same request may succeed later, following the published page's fixes and FAQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Retry {
    /// The same request cannot succeed: change the request, the key or the plan.
    Never,
    /// Wait the `retry_after` seconds the error carries, then retry.
    AfterRetryAfter,
    /// Retry with exponential backoff; contact support if it persists.
    WithBackoff,
}

impl Retry {
    /// A stable machine name: `"never"`, `"after_retry_after"` or `"with_backoff"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Retry::Never => "never",
            Retry::AfterRetryAfter => "after_retry_after",
            Retry::WithBackoff => "with_backoff",
        }
    }

    /// Whether retrying can help at all.
    pub const fn is_retryable(self) -> bool {
        !matches!(self, Retry::Never)
    }
}

macro_rules! catalogue {
    ($(
        $(#[$doc:meta])*
        ($variant:ident, $name:literal, $status:ident, $category:ident, $retry:ident,
         $message:literal,
         $fix:literal);
    )+) => {
        /// One documented error code. The string form (`as_str`, `Display`, `FromStr`, serde)
        /// is the UPPER_SNAKE name clients match on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )+
        }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )+ ];

            /// The wire name, e.g. `"INVALID_KEY"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $name, )+ }
            }

            /// The HTTP status every response with this code carries.
            pub const fn status(self) -> StatusCode {
                match self { $( ErrorCode::$variant => StatusCode::$status, )+ }
            }

            /// The section of the catalogue this code belongs to.
            pub const fn category(self) -> Category {
                match self { $( ErrorCode::$variant => Category::$category, )+ }
            }

            /// The default human message: the published catalogue's description of the code.
            pub const fn message(self) -> &'static str {
                match self { $( ErrorCode::$variant => $message, )+ }
            }

            /// What the client should do about it: the published catalogue's "Fix" text.
            pub const fn fix(self) -> &'static str {
                match self { $( ErrorCode::$variant => $fix, )+ }
            }

            /// Whether and how the same request may be retried.
            pub const fn retry(self) -> Retry {
                match self { $( ErrorCode::$variant => Retry::$retry, )+ }
            }

            /// The exact wire body of this code with its default message, known at compile
            /// time. Codes whose body needs `retry_after` have none.
            pub const fn default_body(self) -> Option<&'static str> {
                match self {
                    $( ErrorCode::$variant => catalogue!(@body $retry, $message, $name), )+
                }
            }

            /// The default body without its closing brace, for appending `retry_after`.
            pub(crate) const fn body_prefix(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => concat!("{\"error\":\"", $message, "\",\"code\":\"", $name, "\""), )+
                }
            }
        }

        impl FromStr for ErrorCode {
            type Err = UnknownCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $name => Ok(ErrorCode::$variant), )+
                    _ => Err(UnknownCode(()))
                }
            }
        }
    };
    (@body AfterRetryAfter, $message:literal, $name:literal) => { None };
    (@body $retry:ident, $message:literal, $name:literal) => {
        Some(concat!("{\"error\":\"", $message, "\",\"code\":\"", $name, "\"}"))
    };
}

// The table's promises that matter to clients, checked when the crate compiles (a table that
// broke one would not build): fourteen codes, the published eleven and three protocol ones,
// whose wire names are unique UPPER_SNAKE words (clients match on them; `FromStr` would
// silently shadow a repeated one).
const _: () = {
    assert!(
        ErrorCode::ALL.len() == 14,
        "the catalogue has fourteen codes"
    );
    let mut i = 0;
    while i < ErrorCode::ALL.len() {
        let name = ErrorCode::ALL[i].as_str().as_bytes();
        assert!(
            !name.is_empty() && name[0] != b'_',
            "a wire name starts with a letter"
        );
        let mut byte = 0;
        while byte < name.len() {
            let b = name[byte];
            assert!(
                b.is_ascii_uppercase() || b == b'_',
                "wire names are UPPER_SNAKE"
            );
            byte += 1;
        }
        let mut other = i + 1;
        while other < ErrorCode::ALL.len() {
            let same = same_bytes(name, ErrorCode::ALL[other].as_str().as_bytes());
            assert!(!same, "wire names are unique");
            other += 1;
        }
        i += 1;
    }
};

const fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

catalogue! {
    /// No `Authorization` header was sent.
    (MissingKey, "MISSING_KEY", UNAUTHORIZED, Authentication, Never,
     "No Authorization header was provided in the request.",
     "Add the Authorization header with your API key: Authorization: Bearer YOUR_API_KEY");
    /// The key is malformed, unknown or revoked.
    (InvalidKey, "INVALID_KEY", UNAUTHORIZED, Authentication, Never,
     "The API key provided is invalid or has been revoked.",
     "Check that your API key is correct. Generate a new key from your dashboard if needed.");
    /// The key's user was deleted.
    (UserNotFound, "USER_NOT_FOUND", UNAUTHORIZED, Authentication, Never,
     "The user associated with this API key no longer exists.",
     "This typically means the account was deleted. Create a new account and API key.");
    /// The site is unknown or belongs to someone else; the two are indistinguishable.
    (SiteNotFound, "SITE_NOT_FOUND", FORBIDDEN, Authorization, Never,
     "The site ID does not exist or you do not have access to it.",
     "Verify the site ID is correct. Use GET /api/v1/sites to list your accessible sites.");
    /// The feature needs a higher plan.
    (PlanRequired, "PLAN_REQUIRED", FORBIDDEN, Authorization, Never,
     "This feature requires a higher plan tier.",
     "Upgrade to Pro to access this feature (e.g., hourly granularity timeseries).");
    /// The `siteId` path parameter is empty or blank.
    (MissingSiteId, "MISSING_SITE_ID", BAD_REQUEST, Request, Never,
     "The siteId path parameter is required but was not provided.",
     "Include the site ID in the URL path: /api/v1/sites/{siteId}/stats");
    /// A date parameter is missing, malformed, not a calendar day, or the range is reversed.
    (InvalidDateRange, "INVALID_DATE_RANGE", BAD_REQUEST, Request, Never,
     "The start or end date parameter is invalid.",
     "Use ISO 8601 date format: YYYY-MM-DD (e.g., 2024-01-15)");
    /// The body is not the JSON document the endpoint expects.
    (InvalidJson, "INVALID_JSON", BAD_REQUEST, Request, Never,
     "The request body contains invalid JSON.",
     "Check your JSON syntax. Use a JSON validator if needed.");
    /// Too many requests for the plan; carries `retry_after`.
    (RateLimited, "RATE_LIMITED", TOO_MANY_REQUESTS, RateLimit, AfterRetryAfter,
     "You have exceeded the API rate limit for your plan.",
     "Wait for the time specified in retry_after. Consider upgrading for higher limits.");
    /// The monthly event quota is spent; carries `retry_after` (seconds until it resets).
    (LimitExceeded, "LIMIT_EXCEEDED", TOO_MANY_REQUESTS, RateLimit, AfterRetryAfter,
     "You have exceeded your monthly event tracking quota.",
     "Wait until the next billing cycle or upgrade your plan for more events.");
    /// Anything unexpected; the cause is logged, never sent.
    (ServerError, "SERVER_ERROR", INTERNAL_SERVER_ERROR, Server, WithBackoff,
     "An unexpected error occurred on the server.",
     "Retry the request. If the error persists, contact support@attractos.com.");
    /// Protocol-level addition: no route matches the request path.
    (NotFound, "NOT_FOUND", NOT_FOUND, Protocol, Never,
     "No API endpoint matches the request path.",
     "Check the URL against the API reference, e.g. GET /api/v1/sites.");
    /// Protocol-level addition: the path exists but not with this method.
    (MethodNotAllowed, "METHOD_NOT_ALLOWED", METHOD_NOT_ALLOWED, Protocol, Never,
     "The endpoint does not support this HTTP method.",
     "Use one of the methods listed in the Allow response header.");
    /// Protocol-level addition: the request body exceeds the size limit.
    (PayloadTooLarge, "PAYLOAD_TOO_LARGE", PAYLOAD_TOO_LARGE, Protocol, Never,
     "The request body is too large.",
     "Send a smaller request body; the error message states the limit in bytes.");
}

impl ErrorCode {
    /// Whether the published error page documents this code (false for the protocol-level additions).
    pub const fn is_published(self) -> bool {
        self.category().is_published()
    }

    /// Whether errors with this code carry `retry_after` (exactly the 429 codes).
    pub const fn carries_retry_after(self) -> bool {
        matches!(self.retry(), Retry::AfterRetryAfter)
    }

    /// The `WWW-Authenticate` challenge RFC 9110 requires on a 401 (RFC 6750 form).
    ///
    /// ```
    /// use attractos_errors::ErrorCode;
    /// assert_eq!(ErrorCode::MissingKey.challenge(), Some(r#"Bearer realm="attractos""#));
    /// assert_eq!(ErrorCode::SiteNotFound.challenge(), None);
    /// ```
    pub const fn challenge(self) -> Option<&'static str> {
        match self {
            // No credentials at all: RFC 6750 section 3.1 says send no error code.
            ErrorCode::MissingKey => Some(r#"Bearer realm="attractos""#),
            _ if matches!(self.category(), Category::Authentication) => {
                Some(r#"Bearer realm="attractos", error="invalid_token""#)
            }
            _ => None,
        }
    }

    /// The fragment of this code's section in the generated reference page
    /// (`docs/error-codes.md`): the wire name itself.
    pub const fn anchor(self) -> &'static str {
        self.as_str()
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string is not one of the catalogue's codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a code of the AttractOS error catalogue")]
pub struct UnknownCode(());

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse()
            .map_err(|_| serde::de::Error::custom(format_args!("unknown error code `{name}`")))
    }
}
