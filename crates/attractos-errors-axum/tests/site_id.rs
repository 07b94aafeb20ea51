//! `SiteId`: the `{siteId}` path parameter, trimmed; blank or absent is `MISSING_SITE_ID`.

mod common;

use attractos_errors::ErrorCode;
use common::{Stats, app, authorized_get, get_request, send};

fn stats_uri(site: &str) -> String {
    format!("/api/v1/sites/{site}/stats?start=2024-01-01&end=2024-01-02")
}

#[tokio::test]
async fn a_site_id_reaches_the_handler_decoded_and_trimmed() {
    let sent = send(&app(), authorized_get(&stats_uri("%20site_demo%20"))).await;
    assert_eq!(sent.status, 200, "{sent}");
    let stats: Stats = serde_json::from_slice(&sent.body).expect("the stats body");
    assert_eq!(stats.site, "site_demo");
}

#[tokio::test]
async fn a_blank_site_id_is_missing_site_id() {
    for blank in ["%20", "%20%20%20", "%09"] {
        let sent = send(&app(), authorized_get(&stats_uri(blank))).await;
        sent.assert_error(ErrorCode::MissingSiteId);
    }
}

#[tokio::test]
async fn an_empty_segment_is_missing_site_id() {
    // axum's router matches `/api/v1/sites//stats` with an empty `siteId`.
    let sent = send(&app(), authorized_get(&stats_uri(""))).await;
    sent.assert_error(ErrorCode::MissingSiteId);
}

#[tokio::test]
async fn a_route_without_the_parameter_is_missing_site_id() {
    let sent = send(&app(), get_request("/api/v1/no-site")).await;
    sent.assert_error(ErrorCode::MissingSiteId);
}

#[tokio::test]
async fn a_site_id_that_is_not_utf8_is_not_found() {
    let sent = send(&app(), authorized_get(&stats_uri("site%FF"))).await;
    sent.assert_error(ErrorCode::NotFound);
}

#[tokio::test]
async fn an_unknown_site_is_the_handlers_site_not_found() {
    let sent = send(&app(), authorized_get(&stats_uri("site_other"))).await;
    sent.assert_error(ErrorCode::SiteNotFound);
}
