//! The exact wire body: `{"error":"…","code":"…"}`, plus `"retry_after":N` on 429s only.
//!
//! Servers render an [`ApiError`] with [`ApiError::to_bytes`]; clients parse with
//! [`ErrorBody::from_slice`].
//!
//! ```
//! use attractos_errors::{ApiError, ErrorBody, ErrorCode, RetryAfter};
//!
//! let bytes = ApiError::rate_limited(RetryAfter::from_secs(30)).to_bytes();
//! assert_eq!(
//!     &bytes[..],
//!     br#"{"error":"You have exceeded the API rate limit for your plan.","code":"RATE_LIMITED","retry_after":30}"#
//! );
//!
//! let body = ErrorBody::from_slice(&bytes).unwrap();
//! assert_eq!(body.code.known(), Some(ErrorCode::RateLimited));
//! assert_eq!(body.retry_after, Some(30));
//! ```

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{ApiError, ErrorCode};

/// The largest body [`ErrorBody::from_slice`] accepts; contract bodies are a few hundred bytes.
pub const MAX_BODY_LEN: usize = 1 << 20;

/// The borrowed shape serde writes: key order is the field order, whatever features
/// serde_json has in the user's build.
#[derive(Serialize)]
struct Wire<'a> {
    error: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl ApiError {
    /// The exact body bytes to send.
    ///
    /// A catalogue message without `retry_after` is a `&'static` constant (no serialization,
    /// no allocation); a 429 appends its number to a constant prefix; only a specific message
    /// goes through serde.
    #[inline]
    pub fn to_bytes(&self) -> Bytes {
        // The constant case inlines into the adapters, so it costs no call.
        if let (None, None, Some(constant)) = (
            self.public_detail(),
            self.retry_after(),
            self.code().default_body(),
        ) {
            return Bytes::from_static(constant.as_bytes());
        }
        self.render_body()
    }

    /// Every body but a catalogue constant, which [`ApiError::to_bytes`] returns itself.
    fn render_body(&self) -> Bytes {
        match (self.public_detail(), self.retry_after()) {
            (None, Some(retry_after)) => {
                let prefix = self.code().body_prefix();
                let mut seconds = itoa::Buffer::new();
                let seconds = seconds.format(retry_after.as_secs());
                const KEY: &[u8] = b",\"retry_after\":";
                // Exact capacity: `Bytes::from` then takes the Vec without another allocation.
                let mut body = Vec::with_capacity(prefix.len() + KEY.len() + seconds.len() + 1);
                body.extend_from_slice(prefix.as_bytes());
                body.extend_from_slice(KEY);
                body.extend_from_slice(seconds.as_bytes());
                body.push(b'}');
                Bytes::from(body)
            }
            _ => {
                let wire = Wire {
                    error: self.message(),
                    code: self.code().as_str(),
                    retry_after: self.retry_after().map(|r| u64::from(r.as_secs())),
                };
                Bytes::from(serialize(&wire))
            }
        }
    }
}

fn serialize(wire: &Wire<'_>) -> Vec<u8> {
    // Exact capacity: `Bytes::from` then takes the Vec without a second allocation (it needs
    // one for a Vec whose length is not its capacity).
    let mut body = Vec::with_capacity(wire_len(wire));
    if is_plain(wire.error) && is_plain(wire.code) {
        // Nothing to escape (the usual message): the bytes serde_json writes, copied whole
        // instead of walked through its escape table byte by byte.
        body.extend_from_slice(br#"{"error":""#);
        body.extend_from_slice(wire.error.as_bytes());
        body.extend_from_slice(br#"","code":""#);
        body.extend_from_slice(wire.code.as_bytes());
        body.push(b'"');
        if let Some(retry_after) = wire.retry_after {
            body.extend_from_slice(br#","retry_after":"#);
            body.extend_from_slice(itoa::Buffer::new().format(retry_after).as_bytes());
        }
        body.push(b'}');
    } else {
        // Writing a struct of strings and an integer into a Vec cannot fail.
        serde_json::to_writer(&mut body, wire).expect("serializing a Wire body into a Vec");
    }
    body
}

/// The exact length of the JSON serde_json writes for `wire`.
fn wire_len(wire: &Wire<'_>) -> usize {
    const FIXED: usize = r#"{"error":"","code":""}"#.len();
    let mut len = FIXED + escaped_len(wire.error) + escaped_len(wire.code);
    if let Some(retry_after) = wire.retry_after {
        len += r#","retry_after":"#.len() + itoa::Buffer::new().format(retry_after).len();
    }
    len
}

/// Whether `text` goes into a JSON string as it is: no `"`, `\` or control character.
/// Branch-free over the bytes, so the compiler vectorizes it.
fn is_plain(text: &str) -> bool {
    text.bytes().fold(true, |plain, b| {
        plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
    })
}

/// The length of `text` inside a JSON string, escaped as serde_json escapes: `"` and `\` and
/// the five short escapes take 2 bytes, other control characters 6 (`\u00XX`).
fn escaped_len(text: &str) -> usize {
    if is_plain(text) {
        return text.len();
    }
    let extra: usize = text
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0x00..=0x1f => 5,
            _ => 0,
        })
        .sum();
    text.len() + extra
}

/// The `code` field as a client sees it: a catalogue code, or one this build does not know yet
/// (kept verbatim, so old clients survive new codes).
///
/// Closed on purpose, unlike [`ErrorCode`]: every code string is either in this catalogue or
/// not, and a new catalogue code becomes a new [`ErrorCode`] variant, not a new `Code` one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Code {
    /// A code of this catalogue.
    Known(ErrorCode),
    /// A code this version of the catalogue does not list.
    Unknown(String),
}

impl Code {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Code::Known(code) => code.as_str(),
            Code::Unknown(name) => name,
        }
    }

    /// The catalogue code, if known.
    pub fn known(&self) -> Option<ErrorCode> {
        match self {
            Code::Known(code) => Some(*code),
            Code::Unknown(_) => None,
        }
    }
}

impl From<&str> for Code {
    fn from(name: &str) -> Self {
        match name.parse() {
            Ok(code) => Code::Known(code),
            Err(_) => Code::Unknown(name.to_owned()),
        }
    }
}

impl From<ErrorCode> for Code {
    fn from(code: ErrorCode) -> Self {
        Code::Known(code)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Code::from(&*name))
    }
}

/// An error body as it travels: what clients parse and what [`ApiError::to_bytes`] writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The human-readable message.
    pub error: String,
    /// The code to match on.
    pub code: Code,
    /// Seconds to wait before retrying; present on rate-limit (429) errors only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl ErrorBody {
    /// Parses a response body. Unknown codes parse (as [`Code::Unknown`]); a missing `error` or
    /// `code`, a wrong type, or anything but a JSON object fails with a message saying which.
    ///
    /// ```
    /// use attractos_errors::ErrorBody;
    /// let body = ErrorBody::from_slice(br#"{"error":"soon","code":"NEW_CODE"}"#).unwrap();
    /// assert_eq!(body.code.as_str(), "NEW_CODE");
    ///
    /// let err = ErrorBody::from_slice(br#"{"error":"no code"}"#).unwrap_err();
    /// assert!(err.to_string().contains("missing field `code`"));
    /// ```
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ParseError> {
        if bytes.len() > MAX_BODY_LEN {
            return Err(ParseError(format!(
                "body is {} bytes, over the {MAX_BODY_LEN}-byte limit",
                bytes.len()
            )));
        }
        // serde's derived structs also accept arrays; the contract's body is an object.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ParseError("expected a JSON object".to_owned()));
        }
        serde_json::from_slice(bytes).map_err(|err| ParseError(err.to_string()))
    }

    /// The body's bytes, in the contract's key order.
    pub fn to_vec(&self) -> Vec<u8> {
        serialize(&Wire {
            error: &self.error,
            code: self.code.as_str(),
            retry_after: self.retry_after,
        })
    }
}

impl From<&ApiError> for ErrorBody {
    fn from(err: &ApiError) -> Self {
        ErrorBody {
            error: err.message().to_owned(),
            code: Code::Known(err.code()),
            retry_after: err.retry_after().map(|r| u64::from(r.as_secs())),
        }
    }
}

/// A response body that is not an AttractOS error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an AttractOS error body: {0}")]
pub struct ParseError(String);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The buffer is sized exactly, whatever the message needs escaped.
        #[test]
        fn wire_len_is_what_serde_json_writes(
            error in "(\\PC|[\"\\\\\u{0}-\u{1f}\u{7f}])*",
            retry_after in proptest::option::of(any::<u64>()),
        ) {
            let wire = Wire { error: &error, code: "INVALID_DATE_RANGE", retry_after };
            let written = serde_json::to_vec(&wire).expect("serializing");
            prop_assert_eq!(wire_len(&wire), written.len(), "exact length for {:?}", error);
            let body = serialize(&wire);
            prop_assert_eq!(&body, &written, "same bytes as serde_json for {:?}", error);
            prop_assert_eq!(body.len(), body.capacity(), "no spare capacity for {:?}", error);
        }

        /// Messages with nothing to escape take the copying path: the same bytes again.
        #[test]
        fn plain_messages_are_copied_as_serde_json_writes_them(
            error in "[^\"\\\\\u{0}-\u{1f}]*",
            retry_after in proptest::option::of(any::<u64>()),
        ) {
            prop_assert!(is_plain(&error), "generated a plain message: {:?}", error);
            let wire = Wire { error: &error, code: "RATE_LIMITED", retry_after };
            let written = serde_json::to_vec(&wire).expect("serializing");
            let body = serialize(&wire);
            prop_assert_eq!(&body, &written, "same bytes as serde_json for {:?}", error);
            prop_assert_eq!(body.len(), body.capacity(), "no spare capacity for {:?}", error);
        }
    }
}
