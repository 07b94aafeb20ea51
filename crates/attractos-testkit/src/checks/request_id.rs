//! Every response, success or error, carries `X-Request-Id`: the client's if it sent one, else
//! a new UUID v4.

use attractos_errors::rules::DEFAULT_BODY_LIMIT;

use crate::{Contract, Framework, REQUEST_ID, Req, Response};

fn generated_id(sent: &Response) -> uuid::Uuid {
    let id = sent.header_str("x-request-id").expect("an x-request-id");
    let uuid = uuid::Uuid::parse_str(id).expect("a UUID");
    assert_eq!(uuid.get_version_num(), 4, "a UUID v4: {id}");
    uuid
}

/// A success, an extractor's error, a handler's, the router's 404, a panic, a 413.
pub async fn the_clients_id_is_echoed_on_success_and_on_every_kind_of_error(framework: Framework) {
    let requests = [
        Req::get("/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-02").key(),
        Req::get("/api/v1/sites/site_demo/stats"),
        Req::get("/api/v1/timeseries?granularity=day"),
        Req::get("/api/v1/timeseries"),
        Req::get("/nowhere"),
        Req::get("/panic"),
        Req::get("/internal"),
        Req::get("/api/v1/events").sized(vec![b' '; DEFAULT_BODY_LIMIT + 1]),
    ];
    for request in requests {
        let sent = framework.send(request.clone()).await;
        let uri = &request.uri;
        assert_eq!(
            sent.header_str("x-request-id"),
            Some(REQUEST_ID),
            "{uri}: {sent}"
        );
    }
}

/// No id sent: a success, a 404 and a panic on one service get three different UUIDs v4.
pub async fn without_one_each_response_gets_a_fresh_uuid_v4(framework: Framework) {
    let service = framework.start(Contract::default()).await;
    let mut seen = Vec::new();
    for uri in [
        "/api/v1/timeseries?granularity=day",
        "/api/v1/timeseries?granularity=day",
        "/nowhere",
        "/panic",
    ] {
        let id = generated_id(&service.send(&Req::bare("GET", uri)).await);
        assert!(!seen.contains(&id), "{id} repeated");
        seen.push(id);
    }
}
