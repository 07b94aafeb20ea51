//! `SiteId`: the `{siteId}` path parameter, percent-decoded and trimmed; blank or absent is
//! `MISSING_SITE_ID`.

mod common;

use actix_web::{test, web};
use attractos_errors::ErrorCode;
use attractos_errors_actix::{Contract, SiteId, contract_app};
use common::{Stats, authorized_get, get_request, send, send_one};

fn stats_uri(site: &str) -> String {
    format!("/api/v1/sites/{site}/stats?start=2024-01-01&end=2024-01-02")
}

#[actix_web::test]
async fn a_site_id_reaches_the_handler_decoded_and_trimmed() {
    let sent = send_one(authorized_get(&stats_uri("%20site_demo%20"))).await;
    assert_eq!(sent.status, 200, "{sent}");
    let stats: Stats = serde_json::from_slice(&sent.body).expect("the stats body");
    assert_eq!(stats.site, "site_demo");
}

#[actix_web::test]
async fn every_escape_is_decoded_even_those_actix_web_keeps_encoded() {
    // actix-web leaves `%25`, `%2F` and `%2B` encoded in its own path; `SiteId` decodes them.
    let app = test::init_service(contract_app(Contract::default()).route(
        "/echo/{siteId}",
        web::get().to(|SiteId(site): SiteId| async move { site }),
    ))
    .await;
    for (raw, decoded) in [
        ("a%2Fb", "a/b"),
        ("a%2Bb", "a+b"),
        ("100%25", "100%"),
        ("a+b", "a+b"),
        ("caf%C3%A9", "café"),
        ("%2541", "%41"),
    ] {
        let sent = send(&app, get_request(&format!("/echo/{raw}"))).await;
        assert_eq!(sent.status, 200, "{raw}: {sent}");
        assert_eq!(&sent.body[..], decoded.as_bytes(), "{raw}");
    }
}

#[actix_web::test]
async fn a_blank_site_id_is_missing_site_id() {
    for blank in ["%20", "%20%20%20", "%09"] {
        let sent = send_one(authorized_get(&stats_uri(blank))).await;
        sent.assert_error(ErrorCode::MissingSiteId);
    }
}

#[actix_web::test]
async fn an_empty_segment_is_missing_site_id() {
    // The route declares `{siteId:[^/]*}`, so `/api/v1/sites//stats` matches with an empty id.
    let sent = send_one(authorized_get(&stats_uri(""))).await;
    sent.assert_error(ErrorCode::MissingSiteId);
}

#[actix_web::test]
async fn a_route_without_the_parameter_is_missing_site_id() {
    let sent = send_one(get_request("/api/v1/no-site")).await;
    sent.assert_error(ErrorCode::MissingSiteId);
}

#[actix_web::test]
async fn a_site_id_that_is_not_utf8_is_not_found() {
    let sent = send_one(authorized_get(&stats_uri("site%FF"))).await;
    sent.assert_error(ErrorCode::NotFound);
}

#[actix_web::test]
async fn an_unknown_site_is_the_handlers_site_not_found() {
    let sent = send_one(authorized_get(&stats_uri("site_other"))).await;
    sent.assert_error(ErrorCode::SiteNotFound);
}
