//! A Redis Sentinel deployment of the tests' own: a primary, its replica and its sentinels,
//! each a [`RedisServer`], so a failover can be made for real.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{RedisServer, Speaks, TEST_CA_FILE, unique};

/// A primary, a replica in sync with it and sentinels that watch them under
/// [`SentinelDeployment::SERVICE`], quick to fail over (the primary is down after 300 ms of
/// silence). Everything is killed, and the sentinels' files removed, when dropped.
#[derive(Debug)]
pub struct SentinelDeployment {
    /// The primary at the start.
    pub primary: RedisServer,
    /// Its replica, which the sentinels promote when the primary is gone.
    pub replica: RedisServer,
    /// Each sentinel and its configuration, which it rewrites as it learns.
    sentinels: Vec<(RedisServer, PathBuf)>,
    password: Option<String>,
}

impl SentinelDeployment {
    /// The name the sentinels monitor the primary under.
    pub const SERVICE: &str = "attractos-test";

    /// Starts the three (one sentinel), with `password` as the `requirepass` of each when
    /// given, and waits (at most 10 s) until the replica is in sync and the sentinel knows it:
    /// a failover can happen from then on.
    ///
    /// # Panics
    /// When `redis-server` is not installed or a server does not get there in time.
    pub fn start(password: Option<&str>) -> Self {
        Self::start_with_sentinels(password, 1)
    }

    /// [`SentinelDeployment::start`] with `count` sentinels. Each can fail over alone (a
    /// quorum of one; `SENTINEL FAILOVER` asks no other), though with more than one, the
    /// primary's death is a failover only while most of them live to elect a leader.
    pub fn start_with_sentinels(password: Option<&str>, count: usize) -> Self {
        Self::start_speaking(password, Speaks::Plain, count)
    }

    /// [`SentinelDeployment::start`] speaking TLS only, the sentinel and the replica included
    /// (`rediss://`, certificates signed by [`super::TEST_CA_PEM`]; no client certificates).
    #[cfg(feature = "tls")]
    pub fn start_tls(password: Option<&str>) -> Self {
        Self::start_speaking(password, Speaks::Tls, 1)
    }

    fn start_speaking(password: Option<&str>, speaks: Speaks, sentinels: usize) -> Self {
        // Over TLS, the replica and the sentinel check the primary's certificate too.
        let tls: &[&str] = match speaks {
            Speaks::Plain => &[],
            _ => &[
                "--tls-replication",
                "yes",
                "--tls-ca-cert-file",
                TEST_CA_FILE,
            ],
        };
        let start = |mut options: Vec<String>| {
            options.extend(tls.iter().map(|option| (*option).to_owned()));
            RedisServer::start_with_options("redis-server", speaks, options)
        };
        // Each of `flags` followed by the password, when there is one.
        let auth = |flags: &[&str]| -> Vec<String> {
            let Some(password) = password else {
                return Vec::new();
            };
            flags
                .iter()
                .flat_map(|flag| [(*flag).to_owned(), password.to_owned()])
                .collect()
        };
        // Either may be a replica (the primary, once demoted): it loads its primary's data
        // from the socket (`swapdb`), not through a dump.rdb in the tests' directory, and as a
        // primary sends it without waiting (5 s by default).
        let data_options = |mut options: Vec<String>| {
            options.extend(
                [
                    "--repl-diskless-load",
                    "swapdb",
                    "--repl-diskless-sync-delay",
                    "0",
                ]
                .map(str::to_owned),
            );
            options.extend(auth(&["--requirepass", "--masterauth"]));
            options
        };
        let primary = start(data_options(Vec::new()));
        let replica_of =
            ["--replicaof", "127.0.0.1", &primary.port().to_string()].map(str::to_owned);
        let replica = start(data_options(replica_of.into()));
        let service = Self::SERVICE;
        let mut lines = vec![
            format!("sentinel monitor {service} 127.0.0.1 {} 1", primary.port()),
            format!("sentinel down-after-milliseconds {service} 300"),
            // A promotion shows in the replica's next INFO, a second or so away: a shorter
            // timeout aborted failovers that were about to succeed.
            format!("sentinel failover-timeout {service} 3000"),
        ];
        if let Some(password) = password {
            lines.push(format!("sentinel auth-pass {service} {password}"));
            lines.push(format!("requirepass {password}"));
        }
        let sentinels = (0..sentinels)
            .map(|_| {
                let config = std::env::temp_dir().join(format!(
                    "{}.conf",
                    unique("attractos-sentinel").replace(':', "-")
                ));
                std::fs::write(&config, lines.join("\n") + "\n")
                    .expect("a sentinel configuration file");
                let options = vec![config.display().to_string(), "--sentinel".to_owned()];
                (start(options), config)
            })
            .collect();
        let deployment = SentinelDeployment {
            primary,
            replica,
            sentinels,
            password: password.map(str::to_owned),
        };
        // A first write: the replica is in sync once it has it (a primary streams to a new
        // replica only after its first acknowledgement, up to a second after the sync).
        let _: Option<()> = deployment.ask(
            &deployment.with_password(&deployment.primary),
            redis::cmd("SET").arg("attractos-test:replicated").arg(1),
        );
        deployment.wait_until_replicated();
        // Until a sentinel has heard from the replica itself, it would not promote it.
        deployment.wait_until(
            "the sentinels know the replica in sync",
            Duration::from_secs(10),
            |it| {
                it.sentinel_urls().iter().all(|sentinel| {
                    it.ask(
                        sentinel,
                        redis::cmd("SENTINEL").arg("REPLICAS").arg(service),
                    )
                    .is_some_and(|replicas: Vec<HashMap<String, String>>| {
                        replicas.iter().any(|replica| {
                            replica.get("flags").map(String::as_str) == Some("slave")
                                && replica.get("master-link-status").map(String::as_str)
                                    == Some("ok")
                        })
                    })
                })
            },
        );
        deployment
    }

    /// The first sentinel's URL, `redis://[:PASSWORD@]127.0.0.1:PORT` (`rediss://` over TLS).
    pub fn sentinel_url(&self) -> String {
        self.with_password(&self.sentinels[0].0)
    }

    /// Every sentinel's URL, in the order they were started.
    pub fn sentinel_urls(&self) -> Vec<String> {
        let servers = self.sentinels.iter().map(|(server, _)| server);
        servers.map(|server| self.with_password(server)).collect()
    }

    /// Kills sentinel `index` (from 0, in the order they were started).
    pub fn kill_sentinel(&mut self, index: usize) {
        self.sentinels[index].0.kill();
    }

    /// Waits (at most 10 s) until each sentinel knows every other (`SENTINEL SENTINELS`):
    /// they learn of each other from the hellos they publish on the primary every 2 s.
    pub fn wait_until_sentinels_know_each_other(&self) {
        let others = self.sentinels.len() - 1;
        self.wait_until(
            "the sentinels know each other",
            Duration::from_secs(10),
            |it| {
                it.sentinel_urls().iter().all(|sentinel| {
                    let peers: Option<Vec<redis::Value>> = it.ask(
                        sentinel,
                        redis::cmd("SENTINEL").arg("SENTINELS").arg(Self::SERVICE),
                    );
                    peers.is_some_and(|peers| peers.len() == others)
                })
            },
        );
    }

    /// Makes sentinel `index` forget the other sentinels and the replica (`SENTINEL RESET`),
    /// which it learns again from their hellos within about 2 s.
    pub fn reset_sentinel(&self, index: usize) {
        let reset: Option<u64> = self.ask(
            &self.with_password(&self.sentinels[index].0),
            redis::cmd("SENTINEL").arg("RESET").arg(Self::SERVICE),
        );
        assert_eq!(reset, Some(1), "the sentinel resets the service");
    }

    /// The port of the server the sentinels (the first that answers) name the primary now.
    pub fn primary_port(&self) -> Option<u16> {
        let (_host, port): (String, u16) = self.ask_sentinels(
            redis::cmd("SENTINEL")
                .arg("GET-MASTER-ADDR-BY-NAME")
                .arg(Self::SERVICE),
        )?;
        Some(port)
    }

    /// Waits (at most 10 s) until the replica has every write the primary has taken so far.
    pub fn wait_until_replicated(&self) {
        let written = self
            .info(&self.primary, "replication", "master_repl_offset")
            .expect("the primary answers");
        self.wait_until(
            "the replica has the primary's writes",
            Duration::from_secs(10),
            |it| {
                it.info(&it.replica, "replication", "slave_repl_offset")
                    .is_some_and(|read| read >= written)
            },
        );
    }

    /// How many connections `server` (the primary or the replica) has accepted since it
    /// started, this question's own included.
    pub fn connections_received(&self, server: &RedisServer) -> u64 {
        self.info(server, "stats", "total_connections_received")
            .expect("the server answers")
    }

    /// `server`'s `INFO section`.
    fn info_text(&self, server: &RedisServer, section: &str) -> Option<String> {
        self.ask(&self.with_password(server), redis::cmd("INFO").arg(section))
    }

    /// The number `field` of `server`'s `INFO section`.
    fn info(&self, server: &RedisServer, section: &str, field: &str) -> Option<u64> {
        let info = self.info_text(server, section)?;
        let value = info
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?;
        value.trim().parse().ok()
    }

    /// How many clients of the sentinels that live are subscribed to a channel (`CLIENT
    /// LIST`'s `sub=`).
    pub fn sentinel_subscribers(&self) -> usize {
        let subscribed = |client: &str| {
            (client.split(' ')).any(|field| field.starts_with("sub=") && field != "sub=0")
        };
        self.sentinel_urls()
            .iter()
            .filter_map(|sentinel| self.ask::<String>(sentinel, redis::cmd("CLIENT").arg("LIST")))
            .map(|clients| clients.lines().filter(|client| subscribed(client)).count())
            .sum()
    }

    /// Closes the connections of `server`'s clients (`CLIENT KILL ID`), the sentinel's own
    /// excepted: a sentinel whose link to a busy primary took longer than its 300 ms to come
    /// back would fail it over. Answers how many.
    pub fn drop_clients(&self, server: &RedisServer) -> u64 {
        let url = self.with_password(server);
        let clients: String = self
            .ask(
                &url,
                redis::cmd("CLIENT").arg("LIST").arg("TYPE").arg("normal"),
            )
            .expect("the server answers");
        clients
            .lines()
            .filter(|client| !client.contains(" name=sentinel-"))
            .filter_map(|client| {
                client
                    .split(' ')
                    .find_map(|field| field.strip_prefix("id="))
            })
            .filter_map(|id| {
                self.ask::<u64>(&url, redis::cmd("CLIENT").arg("KILL").arg("ID").arg(id))
            })
            .sum()
    }

    /// A planned failover (`SENTINEL FAILOVER`, by the first sentinel that answers): waits
    /// (at most 10 s) until the sentinels name the replica the primary. The old primary,
    /// still running, takes writes until a sentinel demotes it
    /// ([`SentinelDeployment::wait_until_demoted`]).
    pub fn fail_over(&self) {
        let asked: Option<String> =
            self.ask_sentinels(redis::cmd("SENTINEL").arg("FAILOVER").arg(Self::SERVICE));
        assert_eq!(
            asked.as_deref(),
            Some("OK"),
            "the sentinel takes the failover"
        );
        self.wait_for_failover();
    }

    /// Waits (at most 20 s: the sentinel takes about ten) until the primary of the start,
    /// still running after [`SentinelDeployment::fail_over`], is a replica of the new one,
    /// whose data replaces its own.
    pub fn wait_until_demoted(&self) {
        self.wait_until(
            "the old primary is a replica",
            Duration::from_secs(20),
            |it| {
                it.info_text(&it.primary, "replication")
                    .is_some_and(|info| {
                        info.contains("role:slave") && info.contains("master_link_status:up")
                    })
            },
        );
    }

    /// Waits (at most 10 s) until the sentinel names the replica the primary.
    pub fn wait_for_failover(&self) {
        let replica = self.replica.port();
        self.wait_until(
            "the sentinel promotes the replica",
            Duration::from_secs(10),
            |it| it.primary_port() == Some(replica),
        );
    }

    fn wait_until(&self, what: &str, within: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + within;
        while !done(self) {
            assert!(Instant::now() < deadline, "within {within:?}: {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `command`'s answer from the first sentinel that answers.
    fn ask_sentinels<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Option<T> {
        let urls = self.sentinel_urls();
        urls.iter().find_map(|sentinel| self.ask(sentinel, command))
    }

    /// The URL of `server` (any of them), with the password.
    fn with_password(&self, server: &RedisServer) -> String {
        let url = server.url();
        match &self.password {
            Some(password) => url.replacen("://", &format!("://:{password}@"), 1),
            None => url,
        }
    }

    /// `command`'s answer from the server at `url`; `None` when it does not answer.
    fn ask<T: redis::FromRedisValue>(&self, url: &str, command: &redis::Cmd) -> Option<T> {
        #[cfg(feature = "tls")]
        let client = if url.starts_with("rediss://") {
            crate::redis_store::install_tls_provider();
            let trusting = redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(super::TEST_CA_PEM.to_vec()),
            };
            redis::Client::build_with_tls(url, trusting).ok()?
        } else {
            redis::Client::open(url).ok()?
        };
        #[cfg(not(feature = "tls"))]
        let client = redis::Client::open(url).ok()?;
        let mut connection = client
            .get_connection_with_timeout(Duration::from_millis(500))
            .ok()?;
        command.query(&mut connection).ok()
    }
}

impl Drop for SentinelDeployment {
    fn drop(&mut self) {
        for (sentinel, config) in &mut self.sentinels {
            sentinel.kill();
            let _ = std::fs::remove_file(config);
        }
    }
}
