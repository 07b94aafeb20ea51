//! The axum adapter's tests, one binary: the conformance suite both adapters run
//! (`attractos_testkit::checks`), then what is axum glue only.

mod conformance {
    attractos_testkit::conformance_suite!(Axum);
}

mod domain_errors;
mod example;
mod framework_errors;
mod payload_too_large;
mod peer_address;
mod routing;
mod served_once;
mod surface;
mod unread_body;
