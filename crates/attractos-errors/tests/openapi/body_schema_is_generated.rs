//! The `ErrorBody` schema is the catalogue, mechanically: code enums, required keys and
//! examples all come from `ErrorCode::ALL`.

use attractos_errors::{ErrorCode, RetryAfter, docs};
use serde_json::{Value, json};

use super::support::{body_schema, wire};

fn names(codes: impl Iterator<Item = ErrorCode>) -> Value {
    codes.map(|code| json!(code.as_str())).collect()
}

#[test]
fn one_variant_for_the_codes_without_retry_after_and_one_for_the_429s() {
    let schema = body_schema();
    let variants = schema["oneOf"].as_array().expect("oneOf");
    assert_eq!(variants.len(), 2);
    let (plain, throttled) = (&variants[0], &variants[1]);

    let without: Vec<ErrorCode> = ErrorCode::ALL
        .iter()
        .copied()
        .filter(|c| !c.carries_retry_after())
        .collect();
    let with: Vec<ErrorCode> = ErrorCode::ALL
        .iter()
        .copied()
        .filter(|c| c.carries_retry_after())
        .collect();
    assert!(with.iter().all(|c| c.status().as_u16() == 429));
    assert!(without.iter().all(|c| c.status().as_u16() != 429));

    assert_eq!(
        plain["properties"]["code"]["enum"],
        names(without.into_iter())
    );
    assert_eq!(plain["required"], json!(["error", "code"]));
    assert_eq!(plain["properties"].as_object().unwrap().len(), 2);

    assert_eq!(
        throttled["properties"]["code"]["enum"],
        names(with.into_iter())
    );
    assert_eq!(
        throttled["required"],
        json!(["error", "code", "retry_after"])
    );
    for variant in variants {
        assert_eq!(variant["type"], "object");
        assert_eq!(variant["additionalProperties"], false);
        assert_eq!(variant["properties"]["error"]["type"], "string");
        assert_eq!(variant["properties"]["code"]["type"], "string");
    }
}

#[test]
fn retry_after_is_an_integer_in_the_range_of_retry_after() {
    let retry_after = &body_schema()["oneOf"][1]["properties"]["retry_after"];
    assert_eq!(retry_after["type"], "integer");
    assert_eq!(retry_after["minimum"], RetryAfter::from_secs(0).as_secs());
    assert_eq!(
        retry_after["maximum"],
        RetryAfter::from_secs(u32::MAX).as_secs()
    );
}

#[test]
fn the_code_descriptions_list_every_code_with_status_and_message() {
    let schema = body_schema();
    let descriptions: String = schema["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["properties"]["code"]["description"].as_str().unwrap())
        .collect();
    for code in ErrorCode::ALL {
        let line = format!("`{code}` ({}): {}", code.status().as_u16(), code.message());
        assert!(descriptions.contains(&line), "missing: {line}");
    }
}

#[test]
fn the_examples_are_the_reference_page_bodies_one_per_code() {
    let expected: Vec<Value> = ErrorCode::ALL
        .iter()
        .map(|&c| wire(&docs::example(c)))
        .collect();
    assert_eq!(body_schema()["examples"], Value::Array(expected));
}

#[test]
fn the_schema_is_valid_json_schema_2020_12() {
    let schema = body_schema();
    jsonschema::draft202012::meta::validate(&schema)
        .expect("valid against the 2020-12 meta-schema");
}

/// Keywords of JSON Schema 2020-12 (core, applicator, validation, meta-data).
const KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$ref",
    "$defs",
    "type",
    "enum",
    "const",
    "title",
    "description",
    "examples",
    "default",
    "properties",
    "required",
    "additionalProperties",
    "oneOf",
    "anyOf",
    "allOf",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
];

fn keywords_outside_json_schema(schema: &Value, path: &str, found: &mut Vec<String>) {
    let Some(object) = schema.as_object() else {
        return;
    };
    for (key, value) in object {
        if !KEYWORDS.contains(&key.as_str()) {
            found.push(format!("{path}/{key}"));
        }
        match key.as_str() {
            "properties" => {
                for (name, property) in value.as_object().into_iter().flatten() {
                    keywords_outside_json_schema(
                        property,
                        &format!("{path}/properties/{name}"),
                        found,
                    );
                }
            }
            "oneOf" | "anyOf" | "allOf" => {
                for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                    keywords_outside_json_schema(item, &format!("{path}/{key}/{i}"), found);
                }
            }
            "additionalProperties" => {
                keywords_outside_json_schema(value, &format!("{path}/{key}"), found)
            }
            _ => {}
        }
    }
}

#[test]
fn the_schema_uses_json_schema_keywords_only_no_openapi_extensions() {
    let mut found = Vec::new();
    keywords_outside_json_schema(&body_schema(), "#", &mut found);
    assert!(
        found.is_empty(),
        "not JSON Schema 2020-12 keywords: {found:?}"
    );
}
