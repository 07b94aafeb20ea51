//! One request, described once, sent to either framework.

use attractos_contract::case::Request;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};

use crate::service::KEY;

/// The request id [`Req::new`] sends, so snapshots are stable.
pub const REQUEST_ID: &str = "test-request-id";

/// How a request's body arrives.
#[derive(Debug, Clone)]
pub enum Payload {
    /// No body.
    None,
    /// The whole body, with its `Content-Length`.
    Sized(Vec<u8>),
    /// The body in chunks, without a `Content-Length`.
    Chunked(Vec<Vec<u8>>),
    /// Some bytes, then the connection breaks.
    Broken(Vec<u8>),
}

/// A request to the test service.
#[derive(Debug, Clone)]
pub struct Req {
    /// The method.
    pub method: Method,
    /// Path and query.
    pub uri: String,
    /// Headers in order; names may repeat.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub payload: Payload,
}

impl Req {
    /// A `method` request to `uri` carrying [`REQUEST_ID`].
    pub fn new(method: &str, uri: impl Into<String>) -> Self {
        Req::bare(method, uri).header("x-request-id", REQUEST_ID)
    }

    /// A `method` request to `uri` with no header at all.
    pub fn bare(method: &str, uri: impl Into<String>) -> Self {
        Req {
            method: method.parse().expect("a valid method"),
            uri: uri.into(),
            headers: Vec::new(),
            payload: Payload::None,
        }
    }

    /// A `GET` of `uri` carrying [`REQUEST_ID`].
    pub fn get(uri: impl Into<String>) -> Self {
        Req::new("GET", uri)
    }

    /// A `POST` of `body` to `uri` as JSON, with the key.
    pub fn post_json(uri: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Req::new("POST", uri)
            .key()
            .header("content-type", "application/json")
            .sized(body)
    }

    /// Adds a header (any bytes a header value may hold).
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers.push((
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_bytes(value.as_ref()).expect("a valid header value"),
        ));
        self
    }

    /// Authenticates with the service's key.
    pub fn key(self) -> Self {
        self.header("authorization", format!("Bearer {KEY}"))
    }

    /// Sets the body.
    pub fn body(mut self, payload: Payload) -> Self {
        self.payload = payload;
        self
    }

    /// Sets a whole body, sent with its `Content-Length`.
    pub fn sized(self, body: impl Into<Vec<u8>>) -> Self {
        self.body(Payload::Sized(body.into()))
    }

    /// The request as the contract's targets take it, unless its body is streamed.
    pub(crate) fn to_case_request(&self) -> Option<Request> {
        let mut headers = self.headers.clone();
        let body = match &self.payload {
            Payload::None => Bytes::new(),
            Payload::Sized(bytes) => {
                headers.push((http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len())));
                Bytes::from(bytes.clone())
            }
            Payload::Chunked(_) | Payload::Broken(_) => return None,
        };
        Some(Request {
            method: self.method.clone(),
            target: self.uri.clone(),
            headers,
            body,
        })
    }

    /// The streamed body's items: its chunks, then the break if there is one.
    pub(crate) fn stream<E>(&self, broken: impl Fn() -> E) -> Vec<Result<Bytes, E>> {
        match &self.payload {
            Payload::Chunked(chunks) => chunks.iter().cloned().map(Bytes::from).map(Ok).collect(),
            Payload::Broken(bytes) => vec![Ok(Bytes::from(bytes.clone())), Err(broken())],
            Payload::None | Payload::Sized(_) => Vec::new(),
        }
    }

    /// An axum request with a streamed body.
    #[cfg(feature = "axum")]
    pub(crate) fn to_axum_streamed(&self) -> http::Request<axum::body::Body> {
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(self.uri.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let items = self.stream(|| std::io::Error::other("connection reset by peer"));
        builder
            .body(axum::body::Body::from_stream(futures_util::stream::iter(
                items,
            )))
            .expect("a valid request")
    }

    /// An actix-web request with a streamed body.
    #[cfg(feature = "actix")]
    pub(crate) fn to_actix_streamed(&self) -> actix_http::Request {
        let request = actix_test_request(&self.method, &self.uri, &self.headers);
        let items = self.stream(|| {
            actix_web::error::PayloadError::Incomplete(Some(std::io::Error::other(
                "connection reset by peer",
            )))
        });
        let stream: actix_http::BoxedPayloadStream = Box::pin(futures_util::stream::iter(items));
        request
            .to_request()
            .replace_payload(actix_http::Payload::from(stream))
            .0
    }
}

/// An actix-web test request (on `http` 0.2) with the method, target and headers of an `http`
/// 1 request, its body still to set.
#[cfg(feature = "actix")]
pub(crate) fn actix_test_request(
    method: &Method,
    uri: &str,
    headers: &[(HeaderName, HeaderValue)],
) -> actix_web::test::TestRequest {
    let method =
        actix_web::http::Method::from_bytes(method.as_str().as_bytes()).expect("a valid method");
    let mut request = actix_web::test::TestRequest::default()
        .method(method)
        .uri(uri);
    for (name, value) in headers {
        request = request.append_header((name.as_str(), value.as_bytes()));
    }
    request
}
