//! Allocation counts are deterministic, so the allocation targets are checked here on every
//! `cargo test`, not only when the benchmarks run. One test function: the counting allocator
//! is process-wide, and tests running in parallel would count each other.

use std::alloc::System;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use attractos_bench::allocations::{Allocations, measure};
use attractos_bench::{Case, actix_side, axum_side};
use attractos_errors_axum::{ApiError, Contract, ContractExt, ContractRouter};
use attractos_limits::{Account, LimitContext, Limiter, Plan, Policies, ProxyTrust};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Extension, Request, State};
use axum::routing::get;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tower::Service;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn count<R>(f: impl Fn() -> R) -> Allocations {
    measure(GLOBAL, f, 10, 50, 3)
}

#[test]
fn allocation_targets() {
    // The counter counts: one Vec is one allocation, nothing is nothing.
    let one = count(|| Vec::<u8>::with_capacity(16));
    assert_eq!((one.allocations, one.reallocations), (1.0, 0.0));
    assert_eq!(one.bytes, 16.0);
    assert_eq!(count(|| 7_u32).blocks(), 0.0);

    for (framework, library, floor, baseline_b) in [
        (
            "axum",
            count(|| axum_side::library(Case::InvalidKey)),
            count(|| axum_side::floor(Case::InvalidKey)),
            count(|| axum_side::baseline_b(Case::InvalidKey)),
        ),
        (
            "actix",
            count(|| actix_side::library(Case::InvalidKey)),
            count(|| actix_side::floor(Case::InvalidKey)),
            count(|| actix_side::baseline_b(Case::InvalidKey)),
        ),
    ] {
        assert!(
            library.blocks() <= floor.blocks(),
            "{framework}: a catalogue-message error allocates no more than the floor: {library:?} vs {floor:?}"
        );
        assert!(
            library.blocks() < baseline_b.blocks(),
            "{framework}: fewer allocations than json! + headers: {library:?} vs {baseline_b:?}"
        );
    }

    for case in [Case::CustomMessage, Case::RateLimited] {
        let axum_library = count(|| axum_side::library(case));
        let axum_baseline = count(|| axum_side::baseline_b(case));
        assert!(
            axum_library.blocks() < axum_baseline.blocks(),
            "axum {case:?}: fewer allocations than baseline B: {axum_library:?} vs {axum_baseline:?}"
        );
        let actix_library = count(|| actix_side::library(case));
        let actix_baseline = count(|| actix_side::baseline_b(case));
        assert!(
            actix_library.blocks() < actix_baseline.blocks(),
            "actix {case:?}: fewer allocations than baseline B: {actix_library:?} vs {actix_baseline:?}"
        );
    }
    the_in_memory_limiter_allocates_the_ratelimit_value_and_its_context();
}

/// Runs a future that is ready at once: nothing below waits (an in-process router, the
/// in-memory store).
fn ready<T>(future: impl Future<Output = T>) -> T {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("an in-process request with the in-memory store never waits"),
    }
}

const ACCOUNT: Account<'static> = Account {
    key: "ak_demo_free",
    id: "user:1",
    plan: Plan::Free,
    event_floor: 0,
};

async fn limited(
    State(limiter): State<Arc<Limiter>>,
    Extension(context): Extension<LimitContext>,
) -> Result<&'static str, ApiError> {
    let verdict = limiter.admit(context.client(), ACCOUNT).await;
    context.set_fields(verdict.fields);
    verdict.outcome?;
    Ok("sites")
}

async fn unlimited() -> Result<&'static str, ApiError> {
    Ok("sites")
}

/// Allocations of one `GET /` through `router`, from a peer as `serve` gives it.
fn one_request(router: &ContractRouter) -> Allocations {
    count(|| {
        let request = Request::builder()
            .uri("/")
            .extension(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 40_000))))
            .body(Body::empty())
            .expect("a valid request");
        let response = ready(router.clone().call(request)).expect("infallible");
        assert!(response.status().is_success(), "admitted: {response:?}");
        response
    })
}

/// The limiter's targets (part of [`allocation_targets`], the one test of this binary).
fn the_in_memory_limiter_allocates_the_ratelimit_value_and_its_context() {
    let rate = NonZeroU32::new(1_000_000_000).expect("not zero");
    let limiter = Arc::new(Limiter::in_memory(Policies::default().with_free_rate(rate)));
    let client = "192.0.2.7".parse().expect("an address");
    // The policy value is shared and the partitions are written on the stack: a decision
    // allocates only the `RateLimit` value.
    let admit = count(|| ready(limiter.admit(client, ACCOUNT)));
    assert_eq!(admit.blocks(), 1.0, "Limiter::admit in memory: {admit:?}");

    // Through the axum glue, what the limiter adds to a request is that value, the context
    // the glue shares with the handler and its slot in the request's extensions; the field
    // values go to the header map without a copy.
    let with_limiter = Router::new()
        .route("/", get(limited))
        .with_state(limiter)
        .with_contract(Contract::default())
        .with_limits(ProxyTrust::default());
    let without = Router::new()
        .route("/", get(unlimited))
        .with_contract(Contract::default());
    let (with_limiter, without) = (one_request(&with_limiter), one_request(&without));
    assert!(
        with_limiter.blocks() <= without.blocks() + 3.0,
        "the limited route allocates at most 3 blocks more: {with_limiter:?} vs {without:?}"
    );
}
