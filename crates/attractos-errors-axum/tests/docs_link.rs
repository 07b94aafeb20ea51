//! Once `attractos_errors::set_docs_base_url` is called (once per process, hence this test's
//! own binary), every error response links its code's section of the reference page.

mod common;

use attractos_errors::ErrorCode;
use common::{app, authorized_get, get_request, send};

#[tokio::test]
async fn every_error_links_its_section_once_the_base_url_is_set() {
    let before = send(&app(), get_request("/codes/INVALID_KEY")).await;
    assert_eq!(before.header("link"), None, "no link before it is set");

    attractos_errors::set_docs_base_url("https://docs.attractos.example/error-codes")
        .expect("a valid base URL");

    for code in [
        ErrorCode::InvalidKey,
        ErrorCode::RateLimited,
        ErrorCode::NotFound,
    ] {
        let sent = send(&app(), get_request(&format!("/codes/{code}"))).await;
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
    let unknown_route = send(&app(), get_request("/nowhere")).await;
    assert_eq!(
        unknown_route.header("link"),
        Some(r#"<https://docs.attractos.example/error-codes#NOT_FOUND>; rel="help""#)
    );
    let success = send(
        &app(),
        authorized_get("/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-02"),
    )
    .await;
    assert_eq!(success.status, 200);
    assert_eq!(success.header("link"), None, "successes carry no link");
}
