//! The example service (`examples/axum_service.rs`) answers as the testkit's example check says.

#[allow(dead_code)] // its `main`
#[path = "../examples/axum_service.rs"]
mod service;

use attractos_errors_axum::Contract;
use attractos_testkit::{TestService, checks::example};

#[tokio::test]
async fn the_stats_example_answers_in_the_contract() {
    let service = TestService::axum(service::app(Contract::default()));
    example::the_stats_example_answers_in_the_contract(&service).await;
}
