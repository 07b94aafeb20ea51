//! Under a `Contract` with a docs base URL, every error response links its code's section of
//! the reference page, errors the middleware produces itself included; an app without one
//! sends no link.

mod common;

use attractos_errors::ErrorCode;
use attractos_errors_actix::Contract;
use common::{app_with, authorized_get, get_request, send, send_one};

#[actix_web::test]
async fn every_error_links_its_section_under_a_contract_with_a_docs_base_url() {
    let before = send_one(get_request("/codes/INVALID_KEY")).await;
    assert_eq!(
        before.header("link"),
        None,
        "a contract without a docs base URL sends no link"
    );

    let contract = Contract::default()
        .with_docs_base_url("https://docs.attractos.example/error-codes")
        .expect("a valid base URL");
    let app = actix_web::test::init_service(app_with(contract)).await;

    for code in [
        ErrorCode::InvalidKey,
        ErrorCode::RateLimited,
        ErrorCode::NotFound,
    ] {
        let sent = send(&app, get_request(&format!("/codes/{code}"))).await;
        sent.assert_error(code);
        assert_eq!(
            sent.header("link"),
            Some(
                format!(r#"<https://docs.attractos.example/error-codes#{code}>; rel="help""#)
                    .as_str()
            ),
            "{sent}"
        );
    }
    for (uri, code) in [("/nowhere", "NOT_FOUND"), ("/panic", "SERVER_ERROR")] {
        let sent = send(&app, get_request(uri)).await;
        assert_eq!(
            sent.header("link"),
            Some(
                format!(r#"<https://docs.attractos.example/error-codes#{code}>; rel="help""#)
                    .as_str()
            ),
            "{sent}"
        );
    }
    let success = send(
        &app,
        authorized_get("/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-02"),
    )
    .await;
    assert_eq!(success.status, 200);
    assert_eq!(success.header("link"), None, "successes carry no link");
}
