//! [`RedisSentinels`]: a Redis whose primary the sentinels name, and may name anew after a
//! failover.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::watch;

use redis::aio::MultiplexedConnection;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{AsyncConnectionConfig, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};

use crate::InvalidRedisUrl;

/// The Redis Sentinel deployment a [`RedisStore`](crate::RedisStore) keeps its limits in
/// ([`RedisStore::connect_via_sentinels`](crate::RedisStore::connect_via_sentinels)): the
/// sentinels' URLs and the name they monitor the primary under. The store asks them which
/// server is the primary, sends every decision there, and asks again after a decision fails,
/// so a failover moves the limits to the promoted replica without a restart. Its `Debug`
/// shows the service and how many sentinels, never a URL or a password.
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

    fn client(&self) -> Result<SentinelClient, InvalidRedisUrl> {
        #[cfg(feature = "tls")]
        if self.tls {
            return self.tls_client().map_err(crate::redis_store::invalid);
        }
        #[cfg(feature = "tls")]
        if self.certificates.is_some() {
            return Err(InvalidRedisUrl::new(
                "certificates are for rediss:// sentinels",
            ));
        }
        SentinelClient::build(
            self.sentinels.clone(),
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
    fn tls_client(&self) -> redis::RedisResult<SentinelClient> {
        use redis::sentinel::SentinelClientBuilder;
        let addresses = self
            .sentinels
            .iter()
            .map(|sentinel| sentinel.addr().clone());
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

    /// A client of each sentinel, in the order given, for the listener: redis-rs's
    /// `SentinelClient` names a sentinel that answers through the connection it keeps to the
    /// first, so once the first is gone it may name the first again.
    fn listener_clients(&self) -> Result<Vec<redis::Client>, InvalidRedisUrl> {
        self.sentinels
            .iter()
            .map(|sentinel| {
                #[cfg(feature = "tls")]
                if let Some(certificates) = &self.certificates {
                    return redis::Client::build_with_tls(
                        sentinel.clone(),
                        certificates.certificates(),
                    );
                }
                redis::Client::open(sentinel.clone())
            })
            .collect::<redis::RedisResult<_>>()
            .map_err(crate::redis_store::invalid)
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
    resolver: tokio::sync::Mutex<SentinelClient>,
    current: Arc<Mutex<Current>>,
    /// The sentinels the listener for `+switch-master` takes turns with.
    listener_clients: Vec<redis::Client>,
    /// Whether that listener was started (by the first connection, on the store's runtime).
    listening: AtomicBool,
    /// Dropped with the store, which ends the listener.
    stop: watch::Sender<()>,
}

impl Primary {
    pub(crate) fn new(sentinels: RedisSentinels) -> Result<Self, InvalidRedisUrl> {
        let resolver = sentinels.client()?;
        Ok(Primary {
            listener_clients: sentinels.listener_clients()?,
            sentinels,
            resolver: tokio::sync::Mutex::new(resolver),
            current: Arc::default(),
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
                self.listener_clients.clone(),
                self.sentinels.service.clone(),
                Arc::clone(&self.current),
                self.stop.subscribe(),
            ));
        }
        let mut resolver = self.resolver.lock().await;
        if let Some(connection) = self.last() {
            return Ok(connection);
        }
        let switches = lock(&self.current).switches;
        let primary = resolver.async_get_client().await?;
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

/// The connection to the primary, and how many new primaries the sentinels have announced.
#[derive(Default)]
struct Current {
    connection: Option<MultiplexedConnection>,
    switches: u64,
}

/// The lock on the current connection; nothing panics while holding it.
fn lock(current: &Mutex<Current>) -> MutexGuard<'_, Current> {
    current.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How long a sentinel has to take the listener's subscription.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long the listener waits before it tries the next sentinel.
const RELISTEN_AFTER: Duration = Duration::from_millis(250);

/// After this long without a message, the listener pings its sentinel, which must answer
/// within as long: a sentinel gone without closing the connection (its host frozen, or cut
/// off) would otherwise be listened to for ever.
const PING_AFTER: Duration = Duration::from_secs(1);

/// Listens to the sentinels, one at a time, for a new primary of `service` (`+switch-master
/// <service> <old ip> <old port> <new ip> <new port>`) and forgets the current connection
/// when one is named: after a planned failover the old primary goes on taking writes until
/// the sentinels demote it (about ten seconds), and what it counts then is lost. When the
/// sentinel listened to goes away (or leaves a ping unanswered), the next one is, and the
/// connection is forgotten then too (a new primary may have been named in between). Ends
/// when the store is dropped.
async fn listen(
    sentinels: Vec<redis::Client>,
    service: String,
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
        for sentinel in sentinels.iter().cycle() {
            if let Ok(Ok(pubsub)) =
                tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribe(sentinel)).await
            {
                if listened {
                    switched();
                }
                listened = true;
                hear(pubsub, &service, &switched).await;
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

    /// The listener against two servers standing in for sentinels (it only subscribes): the
    /// connection is forgotten when the service's new primary is announced (not another's),
    /// and when the server listened to stops answering and the next is listened to, since an
    /// announcement may have been missed in between; the listener ends with the store.
    #[tokio::test]
    async fn the_listener_forgets_the_primary_when_one_is_announced_and_when_it_moves_on() {
        let first = RedisServer::start();
        let second = RedisServer::start();
        let clients = [&first, &second].map(|server| redis::Client::open(server.url()).unwrap());
        let current = Arc::new(Mutex::new(Current::default()));
        let switches = || lock(&current).switches;
        let stop = watch::Sender::new(());
        let service = "attractos";
        tokio::spawn(listen(
            clients.to_vec(),
            service.to_owned(),
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
