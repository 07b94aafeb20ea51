//! Sends the same requests to the axum and the actix-web app of one fresh state each, and
//! renders responses in the snapshot format the adapters share.
#![allow(dead_code)]

pub mod binary;

use std::collections::BTreeMap;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::test as actix_test;
use attractos_reference::{AppState, Options, actix_app, axum_app};
use axum::body::Body;
use tower::ServiceExt;

/// The request id every snapshot request carries, so snapshots are stable.
pub const REQUEST_ID: &str = "test-request-id";

/// A request to send to both apps.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: &'static str,
    pub uri: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn get(uri: impl Into<String>) -> Self {
        Req {
            method: "GET",
            uri: uri.into(),
            headers: vec![("x-request-id", REQUEST_ID.to_owned())],
            body: Vec::new(),
        }
    }

    pub fn post(uri: impl Into<String>, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let body = body.into();
        let mut req = Req::get(uri);
        req.method = "POST";
        req.headers.push(("content-type", content_type.to_owned()));
        req.headers.push(("content-length", body.len().to_string()));
        req.body = body;
        req
    }

    pub fn method(mut self, method: &'static str) -> Self {
        self.method = method;
        self
    }

    pub fn key(mut self, key: &str) -> Self {
        self.headers
            .push(("authorization", format!("Bearer {key}")));
        self
    }
}

/// The response type of the contract checker's targets: status, headers (lowercase names, in
/// order), body.
pub use attractos_contract::judge::Response;

/// `<status> <reason>`, the headers but content-length and date sorted by name, a blank line,
/// the body.
pub fn snapshot(response: &Response) -> String {
    let status = axum::http::StatusCode::from_u16(response.status).expect("a valid status");
    let mut text = format!(
        "{} {}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let sorted: BTreeMap<&str, Vec<String>> =
        response
            .headers
            .iter()
            .fold(BTreeMap::new(), |mut map, (name, value)| {
                map.entry(name.as_str())
                    .or_default()
                    .push(String::from_utf8_lossy(value).into_owned());
                map
            });
    for (name, values) in sorted {
        if name == "content-length" || name == "date" {
            continue;
        }
        for value in values {
            text.push_str(&format!("{name}: {value}\n"));
        }
    }
    text.push('\n');
    text.push_str(&String::from_utf8_lossy(&response.body));
    text
}

/// Sends `requests` in order to a fresh axum app of `options`.
pub fn axum(options: &Options, requests: &[Req]) -> Vec<Response> {
    let router = axum_app::router(AppState::new(options.clone()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut responses = Vec::new();
        for req in requests {
            let mut builder = axum::http::Request::builder()
                .method(req.method)
                .uri(&req.uri);
            for (name, value) in &req.headers {
                builder = builder.header(*name, value);
            }
            let request = builder
                .body(Body::from(req.body.clone()))
                .expect("a valid request");
            let response = router.clone().oneshot(request).await.expect("infallible");
            responses.push(Response::from_axum(response).await);
        }
        responses
    })
}

/// Sends `requests` in order to a fresh actix-web app of `options`. A service error (a caught
/// panic is one, in actix-web's test harness) is rendered as the HTTP server renders it.
pub fn actix(options: &Options, requests: &[Req]) -> Vec<Response> {
    let state = AppState::new(options.clone());
    actix_web::rt::System::new().block_on(async move {
        let app = actix_test::init_service(actix_app::app(state)).await;
        let mut responses = Vec::new();
        for req in requests {
            let method =
                actix_web::http::Method::from_bytes(req.method.as_bytes()).expect("a valid method");
            let mut builder = actix_test::TestRequest::default()
                .method(method)
                .uri(&req.uri);
            for (name, value) in &req.headers {
                builder = builder.append_header((*name, value.as_str()));
            }
            let request = builder.set_payload(req.body.clone()).to_request();
            let response = match app.call(request).await {
                Ok(response) => response.map_into_boxed_body(),
                Err(err) => ServiceResponse::from_err(
                    err,
                    actix_test::TestRequest::default().to_http_request(),
                ),
            };
            responses.push(Response::from_actix(response).await);
        }
        responses
    })
}

/// The last response of `requests` on each framework (a fresh app each), named `"axum"` and
/// `"actix"`.
pub fn last_on_each(options: &Options, requests: &[Req]) -> [(&'static str, Response); 2] {
    let last = |mut responses: Vec<Response>| responses.pop().expect("a response");
    [
        ("axum", last(axum(options, requests))),
        ("actix", last(actix(options, requests))),
    ]
}

/// The last response of `requests` on both frameworks, asserted byte-identical in the
/// snapshot format, as that text.
pub fn both(options: &Options, requests: &[Req]) -> String {
    let [(_, axum), (_, actix)] = last_on_each(options, requests);
    let (axum, actix) = (snapshot(&axum), snapshot(&actix));
    assert_eq!(axum, actix, "axum and actix-web answer differently");
    axum
}
