//! actix glue: `Authenticated<K>` finds its keys as `web::Data<K>`; an app that did not
//! register them answers `SERVER_ERROR` and logs which type is missing. (What `Authenticated`
//! does with keys is in the conformance suite, `checks::limits`.)

use actix_web::middleware::from_fn;
use actix_web::web;
use attractos_errors::ErrorCode;
use attractos_errors_actix::{Authenticated, Contract, contract_app, limit_context, resource};
use attractos_testkit::logs::Logs;
use attractos_testkit::service::limited::Keys;
use attractos_testkit::{Req, TestService};

async fn sites(Authenticated(user): Authenticated<Keys>) -> String {
    user.to_owned()
}

#[actix_web::test]
async fn keys_not_registered_are_server_error_naming_the_missing_data() {
    let (captured, _guard) = Logs::capture(tracing::Level::ERROR);
    let app = contract_app(Contract::default())
        .service(resource("/sites").route(web::get().to(sites)))
        .wrap(from_fn(limit_context));
    let sent = TestService::actix(app)
        .await
        .send(&Req::get("/sites").key())
        .await;
    sent.assert_error(ErrorCode::ServerError);
    let line = captured.only_line(" ERROR ");
    assert!(
        line.contains(
            "no web::Data<attractos_testkit::service::limited::Keys> on the actix-web app"
        ),
        "{line}"
    );
}
