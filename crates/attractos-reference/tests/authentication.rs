//! Which API key gives which caller or error: the fixtures of the README, in the domain core
//! both frameworks share.

use attractos_errors::{ApiError, ErrorCode};
use attractos_reference::store::{Plan, keys};
use attractos_reference::{AppState, Options};

fn state() -> AppState {
    AppState::new(Options::default())
}

#[test]
fn the_free_and_pro_keys_authenticate_with_their_plans() {
    let state = state();
    let free = state
        .authenticate(keys::FREE)
        .expect("the free key is live");
    assert_eq!(free.user.plan, Plan::Free);
    let pro = state.authenticate(keys::PRO).expect("the pro key is live");
    assert_eq!(pro.user.plan, Plan::Pro);
    assert_ne!(free.user.id, pro.user.id);
}

/// The error a key is refused with.
fn refusal(key: &str) -> ApiError {
    state().authenticate(key).expect_err("the key is refused")
}

#[test]
fn a_revoked_key_is_invalid_key() {
    assert_eq!(refusal(keys::REVOKED).code(), ErrorCode::InvalidKey);
}

#[test]
fn an_unknown_key_is_invalid_key_exactly_like_a_revoked_one() {
    let unknown = refusal("ak_never_issued");
    assert_eq!(unknown.code(), ErrorCode::InvalidKey);
    assert_eq!(
        unknown.to_bytes(),
        refusal(keys::REVOKED).to_bytes(),
        "nothing tells them apart"
    );
}

#[test]
fn a_key_whose_user_was_deleted_is_user_not_found() {
    assert_eq!(refusal(keys::ORPHAN).code(), ErrorCode::UserNotFound);
}

#[test]
fn the_quota_key_is_a_live_free_key() {
    let caller = state()
        .authenticate(keys::QUOTA)
        .expect("the quota key is live");
    assert_eq!(caller.user.plan, Plan::Free);
}
