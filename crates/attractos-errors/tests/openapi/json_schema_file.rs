//! `docs/error-body.schema.json` is the `ErrorBody` schema as a standalone JSON Schema 2020-12
//! document; this fails when the committed file drifts from the catalogue.
//! Regenerate with `UPDATE_DOCS=1 cargo test -p attractos-errors --features openapi --test suite openapi::`.

use std::path::PathBuf;

use attractos_errors::openapi::{JSON_SCHEMA_DIALECT, canonical_json, json_schema};
use attractos_errors::{ErrorCode, docs};
use serde_json::{Value, json};

use super::support::{body_schema, error, failure, validator, wire};

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/error-body.schema.json")
}

#[test]
fn the_committed_file_matches_the_catalogue() {
    let generated = json_schema();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path(), &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path()).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/error-body.schema.json differs from the catalogue; run UPDATE_DOCS=1 cargo test -p attractos-errors --features openapi --test suite openapi::"
    );
}

#[test]
fn the_file_is_the_component_schema_plus_the_dialect() {
    let mut file: Value = serde_json::from_str(&json_schema()).unwrap();
    let object = file.as_object_mut().unwrap();
    assert_eq!(object.remove("$schema"), Some(json!(JSON_SCHEMA_DIALECT)));
    assert!(
        object
            .remove("$comment")
            .unwrap()
            .as_str()
            .unwrap()
            .contains("UPDATE_DOCS=1")
    );
    assert_eq!(file, body_schema());
}

#[test]
fn the_file_is_a_valid_2020_12_schema_that_judges_bodies() {
    let file: Value = serde_json::from_str(&json_schema()).unwrap();
    jsonschema::meta::validate(&file).expect("valid against the meta-schema its $schema names");
    jsonschema::draft202012::meta::validate(&file).expect("valid against the 2020-12 meta-schema");
    let validator = validator(&file);
    for &code in ErrorCode::ALL {
        assert_eq!(
            failure(&validator, &wire(&docs::example(code))),
            None,
            "{code}"
        );
    }
    let mut forbidden = wire(&error(ErrorCode::MissingKey, 1));
    forbidden["retry_after"] = json!(1);
    assert!(failure(&validator, &forbidden).is_some());
}

#[test]
fn canonical_json_sorts_keys_at_every_depth_and_ends_with_a_newline() {
    let value = json!({"b": [{"z": 1, "a": 2}], "a": {"d": null, "c": true}});
    assert_eq!(
        canonical_json(&value).unwrap(),
        "{\n  \"a\": {\n    \"c\": true,\n    \"d\": null\n  },\n  \"b\": [\n    {\n      \"a\": 2,\n      \"z\": 1\n    }\n  ]\n}\n"
    );
}
