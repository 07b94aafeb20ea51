//! What is logged for a sent error: a `SERVER_ERROR` once at error level with the request id
//! and the whole cause chain (which the body never shows), a 4xx at debug level.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::common::{REQUEST_ID, app, authorized_get, get_request, send};
use attractos_errors::ErrorCode;
use tracing::subscriber::DefaultGuard;

/// Everything the fmt subscriber writes while the guard lives on this thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn install() -> (Self, DefaultGuard) {
        Self::install_at(tracing::Level::DEBUG)
    }

    fn install_at(level: tracing::Level) -> (Self, DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(level)
            .finish();
        attractos_testkit::steady_log_interest();
        let guard = tracing::subscriber::set_default(subscriber);
        (captured, guard)
    }

    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("not poisoned").clone();
        String::from_utf8(bytes)
            .expect("UTF-8 log")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn errors(&self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|line| line.contains(" ERROR "))
            .collect()
    }
}

#[tokio::test]
async fn a_server_error_logs_its_cause_chain_with_the_request_id_once() {
    let (captured, _guard) = Captured::install();
    let sent = send(&app(), get_request("/internal")).await;
    sent.assert_error(ErrorCode::ServerError);

    let errors = captured.errors();
    assert_eq!(errors.len(), 1, "exactly one error line: {errors:#?}");
    let line = &errors[0];
    assert!(
        line.contains(&format!("request{{request_id={REQUEST_ID}")),
        "the span's request id: {line}"
    );
    assert!(
        line.contains(
            "cause=loading the report failed: disk quota exceeded: secret-path=/var/private"
        ),
        "the whole cause chain: {line}"
    );
    assert!(line.contains(r#"code="SERVER_ERROR""#), "{line}");
    let body = String::from_utf8_lossy(&sent.body);
    assert!(
        !body.contains("quota") && !body.contains("report"),
        "no cause in the body: {body}"
    );
}

#[tokio::test]
async fn a_domain_errors_source_chain_is_logged() {
    let (captured, _guard) = Captured::install();
    let sent = send(
        &app(),
        authorized_get("/api/v1/sites/site_offline/stats?start=2024-01-01&end=2024-01-02"),
    )
    .await;
    sent.assert_error(ErrorCode::ServerError);
    let errors = captured.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("cause=store unavailable: connection refused: db-password=hunter2"),
        "{}",
        errors[0]
    );
    assert!(!String::from_utf8_lossy(&sent.body).contains("hunter2"));
}

#[tokio::test]
async fn a_panic_logs_its_message_at_error_level() {
    let (captured, _guard) = Captured::install();
    send(&app(), get_request("/panic"))
        .await
        .assert_error(ErrorCode::ServerError);
    let errors = captured.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("handler panicked: the handler fell over")
            && errors[0].contains(&format!("request_id={REQUEST_ID}")),
        "{}",
        errors[0]
    );
}

#[tokio::test]
async fn a_client_error_is_logged_at_debug_level_only() {
    let (captured, _guard) = Captured::install();
    send(&app(), get_request("/api/v1/sites/site_demo/stats"))
        .await
        .assert_error(ErrorCode::MissingKey);
    assert!(captured.errors().is_empty(), "{:#?}", captured.lines());
    let rejected: Vec<String> = captured
        .lines()
        .into_iter()
        .filter(|line| line.contains("request rejected"))
        .collect();
    assert_eq!(rejected.len(), 1, "{:#?}", captured.lines());
    assert!(
        rejected[0].contains(" DEBUG ")
            && rejected[0].contains(r#"code="MISSING_KEY""#)
            && rejected[0].contains(&format!("request_id={REQUEST_ID}")),
        "{}",
        rejected[0]
    );
}

#[tokio::test]
async fn a_generated_request_id_is_the_one_logged() {
    let (captured, _guard) = Captured::install();
    let request = axum::http::Request::get("/internal")
        .body(axum::body::Body::empty())
        .expect("a valid request");
    let sent = send(&app(), request).await;
    let id = sent
        .header("x-request-id")
        .expect("a generated id")
        .to_owned();
    let errors = captured.errors();
    assert!(
        errors[0].contains(&format!("request_id={id}")),
        "{id} in {}",
        errors[0]
    );
}

#[tokio::test]
async fn the_request_id_is_on_the_error_line_even_when_only_errors_are_logged() {
    // The request span is at ERROR level, so a filter that keeps only errors keeps it too.
    let (captured, _guard) = Captured::install_at(tracing::Level::ERROR);
    send(&app(), get_request("/internal"))
        .await
        .assert_error(ErrorCode::ServerError);
    let lines = captured.lines();
    assert_eq!(lines.len(), 1, "only the error line: {lines:#?}");
    assert!(
        lines[0].contains(&format!("request{{request_id={REQUEST_ID}")),
        "{}",
        lines[0]
    );
}

/// A cause with a source, so the logged chain has two links.
#[derive(Debug, thiserror::Error)]
#[error("site lookup failed")]
struct LookupFailed(#[source] std::io::Error);

/// What the actix-web adapter's test expects too, word for word, after the span.
fn expected_rejection_line() -> String {
    format!(
        "request rejected code=\"SITE_NOT_FOUND\" status=403 public_message={:?} cause=site lookup failed: connection reset",
        ErrorCode::SiteNotFound.message()
    )
}

fn layered_app() -> axum::Router {
    use attractos_errors_axum::{ApiError, Contract, ContractExt};
    use axum::routing::get;
    axum::Router::new()
        .route(
            "/cause",
            get(|| async {
                Err::<(), _>(
                    ApiError::site_not_found()
                        .with_cause(LookupFailed(std::io::Error::other("connection reset"))),
                )
            }),
        )
        .route(
            "/teapot",
            get(|| async { (axum::http::StatusCode::IM_A_TEAPOT, "short and stout") }),
        )
        .with_contract(Contract::default())
}

#[tokio::test]
async fn a_client_errors_cause_is_logged_at_debug_level_with_its_chain() {
    let (captured, _guard) = Captured::install();
    send(&layered_app(), get_request("/cause"))
        .await
        .assert_error(ErrorCode::SiteNotFound);
    let lines = captured.lines();
    let rejected: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("request rejected"))
        .collect();
    assert_eq!(rejected.len(), 1, "{lines:#?}");
    assert!(rejected[0].contains(" DEBUG "), "{}", rejected[0]);
    assert!(
        rejected[0].ends_with(&expected_rejection_line()),
        "{}\nshould end with\n{}",
        rejected[0],
        expected_rejection_line()
    );
}

#[tokio::test]
async fn another_layers_answer_sent_as_server_error_is_a_warning_with_its_status() {
    let (captured, _guard) = Captured::install();
    send(&layered_app(), get_request("/teapot"))
        .await
        .assert_error(ErrorCode::ServerError);
    let lines = captured.lines();
    assert!(
        captured.errors().is_empty(),
        "not an error of this service: {lines:#?}"
    );
    let warnings: Vec<&String> = lines.iter().filter(|l| l.contains(" WARN ")).collect();
    assert_eq!(warnings.len(), 1, "{lines:#?}");
    assert!(
        warnings[0].contains("code=\"SERVER_ERROR\" original_status=418"),
        "{}",
        warnings[0]
    );
}
