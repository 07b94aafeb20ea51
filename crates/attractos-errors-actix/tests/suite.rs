//! The actix-web adapter's tests, one binary: the conformance suite both adapters run
//! (`attractos_testkit::checks`), then what is actix-web glue only.

mod conformance {
    attractos_testkit::conformance_suite!(Actix);
}

mod authenticated;
mod bearer_key;
mod body_limit;
mod example;
mod framework_errors;
mod handler_errors;
mod panics;
mod request_id;
mod routing;
mod site_id;
mod surface;
