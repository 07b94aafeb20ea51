//! [`ActixTarget`]: an actix-web app in-process, through `actix_web::test`.

use actix_http::Request as ActixRequest;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, test};

use crate::case::Request;
use crate::judge::Response;
use crate::target::{Target, TargetError};

/// An actix-web app, initialized once with `actix_web::test::init_service` and called
/// in-process. Use it inside an actix runtime (`#[actix_web::test]`).
///
/// An error the service returns instead of a response is rendered the way actix-web's HTTP
/// server renders it, so the judge sees what a client would.
///
/// ```
/// use attractos_contract::target::{ActixTarget, Target};
/// use attractos_contract::case::Request;
///
/// # #[actix_web::main]
/// # async fn main() {
/// let target = ActixTarget::new("plain actix", actix_web::App::new()).await;
/// let request = Request { method: http::Method::GET, target: "/nope".into(),
///                         headers: vec![], body: Default::default() };
/// let response = target.send(&request).await.unwrap();
/// assert_eq!(response.status, 404);
/// # }
/// ```
pub struct ActixTarget<S> {
    name: String,
    service: S,
}

impl<S> std::fmt::Debug for ActixTarget<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActixTarget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ActixTarget<()> {
    /// Initializes `app` and wraps the resulting service.
    pub async fn new<T, B>(
        name: impl Into<String>,
        app: App<T>,
    ) -> ActixTarget<impl Service<ActixRequest, Response = ServiceResponse<B>, Error = Error>>
    where
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            > + 'static,
        T::Future: 'static,
        B: MessageBody,
    {
        ActixTarget {
            name: name.into(),
            service: test::init_service(app).await,
        }
    }
}

impl<S, B> Target for ActixTarget<S>
where
    S: Service<ActixRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, request: &Request) -> Result<Response, TargetError> {
        let method = actix_web::http::Method::from_bytes(request.method.as_str().as_bytes())
            .map_err(|err| TargetError(format!("invalid method: {err}")))?;
        let mut builder = test::TestRequest::default()
            .method(method)
            .uri(&request.target);
        for (name, value) in &request.headers {
            builder = builder.append_header((name.as_str(), value.as_bytes()));
        }
        if !request.body.is_empty() && request.header("content-length").is_none() {
            builder = builder.insert_header(("content-length", request.body.len().to_string()));
        }
        let actix_request = builder.set_payload(request.body.clone()).to_request();
        let (status, headers, body) = match self.service.call(actix_request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = collect_headers(response.headers());
                let body = actix_web::body::to_bytes(response.into_body())
                    .await
                    .map_err(|_| TargetError("reading the body failed".to_owned()))?;
                (status, headers, body)
            }
            Err(err) => {
                let response = err.error_response();
                let status = response.status().as_u16();
                let headers = collect_headers(response.headers());
                let body = actix_web::body::to_bytes(response.into_body())
                    .await
                    .map_err(|_| TargetError("reading the body failed".to_owned()))?;
                (status, headers, body)
            }
        };
        Ok(Response {
            status,
            headers,
            body: bytes::Bytes::copy_from_slice(&body),
        })
    }
}

fn collect_headers(headers: &actix_web::http::header::HeaderMap) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect()
}
