//! `SiteId`: the `{siteId}` path parameter, percent-decoded and trimmed; blank or absent is
//! `MISSING_SITE_ID`, not UTF-8 is `NOT_FOUND`.

use attractos_errors::ErrorCode;

use crate::service::Stats;
use crate::{Framework, Req, Response};

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

/// Spaces or a tab only.
pub async fn a_blank_site_id_is_missing_site_id(framework: Framework) {
    for blank in ["%20", "%20%20%20", "%09"] {
        stats_of(framework, blank)
            .await
            .assert_error(ErrorCode::MissingSiteId);
    }
}

/// `/api/v1/sites//stats` matches with an empty `siteId` (on actix-web, thanks to the
/// route's `{siteId:[^/]*}`).
pub async fn an_empty_segment_is_missing_site_id(framework: Framework) {
    stats_of(framework, "")
        .await
        .assert_error(ErrorCode::MissingSiteId);
}

/// `SiteId` on a route that has no such parameter.
pub async fn a_route_without_the_parameter_is_missing_site_id(framework: Framework) {
    framework
        .send(Req::get("/api/v1/no-site"))
        .await
        .assert_error(ErrorCode::MissingSiteId);
}

/// `%FF` decodes to no text.
pub async fn a_site_id_that_is_not_utf8_is_not_found(framework: Framework) {
    stats_of(framework, "site%FF")
        .await
        .assert_error(ErrorCode::NotFound);
}

/// The handler's own answer for a site it does not know.
pub async fn an_unknown_site_is_the_handlers_site_not_found(framework: Framework) {
    stats_of(framework, "site_other")
        .await
        .assert_error(ErrorCode::SiteNotFound);
}
