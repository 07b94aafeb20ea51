//! [`HttpTarget`]: a running service, over HTTP(S) with reqwest and rustls.

use std::time::Duration;

use crate::case::Request;
use crate::judge::Response;
use crate::target::{Target, TargetError};

/// A running service at a base URL, e.g. `http://127.0.0.1:8080`.
///
/// Redirects are not followed (the contract judges what the service itself answers), and
/// loopback addresses bypass any proxy the environment sets.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    name: String,
    base: String,
    client: reqwest::Client,
}

impl HttpTarget {
    /// How long one request may take before it counts as no response.
    pub const TIMEOUT: Duration = Duration::from_secs(30);

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
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Self::TIMEOUT);
        if loopback {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|err| TargetError(format!("cannot build the HTTP client: {err}")))?;
        Ok(HttpTarget {
            name: name.into(),
            base: base_url.trim_end_matches('/').to_owned(),
            client,
        })
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
        let url = format!("{}{}", self.base, request.target);
        let mut builder = self.client.request(request.method.clone(), &url);
        for (name, value) in &request.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body.clone());
        }
        let response = builder
            .send()
            .await
            .map_err(|err| TargetError(error_chain(&err)))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|err| TargetError(error_chain(&err)))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
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
