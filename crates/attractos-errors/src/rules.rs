//! Which request failure gives which code and message: written once here, so the axum and
//! actix-web adapters differ only in how they get at the request's bytes.
//!
//! ```
//! use attractos_errors::{rules, ErrorCode};
//!
//! assert_eq!(rules::bearer_key([&b"Bearer ak_live_1"[..]]).unwrap(), "ak_live_1");
//! assert_eq!(rules::bearer_key(None::<&[u8]>).unwrap_err().code(), ErrorCode::MissingKey);
//!
//! let range = rules::date_range(Some("start=2024-01-01&end=2024-01-31")).unwrap();
//! assert_eq!(range.end.to_string(), "2024-01-31");
//! let err = rules::date_range(Some("start=2024-02-30&end=2024-03-01")).unwrap_err();
//! assert_eq!(err.message(), "start: '2024-02-30' is not a calendar day; use ISO 8601 date format: YYYY-MM-DD (e.g., 2024-01-15)");
//! ```

use std::any::Any;
use std::borrow::Cow;
use std::time::Duration;

use serde::de::DeserializeOwned;
use time::Date;
use time::macros::format_description;

use crate::{ApiError, RetryAfter};

/// The request body limit adapters apply unless configured otherwise: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Longest client `X-Request-Id` echoed by default (8 KiB, the most a request head of the
/// default servers carries in one header); longer ones are replaced by a new id. Services that
/// log request ids may want less: `Contract::with_request_id_max_len`.
pub const MAX_REQUEST_ID_LEN: usize = 8 * 1024;

/// The name of the path parameter that names the site (`/api/v1/sites/{siteId}/…`).
pub const SITE_ID_PARAM: &str = "siteId";

/// How long a request body may take to arrive, from the moment the adapter starts reading it,
/// unless configured otherwise: 15 s ([`body_timed_out`]).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(15);

/// Longest key [`bearer_key`] accepts; real keys are far shorter.
pub const MAX_KEY_LEN: usize = 512;

/// How many characters of the client's own input a message may quote.
const EXCERPT_CHARS: usize = 32;

/// How long a parser's message (which may itself quote the input) may get.
const LIBRARY_MESSAGE_CHARS: usize = 128;

/// The API key from the values of the request's `Authorization` headers.
///
/// None -> `MISSING_KEY`. Several headers, another scheme than `Bearer` (matched without regard
/// to case, RFC 9110), no key, a key with anything but visible ASCII, or a key over
/// [`MAX_KEY_LEN`] -> `INVALID_KEY`, with a message saying which.
pub fn bearer_key<'a, I>(authorization: I) -> Result<&'a str, ApiError>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut values = authorization.into_iter();
    let Some(value) = values.next() else {
        return Err(ApiError::missing_key());
    };
    if values.next().is_some() {
        return Err(ApiError::invalid_key()
            .with_message("Send exactly one Authorization header; this request had several."));
    }
    let (scheme, key) = match value.iter().position(|b| *b == b' ') {
        Some(space) => (&value[..space], &value[space + 1..]),
        None => (value, &b""[..]),
    };
    if !scheme.eq_ignore_ascii_case(b"Bearer") {
        return Err(ApiError::invalid_key().with_message(
            "The Authorization header must use the Bearer scheme: Authorization: Bearer YOUR_API_KEY",
        ));
    }
    let key = trim_spaces(key);
    if key.is_empty() {
        return Err(ApiError::invalid_key()
            .with_message("The Authorization header has the Bearer scheme but no API key."));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(ApiError::invalid_key().with_message(format!(
            "The API key is {} bytes long; keys are at most {MAX_KEY_LEN}.",
            key.len()
        )));
    }
    match std::str::from_utf8(key) {
        Ok(key) if key.bytes().all(|b| b.is_ascii_graphic()) => Ok(key),
        _ => Err(ApiError::invalid_key()
            .with_message("The API key may contain only visible ASCII characters.")),
    }
}

fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != b' ').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| *b != b' ')
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// A path parameter that does not decode to UTF-8, or that a framework could not parse into the
/// route's type: `NOT_FOUND`, like any path that names nothing. Also the answer for a `siteId`
/// whose percent-decoding is not UTF-8.
pub fn unparsable_path() -> ApiError {
    ApiError::not_found()
}

/// A query string a framework's own extractor could not deserialize (and gave no error value
/// for [`query_error`]): `INVALID_DATE_RANGE`, as [`query`] answers.
pub fn unparsable_query() -> ApiError {
    ApiError::invalid_date_range()
}

/// A form body a framework's own extractor refused for anything but its size: `INVALID_JSON`,
/// the catalogue's only code for a body the endpoint cannot use.
pub fn unparsable_form() -> ApiError {
    ApiError::invalid_json()
}

/// The `siteId` path parameter: absent, empty or blank -> `MISSING_SITE_ID`.
pub fn site_id(raw: Option<&str>) -> Result<&str, ApiError> {
    match raw.map(str::trim) {
        Some(id) if !id.is_empty() => Ok(id),
        _ => Err(ApiError::missing_site_id()),
    }
}

/// A validated `start..=end` pair of calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    /// First day, inclusive.
    pub start: Date,
    /// Last day, inclusive; never before `start`.
    pub end: Date,
}

impl DateRange {
    /// Number of days in the range, both ends included.
    pub fn days(&self) -> i64 {
        (self.end - self.start).whole_days() + 1
    }
}

/// The `start` and `end` query parameters, ISO 8601 `YYYY-MM-DD` each, `start <= end`.
/// Every failure is `INVALID_DATE_RANGE` naming the parameter and the expected format.
pub fn date_range(query: Option<&str>) -> Result<DateRange, ApiError> {
    let mut start = None;
    let mut end = None;
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let slot = match &*name {
            "start" => &mut start,
            "end" => &mut end,
            _ => continue,
        };
        if slot.is_some() {
            return Err(date_error(&name, "is given more than once"));
        }
        *slot = Some(value);
    }
    let start = parse_date("start", start)?;
    let end = parse_date("end", end)?;
    if start > end {
        return Err(ApiError::invalid_date_range().with_message(format!(
            "start ({start}) is after end ({end}); the range must run forward"
        )));
    }
    Ok(DateRange { start, end })
}

fn parse_date(name: &str, value: Option<Cow<'_, str>>) -> Result<Date, ApiError> {
    let Some(value) = value else {
        return Err(date_error(name, "is missing"));
    };
    let shape_ok = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(date_error(
            name,
            &format!("'{}' is not a date", excerpt(&value, EXCERPT_CHARS)),
        ));
    }
    // The shape is checked above; the date library decides what is a real calendar day.
    Date::parse(&value, format_description!("[year]-[month]-[day]"))
        .map_err(|_| date_error(name, &format!("'{value}' is not a calendar day")))
}

fn date_error(name: &str, problem: &str) -> ApiError {
    ApiError::invalid_date_range().with_message(format!(
        "{name}: {problem}; use ISO 8601 date format: YYYY-MM-DD (e.g., 2024-01-15)"
    ))
}

/// Any other query parameters, deserialized with `serde_urlencoded`. The AttractOS API's
/// query parameters all shape the reported time range, so failures are `INVALID_DATE_RANGE`.
pub fn query<T: DeserializeOwned>(query: Option<&str>) -> Result<T, ApiError> {
    serde_urlencoded::from_str(query.unwrap_or("")).map_err(|err| query_error(&err))
}

/// What [`query`] answers when `serde_urlencoded` refuses the query string, for adapters whose
/// framework deserialized the query itself (e.g. actix-web's `web::Query`).
pub fn query_error(err: &serde_urlencoded::de::Error) -> ApiError {
    ApiError::invalid_date_range().with_message(format!(
        "Invalid query string: {}",
        excerpt(&err.to_string(), LIBRARY_MESSAGE_CHARS)
    ))
}

/// Whether a `Content-Type` value names JSON (`application/json` or `application/*+json`).
pub fn is_json_content_type(content_type: &[u8]) -> bool {
    let Ok(content_type) = std::str::from_utf8(content_type) else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json"))
}

/// A JSON request body: the `Content-Type` and the whole body, already within the size limit.
/// Every failure is `INVALID_JSON`, with a message that points at the problem.
pub fn json<T: DeserializeOwned>(content_type: Option<&[u8]>, body: &[u8]) -> Result<T, ApiError> {
    if !content_type.is_some_and(is_json_content_type) {
        return Err(ApiError::invalid_json()
            .with_message("Send the body with the header Content-Type: application/json."));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_json()
            .with_message("The request body is empty; expected a JSON document."));
    }
    let text = std::str::from_utf8(body).map_err(|err| {
        ApiError::invalid_json().with_message(format!(
            "The request body is not valid UTF-8 (byte {}).",
            err.valid_up_to()
        ))
    })?;
    // From the validated text, so serde_json does not check each string's UTF-8 again.
    serde_json::from_str(text).map_err(|err| json_error(&err))
}

/// What [`json`] answers when `serde_json` refuses the body, for adapters whose framework
/// parsed the body itself (e.g. actix-web's `web::Json`).
pub fn json_error(err: &serde_json::Error) -> ApiError {
    ApiError::invalid_json().with_message(json_message(err))
}

/// Built in one buffer: under a flood of bad bodies this message is most of what the error
/// path itself costs.
fn json_message(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    use std::fmt::Write as _;
    let (line, column) = (err.line(), err.column());
    let mut message = String::with_capacity(96 + LIBRARY_MESSAGE_CHARS);
    let _ = match err.classify() {
        Category::Eof => {
            let _ = write!(
                message,
                "The JSON body ends early at line {line}, column {column}."
            );
            return message;
        }
        Category::Data => write!(
            message,
            "The JSON body does not match the expected fields at line {line}, column {column}: "
        ),
        Category::Syntax | Category::Io => {
            write!(message, "Invalid JSON at line {line}, column {column}: ")
        }
    };
    let reason = err.to_string();
    push_excerpt(
        &mut message,
        without_position(&reason, line, column),
        LIBRARY_MESSAGE_CHARS,
    );
    message.push('.');
    message
}

/// `message` without the ` at line L column C` that serde_json's `Display` appends, since the
/// contract message names the position in its own words.
fn without_position(message: &str, line: usize, column: usize) -> &str {
    const AT_LINE: &str = " at line ";
    const COLUMN: &str = " column ";
    let digits = |n: usize| n.checked_ilog10().map_or(1, |d| d as usize + 1);
    let suffix_len = AT_LINE.len() + digits(line) + COLUMN.len() + digits(column);
    let Some(start) = message.len().checked_sub(suffix_len) else {
        return message;
    };
    let Some((head, suffix)) = message.split_at_checked(start) else {
        return message;
    };
    let position = suffix
        .strip_prefix(AT_LINE)
        .and_then(|rest| rest.split_once(COLUMN));
    match position {
        Some((l, c)) if l.parse() == Ok(line) && c.parse() == Ok(column) => head,
        _ => message,
    }
}

/// `INVALID_JSON` for a body that could not be read to its end (the client went away, a broken
/// transfer or content encoding). Adapters attach the transport error as the cause.
pub fn unreadable_body() -> ApiError {
    ApiError::invalid_json().with_message("The request body could not be read completely.")
}

/// The `Content-Length` of a request, given the values of its `Content-Length` headers: a
/// number only if there is exactly one value and it parses.
pub fn content_length<'a, I>(values: I) -> Option<u64>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut values = values.into_iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    std::str::from_utf8(value).ok()?.trim().parse().ok()
}

/// The decision before any body is read: `PAYLOAD_TOO_LARGE` when the request's
/// `Content-Length` values (see [`content_length`]) announce more than `limit` bytes.
pub fn announced_body<'a, I>(content_length_values: I, limit: usize) -> Result<(), ApiError>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    match content_length(content_length_values) {
        Some(len) if len > limit as u64 => Err(payload_too_large(limit)),
        _ => Ok(()),
    }
}

/// Whether an answer another layer produced must be rewritten into the contract: an error
/// status (>= 400) without a JSON `Content-Type`. A JSON error is taken as the layer's own
/// contract answer and sent as it is.
pub fn needs_rewrite(status: u16, content_type: Option<&[u8]>) -> bool {
    status >= 400 && !content_type.is_some_and(is_json_content_type)
}

/// The `Allow` value a `METHOD_NOT_ALLOWED` answer carries, from the methods a framework listed
/// (`listed`, comma-separated, with or without spaces): each once, without spaces, as axum
/// writes it, and with `HEAD` after `GET` when the route's `GET` handler answers `HEAD` too
/// (`get_answers_head`), as axum's routes and the actix-web adapter's `resource` do.
///
/// ```
/// use attractos_errors::rules::allow;
/// assert_eq!(allow("GET, HEAD", false), "GET,HEAD");
/// assert_eq!(allow("GET, POST", true), "GET,HEAD,POST");
/// assert_eq!(allow("POST", true), "POST");
/// ```
pub fn allow(listed: &str, get_answers_head: bool) -> String {
    let methods: Vec<&str> = listed
        .split(',')
        .map(str::trim)
        .filter(|method| !method.is_empty())
        .collect();
    let mut out = String::with_capacity(listed.len() + 5);
    for (i, method) in methods.iter().enumerate() {
        if methods[..i].contains(method) {
            continue;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(method);
        if get_answers_head && *method == "GET" && !methods.contains(&"HEAD") {
            out.push_str(",HEAD");
        }
    }
    out
}

/// Whether an answer's `Content-Type` is plain text (`text/plain`, any parameters, any case):
/// the only body of another layer's answer the adapters read, for [`from_answer`]'s `text`.
///
/// ```
/// use attractos_errors::rules::is_plain_text;
/// assert!(is_plain_text(Some(b"Text/Plain; charset=utf-8")));
/// assert!(!is_plain_text(Some(b"text/html")));
/// assert!(!is_plain_text(None));
/// ```
pub fn is_plain_text(content_type: Option<&[u8]>) -> bool {
    content_type.is_some_and(|value| {
        let essence = value.split(|b| *b == b';').next().unwrap_or(b"");
        essence.trim_ascii().eq_ignore_ascii_case(b"text/plain")
    })
}

/// Whether a client's `X-Request-Id` is echoed as it is: 1 to `max_len` bytes of visible
/// ASCII, so that it can be logged and sent back without escaping.
pub fn is_acceptable_request_id(id: &[u8], max_len: usize) -> bool {
    !id.is_empty() && id.len() <= max_len && id.iter().all(u8::is_ascii_graphic)
}

/// A new request id: a lowercase hyphenated UUID v4.
pub fn new_request_id() -> [u8; 36] {
    let mut buffer = [0; 36];
    uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
    buffer
}

/// `INVALID_JSON` for a body that had not arrived in full `deadline` after the adapter started
/// reading it: a client sending slowly, or not at all, must not hold a handler and a
/// connection for ever.
///
/// ```
/// # use std::time::Duration;
/// let err = attractos_errors::rules::body_timed_out(Duration::from_millis(1500));
/// assert_eq!(err.message(), "The request body could not be read completely within the 1.5-second deadline.");
/// ```
pub fn body_timed_out(deadline: Duration) -> ApiError {
    let millis = deadline.subsec_millis();
    let seconds = match millis {
        0 => deadline.as_secs().to_string(),
        _ => format!("{}.{millis:03}", deadline.as_secs())
            .trim_end_matches('0')
            .to_owned(),
    };
    ApiError::invalid_json().with_message(format!(
        "The request body could not be read completely within the {seconds}-second deadline."
    ))
}

/// The error a body stream yields once its deadline has passed; adapters recognize it in a
/// read error's source chain and answer [`body_timed_out`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub struct BodyTimeout(pub Duration);

impl BodyTimeout {
    /// The [`BodyTimeout`] anywhere in `err`'s source chain, if there is one, including inside
    /// an `io::Error` (whose `source` skips the error it wraps).
    pub fn find(err: &(dyn std::error::Error + 'static)) -> Option<BodyTimeout> {
        let mut current = Some(err);
        while let Some(err) = current {
            if let Some(timeout) = err.downcast_ref::<BodyTimeout>() {
                return Some(*timeout);
            }
            let wrapped = err
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .and_then(|inner| inner.downcast_ref::<BodyTimeout>());
            if let Some(timeout) = wrapped {
                return Some(*timeout);
            }
            current = err.source();
        }
        None
    }
}

/// `PAYLOAD_TOO_LARGE` for a body over `limit` bytes.
pub fn payload_too_large(limit: usize) -> ApiError {
    ApiError::payload_too_large().with_message(format!(
        "The request body is larger than the {limit}-byte limit."
    ))
}

/// `SERVER_ERROR` for a handler that panicked; the panic message is kept for the logs only.
pub fn panic(payload: &(dyn Any + Send)) -> ApiError {
    let message = if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_owned()
    };
    ApiError::internal(Panicked(message))
}

/// A handler panicked; the message is the panic's.
#[derive(Debug, thiserror::Error)]
#[error("handler panicked: {0}")]
pub struct Panicked(pub String);

/// The contract error for an error response something outside this library produced (a
/// framework default, a middleware), given its status and `Retry-After` header.
///
/// 404, 405, 413 and 429 keep their meaning; 401 is `INVALID_KEY`; 400, 415 and 422 (request
/// bodies a framework refused) are `INVALID_JSON`; anything else is a `SERVER_ERROR` whose
/// log names the original status.
pub fn from_status(status: u16, retry_after: Option<&[u8]>) -> ApiError {
    match status {
        400 | 415 | 422 => ApiError::invalid_json(),
        401 => ApiError::invalid_key(),
        404 => ApiError::not_found(),
        405 => ApiError::method_not_allowed(),
        413 => ApiError::payload_too_large(),
        429 => {
            let secs = retry_after
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| v.trim().parse::<u32>().ok())
                .unwrap_or(1);
            ApiError::rate_limited(RetryAfter::from_secs(secs))
        }
        _ => ApiError::internal(NonContractStatus(status)),
    }
}

/// [`from_status`] for an answer another layer produced, with what the layer said in text
/// (its plain-text body, a framework error's message): a `SERVER_ERROR` keeps an excerpt of it
/// as its internal detail, so the log says what went wrong; every other code drops it, as a
/// non-contract text never reaches the client.
pub fn from_answer(status: u16, retry_after: Option<&[u8]>, text: Option<&str>) -> ApiError {
    let err = from_status(status, retry_after);
    match text {
        Some(text) if err.code() == crate::ErrorCode::ServerError => {
            err.with_message(excerpt(text, LIBRARY_MESSAGE_CHARS))
        }
        _ => err,
    }
}

/// A layer answered with a status outside the contract.
#[derive(Debug, thiserror::Error)]
#[error("a layer answered {0} outside the error contract")]
pub struct NonContractStatus(pub u16);

/// At most `max_chars` characters of `text`, which may come from the client, with control
/// characters replaced: messages quote input, they never echo it.
fn excerpt(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    push_excerpt(&mut out, text, max_chars);
    out
}

/// [`excerpt`], appended to `out`.
fn push_excerpt(out: &mut String, text: &str, max_chars: usize) {
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { '\u{FFFD}' } else { c });
    }
}
