//! Every response, success or error, carries `X-Request-Id`: the client's if it sent one, else
//! a new UUID v4.

mod common;

use actix_web::test::{self, TestRequest};
use attractos_errors::rules::DEFAULT_BODY_LIMIT;
use common::{REQUEST_ID, get_request, send, send_one};

fn generated_id(sent: &common::Sent) -> uuid::Uuid {
    let id = sent.header("x-request-id").expect("an x-request-id");
    let id = uuid::Uuid::parse_str(id).expect("a UUID");
    assert_eq!(id.get_version_num(), 4, "a UUID v4: {id}");
    id
}

#[actix_web::test]
async fn the_clients_id_is_echoed_on_success_and_on_every_kind_of_error() {
    for uri in [
        "/api/v1/timeseries?granularity=day",
        "/api/v1/timeseries",
        "/nowhere",
        "/panic",
        "/internal",
    ] {
        let sent = send_one(get_request(uri)).await;
        assert_eq!(
            sent.header("x-request-id"),
            Some(REQUEST_ID),
            "{uri}: {sent}"
        );
    }
    let too_large = get_request("/api/v1/events").set_payload(vec![b' '; DEFAULT_BODY_LIMIT + 1]);
    let sent = send_one(too_large).await;
    assert_eq!(sent.header("x-request-id"), Some(REQUEST_ID), "{sent}");
}

#[actix_web::test]
async fn without_one_each_response_gets_a_fresh_uuid_v4() {
    let app = test::init_service(common::app()).await;
    let first = send(
        &app,
        TestRequest::get().uri("/api/v1/timeseries?granularity=day"),
    )
    .await;
    let second = send(&app, TestRequest::get().uri("/nowhere")).await;
    let third = send(&app, TestRequest::get().uri("/panic")).await;
    let ids = [
        generated_id(&first),
        generated_id(&second),
        generated_id(&third),
    ];
    assert_ne!(ids[0], ids[1]);
    assert_ne!(ids[1], ids[2]);
}

#[actix_web::test]
async fn a_handlers_own_request_id_is_kept() {
    use actix_web::{HttpResponse, web};
    let app = test::init_service(
        attractos_errors_actix::contract_app(attractos_errors_actix::Contract::default()).route(
            "/own",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .insert_header(("x-request-id", "from-the-handler"))
                    .finish()
            }),
        ),
    )
    .await;
    let sent = send(&app, get_request("/own")).await;
    assert_eq!(sent.header("x-request-id"), Some("from-the-handler"));
}
