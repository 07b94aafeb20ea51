//! `docs/openapi.json` is the document both frameworks serve at `GET /api/v1/openapi.json`;
//! this fails when the committed file drifts from the routes and the catalogue.
//! Regenerate with `UPDATE_DOCS=1 cargo test -p attractos-reference --test suite openapi_file`.

use std::path::PathBuf;

use attractos_reference::openapi;

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[test]
fn the_committed_file_matches_the_generated_document() {
    let generated = openapi::json();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path(), generated).expect("docs/ is writable");
        return;
    }
    let committed = std::fs::read_to_string(path()).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json differs from the generated document; run UPDATE_DOCS=1 cargo test -p attractos-reference --test suite openapi_file"
    );
}
