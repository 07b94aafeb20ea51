//! The decision as a `reqwest-middleware` middleware (feature `reqwest`).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use http::Extensions;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use reqwest::{Body, Request, Response, ResponseBuilderExt};
use reqwest_middleware::{Middleware, Next};

use crate::decision::{Answer, RequestInfo, Stop};
use crate::error::Error;
use crate::retrier::{Received, Retrier, RetryNote};

/// The most of an error body the middleware reads: contract bodies are a few hundred bytes.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Retries what the contract says may be retried, inside `reqwest-middleware`.
///
/// It owns each response: it reads at most a bounded prefix of an error's
/// body (successes are not touched), decides, and either sends again or hands back an
/// equivalent response (same status, version, headers, extensions, URL and body bytes), with
/// a [`RetryHistory`] in its extensions. [`check`] turns that response into the typed
/// [`Error`], with the retries made. A request with a streaming body is sent once (after the
/// wait of a [`Pacer`](crate::Pacer), if the retrier has one); a failure
/// to get any answer comes back as reqwest-middleware's error (the `on_retry` hook has seen
/// the retries).
///
/// ```no_run
/// use attractos_errors_client::{Policy, Retrier, RetryMiddleware, check};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(RetryMiddleware::new(Retrier::new(Policy::default())))
///     .build();
/// let response = client
///     .get("http://127.0.0.1:8080/api/v1/sites")
///     .bearer_auth("ak_demo_free")
///     .send()
///     .await?;
/// match check(response).await {
///     Ok(sites) => println!("{}", sites.text().await?),
///     Err(err) if err.is_quota_exhausted() => println!("quota resets at {:?}", err.quota_resets_at()),
///     Err(err) => println!("{err}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RetryMiddleware {
    retrier: Retrier,
    body_limit: usize,
}

impl RetryMiddleware {
    /// A middleware deciding with `retrier` (clones of it share its budget).
    pub fn new(retrier: Retrier) -> Self {
        RetryMiddleware {
            retrier,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Reads at most `bytes` of an error body (the default is [`DEFAULT_BODY_LIMIT`]); a
    /// longer body is not a contract body, and is handed back whole, unread past the limit.
    pub fn body_limit(self, bytes: usize) -> Self {
        RetryMiddleware {
            body_limit: bytes,
            ..self
        }
    }
}

/// What the middleware did, in the extensions of the response it hands back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryHistory {
    /// Why it stopped; `None` when the answer was accepted.
    pub stop: Option<Stop>,
    /// The retries it made, in order.
    pub retries: Vec<RetryNote>,
    /// When the last answer came.
    pub received_at: SystemTime,
}

#[async_trait::async_trait]
impl Middleware for RetryMiddleware {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if request.try_clone().is_none() {
            // A streaming body cannot be sent twice: send it once, as it is, paced as any other.
            let authorization = request
                .headers()
                .get(http::header::AUTHORIZATION)
                .map(|value| value.as_bytes().to_vec());
            let authorization = authorization.as_deref();
            self.retrier
                .wait_for_pace(authorization, &tokio::time::sleep)
                .await;
            let response = next.run(request, extensions).await?;
            self.retrier.learn_pace(authorization, response.headers());
            return Ok(response);
        }
        let (method, headers) = (request.method().clone(), request.headers().clone());
        let limit = self.body_limit;
        let snapshot = extensions.clone();
        let ended = self
            .retrier
            .run(
                RequestInfo::new(&method, &headers),
                || {
                    let copy = request
                        .try_clone()
                        .expect("a clonable request, checked above");
                    let (next, mut extensions) = (next.clone(), snapshot.clone());
                    async move {
                        let response = next.run(copy, &mut extensions).await?;
                        Ok::<_, reqwest_middleware::Error>(Buffered::read(response, limit).await?)
                    }
                },
                tokio::time::sleep,
            )
            .await;
        let mut buffered = ended.last?;
        buffered.parts.extensions.insert(RetryHistory {
            stop: ended.stop,
            retries: ended.retries,
            received_at: ended.received_at,
        });
        Ok(buffered.into_response())
    }
}

/// Turns an error response into the typed [`Error`] (reading at most
/// [`DEFAULT_BODY_LIMIT`] of its body); a success (below 400) comes back untouched. After
/// [`RetryMiddleware`], the error carries why it stopped and the retries it made.
pub async fn check(response: Response) -> Result<Response, Error> {
    if response.status().as_u16() < 400 {
        return Ok(response);
    }
    let buffered = Buffered::read(response, DEFAULT_BODY_LIMIT)
        .await
        .map_err(Error::no_answer)?;
    let history = buffered.parts.extensions.get::<RetryHistory>();
    let received_at = history.map_or_else(SystemTime::now, |h| h.received_at);
    let error = Error::from_answer_at(&buffered.answer(), received_at);
    Err(match history {
        Some(RetryHistory {
            stop: Some(stop),
            retries,
            ..
        }) => error.with_history(*stop, retries.clone()),
        _ => error,
    })
}

/// A response with the start of its body read: all of it when it is a short error body,
/// nothing for a success.
struct Buffered {
    parts: http::response::Parts,
    url: reqwest::Url,
    read: Bytes,
    rest: Option<Body>,
}

impl Buffered {
    async fn read(response: Response, limit: usize) -> Result<Buffered, reqwest::Error> {
        let url = response.url().clone();
        let status = response.status();
        let (parts, mut body) = http::Response::<Body>::from(response).into_parts();
        if !(status.is_client_error() || status.is_server_error()) {
            return Ok(Buffered {
                parts,
                url,
                read: Bytes::new(),
                rest: Some(body),
            });
        }
        let mut read = BytesMut::new();
        while read.len() <= limit {
            match body.frame().await.transpose()? {
                // Trailers on an error answer carry nothing the decision reads.
                Some(frame) => read.extend_from_slice(&frame.into_data().unwrap_or_default()),
                None => {
                    return Ok(Buffered {
                        parts,
                        url,
                        read: read.freeze(),
                        rest: None,
                    });
                }
            }
        }
        Ok(Buffered {
            parts,
            url,
            read: read.freeze(),
            rest: Some(body),
        })
    }

    /// The equivalent response: the bytes read, then whatever was not.
    fn into_response(self) -> Response {
        let Buffered {
            mut parts,
            url,
            read,
            rest,
        } = self;
        let body = match rest {
            None => Body::from(read),
            Some(rest) if read.is_empty() => rest,
            Some(rest) => Body::wrap(Prefixed {
                prefix: Some(read),
                rest,
            }),
        };
        // reqwest keeps the URL in a private extension that only its builder sets.
        let (with_url, ()) = http::Response::builder()
            .url(url)
            .body(())
            .unwrap_or_default()
            .into_parts();
        parts.extensions.extend(with_url.extensions);
        Response::from(http::Response::from_parts(parts, body))
    }
}

impl Received for Buffered {
    fn answer(&self) -> Answer<'_> {
        Answer::new(self.parts.status, &self.parts.headers, &self.read)
    }
}

/// A body that yields the bytes already read, then the rest of the original.
struct Prefixed {
    prefix: Option<Bytes>,
    rest: Body,
}

impl http_body::Body for Prefixed {
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, reqwest::Error>>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn size_hint(&self) -> SizeHint {
        let rest = self.rest.size_hint();
        let prefix = self.prefix.as_ref().map_or(0, |p| p.len() as u64);
        let mut hint = SizeHint::new();
        // The upper bound first: setting a lower bound above the upper one panics.
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper.saturating_add(prefix));
        }
        hint.set_lower(rest.lower().saturating_add(prefix));
        hint
    }
}
