//! The Redis store: limit state shared by every replica, one Lua script per batch of
//! decisions ([`crate::redis_batch`]).

use std::fmt;
use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::{RedisWrite, ToRedisArgs};
use tokio::sync::oneshot;

use crate::AddressPartition;
use crate::limiter::key_partition_hex;
use crate::redis_batch::{Answer, Batches, Decision};
use crate::redis_server::Server;
use crate::store::{
    AuthFailureQuery, AuthOutcome, Clock, EventQuery, QuotaOutcome, RateOutcome, RequestOutcome,
    RequestQuery, Store, StoreError,
};

/// The prefix of every key the store writes.
const PREFIX: &str = "attractos:limits:";

/// How long a decision may take before it counts as a store failure (default 50 ms).
///
/// Redis on the same network answers a script like this in well under a millisecond; 50 ms
/// absorbs a busy server or a reconnection while keeping a request's worst added latency far
/// below anything a client would notice as an outage.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);

/// Limit state in Redis, shared by every replica that connects to the same server.
///
/// One multiplexed connection (redis-rs's `ConnectionManager`, which reconnects by itself
/// after the server comes back; through sentinels, one to the primary they name, asked again
/// after a failure) is driven by a small runtime of the store's own (one thread,
/// made for the first decision), so the store works the same from axum's multi-threaded
/// runtime and from actix-web's per-thread ones, and outlives any of them; a service on one
/// multi-threaded runtime can have it driven there instead ([`RedisStore::on_runtime`]).
/// Decisions are batched: while a batch is out, the decisions that come in queue, and go
/// together as the next batch, one `EVALSHA` that applies them in order, atomically, and
/// answers each (a lone decision is a batch of one, sent at once). So each decision is still
/// one round trip (its batch's; a `SCRIPT LOAD` and the `EVALSHA` again the first time after a
/// server restart), and none waits past the timeout. Neither `Debug` nor any error shows the
/// URL, which may hold a password.
#[derive(Debug)]
pub struct RedisStore {
    connection: Connection,
}

/// The batches and the runtime that sends them. Its `Debug` shows neither: redis-rs's
/// connection's shows the client, URL and password included.
struct Connection {
    batches: Arc<Batches>,
    driver: Driver,
}

/// The runtime the batches are sent from, and the connection driven.
enum Driver {
    /// The store's own, made for the first decision.
    Own(OnceLock<tokio::runtime::Runtime>),
    /// The one given to [`RedisStore::on_runtime`].
    Given(tokio::runtime::Handle),
}

impl Driver {
    /// Where to spawn a sender; `None` when the store's own runtime cannot be made.
    fn handle(&self) -> Option<tokio::runtime::Handle> {
        match self {
            Driver::Given(handle) => Some(handle.clone()),
            Driver::Own(runtime) => {
                if let Some(runtime) = runtime.get() {
                    return Some(runtime.handle().clone());
                }
                let made = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("attractos-limits-redis")
                    .enable_all()
                    .build();
                match made {
                    Ok(made) => {
                        // Two first decisions at once: one runtime is kept, the other stopped.
                        if let Err(spare) = runtime.set(made) {
                            spare.shutdown_background();
                        }
                        runtime.get().map(|runtime| runtime.handle().clone())
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "no runtime for the Redis connection");
                        None
                    }
                }
            }
        }
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connection { .. }")
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Driver::Own(runtime) = &mut self.driver
            && let Some(runtime) = runtime.take()
        {
            // Dropping a runtime blocks; a store may be dropped inside another runtime.
            runtime.shutdown_background();
        }
    }
}

/// The Redis URL could not be used. The text names the problem, never the URL.
#[derive(Debug, thiserror::Error)]
#[error(
    "the Redis URL is not usable ({kind}); expected redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB]"
)]
pub struct InvalidRedisUrl {
    kind: String,
}

impl InvalidRedisUrl {
    pub(crate) fn new(kind: impl Into<String>) -> Self {
        InvalidRedisUrl { kind: kind.into() }
    }
}

/// Whether `url` asks for TLS: a `rediss://` URL, its scheme in any case, as redis-rs reads it.
pub(crate) fn is_tls_url(url: &str) -> bool {
    redis::parse_redis_url(url).is_some_and(|url| url.scheme() == "rediss")
}

/// redis-rs builds its TLS settings with the process's rustls provider, and with none
/// installed and more than one built in, rustls cannot choose: ring's, unless the program
/// installed one first.
#[cfg(feature = "tls")]
pub(crate) fn install_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

pub(crate) fn invalid(err: redis::RedisError) -> InvalidRedisUrl {
    InvalidRedisUrl::new(format!("{:?}", err.kind()))
}

impl RedisStore {
    /// A store on the Redis server at `url` (`redis://host:port`; `rediss://` for TLS, with
    /// the `tls` feature, the server's certificate checked against the system's roots),
    /// connecting lazily: the server need not be up yet, decisions fail (and the limiter's
    /// fail mode applies) until it is.
    pub fn connect(url: &str, timeout: Duration, clock: Clock) -> Result<Self, InvalidRedisUrl> {
        if cfg!(not(feature = "tls")) && is_tls_url(url) {
            return Err(InvalidRedisUrl::new(
                "rediss:// needs the `tls` feature of attractos-limits",
            ));
        }
        let client = redis::Client::open(url).map_err(invalid)?;
        Ok(Self::open(client, timeout, clock))
    }

    /// [`RedisStore::connect`] to a `rediss://` URL with the certificates of `tls`: a private
    /// CA that signed the server's certificate, the client's own certificate for a server that
    /// asks for one.
    #[cfg(feature = "tls")]
    pub fn connect_with_tls(
        url: &str,
        tls: &crate::RedisTls,
        timeout: Duration,
        clock: Clock,
    ) -> Result<Self, InvalidRedisUrl> {
        if !is_tls_url(url) {
            return Err(InvalidRedisUrl::new("certificates are for a rediss:// URL"));
        }
        let client = redis::Client::build_with_tls(url, tls.certificates()).map_err(invalid)?;
        Ok(Self::open(client, timeout, clock))
    }

    fn open(client: redis::Client, timeout: Duration, clock: Clock) -> Self {
        #[cfg(feature = "tls")]
        if matches!(
            client.get_connection_info().addr(),
            redis::ConnectionAddr::TcpTls { .. }
        ) {
            install_tls_provider();
        }
        Self::to(Server::fixed(client), timeout, clock)
    }

    /// A store on the primary that `sentinels` name, connecting lazily as
    /// [`RedisStore::connect`] does. After a decision fails (the primary gone, or demoted and
    /// refusing writes), the next batch asks the sentinels again: once they have promoted a
    /// replica, decisions go there, without a restart. Replication is asynchronous, so a
    /// failover may lose the last counts the old primary took (docs/limits.md).
    pub fn connect_via_sentinels(
        sentinels: &crate::RedisSentinels,
        timeout: Duration,
        clock: Clock,
    ) -> Result<Self, InvalidRedisUrl> {
        let primary = crate::redis_sentinel::Primary::new(sentinels.clone())?;
        Ok(Self::to(Server::Sentinels(primary), timeout, clock))
    }

    fn to(server: Server, timeout: Duration, clock: Clock) -> Self {
        RedisStore {
            connection: Connection {
                batches: Arc::new(Batches::new(server, timeout, clock)),
                driver: Driver::Own(OnceLock::new()),
            },
        }
    }

    /// The same store, its connection driven by `runtime` instead of a thread of its own: for
    /// a service whose requests all run on one multi-threaded tokio runtime (axum's usual
    /// `#[tokio::main]`), where it saves a hand-over between threads for every batch (measured
    /// in docs/limits.md). The store must not outlive `runtime`: once that has shut down,
    /// every decision fails at once (and the limiter's fail modes apply). Not for a runtime
    /// per worker, as actix-web's: a worker's runtime would carry every other worker's
    /// decisions. Meant for a service's start: decisions already out on the store's own
    /// thread are answered with an error.
    pub fn on_runtime(self, runtime: tokio::runtime::Handle) -> Self {
        let batches = &self.connection.batches;
        RedisStore {
            connection: Connection {
                batches: Arc::new(batches.fresh()),
                driver: Driver::Given(runtime),
            },
        }
    }

    /// Queues `decision` on `keys` with `args` (its part of the script's ARGV) and
    /// reads its `answer` when its batch returns. The keys and arguments are written straight
    /// into the batch's buffers (see [`Key`]), so a decision allocates its answer's channel
    /// and its answer, no more. Not an `async fn`: the decision is queued (and a sender
    /// started if none is out) at once, so the future holds only the channel's receiver.
    fn decide<T>(
        &self,
        decision: Decision,
        keys: &[Key<'_>],
        args: &[i64],
        answer: fn(&Answer) -> Result<T, StoreError>,
    ) -> impl Future<Output = Result<T, StoreError>> + use<T> {
        let (waiter, answered) = oneshot::channel();
        let batches = &self.connection.batches;
        if batches.queue(decision, keys, args, waiter) {
            let sender = Arc::clone(batches).send_all();
            match self.connection.driver.handle() {
                Some(runtime) => drop(runtime.spawn(sender)),
                // Dropped unrun, the sender answers the queued decisions with an error.
                None => drop(sender),
            }
        }
        async move {
            match answered.await {
                Ok(Ok(values)) => answer(&values),
                Ok(Err(err)) => Err(err),
                Err(_closed) => Err(StoreError::Failed(
                    "the store stopped before answering".to_owned(),
                )),
            }
        }
    }
}

/// A key of the store, `attractos:limits:<kind>:<partition>`, written straight into the
/// batch's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key<'a> {
    /// `auth:` and a client address's partition.
    Auth(AddressPartition),
    /// `rate:` and an API key's partition (its SHA-1 in hex, [`crate::key_partition`]),
    /// worked out before the queue is locked.
    Rate([u8; 40]),
    /// `quota:` and an account's partition.
    Quota(&'a str),
}

impl ToRedisArgs for Key<'_> {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        let mut arg = out.writer_for_next_arg();
        let mut parts = |parts: [&[u8]; 3]| parts.iter().try_for_each(|part| arg.write_all(part));
        let written = match self {
            Key::Rate(hex) => parts([PREFIX.as_bytes(), b"rate:", hex]),
            Key::Quota(account) => parts([PREFIX.as_bytes(), b"quota:", account.as_bytes()]),
            Key::Auth(address) => write!(arg, "{PREFIX}auth:{address}"),
        };
        written.expect("a command's buffer takes any write");
    }
}

fn unexpected(answer: &Answer) -> StoreError {
    StoreError::Failed(format!(
        "unexpected answer of {} values",
        answer.values().len()
    ))
}

fn quota_outcome(
    accepted: i64,
    used: i64,
    [reset_us, cycle_us, cycle_start_us]: [i64; 3],
) -> QuotaOutcome {
    QuotaOutcome {
        accepted: accepted == 1,
        used: used as u64,
        reset_us,
        cycle_us,
        cycle_start_us,
    }
}

/// The answer to a request decision: `[0, failures, left]` when the address is blocked, else
/// `[1, admitted, remaining, next unit, events used]` (a look at the quota accepts).
pub(crate) fn request_outcome(answer: &Answer) -> Result<RequestOutcome, StoreError> {
    match *answer.values() {
        [0, failures, left] => Ok(RequestOutcome::AddressBlocked(AuthOutcome {
            failures: failures as u64,
            window_left_us: left,
        })),
        [1, admitted, remaining, next_unit, used] => Ok(RequestOutcome::Decided {
            rate: RateOutcome {
                admitted: admitted == 1,
                remaining: remaining as u64,
                next_unit_us: next_unit,
            },
            quota: quota_outcome(1, used, answer.cycle),
        }),
        _ => Err(unexpected(answer)),
    }
}

fn event_outcome(answer: &Answer) -> Result<QuotaOutcome, StoreError> {
    match *answer.values() {
        [accepted, used] => Ok(quota_outcome(accepted, used, answer.cycle)),
        _ => Err(unexpected(answer)),
    }
}

fn auth_outcome(answer: &Answer) -> Result<AuthOutcome, StoreError> {
    match *answer.values() {
        [failures, left] => Ok(AuthOutcome {
            failures: failures as u64,
            window_left_us: left,
        }),
        _ => Err(unexpected(answer)),
    }
}

// Not `async fn`s: the decision is queued at once, so the futures hold only the wait.
impl Store for RedisStore {
    fn request(
        &self,
        query: RequestQuery<'_>,
    ) -> impl Future<Output = Result<RequestOutcome, StoreError>> + Send {
        let keys = [
            Key::Auth(query.address),
            Key::Rate(key_partition_hex(query.key)),
            Key::Quota(query.account),
        ];
        let args = [
            query.emission_us,
            i64::from(query.burst),
            i64::from(query.auth_limit),
            query.quota as i64,
            query.quota_floor as i64,
        ];
        self.decide(Decision::Request, &keys, &args, request_outcome)
    }

    fn event(
        &self,
        query: EventQuery<'_>,
    ) -> impl Future<Output = Result<QuotaOutcome, StoreError>> + Send {
        let args = [query.quota as i64, query.quota_floor as i64];
        self.decide(
            Decision::Event,
            &[Key::Quota(query.account)],
            &args,
            event_outcome,
        )
    }

    fn auth_failure(
        &self,
        query: AuthFailureQuery,
    ) -> impl Future<Output = Result<AuthOutcome, StoreError>> + Send {
        let args = [query.window_us];
        self.decide(
            Decision::AuthFailure,
            &[Key::Auth(query.address)],
            &args,
            auth_outcome,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_tls_url_is_known_by_its_scheme_in_any_case() {
        assert!(is_tls_url("rediss://127.0.0.1:6380"));
        assert!(is_tls_url("REDISS://127.0.0.1:6380"));
        assert!(!is_tls_url("redis://127.0.0.1:6379"));
        assert!(!is_tls_url("not a url"));
    }

    /// With nothing listening, a decision is answered (an error, within its timeout), its
    /// batch's buffers are kept for the next one, and the next decision, once the sender has
    /// ended, starts another and is answered too. The store's thread is made for its first
    /// decision, not before.
    #[tokio::test]
    async fn a_decision_is_answered_without_a_server_and_its_batch_is_kept() {
        let store = RedisStore::connect("redis://127.0.0.1:1/", DEFAULT_TIMEOUT, Clock::Store)
            .expect("a valid URL");
        let has_runtime = |store: &RedisStore| match &store.connection.driver {
            Driver::Own(runtime) => runtime.get().is_some(),
            Driver::Given(_) => true,
        };
        assert!(!has_runtime(&store), "no thread before a decision");
        let event = EventQuery {
            account: "acct",
            quota: 1,
            quota_floor: 0,
        };
        let answered = || async {
            let answer = tokio::time::timeout(Duration::from_secs(2), store.event(event))
                .await
                .expect("answered, not left waiting");
            assert!(answer.is_err(), "no server, no decision: {answer:?}");
        };
        answered().await;
        assert!(
            has_runtime(&store),
            "the first decision made the store's thread"
        );
        let deadline = Instant::now() + Duration::from_secs(2);
        while store.connection.batches.spares() != 1 {
            assert!(
                Instant::now() < deadline,
                "the sent batch is kept as a spare"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        answered().await;
    }
}
