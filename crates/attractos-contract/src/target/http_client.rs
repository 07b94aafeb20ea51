//! [`HttpTarget`]: a running service, over HTTP(S) with reqwest and rustls.
//!
//! The service may be broken or hostile, so every exchange is bounded. The whole of it, from
//! connecting to the body's last byte, must end within the target's timeout
//! ([`HttpTarget::TIMEOUT`], or [`HttpTarget::with_timeout`]); at most
//! [`HttpTarget::MAX_BODY_BYTES`] of a body are read. Past either, the request counts as
//! unanswered, with a message saying what the service did, and its connection is dropped.
//! hyper refuses by itself a response head over about 400 KiB or with more than 100 headers,
//! and anything that is not HTTP/1.x; no `Content-Encoding` is decoded (reqwest is built
//! without gzip or brotli), so a compressed body cannot expand past the cap.

use std::time::Duration;

use bytes::BytesMut;
use http::{HeaderName, HeaderValue};

use crate::case::Request;
use crate::judge::Response;
use crate::target::{Target, TargetError};

/// A running service at a base URL, e.g. `http://127.0.0.1:8080`.
///
/// Redirects are not followed (the contract judges what the service itself answers), and
/// loopback addresses bypass any proxy the environment sets. Over HTTPS the service's
/// certificate is checked against the Mozilla roots built in, and the CAs
/// [`HttpTarget::trusting`] adds.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    name: String,
    base: String,
    client: reqwest::Client,
    timeout: Duration,
    loopback: bool,
    /// Sent with every request that does not set the same header itself.
    extra_headers: Vec<(HeaderName, HeaderValue)>,
}

impl HttpTarget {
    /// How long one request may take by default, from connecting to its body's last byte,
    /// before it counts as no response. A contract answer is a small JSON body that a service
    /// sends in milliseconds; 10 s leaves room for a slow network and a loaded service, and
    /// bounds what a service that never answers costs (see [`crate::run::GIVE_UP_AFTER`]).
    pub const TIMEOUT: Duration = Duration::from_secs(10);

    /// The most of a response body the checker reads: 1 MiB. A contract error is well under
    /// 1 KiB and the successes the cases ask for are small; a body longer than this (an
    /// endless stream, a huge page) is not read further, and the request counts as no
    /// response, so a service cannot make the checker buffer gigabytes.
    pub const MAX_BODY_BYTES: usize = 1024 * 1024;

    /// A target named after its URL.
    pub fn new(base_url: &str) -> Result<Self, TargetError> {
        Self::named(base_url, base_url)
    }

    /// A target with a name for reports.
    pub fn named(name: impl Into<String>, base_url: &str) -> Result<Self, TargetError> {
        let url = reqwest::Url::parse(base_url)
            .map_err(|err| TargetError(format!("invalid URL {base_url:?}: {err}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(TargetError(format!(
                "invalid URL {base_url:?}: expected http://HOST[:PORT] or https://…"
            )));
        }
        let host = url.host_str().unwrap_or("");
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        Ok(HttpTarget {
            name: name.into(),
            base: base_url.trim_end_matches('/').to_owned(),
            client: client(loopback, Vec::new())?,
            timeout: Self::TIMEOUT,
            loopback,
            extra_headers: Vec::new(),
        })
    }

    /// The same target trusting the CA certificates of `ca_pem` (one or more PEM blocks)
    /// besides the built-in roots: a staging service behind a private CA, say.
    pub fn trusting(mut self, ca_pem: &[u8]) -> Result<Self, TargetError> {
        let roots = reqwest::Certificate::from_pem_bundle(ca_pem)
            .ok()
            .filter(|roots| !roots.is_empty())
            .ok_or_else(|| TargetError("no PEM certificate in it".to_owned()))?;
        self.client = client(self.loopback, roots)?;
        Ok(self)
    }

    /// The same target sending `headers` (name and value) with every request whose case does
    /// not set the same header: what a gateway in front of the service asks for, say. Names
    /// the checker sets itself (`Authorization`, which the cases vary, and the framing:
    /// `Host`, `Content-Length`, `Transfer-Encoding`, `Connection`) are refused.
    pub fn with_headers<'h>(
        mut self,
        headers: impl IntoIterator<Item = (&'h str, &'h str)>,
    ) -> Result<Self, TargetError> {
        const THE_CHECKERS: [&str; 5] = [
            "authorization",
            "host",
            "content-length",
            "transfer-encoding",
            "connection",
        ];
        for (name, value) in headers {
            let refused = |why: &str| TargetError(format!("header {name:?}: {why}"));
            let name = HeaderName::try_from(name).map_err(|_| refused("not a header name"))?;
            if THE_CHECKERS.contains(&name.as_str()) {
                return Err(refused("the checker sets it itself"));
            }
            let value = HeaderValue::try_from(value).map_err(|_| refused("not a header value"))?;
            self.extra_headers.push((name, value));
        }
        Ok(self)
    }

    /// The same target with another limit on each request ([`HttpTarget::TIMEOUT`] by
    /// default), from connecting to the body's last byte.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }
}

impl Target for HttpTarget {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, request: &Request) -> Result<Response, TargetError> {
        let mut progress = Progress::default();
        match tokio::time::timeout(self.timeout, self.exchange(request, &mut progress)).await {
            Ok(answer) => answer.map_err(TargetError),
            Err(_) => Err(TargetError(progress.timed_out(self.timeout))),
        }
    }
}

/// How far an exchange got, for the message when it times out.
#[derive(Debug, Default)]
struct Progress {
    /// The status, once the head came.
    status: Option<u16>,
    /// The body's bytes read so far.
    body_bytes: usize,
}

impl Progress {
    fn timed_out(&self, timeout: Duration) -> String {
        match self.status {
            None => format!("nothing came within {timeout:?}"),
            Some(status) => format!(
                "a {status} whose body did not end within {timeout:?} ({} bytes came)",
                self.body_bytes
            ),
        }
    }
}

impl HttpTarget {
    /// Sends `request` and reads the answer, at most [`HttpTarget::MAX_BODY_BYTES`] of its
    /// body, recording in `progress` how far it got.
    async fn exchange(
        &self,
        request: &Request,
        progress: &mut Progress,
    ) -> Result<Response, String> {
        let url = format!("{}{}", self.base, request.target);
        let mut builder = self.client.request(request.method.clone(), &url);
        for (name, value) in &request.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        let own = |name: &HeaderName| request.headers.iter().any(|(set, _)| set == name);
        for (name, value) in self.extra_headers.iter().filter(|(name, _)| !own(name)) {
            builder = builder.header(name.clone(), value.clone());
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body.clone());
        }
        let mut response = builder.send().await.map_err(|err| error_chain(&err))?;
        let status = response.status().as_u16();
        progress.status = Some(status);
        let cap = Self::MAX_BODY_BYTES;
        if let Some(length) = response.content_length().filter(|l| *l > cap as u64) {
            return Err(format!(
                "a {status} whose Content-Length, {length} bytes, is over {}; not read",
                the_cap()
            ));
        }
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
            .collect();
        let mut body = BytesMut::new();
        loop {
            let chunk = response.chunk().await.map_err(|err| {
                format!(
                    "a {status} whose body broke off after {} bytes: {}",
                    body.len(),
                    error_chain(&err)
                )
            })?;
            let Some(chunk) = chunk else { break };
            if body.len() + chunk.len() > cap {
                return Err(format!(
                    "a {status} whose body ran past {}; it stopped reading there",
                    the_cap()
                ));
            }
            body.extend_from_slice(&chunk);
            progress.body_bytes = body.len();
        }
        Ok(Response {
            status,
            headers,
            body: body.freeze(),
        })
    }
}

/// The client: no redirects followed, no proxy for a loopback address, `roots` trusted too.
/// No reqwest timeout: `send` bounds the whole exchange itself, so that its message can say
/// how far the service got.
fn client(
    loopback: bool,
    roots: Vec<reqwest::Certificate>,
) -> Result<reqwest::Client, TargetError> {
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if loopback {
        builder = builder.no_proxy();
    }
    for root in roots {
        builder = builder.add_root_certificate(root);
    }
    builder
        .build()
        .map_err(|err| TargetError(format!("cannot build the HTTP client: {err}")))
}

/// The body cap, as messages name it.
fn the_cap() -> String {
    format!(
        "the most the checker reads (HttpTarget::MAX_BODY_BYTES, {} MiB)",
        HttpTarget::MAX_BODY_BYTES >> 20
    )
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}
