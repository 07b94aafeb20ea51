//! [`RedisSentinels`]: a Redis whose primary the sentinels name, and may name anew after a
//! failover.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::watch;

use redis::aio::MultiplexedConnection;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{
    AsyncConnectionConfig, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo,
};

use crate::InvalidRedisUrl;

/// The Redis Sentinel deployment a [`RedisStore`](crate::RedisStore) keeps its limits in
/// ([`RedisStore::connect_via_sentinels`](crate::RedisStore::connect_via_sentinels)): the
/// sentinels' URLs and the name they monitor the primary under. The store asks them which
/// server is the primary, sends every decision there, and asks again after a decision fails,
/// so a failover moves the limits to the promoted replica without a restart. It learns the
/// other sentinels those given know of (`SENTINEL SENTINELS`, asked every 10 s; reached with
/// the given ones' scheme, credentials and certificates), and asks them too once the given
/// ones are gone.
/// Its `Debug` shows the service and how many sentinels, never a URL or a password.
///
/// ```
/// use attractos_limits::{Clock, DEFAULT_TIMEOUT, RedisSentinels, RedisStore};
///
/// let sentinels = RedisSentinels::new(
///     "attractos",
///     ["redis://10.0.0.1:26379", "redis://10.0.0.2:26379", "redis://10.0.0.3:26379"],
/// )?
/// .with_primary_password(None, "the primary's requirepass");
/// let store = RedisStore::connect_via_sentinels(&sentinels, DEFAULT_TIMEOUT, Clock::Store)?;
/// # Ok::<(), attractos_limits::InvalidRedisUrl>(())
/// ```
#[derive(Clone)]
pub struct RedisSentinels {
    service: String,
    sentinels: Vec<ConnectionInfo>,
    primary: RedisConnectionInfo,
    /// Sentinels at `rediss://` URLs: the primary is reached over TLS too.
    tls: bool,
    #[cfg(feature = "tls")]
    certificates: Option<crate::RedisTls>,
}

impl RedisSentinels {
    /// The sentinels at `sentinel_urls` (`redis://[[USER]:PASSWORD@]HOST[:PORT]`, the
    /// credentials a sentinel's own), which monitor the primary as `service` (the name of
    /// `sentinel monitor`). `rediss://` sentinels (feature `tls`) mean TLS to the primary too,
    /// its certificate checked as theirs are (the system's roots, or
    /// [`RedisSentinels::with_tls`]); then every URL must be `rediss://` and carry the same
    /// credentials. An empty list is refused.
    pub fn new<I>(service: &str, sentinel_urls: I) -> Result<Self, InvalidRedisUrl>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut tls = None;
        let sentinels = sentinel_urls
            .into_iter()
            .map(|url| {
                let url = url.as_ref();
                let url_tls = crate::redis_store::is_tls_url(url);
                if cfg!(not(feature = "tls")) && url_tls {
                    return Err(InvalidRedisUrl::new(
                        "rediss:// needs the `tls` feature of attractos-limits",
                    ));
                }
                if *tls.get_or_insert(url_tls) != url_tls {
                    return Err(InvalidRedisUrl::new(
                        "the sentinels' URLs mix redis:// and rediss://",
                    ));
                }
                url.into_connection_info()
                    .map_err(crate::redis_store::invalid)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let Some(tls) = tls else {
            return Err(InvalidRedisUrl::new("no sentinel given"));
        };
        if tls
            && sentinels
                .windows(2)
                .any(|pair| !same_credentials(pair[0].redis_settings(), pair[1].redis_settings()))
        {
            return Err(InvalidRedisUrl::new(
                "rediss:// sentinels must share their credentials",
            ));
        }
        Ok(RedisSentinels {
            service: service.to_owned(),
            sentinels,
            primary: RedisConnectionInfo::default(),
            tls,
            #[cfg(feature = "tls")]
            certificates: None,
        })
    }

    /// For `rediss://` sentinels: the certificates to use with them and with the primary
    /// beyond the system's roots (a private CA, a client certificate). Given with `redis://`
    /// sentinels, [`RedisStore::connect_via_sentinels`](crate::RedisStore::connect_via_sentinels)
    /// refuses them.
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, tls: &crate::RedisTls) -> Self {
        self.certificates = Some(tls.clone());
        self
    }

    /// The credentials of the primary (and of whichever replica is promoted), for a primary
    /// with `requirepass` or an ACL user: the sentinels' own are in their URLs.
    pub fn with_primary_password(mut self, username: Option<&str>, password: &str) -> Self {
        let mut primary = RedisConnectionInfo::default().set_password(password);
        if let Some(username) = username {
            primary = primary.set_username(username);
        }
        self.primary = primary;
        self
    }

    /// A client that asks the sentinels given, then those `learned`, for the primary.
    fn client(&self, learned: &[ConnectionInfo]) -> Result<SentinelClient, InvalidRedisUrl> {
        let sentinels = self.sentinels.iter().chain(learned);
        #[cfg(feature = "tls")]
        if self.tls {
            return self
                .tls_client(sentinels)
                .map_err(crate::redis_store::invalid);
        }
        #[cfg(feature = "tls")]
        if self.certificates.is_some() {
            return Err(InvalidRedisUrl::new(
                "certificates are for rediss:// sentinels",
            ));
        }
        SentinelClient::build(
            sentinels.cloned().collect(),
            self.service.clone(),
            Some(
                SentinelNodeConnectionInfo::default()
                    .set_redis_connection_info(self.primary.clone()),
            ),
            SentinelServerType::Master,
        )
        .map_err(crate::redis_store::invalid)
    }

    /// TLS to the sentinels and to the primary, with the same certificates. redis-rs takes
    /// certificates for sentinels only through its builder, which gives every sentinel the
    /// same credentials: the first URL's (`new` checked that they agree).
    #[cfg(feature = "tls")]
    fn tls_client<'a>(
        &self,
        sentinels: impl Iterator<Item = &'a ConnectionInfo>,
    ) -> redis::RedisResult<SentinelClient> {
        use redis::sentinel::SentinelClientBuilder;
        let addresses = sentinels.map(|sentinel| sentinel.addr().clone());
        let mut builder =
            SentinelClientBuilder::new(addresses, &self.service, SentinelServerType::Master)?
                .set_client_to_redis_tls_mode(redis::TlsMode::Secure);
        let sentinel = self.sentinels[0].redis_settings();
        if let Some(username) = sentinel.username() {
            builder = builder.set_client_to_sentinel_username(username);
        }
        if let Some(password) = sentinel.password() {
            builder = builder.set_client_to_sentinel_password(password);
        }
        if let Some(username) = self.primary.username() {
            builder = builder.set_client_to_redis_username(username);
        }
        if let Some(password) = self.primary.password() {
            builder = builder.set_client_to_redis_password(password);
        }
        if let Some(certificates) = &self.certificates {
            builder = builder
                .set_client_to_sentinel_certificates(certificates.certificates())
                .set_client_to_redis_certificates(certificates.certificates());
        }
        crate::redis_store::install_tls_provider();
        builder.build()
    }

    /// A client of one sentinel, for the listener: redis-rs's `SentinelClient` names a
    /// sentinel that answers through the connection it keeps to the first, so once the first
    /// is gone it may name the first again.
    fn listener_client(&self, sentinel: &ConnectionInfo) -> redis::RedisResult<redis::Client> {
        #[cfg(feature = "tls")]
        if let Some(certificates) = &self.certificates {
            return redis::Client::build_with_tls(sentinel.clone(), certificates.certificates());
        }
        redis::Client::open(sentinel.clone())
    }

    /// The sentinel at `host:port` that another one knows of, reached as the first given is
    /// (its scheme, credentials and certificates: a deployment's sentinels share them).
    fn peer(&self, host: String, port: u16) -> Option<ConnectionInfo> {
        let first = &self.sentinels[0];
        let addr = match first.addr() {
            ConnectionAddr::Tcp(..) => ConnectionAddr::Tcp(host, port),
            ConnectionAddr::TcpTls {
                insecure,
                tls_params,
                ..
            } => ConnectionAddr::TcpTls {
                host,
                port,
                insecure: *insecure,
                tls_params: tls_params.clone(),
            },
            // A sentinel on a Unix socket is the host's own: no other to reach.
            _ => return None,
        };
        Some(first.clone().set_addr(addr))
    }
}

fn same_credentials(a: &RedisConnectionInfo, b: &RedisConnectionInfo) -> bool {
    a.username() == b.username() && a.password() == b.password()
}

impl fmt::Debug for RedisSentinels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSentinels")
            .field("service", &self.service)
            .field("sentinels", &self.sentinels.len())
            .field("primary_password", &self.primary.password().is_some())
            .field("tls", &self.tls)
            .finish()
    }
}

/// The connection to the primary the sentinels named last; forgotten after a failure, or
/// when the sentinels announce a new primary, so that the next batch asks them again.
pub(crate) struct Primary {
    sentinels: RedisSentinels,
    /// Asks the sentinels; one question at a time (it keeps its connections to them).
    resolver: tokio::sync::Mutex<Resolver>,
    current: Arc<Mutex<Current>>,
    /// The sentinels the given ones know of, learned by the listener.
    learned: Arc<Mutex<Learned>>,
    /// Whether the listener for `+switch-master` was started (by the first connection, on
    /// the store's runtime).
    listening: AtomicBool,
    /// Dropped with the store, which ends the listener.
    stop: watch::Sender<()>,
}

impl Primary {
    pub(crate) fn new(sentinels: RedisSentinels) -> Result<Self, InvalidRedisUrl> {
        let resolver = Resolver {
            client: sentinels.client(&[])?,
            learned: 0,
        };
        // The listener's clients are made as it takes its turns: each is checked now.
        for sentinel in &sentinels.sentinels {
            sentinels
                .listener_client(sentinel)
                .map_err(crate::redis_store::invalid)?;
        }
        Ok(Primary {
            sentinels,
            resolver: tokio::sync::Mutex::new(resolver),
            current: Arc::default(),
            learned: Arc::default(),
            listening: AtomicBool::new(false),
            stop: watch::Sender::new(()),
        })
    }

    /// The same sentinels, nothing asked yet.
    pub(crate) fn fresh(&self) -> Self {
        Primary::new(self.sentinels.clone()).expect("built from the same settings before")
    }

    /// The connection to the primary: the last one, or one to the server the sentinels name
    /// now (redis-rs checks that it says so: `ROLE`, or else `INFO replication`). Called on
    /// the runtime that drives the store, where the task that listens to the sentinels is
    /// started too.
    pub(crate) async fn connection(
        &self,
        config: &AsyncConnectionConfig,
    ) -> redis::RedisResult<MultiplexedConnection> {
        if let Some(connection) = self.last() {
            return Ok(connection);
        }
        if !self.listening.swap(true, Ordering::Relaxed) {
            tokio::spawn(listen(
                self.sentinels.clone(),
                Arc::clone(&self.learned),
                Arc::clone(&self.current),
                self.stop.subscribe(),
            ));
        }
        let mut resolver = self.resolver.lock().await;
        if let Some(connection) = self.last() {
            return Ok(connection);
        }
        {
            let learned = lock(&self.learned);
            if learned.generation != resolver.learned
                && let Ok(client) = self.sentinels.client(&learned.sentinels)
            {
                *resolver = Resolver {
                    client,
                    learned: learned.generation,
                };
            }
        }
        let switches = lock(&self.current).switches;
        let primary = resolver.client.async_get_client().await?;
        let connection = primary
            .get_multiplexed_async_connection_with_config(config)
            .await?;
        let mut current = lock(&self.current);
        // A new primary announced while this one was asked for: used once, not kept.
        if current.switches == switches {
            current.connection = Some(connection.clone());
        }
        Ok(connection)
    }

    fn last(&self) -> Option<MultiplexedConnection> {
        lock(&self.current).connection.clone()
    }

    /// After a failure (the primary gone, or demoted and refusing writes): the next
    /// connection is to whichever server the sentinels name then.
    pub(crate) fn forget(&self) {
        lock(&self.current).connection = None;
    }
}

/// The client that asks the sentinels for the primary, and which of the [`Learned`] it asks
/// besides those given (their generation).
struct Resolver {
    client: SentinelClient,
    learned: u64,
}

/// The connection to the primary, and how many new primaries the sentinels have announced.
#[derive(Default)]
struct Current {
    connection: Option<MultiplexedConnection>,
    switches: u64,
}

/// The sentinels learned from those given (`SENTINEL SENTINELS`), so that the store still
/// finds the primary, and hears of a new one, when the given ones are gone: at most
/// [`MAX_LEARNED`], the latest. `generation` counts the changes.
#[derive(Default)]
struct Learned {
    sentinels: Vec<ConnectionInfo>,
    generation: u64,
}

/// The most sentinels learned: a deployment has a handful (three or five).
const MAX_LEARNED: usize = 16;

/// A lock nothing panics while holding.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How long a sentinel has to take the listener's subscription.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long the listener waits before it tries the next sentinel.
const RELISTEN_AFTER: Duration = Duration::from_millis(250);

/// After this long without a message, the listener pings its sentinel, which must answer
/// within as long: a sentinel gone without closing the connection (its host frozen, or cut
/// off) would otherwise be listened to for ever.
const PING_AFTER: Duration = Duration::from_secs(1);

/// How often the sentinel listened to is asked again which others it knows of: sentinels
/// started together (a deployment brought up at once) learn of each other only over their
/// first seconds, from the hellos they publish every 2 s.
const LEARN_EVERY: Duration = Duration::from_secs(10);

/// Listens to the sentinels, one at a time, for a new primary of the service
/// (`+switch-master <service> <old ip> <old port> <new ip> <new port>`) and forgets the
/// current connection when one is named: after a planned failover the old primary goes on
/// taking writes until the sentinels demote it (about ten seconds), and what it counts then
/// is lost. When the sentinel listened to goes away (or leaves a ping unanswered), the next
/// one is, and the connection is forgotten then too (a new primary may have been named in
/// between). The sentinel listened to is asked which others it knows of, then again every
/// [`LEARN_EVERY`]: those join the turns, after the ones given, and the sentinels asked for
/// the primary. Ends when the store is dropped.
async fn listen(
    sentinels: RedisSentinels,
    learned: Arc<Mutex<Learned>>,
    current: Arc<Mutex<Current>>,
    mut stop: watch::Receiver<()>,
) {
    let switched = || {
        let mut current = lock(&current);
        current.connection = None;
        current.switches += 1;
    };
    let listen = async {
        let mut listened = false;
        for turn in 0.. {
            let sentinel = {
                let learned = lock(&learned);
                let all = sentinels.sentinels.iter().chain(&learned.sentinels);
                let sentinel = all.clone().nth(turn % all.count());
                sentinel.and_then(|sentinel| sentinels.listener_client(sentinel).ok())
            };
            if let Some(sentinel) = sentinel
                && let Ok(Ok(pubsub)) =
                    tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribe(&sentinel)).await
            {
                if listened {
                    switched();
                }
                listened = true;
                let learning = async {
                    loop {
                        learn(&sentinel, &sentinels, &learned).await;
                        tokio::time::sleep(LEARN_EVERY).await;
                    }
                };
                let hearing = hear(pubsub, &sentinels.service, &switched);
                futures_util::future::select(std::pin::pin!(hearing), std::pin::pin!(learning))
                    .await;
            }
            tokio::time::sleep(RELISTEN_AFTER).await;
        }
    };
    // Nothing is ever sent: `changed` ends when the store, and its sender, are dropped.
    let stopped = async move { while stop.changed().await.is_ok() {} };
    futures_util::future::select(std::pin::pin!(listen), std::pin::pin!(stopped)).await;
}

/// Calls `switched` for each new primary of `service` the sentinel announces, until its
/// connection ends or it leaves a ping unanswered.
async fn hear(pubsub: redis::aio::PubSub, service: &str, switched: &impl Fn()) {
    let (mut sink, mut messages) = pubsub.split();
    loop {
        match tokio::time::timeout(PING_AFTER, messages.next()).await {
            Ok(Some(message)) => {
                let payload = message.get_payload::<String>();
                if payload.is_ok_and(|payload| payload.split(' ').next() == Some(service)) {
                    switched();
                }
            }
            Ok(None) => return,
            Err(_quiet) => {
                let pong = tokio::time::timeout(PING_AFTER, sink.ping::<redis::Value>()).await;
                if !matches!(pong, Ok(Ok(_))) {
                    return;
                }
            }
        }
    }
}

/// Adds the sentinels `sentinel` knows of (for the service) that are neither given nor
/// learned yet to `learned`. A sentinel that does not answer in time teaches nothing.
async fn learn(sentinel: &redis::Client, sentinels: &RedisSentinels, learned: &Mutex<Learned>) {
    let asked = async {
        let mut connection = sentinel.get_multiplexed_async_connection().await?;
        redis::cmd("SENTINEL")
            .arg("SENTINELS")
            .arg(&sentinels.service)
            .query_async::<Vec<HashMap<String, String>>>(&mut connection)
            .await
    };
    let Ok(Ok(peers)) = tokio::time::timeout(SUBSCRIBE_TIMEOUT, asked).await else {
        return;
    };
    let mut learned = lock(learned);
    for peer in peers {
        let port = peer.get("port").and_then(|port| port.parse().ok());
        let (Some(host), Some(port)) = (peer.get("ip"), port) else {
            continue;
        };
        let Some(peer) = sentinels.peer(host.clone(), port) else {
            continue;
        };
        let mut known = sentinels.sentinels.iter().chain(&learned.sentinels);
        if known.any(|sentinel| sentinel.addr() == peer.addr()) {
            continue;
        }
        if learned.sentinels.len() == MAX_LEARNED {
            learned.sentinels.remove(0);
        }
        learned.sentinels.push(peer);
        learned.generation += 1;
        tracing::debug!(
            learned = learned.sentinels.len(),
            "a sentinel learned from another"
        );
    }
}

async fn subscribe(sentinel: &redis::Client) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = sentinel.get_async_pubsub().await?;
    pubsub.subscribe("+switch-master").await?;
    Ok(pubsub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::RedisServer;

    fn ask<T: redis::FromRedisValue>(server: &RedisServer, command: &redis::Cmd) -> T {
        let client = redis::Client::open(server.url()).expect("a valid URL");
        let mut connection = client.get_connection().expect("the server answers");
        command.query(&mut connection).expect("an answer")
    }

    /// How many clients are subscribed to `+switch-master` on `server`.
    fn subscribers(server: &RedisServer) -> u64 {
        // `<channel> <count>`, which redis-rs reads as no tuple or map.
        let command = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg("+switch-master")
            .clone();
        let reply: Vec<redis::Value> = ask(server, &command);
        redis::from_redis_value(reply[1].clone()).expect("a count")
    }

    /// Publishes a new primary of `service` on `server`; answers how many clients heard it.
    fn announce(server: &RedisServer, service: &str) -> u64 {
        let payload = format!("{service} 127.0.0.1 6379 127.0.0.1 6380");
        ask(
            server,
            redis::cmd("PUBLISH").arg("+switch-master").arg(payload),
        )
    }

    async fn until(what: &str, done: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "within 3 s: {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A sentinel teaches the others it knows of, once each, reached as the given one is;
    /// those given are not learned again, and a server that is no sentinel teaches nothing.
    #[tokio::test]
    async fn a_sentinel_teaches_the_others_once() {
        let deployment = crate::testing::SentinelDeployment::start_with_sentinels(None, 3);
        deployment.wait_until_sentinels_know_each_other();
        let urls = deployment.sentinel_urls();
        let service = crate::testing::SentinelDeployment::SERVICE;
        let first = RedisSentinels::new(service, &urls[..1]).unwrap();
        let client = first.listener_client(&first.sentinels[0]).unwrap();
        let learned = Mutex::new(Learned::default());
        for _ in 0..2 {
            learn(&client, &first, &learned).await;
        }
        let learned = learned.into_inner().expect("not poisoned");
        let mut addresses: Vec<String> = learned
            .sentinels
            .iter()
            .map(|sentinel| sentinel.addr().to_string())
            .collect();
        addresses.sort();
        let mut others: Vec<String> = urls[1..]
            .iter()
            .map(|url| url.trim_start_matches("redis://").to_owned())
            .collect();
        others.sort();
        assert_eq!((addresses, learned.generation), (others, 2));

        let all = RedisSentinels::new(service, &urls).unwrap();
        let none = Mutex::new(Learned::default());
        learn(&client, &all, &none).await;
        let plain = RedisServer::start();
        let plain = RedisSentinels::new(service, [plain.url()]).unwrap();
        let client = plain.listener_client(&plain.sentinels[0]).unwrap();
        learn(&client, &plain, &none).await;
        assert_eq!(lock(&none).generation, 0);
    }

    /// A learned sentinel is reached as the first given is: over TLS when it is, with its
    /// credentials.
    #[test]
    fn a_learned_sentinel_is_reached_as_the_first_given() {
        for (url, tls) in [
            ("redis://:pw@10.0.0.1:26379", false),
            ("rediss://:pw@10.0.0.1:26379", true),
        ] {
            if tls && cfg!(not(feature = "tls")) {
                continue;
            }
            let given = RedisSentinels::new("attractos", [url]).unwrap();
            let peer = given.peer("10.0.0.2".to_owned(), 26380).unwrap();
            let reached = match peer.addr() {
                ConnectionAddr::Tcp(host, port) => (host.as_str(), *port, false),
                ConnectionAddr::TcpTls { host, port, .. } => (host.as_str(), *port, true),
                other => panic!("{other:?}"),
            };
            assert_eq!(reached, ("10.0.0.2", 26380, tls), "{url}");
            assert_eq!(peer.redis_settings().password(), Some("pw"));
        }
    }

    /// The listener against two servers standing in for sentinels (it only subscribes): the
    /// connection is forgotten when the service's new primary is announced (not another's),
    /// and when the server listened to stops answering and the next is listened to, since an
    /// announcement may have been missed in between; the listener ends with the store.
    #[tokio::test]
    async fn the_listener_forgets_the_primary_when_one_is_announced_and_when_it_moves_on() {
        let first = RedisServer::start();
        let second = RedisServer::start();
        let service = "attractos";
        let sentinels = RedisSentinels::new(service, [first.url(), second.url()]).unwrap();
        let current = Arc::new(Mutex::new(Current::default()));
        let switches = || lock(&current).switches;
        let stop = watch::Sender::new(());
        tokio::spawn(listen(
            sentinels,
            Arc::default(),
            Arc::clone(&current),
            stop.subscribe(),
        ));
        until("the first is listened to", || subscribers(&first) == 1).await;
        assert_eq!(announce(&first, "another-service"), 1);
        assert_eq!(announce(&first, service), 1);
        // In order, on one connection: the other service's announcement did not count.
        until("the announcement is heard", || switches() == 1).await;

        // Frozen, not gone: the connection stays open, and a ping goes unanswered.
        first.pause();
        until("the second is listened to", || subscribers(&second) == 1).await;
        until("forgotten on moving on", || switches() == 2).await;
        assert_eq!(announce(&second, service), 1);
        until("the second's announcement is heard", || switches() == 3).await;
        // Quiet, and answering its pings: kept.
        tokio::time::sleep(PING_AFTER * 3).await;
        assert_eq!((switches(), subscribers(&second)), (3, 1));

        drop(stop);
        until("the listener ends", || subscribers(&second) == 0).await;
    }
}
