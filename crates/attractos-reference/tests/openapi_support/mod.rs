//! The served OpenAPI document as JSON, and JSON Schema 2020-12 validators for its schemas
//! (`$ref`s into `components` resolve, formats such as `date` are checked).
#![allow(dead_code)]

use attractos_reference::openapi;
use jsonschema::Validator;
use serde_json::Value;

use crate::common::Response;

/// The document, parsed.
pub fn doc() -> Value {
    serde_json::from_str(openapi::json()).expect("the document is JSON")
}

/// The operation at `path` (a template, e.g. `/api/v1/sites/{siteId}/stats`) and `method`
/// (lowercase).
pub fn operation<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    let operation = &doc["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is documented");
    operation
}

/// The documented response for `status`.
pub fn response(operation: &Value, status: u16) -> &Value {
    &operation["responses"][status.to_string()]
}

/// A validator for `schema`, a schema inside `doc`: `doc`'s components travel along, so
/// `#/components/...` references resolve.
pub fn validator(doc: &Value, schema: &Value) -> Validator {
    let mut root = schema.clone();
    if let Some(object) = root.as_object_mut() {
        object.insert("components".to_owned(), doc["components"].clone());
    }
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|err| panic!("{schema} compiles: {err}"))
}

/// Why `instance` fails `validator`, or `None` when it is valid.
pub fn failure(validator: &Validator, instance: &Value) -> Option<String> {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|err| format!("{} at {}", err, err.instance_path()))
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

/// Checks `resp` against the documented response of `operation` for its status: the status is
/// documented, the body is JSON valid against the media type's schema, every declared header
/// but `Link` (sent only with a docs base URL) is present and valid against its schema.
pub fn assert_conforms(doc: &Value, operation: &Value, resp: &Response, what: &str) {
    let documented = response(operation, resp.status);
    assert!(
        documented.is_object(),
        "{what}: status {} is documented for {}",
        resp.status,
        operation["operationId"]
    );
    let content = documented["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: the response documents a body"));
    let (media_type, media) = content.iter().next().expect("one media type");
    assert_eq!(
        resp.header_str("content-type"),
        Some(media_type.as_str()),
        "{what}: the documented content type"
    );
    let body: Value = serde_json::from_slice(&resp.body)
        .unwrap_or_else(|err| panic!("{what}: the body is JSON: {err}"));
    assert_eq!(
        failure(&validator(doc, &media["schema"]), &body),
        None,
        "{what}: the body {body} matches the documented schema"
    );
    for (name, header) in documented["headers"].as_object().into_iter().flatten() {
        let sent = resp.header_str(&name.to_ascii_lowercase());
        if name == "Link" {
            assert_eq!(sent, None, "{what}: no Link without a docs base URL");
            continue;
        }
        let sent = sent.unwrap_or_else(|| panic!("{what}: the documented {name} header is sent"));
        let value = match header["schema"]["type"].as_str() {
            Some("integer") => sent
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| panic!("{what}: {name}: {sent} is an integer")),
            _ => Value::from(sent),
        };
        assert_eq!(
            failure(&validator(doc, &header["schema"]), &value),
            None,
            "{what}: the {name} header {sent:?} matches its schema"
        );
    }
}
