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
    B: MessageBody + 'static,
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
        self.send_raw(builder.set_payload(request.body.clone()).to_request())
            .await
    }
}

impl<S, B> ActixTarget<S>
where
    S: Service<ActixRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody + 'static,
{
    /// Sends an actix-http request as it is (e.g. with a streamed payload) and reads the
    /// answer whole.
    pub async fn send_raw(&self, request: ActixRequest) -> Result<Response, TargetError> {
        let response = match self.service.call(request).await {
            Ok(response) => response.into_parts().1.map_into_boxed_body(),
            // What actix-web's dispatcher sends for an error instead of a response.
            Err(err) => err.error_response(),
        };
        crate::assert::read_actix(response).await
    }
}
