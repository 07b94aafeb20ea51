//! Generated requests: reproducible per seed, varied, and always sendable (valid URIs and
//! header values), so every one reaches the service.

use std::collections::BTreeSet;

use attractos_contract::case::Expect;
use attractos_contract::fixtures::Fixtures;
use attractos_contract::fuzz;
use proptest::prelude::*;

#[test]
fn the_same_seed_gives_the_same_cases_and_another_seed_others() {
    assert_eq!(fuzz::cases(42, 50), fuzz::cases(42, 50));
    assert_ne!(fuzz::cases(42, 50), fuzz::cases(43, 50));
    assert_eq!(
        fuzz::cases(42, 10),
        fuzz::cases(42, 50)[..10],
        "a prefix of a longer run"
    );
}

#[test]
fn every_kind_of_noise_is_generated() {
    let kinds: BTreeSet<String> = fuzz::cases(1, 200)
        .iter()
        .map(|c| c.name.rsplit('-').next().unwrap_or_default().to_owned())
        .collect();
    let expected: BTreeSet<String> = ["body", "headers", "dates", "path", "method"]
        .map(str::to_owned)
        .into();
    assert_eq!(kinds, expected);
}

#[test]
fn generated_cases_accept_any_contract_answer() {
    assert!(fuzz::cases(5, 100).iter().all(|c| c.expect == Expect::Any));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_generated_request_is_valid_http(seed in any::<u64>()) {
        let fixtures = Fixtures::reference();
        for case in fuzz::cases(seed, 40) {
            let request = case.request.build(&fixtures, 1024);
            prop_assert!(request.is_ok(), "{} does not build: {:?}", case.name, request);
            let request = request.expect("checked above");
            let uri = request.target.parse::<http::Uri>();
            prop_assert!(uri.is_ok(), "{}: {:?} is not a valid request target", case.name, request.target);
            prop_assert!(request.target.starts_with('/'), "{}: origin-form target", case.name);
        }
    }
}
