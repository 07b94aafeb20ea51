//! [`AxumTarget`]: an axum [`Router`] in-process, through tower's `oneshot`.

use axum::Router;
use axum::body::Body;
use tower::ServiceExt;

use crate::case::Request;
use crate::judge::Response;
use crate::target::{Target, TargetError};

/// An axum app, called in-process: each request goes to a clone of the router, as
/// `axum::serve` would send it, minus the socket.
///
/// ```
/// use attractos_contract::target::{AxumTarget, Target};
/// use attractos_contract::case::Request;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let target = AxumTarget::new("plain axum", axum::Router::new());
/// let request = Request { method: http::Method::GET, target: "/nope".into(),
///                         headers: vec![], body: Default::default() };
/// let response = target.send(&request).await.unwrap();
/// assert_eq!(response.status, 404);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AxumTarget {
    name: String,
    router: Router,
}

impl AxumTarget {
    /// A target for `router` (with its state already provided), e.g. what an adapter's
    /// `with_contract` returns.
    pub fn new(name: impl Into<String>, router: impl Into<Router>) -> Self {
        AxumTarget {
            name: name.into(),
            router: router.into(),
        }
    }
}

impl Target for AxumTarget {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, request: &Request) -> Result<Response, TargetError> {
        let mut builder = http::Request::builder()
            .method(request.method.clone())
            .uri(request.target.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        if !request.body.is_empty() && request.header("content-length").is_none() {
            builder = builder.header(http::header::CONTENT_LENGTH, request.body.len());
        }
        let http_request = builder
            .body(Body::from(request.body.clone()))
            .map_err(|err| TargetError(format!("invalid request: {err}")))?;
        self.send_raw(http_request).await
    }
}

impl AxumTarget {
    /// Sends an `http::Request` as it is (e.g. with a streamed body) and reads the answer
    /// whole.
    pub async fn send_raw(&self, request: http::Request<Body>) -> Result<Response, TargetError> {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .map_err(|err| TargetError(err.to_string()))?;
        crate::assert::read_axum(response).await
    }
}
