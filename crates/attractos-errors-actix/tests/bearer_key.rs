//! actix glue: the key never shows in debug output. (Every `Authorization` case is in the
//! conformance suite.)

#[test]
fn the_key_is_redacted_in_debug_output() {
    let key = attractos_errors_actix::BearerKey("ak_secret".to_owned());
    assert_eq!(format!("{key:?}"), "BearerKey(<redacted>)");
}
