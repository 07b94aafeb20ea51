//! actix glue: actix-web's own errors never reach a client as their `Display` text: its
//! extractors answer like this crate's, its `error::Error*` helpers go by status. (Other
//! layers' plain answers on the test service, and what passes untouched, are in the
//! conformance suite.)

use actix_web::dev::Service as _;
use actix_web::{HttpResponse, error, web};
use attractos_errors::ErrorCode;
use attractos_errors_actix::{Contract, contract_app};
use attractos_testkit::{Req, Response, TestService};
use bytes::Bytes;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Event {
    name: String,
    count: u32,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Timeseries {
    granularity: String,
    limit: Option<u32>,
}

/// The same routes with actix-web's extractors, next to the test service's routes that use
/// this crate's.
async fn framework_app() -> TestService {
    TestService::actix(
        attractos_testkit::on_actix::app(Contract::default())
            .route(
                "/framework/events",
                web::post().to(|_: web::Json<Event>| async { HttpResponse::Ok().finish() }),
            )
            .route(
                "/framework/timeseries",
                web::get().to(|_: web::Query<Timeseries>| async { HttpResponse::Ok().finish() }),
            )
            .route(
                "/framework/form",
                web::post().to(|_: web::Form<Event>| async { HttpResponse::Ok().finish() }),
            )
            .route(
                "/helper/{status}",
                web::get().to(|status: web::Path<u16>| async move {
                    let err: actix_web::Error = match *status {
                        400 => error::ErrorBadRequest("bad thing: internal detail"),
                        401 => error::ErrorUnauthorized("who are you"),
                        404 => error::ErrorNotFound("nothing"),
                        503 => error::ErrorServiceUnavailable("db-password=hunter2"),
                        _ => error::ErrorInternalServerError("db-password=hunter2"),
                    };
                    Err::<HttpResponse, _>(err)
                }),
            ),
    )
    .await
}

async fn both(ours: Req, theirs: Req) -> (Response, Response) {
    let app = framework_app().await;
    (app.send(&ours).await, app.send(&theirs).await)
}

fn assert_same_answer(ours: &Response, theirs: &Response) {
    assert_eq!(ours.status, theirs.status, "ours {ours}\ntheirs {theirs}");
    assert_eq!(ours.body, theirs.body, "ours {ours}\ntheirs {theirs}");
}

#[actix_web::test]
async fn web_json_failures_answer_like_this_crates_json() {
    for body in [
        "{\n  \"name\": \"pageview\",\n  \"count\": 3,\n}",
        r#"{"name":1,"count":1}"#,
        r#"{"name":"a"}"#,
        r#"{"name":"pageview""#,
    ] {
        let (ours, theirs) = both(
            Req::post_json("/api/v1/events", body),
            Req::post_json("/framework/events", body),
        )
        .await;
        theirs.assert_error(ErrorCode::InvalidJson);
        assert_same_answer(&ours, &theirs);
    }
    let no_type = |path: &str| {
        Req::new("POST", path)
            .key()
            .sized(r#"{"name":"a","count":1}"#)
    };
    let (ours, theirs) = both(no_type("/api/v1/events"), no_type("/framework/events")).await;
    theirs.assert_error(ErrorCode::InvalidJson);
    assert_same_answer(&ours, &theirs);
}

#[actix_web::test]
async fn web_query_failures_answer_like_this_crates_query() {
    for query in ["limit=5", "granularity=day&limit=-1", ""] {
        let (ours, theirs) = both(
            Req::get(format!("/api/v1/timeseries?{query}")),
            Req::get(format!("/framework/timeseries?{query}")),
        )
        .await;
        theirs.assert_error(ErrorCode::InvalidDateRange);
        assert_same_answer(&ours, &theirs);
    }
}

#[actix_web::test]
async fn web_form_failures_are_invalid_json() {
    let app = framework_app().await;
    for (content_type, body) in [
        ("application/x-www-form-urlencoded", "name=a&count=many"),
        ("text/plain", "name=a&count=1"),
    ] {
        let request = Req::new("POST", "/framework/form")
            .header("content-type", content_type)
            .sized(body);
        app.send(&request)
            .await
            .assert_error_message(ErrorCode::InvalidJson);
    }
}

#[actix_web::test]
async fn actix_error_helpers_go_by_status_and_never_leak_their_text() {
    let app = framework_app().await;
    for (status, code) in [
        (400, ErrorCode::InvalidJson),
        (401, ErrorCode::InvalidKey),
        (404, ErrorCode::NotFound),
        (500, ErrorCode::ServerError),
        (503, ErrorCode::ServerError),
    ] {
        let sent = app.send(&Req::get(format!("/helper/{status}"))).await;
        sent.assert_error_message(code);
        let text = sent.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("detail"),
            "leaked: {text}"
        );
    }
}

#[actix_web::test]
async fn an_inner_middlewares_error_answers_in_the_contract() {
    let app = TestService::actix(
        contract_app(Contract::default()).service(
            web::scope("/private")
                .wrap_fn(|req, srv| {
                    let allowed = req.headers().contains_key("x-pass");
                    let call = srv.call(req);
                    async move {
                        if allowed {
                            call.await
                        } else {
                            Err(error::ErrorUnauthorized("no pass: internal reason"))
                        }
                    }
                })
                .route(
                    "/data",
                    web::get().to(|| async { Bytes::from_static(b"data") }),
                ),
        ),
    )
    .await;
    let sent = app.send(&Req::get("/private/data")).await;
    sent.assert_error(ErrorCode::InvalidKey);
    assert!(!sent.to_string().contains("internal reason"), "{sent}");
    let sent = app
        .send(&Req::get("/private/data").header("x-pass", "1"))
        .await;
    assert_eq!(&sent.body[..], b"data");
}
