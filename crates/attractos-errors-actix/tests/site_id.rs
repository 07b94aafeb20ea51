//! actix glue: `SiteId` decodes every escape, even those actix-web keeps encoded in its own
//! path. (The rest of `SiteId` is in the conformance suite.)

use actix_web::{App, web};
use attractos_errors_actix::{Contract, SiteId, contract_app};
use attractos_testkit::{Req, TestService};

#[actix_web::test]
async fn every_escape_is_decoded_even_those_actix_web_keeps_encoded() {
    // actix-web leaves `%25`, `%2F` and `%2B` encoded in its own path; `SiteId` decodes them.
    let app: App<_> = contract_app(Contract::default()).route(
        "/echo/{siteId}",
        web::get().to(|SiteId(site): SiteId| async move { site }),
    );
    let app = TestService::actix(app).await;
    for (raw, decoded) in [
        ("a%2Fb", "a/b"),
        ("a%2Bb", "a+b"),
        ("100%25", "100%"),
        ("a+b", "a+b"),
        ("caf%C3%A9", "café"),
        ("%2541", "%41"),
    ] {
        let sent = app.send(&Req::get(format!("/echo/{raw}"))).await;
        assert_eq!(sent.status, 200, "{raw}: {sent}");
        assert_eq!(&sent.body[..], decoded.as_bytes(), "{raw}");
    }
}
