//! [`LimitContext`]: what the framework glue and the code that asks the limiter share for
//! one request.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use crate::ProxyTrust;
use crate::fields::RateLimitFields;
use crate::store::RateOutcome;

/// One request's link between the adapters' glue (a tower layer, an actix-web middleware)
/// and the handler code that asks the [`crate::Limiter`]: the glue puts it in the request's
/// extensions with the client address, the handler code leaves the RateLimit fields of its
/// decisions in it, and the glue writes them on the response, whatever the answer.
///
/// ```
/// use attractos_limits::{LimitContext, fields::RateLimitFields};
/// let context = LimitContext::new("192.0.2.1".parse().unwrap());
/// context.set_fields(RateLimitFields::default());
/// assert!(context.take_fields().is_some());
/// assert!(context.take_fields().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct LimitContext(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    client: IpAddr,
    decided: Mutex<Decided>,
}

/// What the request's decisions left.
#[derive(Debug, Default)]
struct Decided {
    fields: Option<RateLimitFields>,
    /// The key's rate after the request's admission, for the fields of an event it records.
    rate: Option<RateOutcome>,
}

impl LimitContext {
    /// The address every request without a known peer shares (in-process tests).
    pub const UNKNOWN_CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

    /// A context for a request from `client`.
    pub fn new(client: IpAddr) -> Self {
        LimitContext(Arc::new(Inner {
            client,
            decided: Mutex::default(),
        }))
    }

    /// A context for a request from `peer` (`None`: unknown, as in-process) whose
    /// `X-Forwarded-For` value `x_forwarded_for` reads, believed as [`crate::client_address`]
    /// says.
    pub fn for_request<'h>(
        peer: Option<IpAddr>,
        trust: ProxyTrust,
        x_forwarded_for: impl FnOnce() -> Option<&'h str>,
    ) -> Self {
        let peer = peer.unwrap_or(Self::UNKNOWN_CLIENT);
        Self::new(crate::client_address(peer, trust, x_forwarded_for))
    }

    /// The client address.
    pub fn client(&self) -> IpAddr {
        self.0.client
    }

    /// Leaves the fields of the latest decision (replacing earlier ones).
    pub fn set_fields(&self, fields: RateLimitFields) {
        self.lock().fields = Some(fields);
    }

    /// Takes the fields to write on the response.
    pub fn take_fields(&self) -> Option<RateLimitFields> {
        self.lock().fields.take()
    }

    /// Leaves the fields of the request's admission and the key's rate it decided.
    pub(crate) fn set_admission(&self, fields: RateLimitFields, rate: Option<RateOutcome>) {
        *self.lock() = Decided {
            fields: Some(fields),
            rate,
        };
    }

    /// The key's rate the request's admission decided, if it was admitted here.
    pub(crate) fn admitted_rate(&self) -> Option<RateOutcome> {
        self.lock().rate
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Decided> {
        self.0
            .decided
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A request reached code that asks the limits without a [`LimitContext`]: the adapter's glue
/// (axum's `ContractRouter::with_limits`, actix-web's `limit_context` middleware) is not
/// around its route. Answered `SERVER_ERROR`, this cause logged: without the glue the
/// client's address is unknown and the RateLimit fields would be lost.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error(
    "no LimitContext on this request: wrap the route in the adapter's limit glue (axum: \
     ContractRouter::with_limits, actix-web: the limit_context middleware)"
)]
pub struct MissingLimitContext;

/// The adapters' glue around a [`LimitContext`], expanded once per framework because axum
/// (`http` 1) and actix-web (`http` 0.2) have different header types; the logic is this one.
/// The argument is the path of the framework's `http::header` module. Not a public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __limit_glue {
    ($($header:ident)::+) => {
        /// The request's context: its client is the peer, or the `X-Forwarded-For` entry that
        /// `trust` says to believe. Of several header lines the last is the proxy's: some
        /// proxies add a line of their own after the client's instead of extending it.
        fn context_for(
            peer: ::core::option::Option<::std::net::IpAddr>,
            headers: &$($header)::+::HeaderMap,
            trust: $crate::ProxyTrust,
        ) -> $crate::LimitContext {
            $crate::LimitContext::for_request(peer, trust, || {
                let last = headers.get_all("x-forwarded-for").into_iter().last()?;
                last.to_str().ok()
            })
        }

        /// Writes the RateLimit fields the handler's decisions left in `context`: the shared
        /// bytes themselves, without a copy, under names made at compile time.
        fn write_fields(context: &$crate::LimitContext, headers: &mut $($header)::+::HeaderMap) {
            use $crate::fields::Field;
            use $($header)::+::{HeaderName, HeaderValue};
            const POLICY: HeaderName = HeaderName::from_static(Field::Policy.name());
            const CURRENT: HeaderName = HeaderName::from_static(Field::Current.name());
            if let Some(fields) = context.take_fields() {
                for (field, value) in fields.into_headers() {
                    // Serialized structured fields are visible ASCII: always a valid value.
                    if let Ok(value) = HeaderValue::from_maybe_shared(value) {
                        let name = match field {
                            Field::Policy => POLICY,
                            Field::Current => CURRENT,
                        };
                        headers.insert(name, value);
                    }
                }
            }
        }
    };
}
