//! Both frameworks serve the document at `GET /api/v1/openapi.json`, without a key, byte for
//! byte `docs/openapi.json`.

use crate::common;

use std::path::PathBuf;

use attractos_reference::{Options, routes};
use common::Req;

fn committed() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    std::fs::read_to_string(path).expect("docs/openapi.json is committed")
}

#[test]
fn both_frameworks_serve_the_committed_file_without_a_key() {
    let request = Req::get(routes::OPENAPI);
    for (framework, resp) in common::last_on_each(&Options::default(), &[request]) {
        assert_eq!(resp.status, 200, "{framework}");
        assert_eq!(
            resp.header_str("content-type"),
            Some("application/json"),
            "{framework}"
        );
        assert_eq!(
            resp.header_str("x-request-id"),
            Some(common::REQUEST_ID),
            "{framework}"
        );
        assert!(
            resp.body == committed().as_bytes(),
            "{framework} serves docs/openapi.json byte for byte"
        );
    }
}

#[test]
fn both_frameworks_answer_the_same_bytes() {
    // `both` asserts the two snapshots (status, headers, body) are identical.
    let snapshot = common::both(&Options::default(), &[Req::get(routes::OPENAPI)]);
    assert!(snapshot.starts_with("200 OK\n"), "{snapshot}");
}

#[test]
fn other_methods_are_refused_in_the_contract() {
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let snapshot = common::both(
            &Options::default(),
            &[Req::get(routes::OPENAPI).method(method)],
        );
        assert!(
            snapshot.starts_with("405 Method Not Allowed\n")
                && snapshot.ends_with(r#""code":"METHOD_NOT_ALLOWED"}"#),
            "{method}: {snapshot}"
        );
    }
}
