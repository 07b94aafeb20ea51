//! Shared helpers: the schemas as JSON, compiled with `jsonschema` (draft 2020-12).

use attractos_errors::openapi::ErrorResponses;
use attractos_errors::{ApiError, ErrorBody};
use jsonschema::Validator;
use serde_json::Value;
use utoipa::PartialSchema;

/// The `ErrorBody` component schema, as JSON.
pub fn body_schema() -> Value {
    serde_json::to_value(ErrorBody::schema()).expect("schema serializes")
}

/// A 2020-12 validator for `schema`.
pub fn validator(schema: &Value) -> Validator {
    jsonschema::draft202012::new(schema).expect("the schema compiles")
}

/// The validator of the `ErrorBody` schema.
pub fn body_validator() -> Validator {
    validator(&body_schema())
}

pub use crate::common::error;

/// The wire body of `err`, parsed.
pub fn wire(err: &ApiError) -> Value {
    serde_json::from_slice(&err.to_bytes()).expect("to_bytes writes JSON")
}

/// The responses of `errors` as JSON, keyed by status.
pub fn responses_json(errors: &ErrorResponses) -> Value {
    serde_json::to_value(errors.build()).expect("responses serialize")
}

/// The `application/json` schema of the response for `status`.
pub fn response_schema(responses: &Value, status: u16) -> Value {
    responses[status.to_string()]["content"]["application/json"]["schema"].clone()
}

/// Why `instance` fails `validator`, or `None` when it is valid.
pub fn failure(validator: &Validator, instance: &Value) -> Option<String> {
    validator
        .validate(instance)
        .err()
        .map(|err| err.to_string())
}
