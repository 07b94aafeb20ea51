//! The document lists exactly the routes both frameworks serve: each documented operation,
//! called with the document's own examples, succeeds with a documented status, body and
//! headers; every method a path does not document is refused with `METHOD_NOT_ALLOWED`.

use crate::common;
use crate::openapi_support;

use attractos_reference::{Options, routes};
use common::Req;
use openapi_support::{assert_conforms, doc, operation};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

#[test]
fn the_document_has_every_route_once() {
    let doc = doc();
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    let mut served = vec![
        routes::SITES,
        routes::STATS,
        routes::TIMESERIES,
        routes::EVENTS,
        routes::OPENAPI,
    ];
    served.sort_unstable();
    assert_eq!(paths, served);
}

/// The request the document's examples describe for `method path`.
fn example_request(operation: &Value, path: &str, method: &str) -> Req {
    let mut uri = path.to_owned();
    let mut query = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let name = parameter["name"].as_str().expect("a name");
        let example = parameter["example"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: {name} has an example"));
        match parameter["in"].as_str() {
            Some("path") => uri = uri.replace(&format!("{{{name}}}"), example),
            Some("query") => query.push(format!("{name}={example}")),
            other => panic!("{path}: unexpected parameter location {other:?}"),
        }
    }
    if !query.is_empty() {
        uri = format!("{uri}?{}", query.join("&"));
    }
    let mut request = match method {
        "get" => Req::get(uri),
        "post" => {
            let media = &operation["requestBody"]["content"]["application/json"];
            let schema = &media["schema"];
            let name = schema["$ref"]
                .as_str()
                .and_then(|r| r.rsplit('/').next())
                .expect("a referenced body schema");
            let example = &doc()["components"]["schemas"][name]["example"];
            assert!(
                example.is_object(),
                "{path}: the body schema has an example"
            );
            Req::post(uri, "application/json", example.to_string())
        }
        other => panic!("{path}: unexpected method {other}"),
    };
    if operation["security"].is_array() {
        request = request.key("ak_demo_pro");
    }
    request
}

#[test]
fn every_operation_succeeds_as_documented_on_both_frameworks() {
    let doc = doc();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS.into_iter().filter(|m| item[*m].is_object()) {
            let operation = operation(&doc, path, method);
            let request = example_request(operation, path, method);
            for (framework, resp) in
                common::last_on_each(&Options::default(), std::slice::from_ref(&request))
            {
                let what = format!("{framework} {method} {}", request.uri);
                assert!(
                    (200..300).contains(&resp.status),
                    "{what}: a success, got {} {}",
                    resp.status,
                    String::from_utf8_lossy(&resp.body)
                );
                assert_conforms(&doc, operation, &resp, &what);
            }
        }
    }
}

#[test]
fn undocumented_methods_are_refused_as_documented_on_both_frameworks() {
    let doc = doc();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let documented: Vec<&str> = METHODS
            .into_iter()
            .filter(|m| item[*m].is_object())
            .collect();
        let any = operation(&doc, path, documented[0]);
        let uri = path.replace("{siteId}", "site_pro");
        for method in METHODS.into_iter().filter(|m| !documented.contains(m)) {
            let request = Req::get(uri.clone())
                .method(method_name(method))
                .key("ak_demo_pro");
            // `both` asserts that axum and actix-web answer byte for byte the same.
            let snapshot = common::both(&Options::default(), std::slice::from_ref(&request));
            let resp = common::axum(&Options::default(), &[request]).remove(0);
            assert_eq!(resp.status, 405, "{method} {path}: {snapshot}");
            assert_conforms(&doc, any, &resp, &format!("{method} {path}"));
        }
    }
}

#[test]
fn get_routes_answer_head_alike_on_both_frameworks() {
    let request = Req::get(routes::SITES).method("HEAD").key("ak_demo_pro");
    // A fixed clock: on the real one the two requests may straddle a second, and the
    // RateLimit fields' `t` then differs by one.
    let options = Options::default().clock(|| time::macros::datetime!(2024-06-15 12:00 UTC));
    // Status and headers only: the HTTP layers drop a HEAD body, actix-web's test harness
    // does not.
    let head = |resp: &common::Response| {
        let snapshot = common::snapshot(resp);
        snapshot[..snapshot.find("\n\n").expect("a blank line")].to_owned()
    };
    let axum = head(&common::axum(&options, std::slice::from_ref(&request))[0]);
    let actix = head(&common::actix(&options, &[request])[0]);
    assert_eq!(axum, actix, "HEAD answers alike");
    assert!(axum.starts_with("200 OK\n"), "{axum}");
}

fn method_name(lowercase: &str) -> &'static str {
    match lowercase {
        "get" => "GET",
        "post" => "POST",
        "put" => "PUT",
        "delete" => "DELETE",
        "patch" => "PATCH",
        other => panic!("unexpected method {other}"),
    }
}
