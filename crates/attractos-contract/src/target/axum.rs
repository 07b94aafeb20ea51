//! [`AxumTarget`]: an axum app in-process, through tower's `oneshot`.

use std::convert::Infallible;

use axum::body::Body;
use axum::response::Response as AxumResponse;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

use crate::case::Request;
use crate::judge::Response;
use crate::target::{Target, TargetError};

/// An axum app, called in-process: each request goes to a clone of the app (a `Router`, or
/// what an adapter's `with_contract` returns), as `axum::serve` would send it, minus the
/// socket.
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
#[derive(Clone)]
pub struct AxumTarget {
    name: String,
    app: BoxCloneSyncService<http::Request<Body>, AxumResponse, Infallible>,
}

impl std::fmt::Debug for AxumTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AxumTarget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl AxumTarget {
    /// A target for `app` (with its state already provided): a `Router`, or what an adapter's
    /// `with_contract` returns, served as it is.
    pub fn new<A>(name: impl Into<String>, app: A) -> Self
    where
        A: Service<http::Request<Body>, Response = AxumResponse, Error = Infallible>,
        A: Clone + Send + Sync + 'static,
        A::Future: Send + 'static,
    {
        AxumTarget {
            name: name.into(),
            app: BoxCloneSyncService::new(app),
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
        let Ok(response) = self.app.clone().oneshot(request).await;
        crate::assert::read_axum(response).await
    }
}
