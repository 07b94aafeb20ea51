//! `SiteId`: the `{siteId}` path parameter, percent-decoded and trimmed; blank or absent is
//! `MISSING_SITE_ID`, not UTF-8 is `NOT_FOUND`.

use attractos_errors::ErrorCode;

use crate::service::Stats;
use crate::{Framework, Req, Response, assert_case_error};

async fn stats_of(framework: Framework, site: &str) -> Response {
    let uri = format!("/api/v1/sites/{site}/stats?start=2024-01-01&end=2024-01-02");
    framework.send(Req::get(uri).key()).await
}

/// `%20site_demo%20` is `site_demo`.
pub async fn a_site_id_reaches_the_handler_decoded_and_trimmed(framework: Framework) {
    let sent = stats_of(framework, "%20site_demo%20").await;
    assert_eq!(sent.status, 200, "{sent}");
    let stats: Stats = serde_json::from_slice(&sent.body).expect("the stats body");
    assert_eq!(stats.site, "site_demo");
}

/// Site ids refused on the stats route, each with its case and the code it gets.
const REFUSED: &[(&str, &str, ErrorCode)] = &[
    ("one space", "%20", ErrorCode::MissingSiteId),
    ("spaces only", "%20%20%20", ErrorCode::MissingSiteId),
    ("a tab only", "%09", ErrorCode::MissingSiteId),
    // Matched on actix-web thanks to the route's `{siteId:[^/]*}`.
    ("an empty segment", "", ErrorCode::MissingSiteId),
    (
        "%FF, which decodes to no text",
        "site%FF",
        ErrorCode::NotFound,
    ),
    (
        "a site the handler does not know",
        "site_other",
        ErrorCode::SiteNotFound,
    ),
];

/// Blank or empty is `MISSING_SITE_ID`, not UTF-8 is `NOT_FOUND`, and a site the handler does
/// not know is its own `SITE_NOT_FOUND`.
pub async fn a_refused_site_id_gets_its_code(framework: Framework) {
    for &(case, site, code) in REFUSED {
        let sent = stats_of(framework, site).await;
        assert_case_error(case, &sent, code);
    }
}

/// `SiteId` on a route that has no such parameter.
pub async fn a_route_without_the_parameter_is_missing_site_id(framework: Framework) {
    framework
        .send(Req::get("/api/v1/no-site"))
        .await
        .assert_error(ErrorCode::MissingSiteId);
}
