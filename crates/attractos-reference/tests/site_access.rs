//! Who sees which site: owners only; unknown and foreign sites answer identically.

use attractos_errors::{ErrorCode, rules};
use attractos_reference::store::{keys, sites};
use attractos_reference::{AppState, Options};

fn range() -> rules::DateRange {
    rules::date_range(Some("start=2024-03-01&end=2024-03-10")).expect("a valid range")
}

#[test]
fn each_user_lists_exactly_their_sites() {
    let state = AppState::new(Options::default());
    let ids = |key| -> Vec<String> {
        let caller = state.authenticate(key).expect("a live key");
        state
            .sites(&caller)
            .sites
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(ids(keys::FREE), [sites::DEMO]);
    assert_eq!(ids(keys::PRO), [sites::BROKEN, sites::PRO]);
    assert_eq!(ids(keys::QUOTA), [sites::QUOTA]);
}

#[test]
fn the_demo_site_has_its_documented_domain() {
    let state = AppState::new(Options::default());
    let caller = state.authenticate(keys::FREE).expect("a live key");
    let list = state.sites(&caller);
    assert_eq!(list.sites[0].domain, "demo.example");
}

#[test]
fn a_foreign_site_and_an_unknown_site_give_the_same_bytes() {
    let state = AppState::new(Options::default());
    let free = state.authenticate(keys::FREE).expect("a live key");
    let foreign = state.stats(&free, sites::PRO, range()).unwrap_err();
    let unknown = state.stats(&free, "site_nobody_has", range()).unwrap_err();
    assert_eq!(foreign.code(), ErrorCode::SiteNotFound);
    assert_eq!(foreign.to_bytes(), unknown.to_bytes());
    assert_eq!(
        foreign.headers().collect::<Vec<_>>(),
        unknown.headers().collect::<Vec<_>>()
    );
}

#[test]
fn a_site_of_a_deleted_user_is_not_found_for_everyone_else() {
    let state = AppState::new(Options::default());
    let pro = state.authenticate(keys::PRO).expect("a live key");
    let err = state.stats(&pro, "site_orphaned", range()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SiteNotFound);
}

#[test]
fn the_broken_site_fails_inside_the_store_with_a_secret_that_is_never_sent() {
    let state = AppState::new(Options::default());
    let pro = state.authenticate(keys::PRO).expect("a live key");
    let err = state.stats(&pro, sites::BROKEN, range()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ServerError);
    let cause = err
        .cause()
        .expect("the store's error is kept for the logs")
        .to_string();
    assert!(cause.contains("db-password=hunter2"), "cause: {cause}");
    let body = String::from_utf8(err.to_bytes().to_vec()).expect("UTF-8 body");
    assert!(!body.contains("hunter2"), "body: {body}");
    assert_eq!(err.message(), ErrorCode::ServerError.message());
}

#[test]
fn listing_sites_still_works_for_the_owner_of_the_broken_site() {
    let state = AppState::new(Options::default());
    let pro = state.authenticate(keys::PRO).expect("a live key");
    assert!(
        state
            .sites(&pro)
            .sites
            .iter()
            .any(|s| s.id == sites::BROKEN)
    );
}
