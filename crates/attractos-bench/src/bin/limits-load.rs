//! The server `scripts/limits-load.sh` loads with wrk: the route of
//! `attractos_bench::limits_route` in one of its modes.
//!
//!     limits-load --mode MODE --addr 127.0.0.1:PORT [--redis URL] [--rate N]
//!     limits-load --in-process SLICES
//!     limits-load --mode MODE --requests N
//!
//! `--rate` (requests per second and burst) defaults to one million: the load is admitted.
//! `--in-process` serves nothing: it times the route called in process
//! ([`attractos_bench::limits_route::in_process`], 2000 requests a slice) and prints a line
//! `slice mode nanoseconds-a-request` per slice and mode, for `scripts/limits-bench.sh`.
//! `--requests` serves nothing either: it calls the route in process N times in one mode,
//! untimed, for `scripts/limits-bench.sh` to count its instructions under callgrind.

use std::net::SocketAddr;
use std::num::NonZeroU32;

use attractos_bench::limits_route::{app, in_process, run_in_process};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|at| args.get(at + 1))
            .map(String::as_str)
    };
    if let Some(slices) = flag("--in-process") {
        let slices = slices.parse().expect("--in-process: a number of slices");
        for slice in in_process(slices, 2000).await {
            println!("{} {} {:.1}", slice.index, slice.mode, slice.nanos);
        }
        return;
    }
    let mode = flag("--mode").unwrap_or("none");
    if let Some(requests) = flag("--requests") {
        let requests = requests.parse().expect("--requests: a number of requests");
        run_in_process(mode, requests).await;
        return;
    }
    let addr: SocketAddr = flag("--addr")
        .unwrap_or("127.0.0.1:8080")
        .parse()
        .expect("--addr");
    let rate = flag("--rate").map_or(NonZeroU32::new(1_000_000), |n| n.parse().ok());
    let rate = rate.expect("--rate: a positive integer");
    let app = app(mode, rate, flag("--redis")).await;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("bind --addr");
    // A contract router gives each request its peer's address, as the limits need.
    axum::serve(listener, app).await.expect("serve");
}
