//! [`serve`]: `axum::serve` with the bounds a service on the open network needs against slow
//! and numerous clients, which `axum::serve` does not set (it builds hyper's connection without
//! a timer, so hyper's head timeout never runs).

use std::future::{Future, IntoFuture};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::{ConnectionRouter, Contract, ContractRouter};

/// Serves `app` on `listener` with `contract`'s head timeout and connection cap. Await it to
/// serve until an I/O error; add [`Serve::with_graceful_shutdown`] to stop on a signal.
///
/// - **Head timeout** ([`Contract::head_timeout`]): hyper's HTTP/1 `header_read_timeout`, with
///   tokio's timer. A connection whose request head has not arrived in time is closed without an
///   answer (hyper writes none). The clock runs from the accept and again after each response, so
///   the same bound closes idle keep-alive connections.
/// - **Connection cap** ([`Contract::max_connections`]): a semaphore around `accept`. At the cap
///   the server stops accepting, and new connections wait in the kernel's accept queue until a
///   connection ends (at the latest after the head timeout), instead of taking the process's last
///   file descriptors.
/// - The body deadline is [`ContractExt::with_contract`](crate::ContractExt::with_contract)'s:
///   it answers in the contract.
///
/// HTTP/1.1 only, without upgrades (no WebSockets): what the contract's API speaks.
///
/// ```
/// use attractos_errors_axum::{Contract, ContractExt, serve};
/// use axum::{Router, routing::get};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let contract = Contract::default();
/// let app = Router::new().route("/", get(|| async { "hello" })).with_contract(contract.clone());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// serve(listener, app, &contract)
///     .with_graceful_shutdown(async { /* e.g. tokio::signal::ctrl_c() */ })
///     .await
/// # }
/// ```
pub fn serve(listener: TcpListener, app: ContractRouter, contract: &Contract) -> Serve {
    Serve {
        listener,
        // The routes made once for every connection (see `ContractRouter`'s `IncomingStream`).
        app: app.with_state(()),
        head_timeout: contract.head_timeout(),
        max_connections: contract.max_connections(),
        shutdown: Box::pin(std::future::pending()),
    }
}

/// A server being set up by [`serve`]; await it to run.
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    app: ContractRouter,
    head_timeout: Duration,
    max_connections: usize,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("head_timeout", &self.head_timeout)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl Serve {
    /// Stops accepting when `signal` completes, then waits for the open connections to finish
    /// their requests (a connection still waiting for a head ends at the head timeout).
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.shutdown = Box::pin(signal);
        self
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self))
    }
}

/// How long to wait after an accept error that is not the client's (out of descriptors, out of
/// memory) before accepting again, so that the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

async fn run(serve: Serve) -> io::Result<()> {
    let Serve {
        listener,
        app,
        head_timeout,
        max_connections,
        mut shutdown,
    } = serve;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(head_timeout);
    let slots = Arc::new(Semaphore::new(max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        let (stream, peer, slot) = match accepted {
            Ok(accepted) => accepted,
            Err(err) if is_connection_error(&err) => continue,
            Err(err) => {
                tracing::error!(error = %err, "accepting a connection failed");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        // Small responses go out at once instead of waiting for more to send.
        let _ = stream.set_nodelay(true);
        let service = ConnectionRouter::new(app.clone(), Some(peer))
            .map_request(|request: http::Request<Incoming>| request.map(Body::new));
        let service = TowerToHyperService::new(service);
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A failed connection (a head timeout, a reset) concerns that client only.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The next connection, once a slot under the cap is free.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> io::Result<(
    tokio::net::TcpStream,
    std::net::SocketAddr,
    tokio::sync::OwnedSemaphorePermit,
)> {
    let slot = Arc::clone(slots)
        .acquire_owned()
        .await
        .map_err(|_| io::Error::other("the connection semaphore is closed"))?;
    let (stream, peer) = listener.accept().await?;
    Ok((stream, peer, slot))
}

/// Errors that concern one client's connection only (as axum's own accept loop reads them).
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
