//! actix glue: a handler's own `X-Request-Id` is kept. (Echo and generation are in the
//! conformance suite.)

use actix_web::{HttpResponse, web};
use attractos_errors_actix::{Contract, contract_app};
use attractos_testkit::{Req, TestService};

#[actix_web::test]
async fn a_handlers_own_request_id_is_kept() {
    let app = TestService::actix(contract_app(Contract::default()).route(
        "/own",
        web::get().to(|| async {
            HttpResponse::Ok()
                .insert_header(("x-request-id", "from-the-handler"))
                .finish()
        }),
    ))
    .await;
    let sent = app.send(&Req::get("/own")).await;
    assert_eq!(sent.header_str("x-request-id"), Some("from-the-handler"));
}
