//! Which HTTP headers an error response carries, decided once for every adapter.
//!
//! Every error: `Content-Type: application/json`, `Cache-Control: no-store`,
//! `X-Content-Type-Options: nosniff`. A 401 adds its `WWW-Authenticate` challenge (RFC 9110,
//! RFC 6750), a 429 adds `Retry-After` (RFC 6585, the same seconds as the body), and under a
//! [`Contract`](crate::Contract) with a docs base URL every error links its section of the
//! reference page last (`Link: <BASE#CODE>; rel="help"`, RFC 8288).
//!
//! ```
//! use attractos_errors::{ApiError, HeaderText};
//!
//! let headers: Vec<_> = ApiError::missing_key().headers().collect();
//! assert!(headers.contains(&("www-authenticate", HeaderText::Static(r#"Bearer realm="attractos""#))));
//! assert!(headers.contains(&("content-type", HeaderText::Static("application/json"))));
//! ```

use std::fmt;

use crate::ApiError;

/// A header value, in a form every framework's header type can take without copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderText {
    /// A value fixed for the life of the process.
    Static(&'static str),
    /// A number of seconds (`Retry-After`).
    Seconds(u32),
}

impl fmt::Display for HeaderText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderText::Static(text) => f.write_str(text),
            HeaderText::Seconds(secs) => write!(f, "{secs}"),
        }
    }
}

/// The header names, lowercase as HTTP/2 and both frameworks' header maps spell them.
pub mod names {
    /// `Content-Type`.
    pub const CONTENT_TYPE: &str = "content-type";
    /// `Cache-Control`.
    pub const CACHE_CONTROL: &str = "cache-control";
    /// `X-Content-Type-Options`.
    pub const X_CONTENT_TYPE_OPTIONS: &str = "x-content-type-options";
    /// `WWW-Authenticate`.
    pub const WWW_AUTHENTICATE: &str = "www-authenticate";
    /// `Retry-After`.
    pub const RETRY_AFTER: &str = "retry-after";
    /// `Link`.
    pub const LINK: &str = "link";
    /// `X-Request-Id`, set by the adapters' request-id layers rather than by the error.
    pub const X_REQUEST_ID: &str = "x-request-id";
    /// `RateLimit-Policy`, on the responses of a limited route ([`ratelimit`](crate::ratelimit)).
    pub const RATELIMIT_POLICY: &str = "ratelimit-policy";
    /// `RateLimit`, on the responses of a limited route ([`ratelimit`](crate::ratelimit)).
    pub const RATELIMIT: &str = "ratelimit";
}

/// The fixed header values, as constants, so that adapters can build their framework's header
/// values from them at compile time (`HeaderValue::from_static` in a `const`) instead of
/// converting the same text on every response.
pub mod values {
    /// `Content-Type` of every error.
    pub const APPLICATION_JSON: &str = "application/json";
    /// `Cache-Control` of every error.
    pub const NO_STORE: &str = "no-store";
    /// `X-Content-Type-Options` of every error.
    pub const NOSNIFF: &str = "nosniff";
}

impl ApiError {
    /// The contract headers of this error's response, in a stable order; the adapters append
    /// the [`Contract::docs_link`](crate::Contract::docs_link) last when one is set.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, HeaderText)> + use<> {
        let code = self.code();
        [
            Some((
                names::CONTENT_TYPE,
                HeaderText::Static(values::APPLICATION_JSON),
            )),
            Some((names::CACHE_CONTROL, HeaderText::Static(values::NO_STORE))),
            Some((
                names::X_CONTENT_TYPE_OPTIONS,
                HeaderText::Static(values::NOSNIFF),
            )),
            code.challenge()
                .map(|challenge| (names::WWW_AUTHENTICATE, HeaderText::Static(challenge))),
            self.retry_after()
                .map(|wait| (names::RETRY_AFTER, HeaderText::Seconds(wait.as_secs()))),
        ]
        .into_iter()
        .flatten()
    }
}

/// Why [`Contract::with_docs_base_url`](crate::Contract::with_docs_base_url) refused a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocsLinkError {
    /// Not an absolute URL of visible ASCII without `<`, `>`, `"` or a fragment.
    #[error("the docs base URL must be absolute, visible ASCII, without <, >, \" or #")]
    InvalidUrl,
}

/// The per-code header writer both adapters use, expanded once per framework because axum
/// (`http` 1) and actix-web (`http` 0.2) have different header types; the logic is this one.
/// The arguments: the path of the framework's `http::header` module, and whether its
/// `HeaderMap` iterates in insertion order (then the tests hold the writer to the core's order).
/// Not a public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __header_writer {
    ($($header:ident)::+, ordered: $ordered:literal) => {
        /// Appends the core's contract headers of `err`, in the core's order: the same headers
        /// as [`ApiError::headers`](attractos_errors::ApiError::headers), which each adapter's
        /// tests compare with what this writes, for every code, with and without the docs link.
        ///
        /// Written out rather than converted from that list: converting the core's
        /// `&'static str`s per response (a search of the standard names, a check of every value
        /// byte) cost more than the rest of the rendering, and the fixed values here are
        /// `HeaderValue`s built at compile time, so a response pays what a hand-written one with
        /// constants pays. Only `Retry-After`'s seconds are formatted, and the docs `Link` is
        /// converted once per code.
        fn write_headers(err: &$crate::ApiError, headers: &mut $($header)::+::HeaderMap) {
            use $($header)::+::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LINK, RETRY_AFTER,
                WWW_AUTHENTICATE, X_CONTENT_TYPE_OPTIONS};
            use $crate::{ErrorCode, header_values};

            let code = err.code();
            headers.append(CONTENT_TYPE, const { HeaderValue::from_static(header_values::APPLICATION_JSON) });
            headers.append(CACHE_CONTROL, const { HeaderValue::from_static(header_values::NO_STORE) });
            headers.append(X_CONTENT_TYPE_OPTIONS, const { HeaderValue::from_static(header_values::NOSNIFF) });
            match code {
                ErrorCode::MissingKey => {
                    headers.append(WWW_AUTHENTICATE, const { HeaderValue::from_static(challenge(ErrorCode::MissingKey)) });
                }
                ErrorCode::InvalidKey => {
                    headers.append(WWW_AUTHENTICATE, const { HeaderValue::from_static(challenge(ErrorCode::InvalidKey)) });
                }
                // A challenge the catalogue may gain later, converted on the spot.
                other => {
                    if let Some(challenge) = other.challenge() {
                        headers.append(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
                    }
                }
            }
            if let Some(wait) = err.retry_after() {
                headers.append(RETRY_AFTER, seconds(wait.as_secs()));
            }
            // The contract's docs link, set by its scope around the request (no copy: the
            // value shares the contract's bytes).
            if let Some(link) = $crate::__docs_link(code) {
                if let Ok(link) = HeaderValue::from_maybe_shared(link) {
                    headers.append(LINK, link);
                }
            }
        }

        const fn challenge(code: $crate::ErrorCode) -> &'static str {
            match code.challenge() {
                Some(challenge) => challenge,
                None => panic!("a 401 code has a challenge"),
            }
        }

        /// A number of seconds as a header value, in one exactly-sized allocation
        /// (`HeaderValue::from(u32)` makes two).
        fn seconds(secs: u32) -> $($header)::+::HeaderValue {
            $($header)::+::HeaderValue::from_str($crate::__itoa::Buffer::new().format(secs)).expect("digits are a header value")
        }

        /// The writer against the core's list, in the adapter's own `http` types.
        #[cfg(test)]
        mod header_writer_tests {
            use super::{seconds, write_headers};
            use $($header)::+::{HeaderMap, HeaderName, HeaderValue, LINK};
            use $crate::{ApiError, Contract, ErrorCode, HeaderText, RetryAfter};

            type Headers = Vec<(HeaderName, HeaderValue)>;

            /// Every code's example, both 429s at several waits, a custom message.
            fn errors() -> Vec<ApiError> {
                let mut errors: Vec<_> = ErrorCode::ALL.iter().map(|&code| $crate::docs::example(code)).collect();
                for secs in [1, 7, 30, 3600, u32::MAX] {
                    errors.push(ApiError::rate_limited(RetryAfter::from_secs(secs)));
                    errors.push(ApiError::limit_exceeded(RetryAfter::from_secs(secs)));
                }
                errors.push(ApiError::invalid_json().with_message("custom"));
                errors
            }

            /// The core's headers converted one by one, on the spot.
            fn converted(err: &ApiError) -> Headers {
                err.headers()
                    .map(|(name, value)| {
                        let value = match value {
                            HeaderText::Static(text) => HeaderValue::from_static(text),
                            HeaderText::Seconds(secs) => HeaderValue::from(secs),
                            // `HeaderText` may grow: a new kind is converted through its text.
                            other => HeaderValue::from_str(&other.to_string()).expect("a header value"),
                        };
                        (HeaderName::from_static(name), value)
                    })
                    .collect()
            }

            /// What the writer appends, in the map's iteration order.
            fn written(err: &ApiError) -> Headers {
                let mut map = HeaderMap::new();
                write_headers(err, &mut map);
                map.iter().map(|(name, value)| (name.clone(), value.clone())).collect()
            }

            fn comparable(mut headers: Headers, ordered: bool) -> Headers {
                if !ordered {
                    headers.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
                }
                headers
            }

            #[test]
            fn written_headers_are_the_cores_headers_with_and_without_the_docs_link() {
                let ordered = $ordered;
                for err in errors() {
                    assert_eq!(comparable(written(&err), ordered), comparable(converted(&err), ordered), "{err:?}");
                }
                let docs = Contract::new()
                    .with_docs_base_url("https://docs.attractos.example/errors")
                    .expect("a valid base URL");
                for err in errors() {
                    let mut expected = converted(&err);
                    let link = docs.docs_link(err.code()).expect("a link for every code");
                    expected.push((LINK, HeaderValue::from_str(link).expect("a header value")));
                    let written = docs.__in_scope(|| written(&err));
                    assert_eq!(comparable(written, ordered), comparable(expected, ordered), "{err:?}: the link comes last");
                }
            }

            #[test]
            fn seconds_are_decimal_digits() {
                for secs in [0, 1, 9, 10, 30, 86_400, u32::MAX] {
                    assert_eq!(seconds(secs), secs.to_string(), "{secs}");
                }
            }
        }
    };
}
