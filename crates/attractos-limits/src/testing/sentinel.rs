//! A Redis Sentinel deployment of the tests' own: a primary, its replica and one sentinel,
//! each a [`RedisServer`], so a failover can be made for real.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{RedisServer, Speaks, unique};

/// A primary, a replica in sync with it and a sentinel that watches them under
/// [`SentinelDeployment::SERVICE`], quick to fail over (the primary is down after 300 ms of
/// silence). Everything is killed, and the sentinel's file removed, when dropped.
#[derive(Debug)]
pub struct SentinelDeployment {
    /// The primary at the start.
    pub primary: RedisServer,
    /// Its replica, which the sentinel promotes when the primary is gone.
    pub replica: RedisServer,
    sentinel: RedisServer,
    /// The sentinel's configuration, which it rewrites as it learns.
    config: PathBuf,
    password: Option<String>,
}

impl SentinelDeployment {
    /// The name the sentinel monitors the primary under.
    pub const SERVICE: &str = "attractos-test";

    /// Starts the three, with `password` as the primary's and the replica's `requirepass`
    /// when given (the sentinel's own needs none), and waits (at most 10 s) until the replica
    /// is in sync and the sentinel knows it: a failover can happen from then on.
    ///
    /// # Panics
    /// When `redis-server` is not installed or a server does not get there in time.
    pub fn start(password: Option<&str>) -> Self {
        let auth = |options: &[&str]| -> Vec<String> {
            password
                .map(|password| options.iter().map(|option| option.replace("{}", password)))
                .into_iter()
                .flatten()
                .collect()
        };
        let primary = RedisServer::start_with_options(
            "redis-server",
            Speaks::Plain,
            auth(&["--requirepass", "{}"]),
        );
        let mut replica_options = vec![
            "--replicaof".to_owned(),
            "127.0.0.1".to_owned(),
            primary.port().to_string(),
        ];
        replica_options.extend(auth(&["--requirepass", "{}", "--masterauth", "{}"]));
        let replica =
            RedisServer::start_with_options("redis-server", Speaks::Plain, replica_options);
        let config = std::env::temp_dir().join(format!(
            "{}.conf",
            unique("attractos-sentinel").replace(':', "-")
        ));
        let service = Self::SERVICE;
        let mut lines = vec![
            format!("sentinel monitor {service} 127.0.0.1 {} 1", primary.port()),
            format!("sentinel down-after-milliseconds {service} 300"),
            format!("sentinel failover-timeout {service} 1000"),
        ];
        if let Some(password) = password {
            lines.push(format!("sentinel auth-pass {service} {password}"));
        }
        std::fs::write(&config, lines.join("\n") + "\n").expect("a sentinel configuration file");
        let sentinel_options = vec![config.display().to_string(), "--sentinel".to_owned()];
        let sentinel =
            RedisServer::start_with_options("redis-server", Speaks::Plain, sentinel_options);
        let deployment = SentinelDeployment {
            primary,
            replica,
            sentinel,
            config,
            password: password.map(str::to_owned),
        };
        deployment.wait_until("the replica is in sync and the sentinel knows it", |it| {
            let in_sync = it
                .ask(
                    &it.with_password(&it.replica),
                    redis::cmd("INFO").arg("replication"),
                )
                .is_some_and(|info: String| info.contains("master_link_status:up"));
            let known = it
                .ask(
                    &it.sentinel.url(),
                    redis::cmd("SENTINEL").arg("REPLICAS").arg(service),
                )
                .is_some_and(|replicas: Vec<redis::Value>| !replicas.is_empty());
            in_sync && known
        });
        deployment
    }

    /// The sentinel's URL, `redis://127.0.0.1:PORT`.
    pub fn sentinel_url(&self) -> String {
        self.sentinel.url()
    }

    /// The port of the server the sentinel names the primary now.
    pub fn primary_port(&self) -> Option<u16> {
        let (_host, port): (String, u16) = self.ask(
            &self.sentinel.url(),
            redis::cmd("SENTINEL")
                .arg("GET-MASTER-ADDR-BY-NAME")
                .arg(Self::SERVICE),
        )?;
        Some(port)
    }

    /// Waits (at most 10 s) until the sentinel names the replica the primary.
    pub fn wait_for_failover(&self) {
        let replica = self.replica.port();
        self.wait_until("the sentinel promotes the replica", |it| {
            it.primary_port() == Some(replica)
        });
    }

    fn wait_until(&self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(self) {
            assert!(Instant::now() < deadline, "within 10 s: {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The URL of `server`, the primary or the replica, with their password.
    fn with_password(&self, server: &RedisServer) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}", server.port()),
            None => server.url(),
        }
    }

    /// `command`'s answer from the server at `url`; `None` when it does not answer.
    fn ask<T: redis::FromRedisValue>(&self, url: &str, command: &redis::Cmd) -> Option<T> {
        let client = redis::Client::open(url).ok()?;
        let mut connection = client
            .get_connection_with_timeout(Duration::from_millis(500))
            .ok()?;
        command.query(&mut connection).ok()
    }
}

impl Drop for SentinelDeployment {
    fn drop(&mut self) {
        self.sentinel.kill();
        let _ = std::fs::remove_file(&self.config);
    }
}
