//! Handlers use `?` on their own error types through one `From` into the core error.

use attractos_errors::ErrorCode;

use crate::{Framework, Req};

/// An unknown site is `SITE_NOT_FOUND`; a store failure a `SERVER_ERROR` hiding its cause.
pub async fn question_mark_converts_domain_errors(framework: Framework) {
    let stats = |site: &str| format!("/api/v1/sites/{site}/stats?start=2024-01-01&end=2024-01-02");
    framework
        .send(Req::get(stats("site_elsewhere")).key())
        .await
        .assert_error_message(ErrorCode::SiteNotFound);
    let sent = framework.send(Req::get(stats("site_offline")).key()).await;
    sent.assert_error_message(ErrorCode::ServerError);
    assert!(
        !sent.to_string().contains("hunter2"),
        "the cause leaked: {sent}"
    );
}
