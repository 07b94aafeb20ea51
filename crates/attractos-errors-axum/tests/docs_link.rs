//! Under a `Contract` with a docs base URL, every error response links its code's section of
//! the reference page; a router without one sends no link.

mod common;

use attractos_errors::ErrorCode;
use attractos_errors_axum::Contract;
use common::{app, app_with, authorized_get, get_request, send};

#[tokio::test]
async fn every_error_links_its_section_under_a_contract_with_a_docs_base_url() {
    let before = send(&app(), get_request("/codes/INVALID_KEY")).await;
    assert_eq!(
        before.header("link"),
        None,
        "a contract without a docs base URL sends no link"
    );

    let docs = || {
        app_with(
            Contract::default()
                .with_docs_base_url("https://docs.attractos.example/error-codes")
                .expect("a valid base URL"),
        )
    };

    for code in [
        ErrorCode::InvalidKey,
        ErrorCode::RateLimited,
        ErrorCode::NotFound,
    ] {
        let sent = send(&docs(), get_request(&format!("/codes/{code}"))).await;
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
    let unknown_route = send(&docs(), get_request("/nowhere")).await;
    assert_eq!(
        unknown_route.header("link"),
        Some(r#"<https://docs.attractos.example/error-codes#NOT_FOUND>; rel="help""#)
    );
    let success = send(
        &docs(),
        authorized_get("/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-02"),
    )
    .await;
    assert_eq!(success.status, 200);
    assert_eq!(success.header("link"), None, "successes carry no link");
}
