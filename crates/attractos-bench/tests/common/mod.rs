//! Reading the responses the variants build, as the contract checker reads a response, without
//! a runtime: their bodies are in memory.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use actix_web::dev::ServiceResponse;
use attractos_bench::{Case, Framework, Variant, actix_side, axum_side};

pub use attractos_contract::judge::Response;

/// The output of a future that is ready at its first poll.
fn ready<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("an in-memory body is ready at once"),
    }
}

/// `case` rendered by `variant` on `framework`, its headers sorted by name: a client sees the
/// same response whatever order the headers were inserted in.
pub fn render(framework: Framework, variant: Variant, case: Case) -> Response {
    let mut response = match framework {
        Framework::Axum => {
            let render = renderer(&axum_side::VARIANTS, framework, variant);
            ready(Response::from_axum(render(case)))
        }
        Framework::Actix => {
            let render = renderer(&actix_side::VARIANTS, framework, variant);
            let request = actix_web::test::TestRequest::default().to_http_request();
            ready(Response::from_actix(ServiceResponse::new(
                request,
                render(case),
            )))
        }
    };
    response.headers.sort();
    response
}

/// The function that renders `variant`, from `framework`'s list.
fn renderer<R: Copy>(variants: &[(Variant, R)], framework: Framework, variant: Variant) -> R {
    variants
        .iter()
        .find(|(v, _)| *v == variant)
        .map(|(_, render)| *render)
        .unwrap_or_else(|| panic!("{framework} has no {variant:?}"))
}
