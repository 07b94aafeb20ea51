//! The machine-readable contract (feature `openapi`): the `ErrorBody` schema, the
//! `ErrorResponses` builder, and `docs/error-body.schema.json`, checked with an independent
//! JSON Schema validator. Run with `cargo test -p attractos-errors --features openapi`.

#[path = "openapi/support.rs"]
mod support;

#[path = "openapi/body_schema_accepts.rs"]
mod body_schema_accepts;
#[path = "openapi/body_schema_is_generated.rs"]
mod body_schema_is_generated;
#[path = "openapi/body_schema_rejects.rs"]
mod body_schema_rejects;
#[path = "openapi/components.rs"]
mod components;
#[path = "openapi/json_schema_file.rs"]
mod json_schema_file;
#[path = "openapi/properties.rs"]
mod properties;
#[path = "openapi/responses.rs"]
mod responses;
#[path = "openapi/utoipa_path.rs"]
mod utoipa_path;
