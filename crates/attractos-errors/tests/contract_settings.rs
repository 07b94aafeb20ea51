//! `Contract`: the one settings value both adapters take. What is set is what adapters read;
//! what is not set is the documented default.

use std::time::Duration;

use attractos_errors::{Contract, rules, serving};

#[test]
fn defaults_are_the_documented_ones() {
    let contract = Contract::default();
    assert_eq!(contract, Contract::new());
    assert_eq!(contract.body_limit(), 64 * 1024);
    assert_eq!(contract.body_timeout(), Duration::from_secs(15));
    assert_eq!(contract.head_timeout(), Duration::from_secs(5));
    assert_eq!(
        contract.max_connections(),
        serving::max_connections_for(serving::open_file_limit()),
        "three quarters of the open-file limit"
    );
    assert_eq!(contract.body_timeout(), rules::DEFAULT_BODY_TIMEOUT);
    assert_eq!(contract.head_timeout(), serving::DEFAULT_HEAD_TIMEOUT);
}

#[test]
fn each_setting_is_kept_and_leaves_the_others_alone() {
    let contract = Contract::new()
        .with_body_limit(1000)
        .with_body_timeout(Duration::from_millis(1500))
        .with_head_timeout(Duration::from_secs(3))
        .with_max_connections(77);
    assert_eq!(contract.body_limit(), 1000);
    assert_eq!(contract.body_timeout(), Duration::from_millis(1500));
    assert_eq!(contract.head_timeout(), Duration::from_secs(3));
    assert_eq!(contract.max_connections(), 77);

    let only_connections = Contract::new().with_max_connections(2);
    assert_eq!(only_connections.max_connections(), 2);
    assert_eq!(only_connections.body_limit(), rules::DEFAULT_BODY_LIMIT);
    assert_eq!(
        only_connections.head_timeout(),
        serving::DEFAULT_HEAD_TIMEOUT
    );
}

#[test]
fn a_lower_request_id_limit_replaces_longer_client_ids() {
    let contract = Contract::new().with_request_id_max_len(4);
    assert!(contract.accepts_request_id(b"abcd"));
    assert!(!contract.accepts_request_id(b"abcde"));
    assert_eq!(contract.request_id(Some(b"abcde")).len(), 36, "a new UUID");
}

#[test]
fn debug_output_shows_the_docs_base_url_in_use() {
    let contract = Contract::new()
        .with_docs_base_url("https://docs.example/errors")
        .expect("a valid base URL");
    let debug = format!("{contract:?}");
    assert!(
        debug.contains("https://docs.example/errors#"),
        "the first code's link names the base: {debug}"
    );
}
