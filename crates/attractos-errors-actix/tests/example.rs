//! The example service (`examples/actix_service.rs`) answers as the testkit's example check says.

#[allow(dead_code)] // its `main`
#[path = "../examples/actix_service.rs"]
mod service;

use attractos_errors_actix::contract_app;
use attractos_testkit::{TestService, checks::example};

#[actix_web::test]
async fn the_events_example_answers_in_the_contract() {
    let events = service::Events::with_quota(1);
    let app = contract_app(service::contract()).configure(service::routes(events));
    example::the_events_example_answers_in_the_contract(&TestService::actix(app).await).await;
}
