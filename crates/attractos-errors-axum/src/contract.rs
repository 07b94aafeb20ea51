//! [`ContractExt::with_contract`]: one call that makes a whole [`Router`] answer in the contract,
//! including the framework's and other layers' own failures.

use std::any::Any;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker, ready};

use attractos_errors::{Contract, rules};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use pin_project_lite::pin_project;
use tower::util::MapRequestLayer;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::deadline::DeadlineBody;
use crate::{ApiError, ContractRouter};

/// The body limit the [`Contract`] put on a request, read by [`Json`](crate::Json).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit(pub(crate) usize);

mod sealed {
    pub trait Sealed {}
    impl<S> Sealed for axum::Router<S> {}
}

/// Makes a whole [`Router`] contract-clean in one call.
pub trait ContractExt<S>: sealed::Sealed + Sized {
    /// Applies the contract to every route the router has **now**, so the order is:
    ///
    /// 1. every `route`, `nest` and `merge` (like axum's own `layer`, the contract reaches only
    ///    the routes a router has, which is why what it returns, a [`ContractRouter`], takes no
    ///    more routes);
    /// 2. `with_contract`;
    /// 3. with [`ContractRouter::layer`], the layers that must see every answer, the contract's own 404, 405, 413 and panic
    ///    answers included: CORS (tower-http's `CorsLayer`), compression, access logs. A layer
    ///    added before `with_contract` wraps only the routes, inside the contract: its own
    ///    non-JSON error answers are converted, but the contract's answers never pass through it.
    ///
    /// # Panics
    ///
    /// When the router has no route yet: the contract would wrap nothing, and the routes added
    /// afterwards would answer outside it (no request id, no panic catching, axum's plain-text
    /// rejections). It sets the router's fallback, replacing any set before, so do not set your
    /// own fallback either before or after it.
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
    /// - Every response carries `X-Request-Id` (the client's when [`Contract::request_id`]
    ///   accepts it, else a new UUID v4), and every
    ///   request runs in a tracing span `request` with a `request_id` field, so each error's log
    ///   line names the request.
    /// - A request with a body whose handler answers without reading it to the end (a 401
    ///   before the upload, a 413 on `Content-Length`) never leaves the client holding a
    ///   connection the server is closing: hyper either discards the rest of the body (when
    ///   it has already arrived) and keeps the connection, or closes the connection and says
    ///   `Connection: close` in this response, so that the client does not send its next
    ///   request on it.
    fn with_contract(self, contract: Contract) -> ContractRouter<S>;
}

impl<S> ContractExt<S> for Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    #[track_caller]
    fn with_contract(self, contract: Contract) -> ContractRouter<S> {
        assert!(
            self.has_routes(),
            "with_contract on a router without routes: add every route first, then call \
             with_contract, then the layers that must see every answer (e.g. CORS); axum's \
             layers wrap only the routes a router already has"
        );
        let limit = contract.body_limit();
        let gate = contract.clone();
        let router = self
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(DefaultBodyLimit::max(limit))
            .layer(
                // Outermost first: ids, then the span, so everything below logs inside it.
                ServiceBuilder::new()
                    // A client id the contract does not accept is dropped here and replaced.
                    .layer(MapRequestLayer::new(move |request| {
                        drop_unaccepted_request_id(&gate, request)
                    }))
                    .layer(SetRequestIdLayer::x_request_id(NewRequestId))
                    .layer(PropagateRequestIdLayer::x_request_id())
                    .layer(
                        TraceLayer::new_for_http()
                            .make_span_with(request_span as fn(&Request) -> Span)
                            // The error's own log line is the one event for a failure.
                            .on_failure(()),
                    )
                    .layer(ContractLayer { contract })
                    .layer(CatchPanicLayer::custom(
                        panic_response as fn(Box<dyn Any + Send + 'static>) -> Response,
                    )),
            );
        ContractRouter::new(router)
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// `request` without its `X-Request-Id` if [`Contract::accepts_request_id`] refuses it.
fn drop_unaccepted_request_id(contract: &Contract, mut request: Request) -> Request {
    let refused = request
        .headers()
        .get(X_REQUEST_ID)
        .is_some_and(|id| !contract.accepts_request_id(id.as_bytes()));
    if refused {
        request.headers_mut().remove(X_REQUEST_ID);
    }
    request
}

/// The core's new request ids for tower-http's request-id layer.
#[derive(Debug, Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _request: &http::Request<B>) -> Option<RequestId> {
        let id = rules::new_request_id();
        HeaderValue::from_bytes(&id).ok().map(RequestId::new)
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    ApiError(rules::panic(&*payload)).into_response()
}

/// The request's span, the core's ([`attractos_errors::request_span`]).
fn request_span(request: &Request) -> Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.header_value().as_bytes())
        .unwrap_or_default();
    attractos_errors::request_span(id, request.method().as_str(), request.uri().path())
}

const X_REQUEST_ID: HeaderName =
    HeaderName::from_static(attractos_errors::header_names::X_REQUEST_ID);

/// Refuses bodies whose `Content-Length` is over the limit, tells [`Json`](crate::Json) the
/// limit, and converts non-contract error responses.
#[derive(Debug, Clone)]
struct ContractLayer {
    contract: Contract,
}

impl<S> Layer<S> for ContractLayer {
    type Service = ContractService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ContractService {
            inner,
            contract: self.contract.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct ContractService<S> {
    inner: S,
    contract: Contract,
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
        let limit = self.contract.body_limit();
        let lengths = request.headers().get_all(CONTENT_LENGTH);
        if let Err(err) = rules::announced_body(lengths.iter().map(HeaderValue::as_bytes), limit) {
            // The request, and with it the unread body, is dropped here.
            return ContractFuture {
                state: State::Refused { err: Some(err) },
                contract: self.contract.clone(),
                settle,
            };
        }
        // Without a body or a length, a request reads the same under any limit: no extension
        // (each is an allocation) on every such request.
        if settle || lengths.iter().next().is_some() {
            request.extensions_mut().insert(BodyLimit(limit));
        }
        if settle {
            let deadline = self.contract.body_timeout();
            request = request.map(|body| Body::new(DeadlineBody::new(body, deadline)));
        }
        // Called inside the contract's scope: routing and a handler's synchronous start may
        // already render an error.
        let future = self.contract.__in_scope(|| self.inner.call(request));
        ContractFuture {
            state: State::Inner { future },
            contract: self.contract.clone(),
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
        // Its docs links are in force while the inner future is polled.
        contract: Contract,
        settle: bool,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        // The error is built when polled, so that it is logged inside the request span.
        Refused { err: Option<attractos_errors::ApiError> },
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
        let contract = &*this.contract;
        let response = match this.state.as_mut().project() {
            StateProj::Refused { err } => {
                let err = err
                    .take()
                    .expect("ContractFuture polled after it completed");
                contract.__in_scope(|| ApiError(err).into_response())
            }
            StateProj::Inner { future } => {
                let polled =
                    contract.__in_scope(|| future.poll(cx).map(|result| result.map(into_contract)));
                ready!(polled)?
            }
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
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(HeaderValue::as_bytes);
    if !rules::needs_rewrite(response.status().as_u16(), content_type) {
        return response.map(Body::new);
    }
    let (parts, body) = response.into_parts();
    let content_type = parts.headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes);
    let text = if rules::is_plain_text(content_type) {
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
                return rules::unparsable_path();
            }
            // `Query<T>` (and `Form<T>` on GET) that does not deserialize.
            if text.starts_with(b"Failed to deserialize query string") {
                return rules::unparsable_query();
            }
        }
    }
    rules::from_answer(
        status.as_u16(),
        headers.get(RETRY_AFTER).map(HeaderValue::as_bytes),
        text.map(String::from_utf8_lossy).as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use attractos_errors::ErrorCode;
    use tower::ServiceExt;

    /// The limit a handler behind the contract's layer finds in `request`, if any.
    async fn limit_seen(request: Request) -> Option<usize> {
        let handler = tower::service_fn(|request: Request| async move {
            let limit = request.extensions().get::<BodyLimit>().map(|limit| limit.0);
            Ok::<_, std::convert::Infallible>(Response::new(Body::from(format!("{limit:?}"))))
        });
        let contract = Contract::default().with_body_limit(100);
        let service = ContractLayer { contract }.layer(handler);
        let response = service.oneshot(request).await.expect("infallible");
        let body = axum::body::to_bytes(response.into_body(), 64).await;
        match &*body.expect("a body") {
            b"None" => None,
            b"Some(100)" => Some(100),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_body_limit_goes_with_a_body_or_a_length_only() {
        let request = || http::Request::post("/");
        let empty = request().body(Body::empty()).unwrap();
        assert_eq!(limit_seen(empty).await, None);
        let announced = request().header(CONTENT_LENGTH, "0");
        assert_eq!(
            limit_seen(announced.body(Body::empty()).unwrap()).await,
            Some(100)
        );
        let body = request().body(Body::from("{}")).unwrap();
        assert_eq!(limit_seen(body).await, Some(100));
    }

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
}
