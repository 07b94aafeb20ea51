//! Under a `Contract` with a docs base URL, every error links its code's section of the
//! reference page, the contract's own 404 and panic answers included; a contract without one
//! sends no link, and successes never carry one.

use attractos_errors::ErrorCode;

use crate::{Contract, Framework, Req};

const BASE: &str = "https://docs.attractos.example/error-codes";

/// The `Link` of each code, of an unknown route and of a panic; none on a success.
pub async fn every_error_links_its_section_under_a_contract_with_a_docs_base_url(
    framework: Framework,
) {
    let before = framework.send(Req::get("/codes/INVALID_KEY")).await;
    assert_eq!(
        before.header("link"),
        None,
        "a contract without a docs base URL sends no link"
    );

    let contract = Contract::default()
        .with_docs_base_url(BASE)
        .expect("a valid base URL");
    let service = framework.start(contract).await;
    let codes = [
        ErrorCode::InvalidKey,
        ErrorCode::RateLimited,
        ErrorCode::NotFound,
    ];
    let requests = codes
        .iter()
        .map(|code| (format!("/codes/{code}"), code.as_str()))
        .chain([
            ("/nowhere".to_owned(), "NOT_FOUND"),
            ("/panic".to_owned(), "SERVER_ERROR"),
        ]);
    for (uri, code) in requests {
        let sent = service.send(&Req::get(uri)).await;
        sent.assert_error(code.parse().expect("a catalogue code"));
        assert_eq!(
            sent.header_str("link"),
            Some(format!(r#"<{BASE}#{code}>; rel="help""#).as_str()),
            "{sent}"
        );
    }
    let stats = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-02";
    let success = service.send(&Req::get(stats).key()).await;
    assert_eq!(success.status, 200, "{success}");
    assert_eq!(success.header("link"), None, "successes carry no link");
}
