//! [`Contract`]: how an adapter applies the contract (the body limit, the docs `Link`, the
//! request-id policy). One type, taken as it is by `attractos-errors-axum` and
//! `attractos-errors-actix`, so a service configures both frameworks the same way.
//!
//! ```
//! use attractos_errors::{Contract, ErrorCode};
//!
//! let contract = Contract::default()
//!     .with_body_limit(16 * 1024)
//!     .with_docs_base_url("https://docs.attractos.com/error-codes")
//!     .unwrap();
//! assert_eq!(contract.body_limit(), 16 * 1024);
//! assert_eq!(
//!     contract.docs_link(ErrorCode::InvalidKey),
//!     Some(r#"<https://docs.attractos.com/error-codes#INVALID_KEY>; rel="help""#)
//! );
//! // A client's id is echoed when it is short visible ASCII, else a new one is made.
//! assert_eq!(&*contract.request_id(Some(b"req-42")), b"req-42");
//! assert_eq!(contract.request_id(Some(b"bad id")).len(), 36);
//! ```

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::{DocsLinkError, ErrorCode, rules, serving};

/// How an adapter applies the contract to a router or app. Build it with [`Contract::new`]
/// (or `default()`) and the `with_*` methods; every adapter takes it as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    body_limit: usize,
    body_timeout: Duration,
    head_timeout: Duration,
    max_connections: Option<usize>,
    docs: Option<DocsLinks>,
    request_id_max_len: usize,
}

impl Contract {
    /// The defaults: a body limit of [`rules::DEFAULT_BODY_LIMIT`] (64 KiB), a body deadline of
    /// [`rules::DEFAULT_BODY_TIMEOUT`] (15 s), a head timeout of
    /// [`serving::DEFAULT_HEAD_TIMEOUT`] (5 s), a connection cap derived from the open-file
    /// limit ([`serving::max_connections_for`]), no docs link, client request ids of up to
    /// [`rules::MAX_REQUEST_ID_LEN`] bytes echoed.
    pub const fn new() -> Self {
        Contract {
            body_limit: rules::DEFAULT_BODY_LIMIT,
            body_timeout: rules::DEFAULT_BODY_TIMEOUT,
            head_timeout: serving::DEFAULT_HEAD_TIMEOUT,
            max_connections: None,
            docs: None,
            request_id_max_len: rules::MAX_REQUEST_ID_LEN,
        }
    }

    /// Sets the largest request body, in bytes, that the adapter's `Json` and the framework's
    /// own body extractors read; a larger one is `PAYLOAD_TOO_LARGE`.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The largest request body, in bytes.
    pub const fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Sets how long a request body may take to arrive once a handler starts reading it; a
    /// slower one is `INVALID_JSON` ([`rules::body_timed_out`]).
    pub fn with_body_timeout(mut self, deadline: Duration) -> Self {
        self.body_timeout = deadline;
        self
    }

    /// How long a request body may take to arrive.
    pub const fn body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// Sets how long the adapters' server helpers wait for a request head (on a new
    /// connection, or on a kept-alive one after its last response) before closing it.
    pub fn with_head_timeout(mut self, timeout: Duration) -> Self {
        self.head_timeout = timeout;
        self
    }

    /// How long a request head may take to arrive.
    pub const fn head_timeout(&self) -> Duration {
        self.head_timeout
    }

    /// Sets how many connections the adapters' server helpers hold open at once; more wait in
    /// the kernel's accept queue.
    pub fn with_max_connections(mut self, connections: usize) -> Self {
        self.max_connections = Some(connections);
        self
    }

    /// How many connections may be open at once: the one set, else three quarters of this
    /// process's open-file limit ([`serving::max_connections_for`]).
    pub fn max_connections(&self) -> usize {
        self.max_connections
            .unwrap_or_else(|| serving::max_connections_for(serving::open_file_limit()))
    }

    /// Makes every error response carry `Link: <BASE#CODE>; rel="help"` (RFC 8288), pointing
    /// at the code's section of the generated reference page.
    pub fn with_docs_base_url(mut self, base: &str) -> Result<Self, DocsLinkError> {
        self.docs = Some(DocsLinks::new(base)?);
        Ok(self)
    }

    /// The `Link` header value for `code`, once a docs base URL is set.
    pub fn docs_link(&self, code: ErrorCode) -> Option<&str> {
        let link = self.docs.as_ref()?.links.get(code as usize)?;
        std::str::from_utf8(link).ok()
    }

    /// Sets the longest client `X-Request-Id` that is echoed (see [`Contract::request_id`]).
    pub fn with_request_id_max_len(mut self, bytes: usize) -> Self {
        self.request_id_max_len = bytes;
        self
    }

    /// The request id a response carries, given the client's `X-Request-Id` (its first
    /// value): the client's own when it is 1 to the maximum length of visible ASCII (so it can
    /// be logged and echoed as it is), else a new UUID v4.
    pub fn request_id<'a>(&self, client: Option<&'a [u8]>) -> Cow<'a, [u8]> {
        match client {
            Some(id) if rules::is_acceptable_request_id(id, self.request_id_max_len) => {
                Cow::Borrowed(id)
            }
            _ => Cow::Owned(rules::new_request_id().to_vec()),
        }
    }

    /// Whether the client's id is echoed as it is: the half of [`Contract::request_id`] that
    /// adapters whose framework generates the id itself need.
    pub fn accepts_request_id(&self, client: &[u8]) -> bool {
        rules::is_acceptable_request_id(client, self.request_id_max_len)
    }

    /// Runs `f` with this contract's docs links in force for the errors rendered on this
    /// thread meanwhile; adapters wrap each poll of a request's future in it.
    ///
    /// Why a scope and not an argument: a framework renders a handler's error
    /// (`IntoResponse`, `ResponseError`) without the request or the app at hand, and carrying
    /// the error to a layer in response extensions would cost two allocations per error. The
    /// scope is per poll and per contract, so two routers with different settings in one
    /// process each link their own pages.
    #[doc(hidden)]
    pub fn __in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.docs.is_none() && CURRENT_DOCS.with_borrow(Option::is_none) {
            return f();
        }
        let previous = CURRENT_DOCS.replace(self.docs.clone());
        let _restore = Restore(Some(previous));
        f()
    }
}

impl Default for Contract {
    fn default() -> Self {
        Self::new()
    }
}

/// Every code's `Link` value for one base URL, built once.
#[derive(Clone, PartialEq, Eq)]
struct DocsLinks {
    links: Arc<[Bytes]>,
}

impl fmt::Debug for DocsLinks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.links.first()).finish()
    }
}

impl DocsLinks {
    fn new(base: &str) -> Result<Self, DocsLinkError> {
        let valid = !base.is_empty()
            && base.contains("://")
            && base
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'#'));
        if !valid {
            return Err(DocsLinkError::InvalidUrl);
        }
        // A code's discriminant is its index in `ALL` (asserted below at compile time).
        let links = ErrorCode::ALL
            .iter()
            .map(|code| Bytes::from(format!("<{base}#{}>; rel=\"help\"", code.anchor())))
            .collect();
        Ok(DocsLinks { links })
    }
}

const _: () = {
    let mut index = 0;
    while index < ErrorCode::ALL.len() {
        assert!(
            ErrorCode::ALL[index] as usize == index,
            "ALL is in declaration order"
        );
        index += 1;
    }
};

thread_local! {
    static CURRENT_DOCS: RefCell<Option<DocsLinks>> = const { RefCell::new(None) };
}

struct Restore(Option<Option<DocsLinks>>);

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            CURRENT_DOCS.set(previous);
        }
    }
}

/// The `Link` value for `code` in the current [`Contract::__in_scope`], for the header writer.
#[doc(hidden)]
#[inline]
pub fn __docs_link(code: ErrorCode) -> Option<Bytes> {
    CURRENT_DOCS.with_borrow(|docs| docs.as_ref()?.links.get(code as usize).cloned())
}
