//! Once `attractos_errors::set_docs_base_url` is called (once per process, hence this test's
//! own binary), every error response links its code's section of the reference page, errors
//! the middleware produces itself included.

mod common;

use attractos_errors::ErrorCode;
use common::{authorized_get, get_request, send_one};

#[actix_web::test]
async fn every_error_links_its_section_once_the_base_url_is_set() {
    let before = send_one(get_request("/codes/INVALID_KEY")).await;
    assert_eq!(before.header("link"), None, "no link before it is set");

    attractos_errors::set_docs_base_url("https://docs.attractos.example/error-codes")
        .expect("a valid base URL");

    for code in [
        ErrorCode::InvalidKey,
        ErrorCode::RateLimited,
        ErrorCode::NotFound,
    ] {
        let sent = send_one(get_request(&format!("/codes/{code}"))).await;
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
        let sent = send_one(get_request(uri)).await;
        assert_eq!(
            sent.header("link"),
            Some(
                format!(r#"<https://docs.attractos.example/error-codes#{code}>; rel="help""#)
                    .as_str()
            ),
            "{sent}"
        );
    }
    let success = send_one(authorized_get(
        "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-02",
    ))
    .await;
    assert_eq!(success.status, 200);
    assert_eq!(success.header("link"), None, "successes carry no link");
}
