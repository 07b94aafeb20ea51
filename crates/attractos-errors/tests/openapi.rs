//! The machine-readable contract (feature `openapi`): the `ErrorBody` schema, the
//! `ErrorResponses` builder, and `docs/error-body.schema.json`, checked with an independent
//! JSON Schema validator. Run with `cargo test -p attractos-errors --features openapi`.

mod support;

mod body_schema_accepts;
mod body_schema_is_generated;
mod body_schema_rejects;
mod components;
mod json_schema_file;
mod properties;
mod responses;
mod utoipa_path;
