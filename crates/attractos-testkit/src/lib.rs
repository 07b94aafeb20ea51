//! The adapters' shared test service and their conformance suite.
//!
//! One service ([`service`]: its logic once, wrapped by each adapter's extractors in
//! `on_axum` and `on_actix`), one way to send it a request ([`Req`], through
//! `attractos_contract`'s in-process targets), and [`checks`]: the behaviour both adapters
//! must have, written once as `async fn check(framework)`. Each adapter's test binary runs
//! every check on its own framework with one line:
//!
//! ```text
//! attractos_testkit::conformance_suite!(Axum);
//! ```
//!
//! which generates a `#[test]` per check (in a module per area, e.g. `bearer_key::`).

#[cfg(not(any(feature = "axum", feature = "actix")))]
compile_error!("attractos-testkit runs its service on a framework: enable `axum`, `actix` or both");

pub mod checks;
pub mod logs;
#[cfg(feature = "actix")]
pub mod on_actix;
#[cfg(feature = "axum")]
pub mod on_axum;
mod request;
pub mod service;
pub mod strategies;

use std::future::Future;

use attractos_errors::{ErrorBody, ErrorCode};

pub use attractos_contract::judge::Response;
pub use attractos_errors::Contract;
pub use request::{Payload, REQUEST_ID, Req};
pub use service::KEY;

/// The adapter a check runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    /// `attractos-errors-axum`.
    #[cfg(feature = "axum")]
    Axum,
    /// `attractos-errors-actix`.
    #[cfg(feature = "actix")]
    Actix,
}

impl Framework {
    /// Runs `check` to completion on the runtime the framework's tests use (actix-web's
    /// system for actix, which axum runs on as well).
    pub fn block_on<F: Future>(self, check: F) -> F::Output {
        match self {
            #[cfg(feature = "axum")]
            Framework::Axum => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(check),
            #[cfg(feature = "actix")]
            Framework::Actix => actix_web::rt::System::new().block_on(check),
        }
    }

    /// The test service on this framework under `contract`.
    pub async fn start(self, contract: Contract) -> TestService {
        match self {
            #[cfg(feature = "axum")]
            Framework::Axum => TestService::axum(on_axum::app(contract)),
            #[cfg(feature = "actix")]
            Framework::Actix => TestService::actix(on_actix::app(contract)).await,
        }
    }

    /// The test service on this framework under `contract`, its limited routes outside the
    /// limits' glue (a misconfiguration).
    pub async fn start_without_limit_glue(self, contract: Contract) -> TestService {
        match self {
            #[cfg(feature = "axum")]
            Framework::Axum => TestService::axum(on_axum::app_without_limit_glue(contract)),
            #[cfg(feature = "actix")]
            Framework::Actix => {
                TestService::actix(on_actix::app_without_limit_glue(contract)).await
            }
        }
    }

    /// Sends one request to a fresh test service with the default contract.
    pub async fn send(self, request: Req) -> Response {
        self.start(Contract::default()).await.send(&request).await
    }
}

/// `axum` or `actix-web`.
impl std::fmt::Display for Framework {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match *self {
            #[cfg(feature = "axum")]
            Framework::Axum => "axum",
            #[cfg(feature = "actix")]
            Framework::Actix => "actix-web",
        })
    }
}

/// The test service (or any app) started on one framework, in-process.
pub enum TestService {
    /// On axum.
    #[cfg(feature = "axum")]
    Axum(attractos_contract::target::AxumTarget),
    /// On actix-web.
    #[cfg(feature = "actix")]
    Actix(Box<dyn ActixService>),
}

impl TestService {
    /// An axum app (under its contract) to send [`Req`]s to.
    #[cfg(feature = "axum")]
    pub fn axum(app: attractos_errors_axum::ContractRouter) -> Self {
        TestService::Axum(attractos_contract::target::AxumTarget::new("axum", app))
    }

    /// An actix-web app (under its contract) to send [`Req`]s to.
    #[cfg(feature = "actix")]
    pub async fn actix<T>(app: actix_web::App<T>) -> Self
    where
        T: attractos_errors_actix::AppFactory + 'static,
        T::Future: 'static,
        T::Body: 'static,
    {
        TestService::Actix(Box::new(
            attractos_contract::target::ActixTarget::new("actix-web", app).await,
        ))
    }

    /// Sends `request` and reads the whole answer.
    pub async fn send(&self, request: &Req) -> Response {
        #[cfg(feature = "axum")]
        use attractos_contract::target::Target;
        let answer = match (self, request.to_case_request()) {
            #[cfg(feature = "axum")]
            (TestService::Axum(target), Some(plain)) => target.send(&plain).await,
            #[cfg(feature = "axum")]
            (TestService::Axum(target), None) => target.send_raw(request.to_axum_streamed()).await,
            #[cfg(feature = "actix")]
            (TestService::Actix(target), plain) => {
                let raw = match plain {
                    Some(plain) => actix_request(&plain),
                    None => request.to_actix_streamed(),
                };
                target.send_raw(raw).await
            }
        };
        answer.unwrap_or_else(|err| panic!("{err}: {request:?}"))
    }
}

#[cfg(feature = "actix")]
fn actix_request(request: &attractos_contract::case::Request) -> actix_http::Request {
    request::actix_test_request(&request.method, &request.target, &request.headers)
        .set_payload(request.body.clone())
        .to_request()
}

/// The answer [`ActixService::send_raw`] is waiting for.
#[cfg(feature = "actix")]
pub type ActixAnswer<'a> = futures_util::future::LocalBoxFuture<
    'a,
    Result<Response, attractos_contract::target::TargetError>,
>;

/// An actix-web app initialized in-process, whatever its service type.
#[cfg(feature = "actix")]
pub trait ActixService {
    /// Sends an actix-http request as it is.
    fn send_raw(&self, request: actix_http::Request) -> ActixAnswer<'_>;
}

#[cfg(feature = "actix")]
impl<S, B> ActixService for attractos_contract::target::ActixTarget<S>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody + 'static,
{
    fn send_raw(&self, request: actix_http::Request) -> ActixAnswer<'_> {
        Box::pin(attractos_contract::target::ActixTarget::send_raw(
            self, request,
        ))
    }
}

/// [`Response::assert_error`] for one case of a table: a wrong code fails naming `case`.
#[track_caller]
pub fn assert_case_error(case: &str, sent: &Response, code: ErrorCode) -> ErrorBody {
    assert_eq!(
        sent.code().as_deref(),
        Some(code.as_str()),
        "{case}: {sent}"
    );
    sent.assert_error(code)
}

/// The snapshot format both adapters share: `<status> <reason>`, every header but
/// `content-length` and `date` sorted by name as `name: value`, an empty line, the body.
pub fn snapshot_text(response: &Response) -> String {
    snapshot(response, true)
}

/// [`snapshot_text`] with the headers in the order they were sent.
pub fn snapshot_text_in_order(response: &Response) -> String {
    snapshot(response, false)
}

fn snapshot(response: &Response, sorted: bool) -> String {
    let status = http::StatusCode::from_u16(response.status).expect("a status");
    let mut text = format!(
        "{} {}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let mut headers: Vec<(&str, String)> = response
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "content-length" | "date"))
        .map(|(name, value)| (name.as_str(), String::from_utf8_lossy(value).into_owned()))
        .collect();
    if sorted {
        headers.sort_by(|a, b| a.0.cmp(b.0));
    }
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text.push_str(&String::from_utf8_lossy(&response.body));
    text
}
