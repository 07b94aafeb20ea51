//! The example service (`examples/service.rs`) answers as the testkit's example checks say.

#[allow(dead_code)] // its `main`
#[path = "../examples/service.rs"]
mod service;

use attractos_errors_axum::Contract;
use attractos_testkit::{TestService, checks::example};

fn example_with_one_event() -> TestService {
    TestService::axum(service::app(service::Store::new(1), Contract::default()))
}

#[tokio::test]
async fn answers_domain_errors_in_the_contract() {
    example::answers_domain_errors_in_the_contract(&example_with_one_event()).await;
}

#[tokio::test]
async fn the_quota_runs_out_with_a_retry_after() {
    example::the_quota_runs_out_with_a_retry_after(&example_with_one_event()).await;
}
