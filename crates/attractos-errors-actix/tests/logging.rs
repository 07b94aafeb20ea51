//! Each error response has exactly one log line, inside the `request` span, so it names the
//! request id; a `SERVER_ERROR`'s line carries the whole cause chain, which the body never does.

use std::io;
use std::sync::{Arc, Mutex};

use crate::common::{Sent, get_request, request, send};
use actix_web::test;
use tracing_subscriber::fmt::MakeWriter;

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("the log lock").clone();
        String::from_utf8(bytes)
            .expect("UTF-8 logs")
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("the log lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Sends `req` to the test service with a subscriber capturing everything at `DEBUG`.
async fn logged(req: actix_web::test::TestRequest) -> (Sent, Vec<String>) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    attractos_testkit::steady_log_interest();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = test::init_service(crate::common::app()).await;
    let sent = send(&app, req).await;
    (sent, captured.lines())
}

fn error_lines(lines: &[String]) -> Vec<&String> {
    lines.iter().filter(|line| line.contains("ERROR")).collect()
}

#[actix_web::test]
async fn a_server_error_logs_the_request_id_and_the_cause_chain_but_sends_neither_cause() {
    let (sent, lines) = logged(get_request("/internal")).await;
    let errors = error_lines(&lines);
    assert_eq!(errors.len(), 1, "one error line: {lines:#?}");
    let line = errors[0];
    assert!(line.contains("request_id=test-request-id"), "{line}");
    assert!(
        line.contains("loading the report failed: disk quota exceeded: secret-path=/var/private"),
        "the whole chain: {line}"
    );
    assert!(line.contains("SERVER_ERROR"), "{line}");
    let response = sent.to_string();
    assert!(!response.contains("report failed"), "{response}");
    assert!(!response.contains("secret-path"), "{response}");
}

#[actix_web::test]
async fn a_panic_logs_its_message_once_inside_the_span() {
    let (sent, lines) = logged(get_request("/panic")).await;
    assert_eq!(sent.status, 500);
    let errors = error_lines(&lines);
    assert_eq!(errors.len(), 1, "one error line: {lines:#?}");
    assert!(
        errors[0].contains("handler panicked: the handler fell over"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains("request_id=test-request-id"),
        "{}",
        errors[0]
    );
}

#[actix_web::test]
async fn a_client_error_is_one_debug_line_with_the_request_id() {
    for req in [
        get_request("/api/v1/timeseries?limit=x"),
        get_request("/nowhere"),
        request("GET", "/api/v1/events"),
    ] {
        let (sent, lines) = logged(req).await;
        let rejected: Vec<&String> = lines
            .iter()
            .filter(|line| line.contains("request rejected"))
            .collect();
        assert_eq!(rejected.len(), 1, "one line for {sent}: {lines:#?}");
        assert!(rejected[0].contains("DEBUG"), "{}", rejected[0]);
        assert!(
            rejected[0].contains("request_id=test-request-id"),
            "{}",
            rejected[0]
        );
        assert!(
            rejected[0].contains(sent.code().as_str()),
            "{}",
            rejected[0]
        );
        assert!(error_lines(&lines).is_empty(), "{lines:#?}");
    }
}

#[actix_web::test]
async fn a_success_logs_no_error() {
    let (sent, lines) = logged(get_request("/api/v1/timeseries?granularity=day")).await;
    assert_eq!(sent.status, 200);
    assert!(
        lines
            .iter()
            .all(|line| !line.contains("request rejected") && !line.contains("ERROR")),
        "{lines:#?}"
    );
}

/// A cause with a source, so the logged chain has two links.
#[derive(Debug, thiserror::Error)]
#[error("site lookup failed")]
struct LookupFailed(#[source] std::io::Error);

/// What the axum adapter's test expects too, word for word, after the span.
fn expected_rejection_line() -> String {
    format!(
        "request rejected code=\"SITE_NOT_FOUND\" status=403 public_message={:?} cause=site lookup failed: connection reset",
        attractos_errors::ErrorCode::SiteNotFound.message()
    )
}

/// Sends `req` to a small app with a 4xx carrying a cause and a plain-text 418, capturing logs.
async fn logged_layered(req: actix_web::test::TestRequest) -> (Sent, Vec<String>) {
    use actix_web::{HttpResponse, web};
    use attractos_errors_actix::{ApiError, Contract, contract_app};
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    attractos_testkit::steady_log_interest();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = contract_app(Contract::default())
        .route(
            "/cause",
            web::get().to(|| async {
                Err::<HttpResponse, _>(
                    ApiError::site_not_found()
                        .with_cause(LookupFailed(std::io::Error::other("connection reset"))),
                )
            }),
        )
        .route(
            "/teapot",
            web::get().to(|| async {
                HttpResponse::build(actix_web::http::StatusCode::IM_A_TEAPOT)
                    .content_type("text/plain")
                    .body("short and stout")
            }),
        );
    let app = test::init_service(app).await;
    let sent = send(&app, req).await;
    (sent, captured.lines())
}

#[actix_web::test]
async fn a_client_errors_cause_is_logged_at_debug_level_with_its_chain() {
    let (sent, lines) = logged_layered(get_request("/cause")).await;
    assert_eq!(
        sent.code(),
        attractos_errors::ErrorCode::SiteNotFound,
        "{sent}"
    );
    let rejected: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("request rejected"))
        .collect();
    assert_eq!(rejected.len(), 1, "{lines:#?}");
    assert!(rejected[0].contains("DEBUG"), "{}", rejected[0]);
    assert!(
        rejected[0].ends_with(&expected_rejection_line()),
        "{}\nshould end with\n{}",
        rejected[0],
        expected_rejection_line()
    );
}

#[actix_web::test]
async fn another_layers_answer_sent_as_server_error_is_a_warning_with_its_status() {
    let (sent, lines) = logged_layered(get_request("/teapot")).await;
    assert_eq!(
        sent.code(),
        attractos_errors::ErrorCode::ServerError,
        "{sent}"
    );
    assert!(
        lines.iter().all(|line| !line.contains(" ERROR ")),
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
