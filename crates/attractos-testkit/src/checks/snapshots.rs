//! The full answer of every code with its default message, and of the adapter's own failures,
//! as raw-text snapshots both frameworks must match byte for byte (`snapshots/<name>.snap`,
//! headers sorted); on axum, the header order is snapshotted too (`header_order_<name>`).

use attractos_contract::rule::Level;
use attractos_errors::ErrorCode;
use attractos_errors::rules::DEFAULT_BODY_LIMIT;

use crate::{Framework, Req, Response, snapshot_text};

fn assert_response_snapshot(framework: Framework, name: &str, sent: &Response) {
    insta::with_settings!({
        snapshot_path => "../../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, snapshot_text(sent));
        #[cfg(feature = "axum")]
        if framework == Framework::Axum {
            let in_order = crate::snapshot_text_in_order(sent);
            insta::assert_snapshot!(format!("header_order_{name}"), in_order);
        }
    });
    let _ = framework;
}

/// `/codes/{code}` for every code.
pub async fn every_code_with_its_default_message(framework: Framework) {
    let service = framework.start(crate::Contract::default()).await;
    for code in ErrorCode::ALL {
        let sent = service.send(&Req::get(format!("/codes/{code}"))).await;
        // A handler's own 405 has no `Allow` to give: judged on the published page's rules.
        let body = sent.assert_error_at(*code, Level::Contract);
        assert_eq!(body.error, code.message(), "default message of {code}");
        assert_response_snapshot(framework, &format!("code_{code}"), &sent);
    }
}

/// An extractor's specific message.
pub async fn a_specific_message(framework: Framework) {
    let uri = "/api/v1/sites/site_demo/stats?start=2024-02-30&end=2024-03-01";
    let sent = framework.send(Req::get(uri).key()).await;
    sent.assert_error(ErrorCode::InvalidDateRange);
    assert_response_snapshot(framework, "custom_message_INVALID_DATE_RANGE", &sent);
}

/// An internal cause is logged, never sent.
pub async fn an_internal_cause_is_not_sent(framework: Framework) {
    let sent = framework.send(Req::get("/internal")).await;
    sent.assert_error_message(ErrorCode::ServerError);
    let text = sent.to_string();
    assert!(!text.contains("quota"), "the cause leaked: {text}");
    assert!(!text.contains("secret-path"), "the cause leaked: {text}");
    assert_response_snapshot(framework, "internal_cause_SERVER_ERROR", &sent);
}

/// The router's 404.
pub async fn an_unknown_route(framework: Framework) {
    let sent = framework.send(Req::get("/api/v1/nothing-here")).await;
    sent.assert_error(ErrorCode::NotFound);
    assert_response_snapshot(framework, "not_found", &sent);
}

/// The router's 405.
pub async fn a_wrong_method(framework: Framework) {
    let sent = framework.send(Req::get("/api/v1/events")).await;
    sent.assert_error(ErrorCode::MethodNotAllowed);
    assert_response_snapshot(framework, "method_not_allowed", &sent);
}

/// A `Content-Length` one byte over the default limit.
pub async fn a_body_over_the_default_limit(framework: Framework) {
    let request = Req::new("POST", "/api/v1/events")
        .header("content-type", "application/json")
        .sized(vec![b' '; DEFAULT_BODY_LIMIT + 1]);
    let sent = framework.send(request).await;
    sent.assert_error(ErrorCode::PayloadTooLarge);
    assert_response_snapshot(framework, "payload_too_large", &sent);
}

/// A panicking handler.
pub async fn a_panicking_handler(framework: Framework) {
    let sent = framework.send(Req::get("/panic")).await;
    sent.assert_error_message(ErrorCode::ServerError);
    assert!(
        !sent.to_string().contains("fell over"),
        "the panic message leaked: {sent}"
    );
    assert_response_snapshot(framework, "panic", &sent);
}
