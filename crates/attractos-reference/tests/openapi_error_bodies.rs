//! Every code of the catalogue, produced on purpose by both frameworks, is an answer the
//! document declares: its body is valid against the generated `ErrorBody` schema
//! (`docs/error-body.schema.json`) and against the operation's narrowed schema for its status,
//! and its headers are the declared ones. A body the contract forbids fails the same schemas.

use crate::common;
use crate::openapi_support;

use std::num::NonZeroU32;

use attractos_errors::ErrorCode;
use attractos_reference::{Options, routes};
use common::Req;
use openapi_support::{assert_conforms, doc, failure, operation, response, validator};
use serde_json::{Value, json};
use time::macros::datetime;

const RANGE: &str = "start=2024-01-01&end=2024-01-03";

/// How to produce one code: the options, the requests (the last one answers with the code),
/// and the documented operation they call.
struct Case {
    code: ErrorCode,
    options: Options,
    requests: Vec<Req>,
    path: &'static str,
    method: &'static str,
}

fn case(code: ErrorCode, path: &'static str, method: &'static str, request: Req) -> Case {
    Case {
        code,
        options: Options::default(),
        requests: vec![request],
        path,
        method,
    }
}

fn event(site: &str) -> String {
    json!({"site_id": site, "name": "pageview", "url": "https://example.test/"}).to_string()
}

fn cases() -> Vec<Case> {
    use ErrorCode::*;
    let stats = |site: &str, query: &str| Req::get(format!("/api/v1/sites/{site}/stats?{query}"));
    let sites = || Req::get(routes::SITES);
    let post = |body: &str| Req::post(routes::EVENTS, "application/json", body.to_owned());
    let mut all = vec![
        case(MissingKey, routes::SITES, "get", sites()),
        case(
            InvalidKey,
            routes::SITES,
            "get",
            sites().key("ak_demo_revoked"),
        ),
        case(
            UserNotFound,
            routes::SITES,
            "get",
            sites().key("ak_demo_orphan"),
        ),
        case(
            SiteNotFound,
            routes::STATS,
            "get",
            stats("site_pro", RANGE).key("ak_demo_free"),
        ),
        case(
            PlanRequired,
            routes::TIMESERIES,
            "get",
            Req::get(format!(
                "/api/v1/sites/site_demo/timeseries?{RANGE}&granularity=hourly"
            ))
            .key("ak_demo_free"),
        ),
        case(
            MissingSiteId,
            routes::STATS,
            "get",
            stats("", RANGE).key("ak_demo_free"),
        ),
        case(
            InvalidDateRange,
            routes::STATS,
            "get",
            stats("site_demo", "start=2024-02-30&end=2024-03-01").key("ak_demo_free"),
        ),
        case(
            InvalidJson,
            routes::EVENTS,
            "post",
            post(r#"{"site_id": "#).key("ak_demo_free"),
        ),
        case(
            ServerError,
            routes::STATS,
            "get",
            stats("site_broken", RANGE).key("ak_demo_pro"),
        ),
        // A site id that is not UTF-8 matches no site path.
        case(
            NotFound,
            routes::STATS,
            "get",
            stats("%FF", RANGE).key("ak_demo_pro"),
        ),
        case(
            MethodNotAllowed,
            routes::EVENTS,
            "post",
            Req::get(routes::EVENTS).key("ak_demo_free"),
        ),
        case(
            PayloadTooLarge,
            routes::EVENTS,
            "post",
            Req::post(
                routes::EVENTS,
                "application/json",
                vec![b' '; attractos_errors::rules::DEFAULT_BODY_LIMIT + 1],
            )
            .key("ak_demo_free"),
        ),
    ];
    let limited = sites().key("ak_demo_free");
    all.push(Case {
        code: RateLimited,
        options: Options::default().rate_limit(NonZeroU32::MIN),
        requests: vec![limited.clone(), limited],
        path: routes::SITES,
        method: "get",
    });
    all.push(Case {
        code: LimitExceeded,
        options: Options::default().clock(|| datetime!(2024-02-28 00:00 UTC)),
        requests: vec![post(&event("site_quota")).key("ak_demo_quota")],
        path: routes::EVENTS,
        method: "post",
    });
    all
}

#[test]
fn the_cases_cover_the_catalogue() {
    let mut covered: Vec<ErrorCode> = cases().iter().map(|case| case.code).collect();
    covered.sort_unstable();
    assert_eq!(covered, ErrorCode::ALL);
}

#[test]
fn every_code_on_both_frameworks_is_a_documented_answer() {
    let doc = doc();
    let error_body = validator(&doc, &json!({"$ref": "#/components/schemas/ErrorBody"}));
    let schema_file: Value = serde_json::from_str(&attractos_errors::openapi::json_schema())
        .expect("the JSON Schema is JSON");
    let schema_file = jsonschema::draft202012::new(&schema_file).expect("the file compiles");
    for case in cases() {
        let operation = operation(&doc, case.path, case.method);
        for (framework, resp) in common::last_on_each(&case.options, &case.requests) {
            let what = format!("{} on {framework}", case.code);
            let body: Value = serde_json::from_slice(&resp.body).expect("a JSON body");
            assert_eq!(body["code"], case.code.as_str(), "{what}: {body}");
            assert_eq!(
                failure(&error_body, &body),
                None,
                "{what}: the ErrorBody component"
            );
            assert_eq!(
                failure(&schema_file, &body),
                None,
                "{what}: error-body.schema.json"
            );
            assert_conforms(&doc, operation, &resp, &what);
        }
    }
}

#[test]
fn every_documented_error_example_is_valid_against_its_own_schema() {
    let doc = doc();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            for (status, response) in operation["responses"].as_object().expect("responses") {
                if status.starts_with('2') {
                    continue;
                }
                let media = &response["content"]["application/json"];
                let validator = validator(&doc, &media["schema"]);
                let examples = media["examples"].as_object().expect("named examples");
                assert!(!examples.is_empty(), "{method} {path} {status}");
                for (code, example) in examples {
                    assert_eq!(example["value"]["code"], code.as_str());
                    assert_eq!(
                        failure(&validator, &example["value"]),
                        None,
                        "{method} {path} {status} {code}"
                    );
                }
            }
        }
    }
}

#[test]
fn bodies_the_contract_forbids_fail_the_documented_schemas() {
    let doc = doc();
    let sites = operation(&doc, routes::SITES, "get");
    let unauthorized = validator(
        &doc,
        &response(sites, 401)["content"]["application/json"]["schema"],
    );
    let limited = validator(
        &doc,
        &response(sites, 429)["content"]["application/json"]["schema"],
    );
    let forbidden = [
        (
            &unauthorized,
            json!({"error": "x", "code": "MISSING_KEY", "retry_after": 1}),
        ),
        (
            &unauthorized,
            json!({"error": "x", "code": "SITE_NOT_FOUND"}),
        ),
        (&unauthorized, json!({"error": "x"})),
        (
            &unauthorized,
            json!({"error": "x", "code": "MISSING_KEY", "detail": "y"}),
        ),
        (&limited, json!({"error": "x", "code": "RATE_LIMITED"})),
        (
            &limited,
            json!({"error": "x", "code": "RATE_LIMITED", "retry_after": 0}),
        ),
    ];
    for (validator, body) in forbidden {
        assert!(failure(validator, &body).is_some(), "{body} is refused");
    }
}
