//! The Redis store: limit state shared by every replica, one Lua script per batch of
//! decisions.

use std::collections::VecDeque;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{Arg, AsyncConnectionConfig, ErrorKind, RedisWrite, ServerErrorKind, ToRedisArgs};
use tokio::sync::oneshot;

use crate::AddressPartition;
use crate::limiter::key_partition_hex;
use crate::store::{
    AuthFailureQuery, AuthOutcome, Clock, EventQuery, QuotaOutcome, RateOutcome, RequestOutcome,
    RequestQuery, Store, StoreError,
};

/// The script every batch runs: GCRA, the quota counter and the failed-key window, for each
/// decision in turn.
const SCRIPT: &str = include_str!("redis.lua");

/// The prefix of every key the store writes.
const PREFIX: &str = "attractos:limits:";

/// How long a decision may take before it counts as a store failure (default 50 ms).
///
/// Redis on the same network answers a script like this in well under a millisecond; 50 ms
/// absorbs a busy server or a reconnection while keeping a request's worst added latency far
/// below anything a client would notice as an outage.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);

/// The most decisions one `EVALSHA` carries. The script holds Redis (every client of it) for
/// its whole run; 64 decisions are some 0.4 ms of Redis's time.
const MAX_BATCH: usize = 64;

/// The most batches on the connection at once. One: while it is out, the decisions that come
/// in wait for it and then go together, which is what makes the batches. With two, batches
/// were smaller and the server no faster (docs/limits.md).
const MAX_IN_FLIGHT: usize = 1;

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
                batches: Arc::new(Batches::new(
                    batches.server.fresh(),
                    batches.timeout,
                    batches.clock.clone(),
                )),
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

/// Where a decision's answer or its batch's error goes.
type Waiter = oneshot::Sender<Result<Answer, StoreError>>;

/// The decisions the script takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Request,
    Event,
    AuthFailure,
}

impl Decision {
    /// Its name in the script's ARGV.
    fn name(self) -> &'static str {
        match self {
            Decision::Request => "request",
            Decision::Event => "event",
            Decision::AuthFailure => "auth_failure",
        }
    }

    /// How many integers of the script's answer are this decision's, given the first
    /// (redis.lua's header lists them); `None` when the first is none this decision gives.
    fn answer_len(self, first: i64) -> Option<usize> {
        match (self, first) {
            (Decision::Request, 0) => Some(3),
            (Decision::Request, 1) => Some(5),
            (Decision::Request, _) => None,
            (Decision::Event | Decision::AuthFailure, _) => Some(2),
        }
    }
}

/// One decision's integers from its batch's answer, and the billing cycle the batch was
/// decided in (the script states it once for the batch).
#[derive(Debug, Clone, Copy)]
struct Answer {
    values: [i64; 5],
    len: usize,
    /// Microseconds until the cycle ends, its length, its start.
    cycle: [i64; 3],
}

impl Answer {
    fn values(&self) -> &[i64] {
        &self.values[..self.len]
    }
}

/// The script's flat answer to `decisions`, one [`Answer`] each, in order; an error when its
/// integers do not fall into exactly that many answers.
fn split(
    decisions: impl ExactSizeIterator<Item = Decision>,
    values: &[i64],
) -> Result<Vec<Answer>, StoreError> {
    let count = decisions.len();
    let malformed = || {
        StoreError::Failed(format!(
            "an answer of {} integers to {count} decisions",
            values.len()
        ))
    };
    let (cycle, mut rest) = values.split_first_chunk::<3>().ok_or_else(malformed)?;
    let mut answers = Vec::with_capacity(count);
    for decision in decisions {
        let len = rest
            .first()
            .and_then(|&first| decision.answer_len(first))
            .filter(|&len| len <= rest.len())
            .ok_or_else(malformed)?;
        let mut answer = Answer {
            values: [0; 5],
            len,
            cycle: *cycle,
        };
        answer.values[..len].copy_from_slice(&rest[..len]);
        answers.push(answer);
        rest = &rest[len..];
    }
    if rest.is_empty() {
        Ok(answers)
    } else {
        Err(malformed())
    }
}

/// Where the batches go.
#[expect(clippy::large_enum_variant, reason = "one a store, both large")]
enum Server {
    /// One address: redis-rs's `ConnectionManager` reconnects to it by itself.
    Fixed {
        client: redis::Client,
        /// Made by the first sender, on the runtime that drives it.
        manager: OnceLock<ConnectionManager>,
    },
    /// Whichever server the sentinels name the primary, asked again after a failure.
    Sentinels(crate::redis_sentinel::Primary),
}

/// A connection to the server the batches go to.
enum Link {
    Fixed(ConnectionManager),
    Sentinels(MultiplexedConnection),
}

impl Server {
    fn fixed(client: redis::Client) -> Self {
        Server::Fixed {
            client,
            manager: OnceLock::new(),
        }
    }

    /// The same server, not connected yet.
    fn fresh(&self) -> Self {
        match self {
            Server::Fixed { client, .. } => Server::fixed(client.clone()),
            Server::Sentinels(primary) => Server::Sentinels(primary.fresh()),
        }
    }

    /// The connection. To one address: made the first time, on the runtime this is called
    /// from, and reconnecting by itself (quick first retries, never more than 500 ms apart, so
    /// enforcement is back within a second of the server). Through sentinels: the last one, or
    /// one to the primary they name now.
    async fn link(&self, timeout: Duration) -> Result<Link, redis::RedisError> {
        let connection_timeout = Some(timeout.max(Duration::from_millis(200)));
        match self {
            Server::Fixed { client, manager } => {
                if let Some(manager) = manager.get() {
                    return Ok(Link::Fixed(manager.clone()));
                }
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(connection_timeout)
                    .set_response_timeout(Some(timeout))
                    .set_min_delay(Duration::from_millis(20))
                    .set_max_delay(Duration::from_millis(500))
                    .set_number_of_retries(2);
                let made = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
                Ok(Link::Fixed(manager.get_or_init(|| made).clone()))
            }
            Server::Sentinels(primary) => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(connection_timeout)
                    .set_response_timeout(Some(timeout));
                primary.connection(&config).await.map(Link::Sentinels)
            }
        }
    }

    /// A batch failed: with sentinels, the next asks them which server is the primary now.
    fn failed(&self) {
        if let Server::Sentinels(primary) = self {
            primary.forget();
        }
    }
}

impl Link {
    async fn info(&mut self, section: &str) -> redis::RedisResult<String> {
        let info = redis::cmd("INFO").arg(section).clone();
        match self {
            Link::Fixed(manager) => info.query_async(manager).await,
            Link::Sentinels(connection) => info.query_async(connection).await,
        }
    }

    async fn query(&mut self, command: &redis::Cmd) -> redis::RedisResult<Vec<i64>> {
        match self {
            Link::Fixed(manager) => Self::query_on(manager, command).await,
            Link::Sentinels(connection) => Self::query_on(connection, command).await,
        }
    }

    async fn query_on(
        connection: &mut impl redis::aio::ConnectionLike,
        command: &redis::Cmd,
    ) -> redis::RedisResult<Vec<i64>> {
        match command.query_async(connection).await {
            // The server has not seen the script since it started: load it once.
            Err(err) if err.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                redis::Script::new(SCRIPT).load_async(connection).await?;
                command.query_async(connection).await
            }
            answers => answers,
        }
    }
}

/// What the decisions and the batches' sender share: the connection and the queue.
struct Batches {
    server: Server,
    /// The script's SHA-1, which `EVALSHA` names it by.
    script_sha1: String,
    timeout: Duration,
    clock: Clock,
    queue: Mutex<Queue>,
    /// Whether the server's eviction settings were asked for since the store started or a
    /// batch last failed (the server may have restarted, or another been promoted, since).
    settings_asked: AtomicBool,
}

/// The decisions waiting to be sent.
#[derive(Default)]
struct Queue {
    /// Oldest first; only the last takes new decisions, until it holds [`MAX_BATCH`].
    waiting: VecDeque<Batch>,
    /// Senders running ([`Batches::send_all`]), at most [`MAX_IN_FLIGHT`].
    senders: usize,
    /// Sent batches, emptied, so their buffers are used again.
    spare: Vec<Batch>,
}

/// Decisions that go as one `EVALSHA`.
struct Batch {
    /// Every decision's keys, in order.
    keys: redis::Cmd,
    /// Every decision's name and arguments, in order.
    args: redis::Cmd,
    /// Each decision, and where its answer goes, in order.
    waiters: Vec<(Decision, Waiter)>,
    /// The first decision's timeout ends here; no decision of the batch waits past it.
    deadline: Instant,
}

impl Batch {
    fn new() -> Self {
        Batch {
            keys: redis::Cmd::with_capacity(3 * MAX_BATCH, 64 * 3 * MAX_BATCH),
            args: redis::Cmd::with_capacity(6 * MAX_BATCH, 16 * 6 * MAX_BATCH),
            waiters: Vec::with_capacity(MAX_BATCH),
            deadline: Instant::now(),
        }
    }

    fn clear(&mut self) {
        self.keys.clear();
        self.args.clear();
        self.waiters.clear();
    }
}

/// The queue's lock. Nothing panics while holding it, so a poisoned lock still holds a
/// consistent queue.
fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Batches {
    fn new(server: Server, timeout: Duration, clock: Clock) -> Self {
        Batches {
            server,
            script_sha1: redis::Script::new(SCRIPT).get_hash().to_owned(),
            timeout,
            clock,
            queue: Mutex::new(Queue::default()),
            settings_asked: AtomicBool::new(false),
        }
    }

    /// Adds a decision to the batch being filled (a new one when there is none or it is
    /// full). True when no sender is out and the caller must start one.
    fn queue(&self, decision: Decision, keys: &[Key<'_>], args: &[i64], waiter: Waiter) -> bool {
        let mut queue = lock(&self.queue);
        let queue = &mut *queue;
        let open = match queue.waiting.back() {
            Some(last) => last.waiters.len() < MAX_BATCH,
            None => false,
        };
        if !open {
            let mut batch = queue.spare.pop().unwrap_or_else(Batch::new);
            batch.deadline = deadline_after(self.timeout);
            queue.waiting.push_back(batch);
        }
        let batch = queue.waiting.back_mut().expect("a batch was just made");
        batch.keys.arg(keys);
        batch.args.arg(decision.name()).arg(args);
        batch.waiters.push((decision, waiter));
        let start_sender = queue.senders < MAX_IN_FLIGHT;
        if start_sender {
            queue.senders += 1;
        }
        start_sender
    }

    /// A sender: sends the waiting batches one after another until none is left. Its place
    /// is held from now, not from its first poll, so a sender dropped unrun (its runtime shut
    /// down) gives it back too.
    fn send_all(self: Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let mut place = SenderPlace {
            batches: self,
            done: false,
        };
        async move {
            let batches = Arc::clone(&place.batches);
            batches.send_each(&mut place).await;
        }
    }

    async fn send_each(&self, place: &mut SenderPlace) {
        let mut sent: Option<Batch> = None;
        loop {
            let mut batch = {
                let mut queue = lock(&self.queue);
                if let Some(mut batch) = sent.take() {
                    batch.clear();
                    if queue.spare.len() <= MAX_IN_FLIGHT {
                        queue.spare.push(batch);
                    }
                }
                match queue.waiting.pop_front() {
                    Some(batch) => batch,
                    None => {
                        // Under the lock: a decision queued after this starts a sender.
                        queue.senders -= 1;
                        place.done = true;
                        return;
                    }
                }
            };
            let answers = self.answers(&batch).await;
            answer_each(&mut batch.waiters, answers);
            sent = Some(batch);
        }
    }

    /// Runs the script on `batch` and reads one answer per decision, within the batch's
    /// deadline.
    async fn answers(&self, batch: &Batch) -> Result<Vec<i64>, StoreError> {
        if batch.deadline <= Instant::now() {
            // Queued behind a batch that took the whole timeout.
            return Err(StoreError::Timeout(self.timeout));
        }
        let command = self.command(batch);
        let answers = async {
            let mut link = self.server.link(self.timeout).await?;
            let answers = link.query(&command).await?;
            Ok::<_, redis::RedisError>((answers, link))
        };
        let answers = match tokio::time::timeout_at(batch.deadline.into(), answers).await {
            Ok(Ok((answers, mut link))) => {
                if !self.settings_asked.load(Ordering::Relaxed)
                    && !self.settings_asked.swap(true, Ordering::Relaxed)
                {
                    let info = async move { link.info("memory").await };
                    tokio::spawn(crate::redis_memory::warn_if_evicting(info, self.timeout));
                }
                return Ok(answers);
            }
            // The connection's own response timeout (the same length, started when the
            // command was written) may fire in the same timer tick, before the deadline's.
            Ok(Err(err)) if err.is_timeout() => Err(StoreError::Timeout(self.timeout)),
            Ok(Err(err)) => Err(StoreError::Failed(describe(&err))),
            Err(_elapsed) => Err(StoreError::Timeout(self.timeout)),
        };
        self.server.failed();
        self.settings_asked.store(false, Ordering::Relaxed);
        answers
    }

    /// `EVALSHA`, the SHA-1, the key count, the keys, then ARGV: the time and the decisions.
    fn command(&self, batch: &Batch) -> redis::Cmd {
        let now = match &self.clock {
            Clock::Store => None,
            Clock::Manual(clock) => Some(clock.now_us()),
            Clock::Custom(now) => Some(now()),
        };
        let keys = batch.keys.args_iter();
        let args = batch.args.args_iter();
        let mut command = redis::Cmd::with_capacity(
            4 + keys.len() + args.len(),
            64 + 64 * keys.len() + 16 * args.len(),
        );
        command
            .arg("EVALSHA")
            .arg(self.script_sha1.as_str())
            .arg(keys.len());
        for key in keys {
            if let Arg::Simple(key) = key {
                command.arg(key);
            }
        }
        match now {
            None => command.arg(""),
            Some(now) => command.arg(now),
        };
        for arg in args {
            if let Arg::Simple(arg) = arg {
                command.arg(arg);
            }
        }
        command
    }
}

/// When a wait of `timeout` from now ends. One too long for the clock to add ends in 30 years
/// (as tokio's own "far future" does), which no decision sees.
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400))
}

/// A running sender's place among the [`MAX_IN_FLIGHT`]. A sender that ends without having
/// emptied the queue (it panicked, or the runtime is stopping) gives its place back, and
/// when no other sender is left, the decisions still queued get an error at once instead of
/// waiting for a sender that no one starts.
struct SenderPlace {
    batches: Arc<Batches>,
    done: bool,
}

impl Drop for SenderPlace {
    fn drop(&mut self) {
        if !self.done {
            let mut queue = lock(&self.batches.queue);
            queue.senders -= 1;
            if queue.senders == 0 {
                // Dropping their channels answers them: "the store stopped before answering".
                queue.waiting.clear();
            }
        }
    }
}

/// Sends each waiter its decision's answer, or the batch's error. A waiter that is gone (its
/// request was dropped) needs no answer.
fn answer_each(waiters: &mut Vec<(Decision, Waiter)>, values: Result<Vec<i64>, StoreError>) {
    let answers =
        values.and_then(|values| split(waiters.iter().map(|(decision, _)| *decision), &values));
    match answers {
        Ok(answers) => {
            for ((_, waiter), answer) in waiters.drain(..).zip(answers) {
                let _ = waiter.send(Ok(answer));
            }
        }
        Err(err) => {
            for (_, waiter) in waiters.drain(..) {
                let _ = waiter.send(Err(err.clone()));
            }
        }
    }
}

/// The error's kind, or a failed connection's I/O error; never redis-rs's detail, which may
/// repeat the address given.
fn describe(err: &redis::RedisError) -> String {
    if err.is_io_error() {
        // The I/O error's own text says what failed (refused, reset, a certificate not
        // trusted) and names neither the address nor the password, unlike the URL's parts.
        match std::error::Error::source(err) {
            Some(io) => format!("connection: {io}"),
            None => format!("connection: {:?}", err.kind()),
        }
    } else {
        format!("{:?}: {}", err.kind(), err.detail().unwrap_or(""))
    }
}

/// A key of the store, `attractos:limits:<kind>:<partition>`, written straight into the
/// batch's buffer.
#[derive(Debug, Clone, Copy)]
enum Key<'a> {
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
fn request_outcome(answer: &Answer) -> Result<RequestOutcome, StoreError> {
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

    /// The batching: the first decision starts the one sender; a decision queued while it is
    /// out joins the next batch and starts none (else batches would not form, or, with no
    /// sender ever started, every decision would wait forever).
    #[test]
    fn a_decision_starts_a_sender_only_when_none_is_out() {
        let store = RedisStore::connect("redis://127.0.0.1:1/", DEFAULT_TIMEOUT, Clock::Store)
            .expect("a valid URL");
        let batches = &store.connection.batches;
        let queue = |n| {
            let (waiter, _answered) = oneshot::channel();
            batches.queue(Decision::Event, &[Key::Quota("acct")], &[n, 0], waiter)
        };
        assert!(queue(1), "no sender is out: the first decision starts one");
        assert!(!queue(2), "one is out: the next decision waits for it");
        assert_eq!(lock(&batches.queue).waiting.len(), 1, "both in one batch");
    }

    #[test]
    fn a_tls_url_is_known_by_its_scheme_in_any_case() {
        assert!(is_tls_url("rediss://127.0.0.1:6380"));
        assert!(is_tls_url("REDISS://127.0.0.1:6380"));
        assert!(!is_tls_url("redis://127.0.0.1:6379"));
        assert!(!is_tls_url("not a url"));
    }

    #[test]
    fn a_timeout_too_long_for_the_clock_ends_decades_away() {
        let decades = Duration::from_secs(29 * 365 * 86_400);
        assert!(deadline_after(Duration::MAX) > Instant::now() + decades);
        let soon = deadline_after(Duration::from_millis(50));
        assert!(soon <= Instant::now() + Duration::from_millis(50));
    }

    /// The script's flat answer falls into one answer per decision, by each decision's
    /// length; integers too few, too many or of no decision's shape are an error for the
    /// whole batch, never a panic or a decision read from another's integers.
    #[test]
    fn a_batch_answer_splits_by_decision_or_is_an_error() {
        use Decision::{AuthFailure, Event, Request};
        let decisions = [Request, Event, Request, AuthFailure];
        let values = [9, 30, 1, 1, 1, 4, 250, 7, 1, 8, 0, 31, 500, 32, 600];
        let answers = split(decisions.into_iter(), &values).expect("well formed");
        let shapes: Vec<&[i64]> = answers.iter().map(Answer::values).collect();
        assert_eq!(
            shapes,
            [&[1, 1, 4, 250, 7][..], &[1, 8], &[0, 31, 500], &[32, 600]]
        );
        assert!(answers.iter().all(|answer| answer.cycle == [9, 30, 1]));
        let Ok(RequestOutcome::Decided { rate, quota }) = request_outcome(&answers[0]) else {
            panic!("a decided request");
        };
        assert_eq!((rate.remaining, rate.next_unit_us, quota.used), (4, 250, 7));
        assert_eq!(
            (quota.reset_us, quota.cycle_us, quota.cycle_start_us),
            (9, 30, 1)
        );
        assert!(matches!(
            request_outcome(&answers[2]),
            Ok(RequestOutcome::AddressBlocked(_))
        ));
        for broken in [&values[..14], &[&values[..], &[0]].concat(), &values[..2]] {
            assert!(split(decisions.into_iter(), broken).is_err(), "{broken:?}");
        }
        let unknown_first = [9, 30, 1, 2, 1, 4, 250, 7];
        assert!(split([Request].into_iter(), &unknown_first).is_err());
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
        while lock(&store.connection.batches.queue).spare.len() != 1 {
            assert!(
                Instant::now() < deadline,
                "the sent batch is kept as a spare"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        answered().await;
    }
}
