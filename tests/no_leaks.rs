//! No leaks: a generated secret embedded in an internal failure (a store error, a panic with a
//! formatted message, an anyhow chain, an I/O error, a 500's internal message) never shows up in
//! any response body or header, on either adapter, not even as an 8-byte fragment; and it DOES
//! show up in the captured tracing output, next to the request id, so operators see the cause.

use std::sync::Arc;

use attractos_errors::ApiError as CoreError;
use attractos_testkit::logs::Logs;
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

/// What one request got: status, every header (name and value bytes), body.
struct Answer {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

fn axum_answer(secret: &str, path: &str) -> Answer {
    use attractos_errors_axum::{ApiError, Contract, ContractExt};
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let secret = secret.to_owned();
    let handler = move |uri: http::Uri| {
        let secret = secret.clone();
        async move { Err::<(), ApiError>(fault(uri.path(), &secret).into()) }
    };
    let mut router = axum::Router::new();
    for route in FAULTS {
        router = router.route(route, get(handler.clone()));
    }
    let router = router.with_contract(Contract::default());
    let request = http::Request::get(path)
        .header("x-request-id", REQUEST_ID)
        .body(axum::body::Body::empty())
        .expect("a valid request");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async move {
            let response = router.oneshot(request).await.expect("infallible");
            let (parts, body) = response.into_parts();
            Answer {
                status: parts.status.as_u16(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
                    .collect(),
                body: body.collect().await.expect("a body").to_bytes().to_vec(),
            }
        })
}

fn actix_answer(secret: &str, path: &str) -> Answer {
    use actix_web::dev::Service;
    use actix_web::{HttpRequest, HttpResponse, test, web};
    use attractos_errors_actix::{ApiError, Contract, contract_app};

    let secret = secret.to_owned();
    let path = path.to_owned();
    actix_web::rt::System::new().block_on(async move {
        let mut app = contract_app(Contract::default()).app_data(web::Data::new(secret));
        for route in FAULTS {
            app = app.route(
                route,
                web::get().to(|req: HttpRequest, secret: web::Data<String>| async move {
                    Err::<HttpResponse, ApiError>(fault(req.path(), &secret).into())
                }),
            );
        }
        let app = test::init_service(app).await;
        let request = test::TestRequest::get()
            .uri(&path)
            .insert_header(("x-request-id", REQUEST_ID))
            .to_request();
        let response = match app.call(request).await {
            Ok(response) => response.into_parts().1.map_into_boxed_body(),
            Err(err) => err.error_response(),
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect();
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .expect("a body")
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    })
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

fn quiet_leak_test_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map_or("", String::as_str);
        if !text.starts_with("leak-test panic") {
            default(info);
        }
    }));
}

#[test]
fn secrets_in_internal_failures_reach_the_logs_and_never_a_response() {
    quiet_leak_test_panics();
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
            let framework = if axum { "axum" } else { "actix" };
            let (logs, guard) = Logs::capture(tracing::Level::DEBUG);
            let answer = if axum {
                axum_answer(&secret, path)
            } else {
                actix_answer(&secret, path)
            };
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
