//! `ErrorResponses`: one response per status, a schema that allows exactly the listed codes of
//! that status, a named example per code, and the headers the adapters send.

use std::collections::BTreeMap;

use attractos_errors::openapi::ErrorResponses;
use attractos_errors::{ErrorCode, HeaderText, docs, header_names};
use serde_json::{Value, json};
use utoipa::openapi::Responses;

use super::support::{error, failure, response_schema, responses_json, validator, wire};

const STATS: &[ErrorCode] = &[
    ErrorCode::ServerError,
    ErrorCode::MissingKey,
    ErrorCode::InvalidKey,
    ErrorCode::SiteNotFound,
    ErrorCode::InvalidDateRange,
    ErrorCode::RateLimited,
];

fn statuses(responses: &Value) -> Vec<String> {
    responses.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn one_response_per_status_of_the_listed_codes() {
    let responses = responses_json(&ErrorResponses::of(STATS));
    assert_eq!(statuses(&responses), ["400", "401", "403", "429", "500"]);
}

#[test]
fn every_status_of_the_catalogue_for_all() {
    let responses = responses_json(&ErrorResponses::all());
    let mut expected: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| c.status().as_u16().to_string())
        .collect();
    expected.sort();
    expected.dedup();
    assert_eq!(statuses(&responses), expected);
    assert_eq!(ErrorResponses::all().codes(), ErrorCode::ALL);
}

#[test]
fn each_schema_lists_exactly_the_listed_codes_of_its_status_in_catalogue_order() {
    let responses = responses_json(&ErrorResponses::of(STATS));
    assert_eq!(
        response_schema(&responses, 401)["properties"]["code"]["enum"],
        json!([
            ErrorCode::MissingKey.as_str(),
            ErrorCode::InvalidKey.as_str()
        ])
    );
    for status in [400, 403, 429, 500] {
        let listed: Vec<&str> = STATS
            .iter()
            .filter(|c| c.status().as_u16() == status)
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            response_schema(&responses, status)["properties"]["code"]["enum"],
            json!(listed)
        );
    }
}

#[test]
fn each_schema_accepts_the_listed_codes_and_rejects_the_others_of_its_status() {
    let responses = responses_json(&ErrorResponses::of(STATS));
    for &code in ErrorCode::ALL {
        let status = code.status().as_u16();
        let Some(schema) = Some(response_schema(&responses, status)).filter(|s| !s.is_null())
        else {
            assert!(!STATS.contains(&code), "{code} has no response");
            continue;
        };
        let body = wire(&error(code, 7).with_message("specific"));
        let verdict = failure(&validator(&schema), &body);
        if STATS.contains(&code) {
            assert_eq!(
                verdict, None,
                "{code} must be accepted by the {status} response"
            );
        } else {
            assert!(
                verdict.is_some(),
                "{code} is not listed, yet the {status} response accepts it"
            );
        }
    }
}

#[test]
fn the_429_schema_requires_retry_after_and_the_others_forbid_it() {
    let responses = responses_json(&ErrorResponses::of(STATS));
    let mut limited = wire(&error(ErrorCode::RateLimited, 30));
    limited.as_object_mut().unwrap().remove("retry_after");
    assert!(failure(&validator(&response_schema(&responses, 429)), &limited).is_some());

    let mut forbidden = wire(&error(ErrorCode::SiteNotFound, 30));
    forbidden["retry_after"] = json!(30);
    assert!(failure(&validator(&response_schema(&responses, 403)), &forbidden).is_some());
}

#[test]
fn each_code_has_a_named_example_with_its_reference_body_summary_and_fix() {
    let responses = responses_json(&ErrorResponses::all());
    for &code in ErrorCode::ALL {
        let content = &responses[code.status().as_u16().to_string()]["content"]["application/json"];
        let example = &content["examples"][code.as_str()];
        assert_eq!(example["value"], wire(&docs::example(code)), "{code}");
        assert_eq!(example["summary"], code.message(), "{code}");
        assert_eq!(
            example["description"],
            format!("Fix: {}", code.fix()),
            "{code}"
        );
        let schema = validator(&content["schema"]);
        assert_eq!(
            failure(&schema, &example["value"]),
            None,
            "{code}'s example fits its schema"
        );
    }
}

#[test]
fn each_description_names_the_status_and_its_codes() {
    let responses = responses_json(&ErrorResponses::of(STATS));
    assert_eq!(
        responses["401"]["description"],
        format!(
            "Unauthorized: `{}`, `{}`.",
            ErrorCode::MissingKey,
            ErrorCode::InvalidKey
        )
    );
}

/// Header name (lowercase) -> schema, as declared on the response for `status`.
fn declared_headers(responses: &Value, status: u16) -> BTreeMap<String, Value> {
    responses[status.to_string()]["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, header)| (name.to_ascii_lowercase(), header["schema"].clone()))
        .collect()
}

#[test]
fn every_header_an_error_sends_is_declared_with_the_values_it_takes() {
    let responses = responses_json(&ErrorResponses::all());
    for &code in ErrorCode::ALL {
        let declared = declared_headers(&responses, code.status().as_u16());
        for (name, value) in docs::example(code).headers() {
            if name == header_names::CONTENT_TYPE {
                continue; // OpenAPI ignores a declared Content-Type; the media type says it.
            }
            let schema = declared
                .get(name)
                .unwrap_or_else(|| panic!("{code}: {name} not declared"));
            let instance = match value {
                HeaderText::Static(text) => json!(text),
                HeaderText::Seconds(secs) => json!(secs),
                other => panic!("{code}: {name}: no schema check for {other:?} yet"),
            };
            assert_eq!(
                failure(&validator(schema), &instance),
                None,
                "{code}: {name}: {instance}"
            );
        }
    }
}

#[test]
fn www_authenticate_on_401_retry_after_on_429_and_the_common_headers_everywhere() {
    let responses = responses_json(&ErrorResponses::all());
    for status in ["400", "401", "403", "404", "405", "413", "429", "500"] {
        let headers = responses[status]["headers"].as_object().unwrap();
        let mut names: Vec<&str> = headers.keys().map(String::as_str).collect();
        names.sort_unstable();
        let expected: &[&str] = match status {
            "401" => &[
                "Cache-Control",
                "Link",
                "WWW-Authenticate",
                "X-Content-Type-Options",
                "X-Request-Id",
            ],
            "429" => &[
                "Cache-Control",
                "Link",
                "Retry-After",
                "X-Content-Type-Options",
                "X-Request-Id",
            ],
            _ => &[
                "Cache-Control",
                "Link",
                "X-Content-Type-Options",
                "X-Request-Id",
            ],
        };
        assert_eq!(names, expected, "{status}");
        let mut descriptions: Vec<&str> = headers
            .values()
            .map(|header| header["description"].as_str().unwrap_or_default())
            .collect();
        assert!(
            descriptions.iter().all(|text| !text.is_empty()),
            "{status}: every header is described"
        );
        descriptions.sort_unstable();
        descriptions.dedup();
        assert_eq!(
            descriptions.len(),
            headers.len(),
            "{status}: each header in its own words"
        );
    }
    let challenge = &responses["401"]["headers"]["WWW-Authenticate"]["schema"]["enum"];
    let challenges: Vec<&str> =
        ErrorCode::ALL
            .iter()
            .filter_map(|c| c.challenge())
            .fold(Vec::new(), |mut seen, c| {
                if !seen.contains(&c) {
                    seen.push(c);
                }
                seen
            });
    assert_eq!(challenge, &json!(challenges));
    let retry_after = &responses["429"]["headers"]["Retry-After"]["schema"];
    assert_eq!(retry_after["type"], "integer");
    assert_eq!(retry_after["minimum"], 1);
    assert_eq!(
        responses["500"]["headers"]["Cache-Control"]["schema"]["enum"],
        json!(["no-store"])
    );
}

#[test]
fn a_401_for_invalid_key_alone_declares_only_its_own_challenge() {
    let responses = responses_json(&ErrorResponses::of(&[ErrorCode::InvalidKey]));
    assert_eq!(
        responses["401"]["headers"]["WWW-Authenticate"]["schema"]["enum"],
        json!([ErrorCode::InvalidKey.challenge().unwrap()])
    );
}

#[test]
fn order_and_duplicates_do_not_matter_and_with_adds_a_code() {
    let a = ErrorResponses::of(&[
        ErrorCode::RateLimited,
        ErrorCode::MissingKey,
        ErrorCode::RateLimited,
    ]);
    let b = ErrorResponses::of(&[ErrorCode::MissingKey]).with(ErrorCode::RateLimited);
    assert_eq!(a, b);
    assert_eq!(a.codes(), [ErrorCode::MissingKey, ErrorCode::RateLimited]);
    assert_eq!(responses_json(&a), responses_json(&b));
    assert_eq!(b.clone().with(ErrorCode::MissingKey), b);
}

#[test]
fn no_codes_no_responses() {
    assert_eq!(responses_json(&ErrorResponses::of(&[])), json!({}));
}

#[test]
fn conversions_give_the_same_responses_as_build() {
    let errors = ErrorResponses::of(STATS);
    let built = responses_json(&errors);
    let from: Responses = errors.clone().into();
    assert_eq!(serde_json::to_value(from).unwrap(), built);
    let map: BTreeMap<_, _> = errors.clone().into();
    assert_eq!(serde_json::to_value(map).unwrap(), built);
    let pairs: Responses = errors.into_iter().collect();
    assert_eq!(serde_json::to_value(pairs).unwrap(), built);
}

#[test]
fn examples_are_the_media_type_s_named_ones_and_not_repeated_in_the_schema() {
    let responses = responses_json(&ErrorResponses::all());
    for status in statuses(&responses) {
        let schema = response_schema(&responses, status.parse().unwrap());
        assert_eq!(schema.get("examples"), None, "{status}: {schema}");
    }
}
