//! What is logged for a sent error, the same line on both frameworks: a `SERVER_ERROR` once at
//! error level with the request id and the whole cause chain (which the body never shows), a
//! panic with its message, a 4xx at debug level with its cause chain, another layer's answer
//! sent as `SERVER_ERROR` as a warning with its status, a success with no error.

use attractos_errors::ErrorCode;

use crate::logs::Logs;
use crate::{Contract, Framework, REQUEST_ID, Req, Response};

/// Sends `request` to the test service with everything at `level` and up captured.
async fn logged_at(framework: Framework, level: tracing::Level, request: Req) -> (Response, Logs) {
    let (captured, _guard) = Logs::capture(level);
    let service = framework.start(Contract::default()).await;
    let sent = service.send(&request).await;
    (sent, captured)
}

async fn logged(framework: Framework, request: Req) -> (Response, Logs) {
    logged_at(framework, tracing::Level::DEBUG, request).await
}

/// One error line inside the `request` span, with the cause chain; none of it in the body.
pub async fn a_server_error_logs_its_cause_chain_with_the_request_id_once(framework: Framework) {
    let (sent, captured) = logged(framework, Req::get("/internal")).await;
    sent.assert_error(ErrorCode::ServerError);
    let line = captured.only_line(" ERROR ");
    let span = format!("request{{request_id={REQUEST_ID}");
    assert!(line.contains(&span), "the span's request id: {line}");
    let chain = "cause=loading the report failed: disk quota exceeded: secret-path=/var/private";
    assert!(line.contains(chain), "the whole cause chain: {line}");
    assert!(line.contains(r#"code="SERVER_ERROR""#), "{line}");
    let text = sent.to_string();
    assert!(
        !text.contains("quota") && !text.contains("report"),
        "a cause sent: {text}"
    );
}

/// A domain error's `#[source]` is in the chain.
pub async fn a_domain_errors_source_chain_is_logged(framework: Framework) {
    let uri = "/api/v1/sites/site_offline/stats?start=2024-01-01&end=2024-01-02";
    let (sent, captured) = logged(framework, Req::get(uri).key()).await;
    sent.assert_error(ErrorCode::ServerError);
    let line = captured.only_line(" ERROR ");
    let chain = "cause=store unavailable: connection refused: db-password=hunter2";
    assert!(line.contains(chain), "{line}");
    assert!(!sent.to_string().contains("hunter2"), "{sent}");
}

/// A panic's message, once, inside the span.
pub async fn a_panic_logs_its_message_once_inside_the_span(framework: Framework) {
    let (sent, captured) = logged(framework, Req::get("/panic")).await;
    sent.assert_error(ErrorCode::ServerError);
    let line = captured.only_line(" ERROR ");
    assert!(
        line.contains("handler panicked: the handler fell over")
            && line.contains(&format!("request_id={REQUEST_ID}")),
        "{line}"
    );
}

/// An extractor's, the router's, a wrong method's 4xx: one debug line, no error line.
pub async fn a_client_error_is_one_debug_line_with_the_request_id(framework: Framework) {
    for request in [
        Req::get("/api/v1/sites/site_demo/stats"),
        Req::get("/api/v1/timeseries?limit=x"),
        Req::get("/nowhere"),
        Req::get("/api/v1/events"),
    ] {
        let (sent, captured) = logged(framework, request).await;
        let code = sent.assert_error(sent_code(&sent)).code;
        let line = captured.only_line("request rejected");
        assert!(line.contains(" DEBUG "), "{sent}: {line}");
        assert!(line.contains(&format!("request_id={REQUEST_ID}")), "{line}");
        assert!(
            line.contains(&format!("code=\"{}\"", code.as_str())),
            "{line}"
        );
        let errors = captured.containing(" ERROR ");
        assert!(errors.is_empty(), "{:#?}", captured.lines());
    }
}

fn sent_code(sent: &Response) -> ErrorCode {
    let code = sent.code().expect("an error body");
    code.parse().expect("a catalogue code")
}

/// With no id sent, the generated one is the one logged.
pub async fn a_generated_request_id_is_the_one_logged(framework: Framework) {
    let (sent, captured) = logged(framework, Req::bare("GET", "/internal")).await;
    let id = sent.header_str("x-request-id").expect("a generated id");
    let line = captured.only_line(" ERROR ");
    assert!(line.contains(&format!("request_id={id}")), "{id} in {line}");
}

/// The request span is at error level, so a filter keeping only errors keeps it too.
pub async fn the_request_id_is_on_the_error_line_even_when_only_errors_are_logged(
    framework: Framework,
) {
    let (sent, captured) = logged_at(framework, tracing::Level::ERROR, Req::get("/internal")).await;
    sent.assert_error(ErrorCode::ServerError);
    let lines = captured.lines();
    assert_eq!(lines.len(), 1, "only the error line: {lines:#?}");
    let span = format!("request{{request_id={REQUEST_ID}");
    assert!(lines[0].contains(&span), "{}", lines[0]);
}

/// A success: nothing rejected, no error.
pub async fn a_success_logs_no_error(framework: Framework) {
    let (sent, captured) = logged(framework, Req::get("/api/v1/timeseries?granularity=day")).await;
    assert_eq!(sent.status, 200, "{sent}");
    let lines = captured.lines();
    let quiet = lines
        .iter()
        .all(|line| !line.contains("request rejected") && !line.contains(" ERROR "));
    assert!(quiet, "{lines:#?}");
}

/// A 4xx's cause and its source, word for word the same line on both frameworks.
pub async fn a_client_errors_cause_is_logged_at_debug_level_with_its_chain(framework: Framework) {
    let (sent, captured) = logged(framework, Req::get("/cause")).await;
    sent.assert_error_message(ErrorCode::SiteNotFound);
    let line = captured.only_line("request rejected");
    assert!(line.contains(" DEBUG "), "{line}");
    let expected = format!(
        "request rejected code=\"SITE_NOT_FOUND\" status=403 public_message={:?} cause=site lookup failed: connection reset",
        ErrorCode::SiteNotFound.message()
    );
    assert!(
        line.ends_with(&expected),
        "{line}\nshould end with\n{expected}"
    );
}

/// Another layer's plain-text 418, sent as `SERVER_ERROR`: one warning with its status.
pub async fn another_layers_answer_sent_as_server_error_is_a_warning_with_its_status(
    framework: Framework,
) {
    let (sent, captured) = logged(framework, Req::get("/teapot")).await;
    sent.assert_error_message(ErrorCode::ServerError);
    let lines = captured.lines();
    let errors = captured.containing(" ERROR ");
    assert!(
        errors.is_empty(),
        "not an error of this service: {lines:#?}"
    );
    let warning = captured.only_line(" WARN ");
    let status = "code=\"SERVER_ERROR\" original_status=418";
    assert!(warning.contains(status), "{warning}");
    assert!(!sent.to_string().contains(crate::service::TEAPOT), "{sent}");
}
