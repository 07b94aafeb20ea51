//! Which HTTP headers an error response carries, decided once for every adapter.
//!
//! Every error: `Content-Type: application/json`, `Cache-Control: no-store`,
//! `X-Content-Type-Options: nosniff`. A 401 adds its `WWW-Authenticate` challenge (RFC 9110,
//! RFC 6750), a 429 adds `Retry-After` (RFC 6585, the same seconds as the body), and once
//! [`set_docs_base_url`] has been called every error links its section of the reference page
//! (`Link: <BASE#CODE>; rel="help"`, RFC 8288).
//!
//! ```
//! use attractos_errors::{ApiError, HeaderText};
//!
//! let headers: Vec<_> = ApiError::missing_key().headers().collect();
//! assert!(headers.contains(&("www-authenticate", HeaderText::Static(r#"Bearer realm="attractos""#))));
//! assert!(headers.contains(&("content-type", HeaderText::Static("application/json"))));
//! ```

use std::fmt;
use std::sync::OnceLock;

use crate::{ApiError, ErrorCode};

/// A header value, in a form every framework's header type can take without copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// The contract headers of this error's response, in a stable order.
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
            docs_link(code).map(|link| (names::LINK, HeaderText::Static(link))),
        ]
        .into_iter()
        .flatten()
    }
}

static DOCS_LINKS: OnceLock<Vec<&'static str>> = OnceLock::new();

/// Makes every error response carry `Link: <BASE#CODE>; rel="help"`, pointing at the code's
/// section of the generated reference page. Set once per process, at start-up.
///
/// ```
/// use attractos_errors::{set_docs_base_url, ErrorCode};
///
/// set_docs_base_url("https://docs.attractos.com/error-codes").unwrap();
/// assert_eq!(
///     attractos_errors::docs_link(ErrorCode::InvalidKey),
///     Some(r#"<https://docs.attractos.com/error-codes#INVALID_KEY>; rel="help""#)
/// );
/// assert!(set_docs_base_url("https://elsewhere.example").is_err());
/// ```
pub fn set_docs_base_url(base: &str) -> Result<(), DocsLinkError> {
    let valid = !base.is_empty()
        && base.contains("://")
        && base
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'#'));
    if !valid {
        return Err(DocsLinkError::InvalidUrl);
    }
    let mut fresh = false;
    DOCS_LINKS.get_or_init(|| {
        fresh = true;
        // Built once per process, so every response can use a `&'static` value.
        ErrorCode::ALL
            .iter()
            .map(|code| -> &'static str {
                let link = format!("<{base}#{}>; rel=\"help\"", code.anchor());
                Box::leak(link.into_boxed_str())
            })
            .collect()
    });
    if fresh {
        Ok(())
    } else {
        Err(DocsLinkError::AlreadySet)
    }
}

/// The `Link` header value for `code`, once [`set_docs_base_url`] has been called.
#[inline]
pub fn docs_link(code: ErrorCode) -> Option<&'static str> {
    // `ALL` lists the codes in declaration order, so a code's discriminant is its index there
    // (a test checks it): no search on every error response.
    DOCS_LINKS.get()?.get(code as usize).copied()
}

/// Why [`set_docs_base_url`] refused a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DocsLinkError {
    /// Not an absolute URL of visible ASCII without `<`, `>`, `"` or a fragment.
    #[error("the docs base URL must be absolute, visible ASCII, without <, >, \" or #")]
    InvalidUrl,
    /// The base URL was already set for this process.
    #[error("the docs base URL is already set")]
    AlreadySet,
}

/// The per-code header writer both adapters use, expanded once per framework because axum
/// (`http` 1) and actix-web (`http` 0.2) have different header types; the logic is this one.
/// The argument is the path of the framework's `http::header` module. Not a public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __header_writer {
    ($($header:ident)::+) => {
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
            if let (Some(text), Some(link)) = ($crate::docs_link(code), LINKS.get(code as usize)) {
                headers.append(LINK, link.get_or_init(|| HeaderValue::from_static(text)).clone());
            }
        }

        static LINKS: [::std::sync::OnceLock<$($header)::+::HeaderValue>; $crate::ErrorCode::ALL.len()] =
            [const { ::std::sync::OnceLock::new() }; $crate::ErrorCode::ALL.len()];

        const fn challenge(code: $crate::ErrorCode) -> &'static str {
            match code.challenge() {
                Some(challenge) => challenge,
                None => panic!("a 401 code has a challenge"),
            }
        }

        /// A core header value converted on the spot: what the adapter's tests compare
        /// [`write_headers`] with.
        #[cfg(test)]
        fn converted_value(value: $crate::HeaderText) -> $($header)::+::HeaderValue {
            match value {
                $crate::HeaderText::Static(text) => $($header)::+::HeaderValue::from_static(text),
                $crate::HeaderText::Seconds(secs) => $($header)::+::HeaderValue::from(secs),
            }
        }

        /// A number of seconds as a header value, in one exactly-sized allocation
        /// (`HeaderValue::from(u32)` makes two).
        fn seconds(secs: u32) -> $($header)::+::HeaderValue {
            $($header)::+::HeaderValue::from_str($crate::__itoa::Buffer::new().format(secs)).expect("digits are a header value")
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_codes_discriminant_is_its_index_in_all() {
        for (index, code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(*code as usize, index, "{code}");
        }
    }
}
