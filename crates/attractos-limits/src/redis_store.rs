//! The Redis store: limit state shared by every replica, one Lua script per decision.

use std::fmt;
use std::time::Duration;

use std::io::Write;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ErrorKind, RedisWrite, ServerErrorKind, ToRedisArgs};

use crate::limiter::key_partition_hex;
use crate::store::{
    AuthFailureQuery, AuthOutcome, Clock, EventQuery, QuotaOutcome, RateOutcome, RequestOutcome,
    RequestQuery, Store, StoreError,
};

/// The script every decision runs: GCRA, the quota counter and the failed-key window.
const SCRIPT: &str = include_str!("redis.lua");

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
/// after the server comes back) is driven by a small runtime of the store's own, so the store
/// works the same from axum's multi-threaded runtime and from actix-web's per-thread ones.
/// Each decision is one `EVALSHA` (a `SCRIPT LOAD` and the `EVALSHA` again the first time
/// after a server restart), bounded by the timeout. Neither `Debug` nor any error shows the
/// URL, which may hold a password.
#[derive(Debug)]
pub struct RedisStore {
    connection: Connection,
    /// The script's SHA-1, which `EVALSHA` names it by.
    script_sha1: String,
    timeout: Duration,
    clock: Clock,
}

/// redis-rs's connection and the runtime that drives it. Its `Debug` shows neither:
/// redis-rs's shows the client, URL and password included.
struct Connection {
    manager: ConnectionManager,
    runtime: Option<tokio::runtime::Runtime>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connection { .. }")
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Dropping a runtime blocks; a store may be dropped inside another runtime.
            runtime.shutdown_background();
        }
    }
}

/// The Redis URL could not be used. The text names the problem, never the URL.
#[derive(Debug, thiserror::Error)]
#[error("the Redis URL is not usable ({kind}); expected redis://[:PASSWORD@]HOST[:PORT][/DB]")]
pub struct InvalidRedisUrl {
    kind: String,
}

impl RedisStore {
    /// A store on the Redis server at `url` (`redis://host:port`), connecting lazily: the
    /// server need not be up yet, decisions fail (and the limiter's fail mode applies) until
    /// it is.
    pub fn connect(url: &str, timeout: Duration, clock: Clock) -> Result<Self, InvalidRedisUrl> {
        let invalid = |err: redis::RedisError| InvalidRedisUrl {
            kind: format!("{:?}", err.kind()),
        };
        let client = redis::Client::open(url).map_err(invalid)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("attractos-limits-redis")
            .enable_all()
            .build()
            .map_err(|err| InvalidRedisUrl {
                kind: format!("no runtime for the connection: {err}"),
            })?;
        // Reconnection: quick first retries, never more than 500 ms apart, so enforcement
        // is back within a second of the server.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout.max(Duration::from_millis(200))))
            .set_response_timeout(Some(timeout))
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(Duration::from_millis(500))
            .set_number_of_retries(2);
        let manager = {
            let _entered = runtime.enter();
            ConnectionManager::new_lazy_with_config(client, config).map_err(invalid)?
        };
        Ok(RedisStore {
            connection: Connection {
                manager,
                runtime: Some(runtime),
            },
            script_sha1: redis::Script::new(SCRIPT).get_hash().to_owned(),
            timeout,
            clock,
        })
    }

    /// Runs the script with `keys` and `args` (after the decision and the time) on the store's
    /// runtime, within the timeout, and reads its `answer`. The command is written in one buffer here (the keys too,
    /// see [`Key`]), so a decision allocates it, the task and the answer, no more. Not an
    /// `async fn`: all but the wait for the task is done at once, so the future holds only the
    /// task's handle (the limiter's future, which holds it, stays small).
    fn run<const KEYS: usize, T>(
        &self,
        op: &'static str,
        keys: [Key<'_>; KEYS],
        args: &[i64],
        answer: fn(&[i64]) -> Result<T, StoreError>,
    ) -> impl Future<Output = Result<T, StoreError>> + use<KEYS, T> {
        let now = match &self.clock {
            Clock::Store => None,
            Clock::Manual(clock) => Some(clock.now_us()),
            Clock::Custom(now) => Some(now()),
        };
        // EVALSHA, the SHA-1, the key count, the keys, then ARGV: the decision, the time and
        // `args`. 256 bytes hold every decision's command but one with a long account id.
        let mut command = redis::Cmd::with_capacity(5 + KEYS + args.len(), 256);
        command
            .arg("EVALSHA")
            .arg(self.script_sha1.as_str())
            .arg(KEYS)
            .arg(&keys[..])
            .arg(op);
        match now {
            None => command.arg(""),
            Some(now) => command.arg(now),
        };
        command.arg(args);
        let mut manager = self.connection.manager.clone();
        let timeout = self.timeout;
        let runtime = self
            .connection
            .runtime
            .as_ref()
            .expect("the runtime lives as long as the store");
        let task = runtime.spawn(async move {
            tokio::time::timeout(timeout, async {
                match command.query_async::<Vec<i64>>(&mut manager).await {
                    // The server has not seen the script since it started: load it once.
                    Err(err) if err.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                        redis::Script::new(SCRIPT).load_async(&mut manager).await?;
                        command.query_async(&mut manager).await
                    }
                    answer => answer,
                }
            })
            .await
        });
        async move {
            match task.await {
                Ok(Ok(Ok(values))) => answer(&values),
                Ok(Ok(Err(err))) => Err(StoreError::Failed(describe(&err))),
                Ok(Err(_elapsed)) => Err(StoreError::Timeout(timeout)),
                Err(join) => Err(StoreError::Failed(format!(
                    "the decision task ended: {join}"
                ))),
            }
        }
    }
}

/// The error's kind and category, without its detail (which may repeat the address given).
fn describe(err: &redis::RedisError) -> String {
    if err.is_io_error() || err.is_connection_dropped() || err.is_connection_refusal() {
        format!("connection: {:?}", err.kind())
    } else if err.is_timeout() {
        "no answer in time".to_owned()
    } else {
        format!("{:?}: {}", err.kind(), err.detail().unwrap_or(""))
    }
}

/// A key of the store, `attractos:limits:<kind>:<partition>`, written straight into the
/// command's buffer.
#[derive(Debug, Clone, Copy)]
enum Key<'a> {
    /// `auth:` and a client address's partition.
    Auth(&'a str),
    /// `rate:` and an API key's partition (its SHA-1, [`crate::key_partition`]).
    Rate(&'a str),
    /// `quota:` and an account's partition.
    Quota(&'a str),
}

impl ToRedisArgs for Key<'_> {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        let hex;
        let (kind, partition): (&[u8], &[u8]) = match *self {
            Key::Auth(address) => (b"auth:", address.as_bytes()),
            Key::Quota(account) => (b"quota:", account.as_bytes()),
            Key::Rate(api_key) => {
                hex = key_partition_hex(api_key);
                (b"rate:", &hex)
            }
        };
        let mut arg = out.writer_for_next_arg();
        for part in [PREFIX.as_bytes(), kind, partition] {
            arg.write_all(part)
                .expect("a command's buffer takes any write");
        }
    }
}

fn unexpected(values: &[i64]) -> StoreError {
    StoreError::Failed(format!("unexpected answer of {} values", values.len()))
}

fn quota_outcome(values: &[i64]) -> QuotaOutcome {
    QuotaOutcome {
        accepted: values[0] == 1,
        used: values[1] as u64,
        reset_us: values[2],
        cycle_us: values[3],
        cycle_start_us: values[4],
    }
}

/// The answer to a request decision: `[0, failures, left]` when the address is blocked, else
/// `[1, admitted, remaining, next unit, ..the quota look]`.
fn request_outcome(values: &[i64]) -> Result<RequestOutcome, StoreError> {
    match values {
        [0, failures, left] => Ok(RequestOutcome::AddressBlocked(AuthOutcome {
            failures: *failures as u64,
            window_left_us: *left,
        })),
        [1, admitted, remaining, next_unit, quota @ ..] if quota.len() == 5 => {
            Ok(RequestOutcome::Decided {
                rate: RateOutcome {
                    admitted: *admitted == 1,
                    remaining: *remaining as u64,
                    next_unit_us: *next_unit,
                },
                quota: quota_outcome(quota),
            })
        }
        other => Err(unexpected(other)),
    }
}

fn event_outcome(values: &[i64]) -> Result<QuotaOutcome, StoreError> {
    if values.len() == 5 {
        Ok(quota_outcome(values))
    } else {
        Err(unexpected(values))
    }
}

fn auth_outcome(values: &[i64]) -> Result<AuthOutcome, StoreError> {
    match values {
        [failures, left] => Ok(AuthOutcome {
            failures: *failures as u64,
            window_left_us: *left,
        }),
        other => Err(unexpected(other)),
    }
}

// Not `async fn`s: the command is written and sent at once, so the futures hold only the wait.
impl Store for RedisStore {
    fn request(
        &self,
        query: RequestQuery<'_>,
    ) -> impl Future<Output = Result<RequestOutcome, StoreError>> + Send {
        let keys = [
            Key::Auth(query.address),
            Key::Rate(query.key),
            Key::Quota(query.account),
        ];
        let args = [
            query.emission_us,
            i64::from(query.burst),
            i64::from(query.auth_limit),
            query.quota as i64,
            query.quota_floor as i64,
        ];
        self.run("request", keys, &args, request_outcome)
    }

    fn event(
        &self,
        query: EventQuery<'_>,
    ) -> impl Future<Output = Result<QuotaOutcome, StoreError>> + Send {
        let args = [query.quota as i64, query.quota_floor as i64];
        self.run("event", [Key::Quota(query.account)], &args, event_outcome)
    }

    fn auth_failure(
        &self,
        query: AuthFailureQuery<'_>,
    ) -> impl Future<Output = Result<AuthOutcome, StoreError>> + Send {
        let args = [query.window_us];
        self.run(
            "auth_failure",
            [Key::Auth(query.address)],
            &args,
            auth_outcome,
        )
    }
}
