//! Serving the API on a socket with either framework, each on its own thread and runtime, so
//! tests, the contract checker and the binary all start it the same way.
//!
//! ```
//! use attractos_reference::{Framework, Options, serve};
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! let server = serve(Framework::Axum, listener, Options::default()).unwrap();
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! server.stop().unwrap();
//! ```

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::str::FromStr;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::{AppState, Options, actix_app, axum_app};

/// Which web framework serves the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framework {
    /// axum 0.8 with `attractos-errors-axum`.
    Axum,
    /// actix-web 4 with `attractos-errors-actix`.
    Actix,
}

impl Framework {
    /// Both frameworks.
    pub const ALL: [Framework; 2] = [Framework::Axum, Framework::Actix];

    /// `"axum"` or `"actix"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Framework::Axum => "axum",
            Framework::Actix => "actix",
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name is neither `axum` nor `actix`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown framework {0:?}; expected axum or actix")]
pub struct UnknownFramework(pub String);

impl FromStr for Framework {
    type Err = UnknownFramework;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "axum" => Ok(Framework::Axum),
            "actix" => Ok(Framework::Actix),
            other => Err(UnknownFramework(other.to_owned())),
        }
    }
}

/// How long a stop waits for the server's thread: actix-web's shutdown timeout (5 s, for
/// in-flight requests) and a margin.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// A running server. Stops (gracefully) on [`Server::stop`] or when dropped.
#[derive(Debug)]
pub struct Server {
    framework: Framework,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Server {
    /// The framework serving.
    pub fn framework(&self) -> Framework {
        self.framework
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the
    /// server's thread, at most 10 s: past it the thread is left behind and this is
    /// an error.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown_and_join()
    }

    /// Waits until the server stops by itself (it only does on a fatal error).
    pub fn wait(mut self) -> io::Result<()> {
        self.shutdown = None;
        self.join()
    }

    fn shutdown_and_join(&mut self) -> io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            // The server may already be gone; then there is nothing to stop.
            let _ = shutdown.send(());
        }
        // actix-web's graceful stop has been seen never to finish (its workers gone, its server
        // future still pending) on a loaded machine: a stop must not hang its caller.
        let deadline = Instant::now() + STOP_WAIT;
        while self
            .thread
            .as_ref()
            .is_some_and(|thread| !thread.is_finished())
        {
            if Instant::now() >= deadline {
                self.thread = None;
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the {} server did not stop within {STOP_WAIT:?}",
                        self.framework.as_str()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.join()
    }

    fn join(&mut self) -> io::Result<()> {
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| io::Error::other("the server thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.shutdown.is_some() {
            if let Err(err) = self.shutdown_and_join() {
                tracing::warn!(error = %err, "the server was dropped without stopping");
            }
        }
    }
}

/// Serves the API with `framework` on `listener` (bind it to port 0 for an ephemeral port),
/// on a thread of its own. Returns once the server accepts connections.
pub fn serve(framework: Framework, listener: TcpListener, options: Options) -> io::Result<Server> {
    let addr = listener.local_addr()?;
    let state = AppState::try_new(options).map_err(io::Error::other)?;
    let (shutdown, stopped) = oneshot::channel();
    let thread = match framework {
        Framework::Axum => spawn_axum(listener, state, stopped)?,
        Framework::Actix => spawn_actix(listener, state, stopped)?,
    };
    Ok(Server {
        framework,
        addr,
        shutdown: Some(shutdown),
        thread: Some(thread),
    })
}

/// Binds `addr` and serves the API there (see [`serve`]), with an accept queue of 1024
/// connections (where they wait while the server is at its connection cap).
pub fn bind(framework: Framework, addr: SocketAddr, options: Options) -> io::Result<Server> {
    serve(framework, listen(addr)?, options)
}

/// The kernel's accept queue of [`bind`]'s listener: where new connections wait while the server
/// is at its connection cap (actix-web's default; the standard library's `bind` asks for 128,
/// and a full queue makes clients resend their SYN after 1, 3, 7, 15 s).
const BACKLOG: u32 = 1024;

fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    // tokio's socket registers with a runtime; this one lives only for the setup.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let _entered = runtime.enter();
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)?.into_std()
}

/// Worker threads per server: enough for a checker's sequential requests and a person's
/// browser, and kind to a small machine running both frameworks at once.
const WORKERS: usize = 2;

fn spawn_axum(
    listener: TcpListener,
    state: AppState,
    stopped: oneshot::Receiver<()>,
) -> io::Result<JoinHandle<io::Result<()>>> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .thread_name("attractos-axum")
        .enable_all()
        .build()?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    let contract = axum_app::contract(state.options());
    std::thread::Builder::new()
        .name("attractos-axum-server".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                attractos_errors_axum::serve(listener, axum_app::router(state), &contract)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
            })
        })
}

fn spawn_actix(
    listener: TcpListener,
    state: AppState,
    stopped: oneshot::Receiver<()>,
) -> io::Result<JoinHandle<io::Result<()>>> {
    let (started, starting) = std::sync::mpsc::channel::<io::Result<()>>();
    let thread = std::thread::Builder::new()
        .name("attractos-actix-server".to_owned())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let contract = actix_app::contract(state.options());
                let app = move || actix_app::app(state.clone());
                let server = attractos_errors_actix::server(app, &contract, WORKERS)
                    .disable_signals()
                    .shutdown_timeout(5)
                    .listen(listener);
                let server = match server {
                    Ok(server) => server.run(),
                    Err(err) => {
                        let kind = err.kind();
                        let _ = started.send(Err(err));
                        return Err(io::Error::new(kind, "the actix-web server did not start"));
                    }
                };
                let handle = server.handle();
                actix_web::rt::spawn(async move {
                    let _ = stopped.await;
                    handle.stop(true).await;
                });
                let _ = started.send(Ok(()));
                server.await
            })
        })?;
    match starting.recv() {
        Ok(Ok(())) => Ok(thread),
        Ok(Err(err)) => {
            let _ = thread.join();
            Err(err)
        }
        Err(_) => Err(match thread.join() {
            Ok(Err(err)) => err,
            _ => io::Error::other("the actix-web server thread ended before starting"),
        }),
    }
}
