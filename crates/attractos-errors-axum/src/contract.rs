//! [`ContractExt::with_contract`]: one call that makes a whole [`Router`] answer in the contract,
//! including the framework's and other layers' own failures.

use std::any::Any;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use attractos_errors::{rules, serving};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, StatusCode};
use pin_project_lite::pin_project;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::ApiError;
use crate::deadline::DeadlineBody;
use crate::extract::content_length;

/// How [`ContractExt::with_contract`] sets a router up, and how [`serve`](crate::serve) bounds
/// slow and numerous clients.
///
/// ```
/// use std::time::Duration;
/// use attractos_errors_axum::Contract;
///
/// let contract = Contract::default().with_body_limit(16 * 1024).with_body_timeout(Duration::from_secs(5));
/// assert_eq!(contract.body_limit(), 16 * 1024);
/// assert_eq!(contract.body_timeout(), Duration::from_secs(5));
/// assert_eq!(Contract::default().body_limit(), attractos_errors_axum::attractos_errors::rules::DEFAULT_BODY_LIMIT);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contract {
    body_limit: usize,
    body_timeout: Duration,
    head_timeout: Duration,
    max_connections: Option<usize>,
}

impl Contract {
    /// The defaults: a body limit of [`rules::DEFAULT_BODY_LIMIT`] (64 KiB), a body deadline of
    /// [`rules::DEFAULT_BODY_TIMEOUT`] (15 s), a head timeout of
    /// [`serving::DEFAULT_HEAD_TIMEOUT`] (5 s), and a connection cap derived from the
    /// open-file limit ([`serving::max_connections_for`]).
    pub const fn new() -> Self {
        Contract {
            body_limit: rules::DEFAULT_BODY_LIMIT,
            body_timeout: rules::DEFAULT_BODY_TIMEOUT,
            head_timeout: serving::DEFAULT_HEAD_TIMEOUT,
            max_connections: None,
        }
    }

    /// Sets the largest request body, in bytes, that [`Json`](crate::Json) and axum's own body
    /// extractors read; a larger one is `PAYLOAD_TOO_LARGE`.
    pub const fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The largest request body, in bytes.
    pub const fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Sets how long a request body may take to arrive once a handler starts reading it; a
    /// slower one is `INVALID_JSON` ([`rules::body_timed_out`]).
    pub const fn with_body_timeout(mut self, deadline: Duration) -> Self {
        self.body_timeout = deadline;
        self
    }

    /// How long a request body may take to arrive.
    pub const fn body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// Sets how long [`serve`](crate::serve) waits for a request head (on a new connection, or
    /// on a kept-alive one after its last response) before it closes the connection.
    pub const fn with_head_timeout(mut self, timeout: Duration) -> Self {
        self.head_timeout = timeout;
        self
    }

    /// How long a request head may take to arrive.
    pub const fn head_timeout(&self) -> Duration {
        self.head_timeout
    }

    /// Sets how many connections [`serve`](crate::serve) holds open at once; more wait in the
    /// kernel's accept queue.
    pub const fn with_max_connections(mut self, connections: usize) -> Self {
        self.max_connections = Some(connections);
        self
    }

    /// How many connections may be open at once: the one set, else three quarters of this
    /// process's open-file limit ([`serving::max_connections_for`]).
    pub fn max_connections(&self) -> usize {
        self.max_connections
            .unwrap_or_else(|| serving::max_connections_for(serving::open_file_limit()))
    }
}

impl Default for Contract {
    fn default() -> Self {
        Self::new()
    }
}

/// The body limit the [`Contract`] put on a request, read by [`Json`](crate::Json).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit(pub(crate) usize);

mod sealed {
    pub trait Sealed {}
    impl<S> Sealed for axum::Router<S> {}
}

/// Makes a whole [`Router`] contract-clean in one call.
pub trait ContractExt: sealed::Sealed + Sized {
    /// Applies the contract to every route and fallback the router has **now**: call it last,
    /// after every `route`, `nest` and `merge` (like axum's own `layer`, it does not reach
    /// routes added later). It sets the router's fallback, replacing any set before, so do not
    /// set your own fallback either before or after it.
    ///
    /// - Unknown path: `NOT_FOUND` (the router's fallback).
    /// - Known path, wrong method: `METHOD_NOT_ALLOWED`, keeping axum's `Allow` header.
    /// - `Content-Length` over [`Contract::body_limit`]: `PAYLOAD_TOO_LARGE` before any handler
    ///   runs; [`Json`](crate::Json) and axum's `DefaultBodyLimit` enforce the same limit while
    ///   reading a body that has no length.
    /// - A body that has not arrived [`Contract::body_timeout`] after a handler started reading
    ///   it: `INVALID_JSON` with the deadline in its message ([`rules::body_timed_out`]) from
    ///   [`Json`](crate::Json); axum's own body extractors fail the same read (a 400, converted).
    /// - A panicking handler: `SERVER_ERROR`, the panic message logged, the server serving on.
    /// - Any other error response (status >= 400) that is not JSON, from axum's own extractors or
    ///   any layer (a `TimeoutLayer`'s 408, a `RequestBodyLimitLayer`'s 413):
    ///   converted with [`rules::from_status`]; axum's `Path` rejections become `NOT_FOUND` and
    ///   its `Query` rejections `INVALID_DATE_RANGE`, like this crate's extractors.
    /// - Every response carries `X-Request-Id` (the client's, else a new UUID v4), and every
    ///   request runs in a tracing span `request` with a `request_id` field, so each error's log
    ///   line names the request.
    /// - A request with a body whose handler answers without reading it to the end (a 401
    ///   before the upload, a 413 on `Content-Length`) never leaves the client holding a
    ///   connection the server is closing: hyper either discards the rest of the body (when
    ///   it has already arrived) and keeps the connection, or closes the connection and says
    ///   `Connection: close` in this response, so that the client does not send its next
    ///   request on it.
    fn with_contract(self, contract: Contract) -> Self;
}

impl<S> ContractExt for Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn with_contract(self, contract: Contract) -> Self {
        let limit = contract.body_limit;
        let body_timeout = contract.body_timeout;
        self.fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(DefaultBodyLimit::max(limit))
            .layer(
                // Outermost first: ids, then the span, so everything below logs inside it.
                ServiceBuilder::new()
                    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                    .layer(PropagateRequestIdLayer::x_request_id())
                    .layer(
                        TraceLayer::new_for_http()
                            .make_span_with(request_span as fn(&Request) -> Span)
                            // The error's own log line is the one event for a failure.
                            .on_failure(()),
                    )
                    .layer(ContractLayer {
                        limit,
                        body_timeout,
                    })
                    .layer(CatchPanicLayer::custom(
                        panic_response as fn(Box<dyn Any + Send + 'static>) -> Response,
                    )),
            )
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    ApiError(rules::panic(&*payload)).into_response()
}

/// The request's span. At `ERROR` level so that it is enabled whenever the `SERVER_ERROR` line
/// it must annotate is: an `INFO` span would vanish under a `warn` filter, taking the request id
/// with it.
fn request_span(request: &Request) -> Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.header_value().as_bytes())
        .unwrap_or_default();
    tracing::error_span!(
        "request",
        request_id = %String::from_utf8_lossy(id),
        method = %request.method(),
        path = %request.uri().path(),
    )
}

/// Refuses bodies whose `Content-Length` is over the limit, tells [`Json`](crate::Json) the
/// limit, and converts non-contract error responses.
#[derive(Debug, Clone, Copy)]
struct ContractLayer {
    limit: usize,
    body_timeout: Duration,
}

impl<S> Layer<S> for ContractLayer {
    type Service = ContractService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ContractService {
            inner,
            limit: self.limit,
            body_timeout: self.body_timeout,
        }
    }
}

#[derive(Debug, Clone)]
struct ContractService<S> {
    inner: S,
    limit: usize,
    body_timeout: Duration,
}

impl<S, B> Service<Request> for ContractService<S>
where
    S: Service<Request, Response = http::Response<B>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ContractFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let settle = !http_body::Body::is_end_stream(request.body());
        if content_length(request.headers()).is_some_and(|len| len > self.limit as u64) {
            // The request, and with it the unread body, is dropped here.
            return ContractFuture {
                state: State::TooLarge { limit: self.limit },
                settle,
            };
        }
        request.extensions_mut().insert(BodyLimit(self.limit));
        if settle {
            let deadline = self.body_timeout;
            request = request.map(|body| Body::new(DeadlineBody::new(body, deadline)));
        }
        ContractFuture {
            state: State::Inner {
                future: self.inner.call(request),
            },
            settle,
        }
    }
}

pin_project! {
    /// The response future of [`ContractService`].
    ///
    /// When the request carried a body (`settle`), the finished response is held back for
    /// one turn of the task before it is returned. hyper's HTTP/1 server polls this future
    /// from the connection's task, and on each turn reads before it writes; a handler that
    /// answers without reading the body to its end drops the body in the same poll that
    /// completes the response. Returned at once, the response head would be written before
    /// hyper saw the body dropped; hyper would then discard what has arrived of the body and,
    /// when that is not all of it, close the connection after a response that did not say
    /// so (hyper adds `Connection: close` only when it knows before writing the head), and
    /// a client reusing the connection would get no answer. One turn later hyper has seen
    /// the dropped body: it keeps the connection when it could discard the whole rest, else
    /// it writes `Connection: close` into this response. A body read to its end costs the
    /// same one turn and changes nothing.
    struct ContractFuture<F> {
        #[pin]
        state: State<F>,
        settle: bool,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        // The error is built when polled, so that it is logged inside the request span.
        TooLarge { limit: usize },
        Inner { #[pin] future: F },
        // The finished response, held back for one turn (see `ContractFuture`).
        Settling { response: Option<Response> },
    }
}

impl<F, B, E> Future for ContractFuture<F>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let response = match this.state.as_mut().project() {
            StateProj::TooLarge { limit } => {
                ApiError(rules::payload_too_large(*limit)).into_response()
            }
            StateProj::Inner { future } => into_contract(ready!(future.poll(cx))?),
            StateProj::Settling { response } => {
                let response = response
                    .take()
                    .expect("ContractFuture polled after it completed");
                return Poll::Ready(Ok(response));
            }
        };
        if std::mem::take(this.settle) {
            this.state.set(State::Settling {
                response: Some(response),
            });
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(response))
    }
}

/// `response` if it is a success or already JSON, else the contract error for it (keeping
/// `Allow`).
fn into_contract<B>(response: http::Response<B>) -> Response
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    if response.status().as_u16() < 400 || is_json(response.headers()) {
        return response.map(Body::new);
    }
    let (parts, body) = response.into_parts();
    let text = if is_plain_text(&parts.headers) {
        ready_text(body)
    } else {
        None
    };
    let err = framework_error(parts.status, &parts.headers, text.as_deref());
    let mut converted = ApiError(err).into_response();
    if let Some(allow) = parts.headers.get(ALLOW) {
        converted.headers_mut().insert(ALLOW, allow.clone());
    }
    converted
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .is_some_and(|value| rules::is_json_content_type(value.as_bytes()))
}

fn is_plain_text(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).is_some_and(|value| {
        let essence = value.as_bytes().split(|b| *b == b';').next().unwrap_or(b"");
        essence.trim_ascii().eq_ignore_ascii_case(b"text/plain")
    })
}

/// The longest body [`ready_text`] looks at; axum's rejection texts are far shorter.
const TEXT_PEEK_LIMIT: u64 = 4096;

/// The first data frame of a short body that is ready without waiting (axum's rejections are
/// in-memory strings); `None` for anything else, which is then converted by status alone.
fn ready_text<B>(body: B) -> Option<Bytes>
where
    B: http_body::Body<Data = Bytes>,
{
    if body
        .size_hint()
        .upper()
        .is_none_or(|len| len > TEXT_PEEK_LIMIT)
    {
        return None;
    }
    let mut body = pin!(body);
    let mut cx = Context::from_waker(Waker::noop());
    match body.as_mut().poll_frame(&mut cx) {
        Poll::Ready(Some(Ok(frame))) => frame.into_data().ok(),
        _ => None,
    }
}

/// The contract error for an error response axum or a layer produced. axum's `Path` and
/// `Query` rejections are recognized by their texts (all 400s), so they get the same code as
/// this crate's extractors would give; everything else goes by status.
fn framework_error(
    status: StatusCode,
    headers: &HeaderMap,
    text: Option<&[u8]>,
) -> attractos_errors::ApiError {
    if status == StatusCode::BAD_REQUEST {
        if let Some(text) = text {
            // `Path<T>` that does not parse, `RawPathParams` that is not UTF-8.
            if text.starts_with(b"Invalid URL: ") || text.starts_with(b"Invalid UTF-8 in `") {
                return attractos_errors::ApiError::not_found();
            }
            // `Query<T>` (and `Form<T>` on GET) that does not deserialize.
            if text.starts_with(b"Failed to deserialize query string") {
                return attractos_errors::ApiError::invalid_date_range();
            }
        }
    }
    rules::from_status(
        status.as_u16(),
        headers.get(RETRY_AFTER).map(|value| value.as_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use attractos_errors::ErrorCode;

    #[test]
    fn path_and_query_rejections_are_recognized_by_their_text() {
        let none = HeaderMap::new();
        let code = |status, text: &[u8]| framework_error(status, &none, Some(text)).code();
        assert_eq!(
            code(
                StatusCode::BAD_REQUEST,
                b"Invalid URL: Cannot parse `x` to a `u32`"
            ),
            ErrorCode::NotFound
        );
        assert_eq!(
            code(StatusCode::BAD_REQUEST, b"Invalid UTF-8 in `siteId`"),
            ErrorCode::NotFound
        );
        assert_eq!(
            code(
                StatusCode::BAD_REQUEST,
                b"Failed to deserialize query string: missing field `a`"
            ),
            ErrorCode::InvalidDateRange
        );
        assert_eq!(
            code(
                StatusCode::BAD_REQUEST,
                b"Failed to parse the request body as JSON"
            ),
            ErrorCode::InvalidJson
        );
        // The same texts under another status go by the status.
        assert_eq!(
            code(
                StatusCode::INTERNAL_SERVER_ERROR,
                b"Invalid URL: wrong number"
            ),
            ErrorCode::ServerError
        );
    }

    #[test]
    fn plain_text_is_recognized_with_parameters_and_any_case() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            "Text/Plain; charset=utf-8".parse().expect("valid header"),
        );
        assert!(is_plain_text(&headers));
        headers.insert(CONTENT_TYPE, "text/html".parse().expect("valid header"));
        assert!(!is_plain_text(&headers));
    }
}
