//! [`server`]: an actix-web `HttpServer` with the bounds a service on the open network needs
//! against slow and numerous clients, set from the [`Contract`].

use std::time::Duration;

use actix_http::Request;
use actix_service::IntoServiceFactory;
use actix_web::HttpServer;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Response, ServiceFactory};

use crate::Contract;

/// How long a connection the server closes may take to shut down cleanly.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// `HttpServer::new(factory)` with `workers` workers and `contract`'s head timeout, idle
/// keep-alive bound and connection cap; bind or listen, then run it. Do not change its
/// `workers` afterwards: the connection cap is split over these.
///
/// - **Head timeout** ([`Contract::head_timeout`]): actix-web's `client_request_timeout`. A
///   client that has sent part of a head gets actix-http's own bare `408 Request Timeout` (no
///   body, no hook to change it: `docs/reliability.md`), one that has sent nothing is closed.
/// - **Idle keep-alive**: closed after the same time (`keep_alive`).
/// - **Connection cap** ([`Contract::max_connections`]): actix-web's `max_connections`, which
///   counts per worker, so the cap is split over the `workers`. At the cap the workers stop
///   accepting, and new connections wait in the kernel's accept queue.
/// - The body deadline is [`contract_app`](crate::contract_app)'s: it answers in the contract.
///
/// ```
/// use attractos_errors_actix::{Contract, contract_app, server};
/// use actix_web::{HttpResponse, web};
///
/// # fn main() -> std::io::Result<()> {
/// let contract = Contract::default();
/// let app_contract = contract.clone();
/// let server = server(
///     move || contract_app(app_contract.clone()).route("/", web::get().to(HttpResponse::Ok)),
///     &contract,
///     2,
/// )
/// .bind("127.0.0.1:0")?;
/// assert_eq!(server.addrs().len(), 1);
/// // Then: `server.run().await`, inside `#[actix_web::main]`.
/// # Ok(())
/// # }
/// ```
pub fn server<F, I, S, B>(factory: F, contract: &Contract, workers: usize) -> HttpServer<F, I, S, B>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as actix_web::dev::Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let workers = workers.max(1);
    HttpServer::new(factory)
        .workers(workers)
        .client_request_timeout(contract.head_timeout())
        .keep_alive(contract.head_timeout())
        .client_disconnect_timeout(DISCONNECT_TIMEOUT)
        .max_connections(contract.max_connections().div_ceil(workers))
}
