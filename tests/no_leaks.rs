//! No leaks: a generated secret embedded in an internal failure (a store error, a panic with a
//! formatted message, an anyhow chain, an I/O error, a 500's internal message) never shows up in
//! any response body or header, on either adapter, not even as an 8-byte fragment; and it DOES
//! show up in the captured tracing output, next to the request id, so operators see the cause.

use std::sync::Arc;

use attractos_errors::ApiError as CoreError;
use attractos_testkit::logs::Logs;
use attractos_testkit::{Framework, Req, Response, TestService};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const REQUEST_ID: &str = "leak-test-request";

/// The ways a secret gets into an internal failure; each is a route on both test apps.
const FAULTS: [&str; 5] = ["/store", "/panic", "/anyhow", "/io", "/message"];

#[derive(Debug, thiserror::Error)]
#[error("store read failed for tenant credentials {0}")]
struct StoreError(String);

impl From<StoreError> for CoreError {
    fn from(err: StoreError) -> Self {
        CoreError::internal(err)
    }
}

/// The core error each route fails with (`/panic` panics instead).
fn fault(path: &str, secret: &str) -> CoreError {
    match path {
        "/store" => StoreError(format!("password={secret}")).into(),
        "/anyhow" => {
            let inner = std::io::Error::other(format!("token {secret} rejected"));
            let chain = anyhow::Error::new(inner).context("refreshing the upstream session");
            let boxed: Box<dyn std::error::Error + Send + Sync> = chain.into();
            CoreError::server_error().with_shared_cause(Arc::from(boxed))
        }
        "/io" => CoreError::internal(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("open /etc/keys/{secret}.pem"),
        )),
        "/message" => {
            CoreError::internal(std::io::Error::other("x")).with_message(format!("dsn {secret}"))
        }
        "/panic" => panic!("leak-test panic while holding {secret}"),
        other => unreachable!("no fault route {other}"),
    }
}

/// What `framework`'s contract answers to a GET of `path` on an app whose every `FAULTS` route
/// fails with [`fault`] holding `secret`.
fn answer(framework: Framework, secret: &str, path: &str) -> Response {
    let request = Req::bare("GET", path).header("x-request-id", REQUEST_ID);
    framework.block_on(async {
        let service = match framework {
            Framework::Axum => TestService::axum(axum_app(secret)),
            Framework::Actix => TestService::actix(actix_app(secret.to_owned())).await,
        };
        service.send(&request).await
    })
}

fn axum_app(secret: &str) -> attractos_errors_axum::ContractRouter {
    use attractos_errors_axum::{ApiError, Contract, ContractExt};
    use axum::routing::get;

    let secret = secret.to_owned();
    let handler = move |uri: http::Uri| {
        let secret = secret.clone();
        async move { Err::<(), ApiError>(fault(uri.path(), &secret).into()) }
    };
    let mut router = axum::Router::new();
    for route in FAULTS {
        router = router.route(route, get(handler.clone()));
    }
    router.with_contract(Contract::default())
}

fn actix_app(
    secret: String,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    use actix_web::{HttpRequest, HttpResponse, web};
    use attractos_errors_actix::{ApiError, Contract, contract_app};

    let mut app = contract_app(Contract::default()).app_data(web::Data::new(secret));
    for route in FAULTS {
        app = app.route(
            route,
            web::get().to(|req: HttpRequest, secret: web::Data<String>| async move {
                Err::<HttpResponse, ApiError>(fault(req.path(), &secret).into())
            }),
        );
    }
    app
}

/// Whether any 8-byte window of `secret` (or the whole of a shorter one) occurs in `haystack`.
fn holds_part_of(haystack: &[u8], secret: &[u8]) -> Option<String> {
    let width = secret.len().min(8);
    secret.windows(width).find_map(|part| {
        haystack
            .windows(width)
            .any(|w| w == part)
            .then(|| String::from_utf8_lossy(part).into_owned())
    })
}

#[test]
fn secrets_in_internal_failures_reach_the_logs_and_never_a_response() {
    attractos_reference::domain::quiet_panics_starting_with("leak-test panic");
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let secrets = "sk_[A-Za-z0-9+/=_-]{12,40}";
    let result = runner.run(
        &(secrets, 0..FAULTS.len(), any::<bool>()),
        |(secret, fault, axum)| {
            let path = FAULTS[fault];
            let framework = if axum {
                Framework::Axum
            } else {
                Framework::Actix
            };
            let (logs, guard) = Logs::capture(tracing::Level::DEBUG);
            let answer = answer(framework, &secret, path);
            drop(guard);
            prop_assert_eq!(answer.status, 500, "{} {}: a SERVER_ERROR", framework, path);
            prop_assert_eq!(
                String::from_utf8_lossy(&answer.body),
                r#"{"error":"An unexpected error occurred on the server.","code":"SERVER_ERROR"}"#,
                "{} {}: the catalogue's body only",
                framework,
                path
            );
            let leaked = holds_part_of(&answer.body, secret.as_bytes());
            prop_assert!(
                leaked.is_none(),
                "{} {}: body holds {:?}",
                framework,
                path,
                leaked
            );
            for (name, value) in &answer.headers {
                let leaked = holds_part_of(value, secret.as_bytes())
                    .or_else(|| holds_part_of(name.as_bytes(), secret.as_bytes()));
                prop_assert!(
                    leaked.is_none(),
                    "{} {}: header {} holds {:?}",
                    framework,
                    path,
                    name,
                    leaked
                );
            }
            let logs = logs.text();
            let line = logs.lines().find(|line| line.contains(&secret));
            prop_assert!(
                line.is_some(),
                "{} {}: the secret is in the logs for operators:\n{}",
                framework,
                path,
                logs
            );
            prop_assert!(
                line.is_some_and(|l| l.contains(REQUEST_ID) && l.contains("SERVER_ERROR")),
                "{} {}: the line names the request and the code: {:?}",
                framework,
                path,
                line
            );
            Ok(())
        },
    );
    if let Err(err) = result {
        panic!("{err}");
    }
}
