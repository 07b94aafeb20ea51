//! For tests (feature `test-harness`): a real `redis-server` started on a free loopback port
//! and stopped on drop, and the behaviour suite every [`Store`] must pass.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod sentinel;

pub use sentinel::SentinelDeployment;

use crate::AddressPartition;
use crate::store::{
    AuthFailureQuery, EventQuery, ManualClock, RequestOutcome, RequestQuery, Store,
};

/// A `redis-server` of the tests' own: loopback only, no persistence (`--save ""
/// --appendonly no`), killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    binary: String,
    port: u16,
    speaks: Speaks,
    /// Options beyond the defaults (a password, the primary of a replica); a sentinel's
    /// configuration file first.
    options: Vec<String>,
    child: Option<Child>,
}

/// How a [`RedisServer`] talks to its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Speaks {
    Plain,
    /// TLS only, clients need no certificate.
    Tls,
    /// TLS only, and a client must show a certificate the test client CA signed.
    MutualTls,
}

/// The certificate authority that signed [`RedisServer::start_tls`]'s certificate (PEM; for
/// 127.0.0.1 and localhost, valid until 2126), for [`crate::RedisTls::trusting`].
pub const TEST_CA_PEM: &[u8] = include_bytes!("../tests/tls/ca.pem");

/// [`TEST_CA_PEM`]'s file, for servers that check their peers' certificates.
const TEST_CA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/ca.pem");

/// The certificate authority [`RedisServer::start_mutual_tls`] wants its clients' certificates
/// signed by, which signed [`test_mutual_tls`]'s (valid until 2126).
const CLIENT_CA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/client-ca.pem");

/// Trusting [`TEST_CA_PEM`] and showing a client certificate (test fixtures only, no secret)
/// that [`RedisServer::start_mutual_tls`] accepts.
#[cfg(feature = "tls")]
pub fn test_mutual_tls() -> crate::RedisTls {
    let chain = include_bytes!("../tests/tls/client.pem");
    let key = include_bytes!("../tests/tls/client-key.pem");
    crate::RedisTls::default()
        .trusting(TEST_CA_PEM)
        .and_then(|tls| tls.with_client_certificate(chain, key))
        .expect("the test fixtures are PEM")
}

/// The server's certificate and key, test fixtures only (no secret: committed for the tests).
const TLS_FILES: [(&str, &str); 2] = [
    (
        "--tls-cert-file",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/server.pem"),
    ),
    (
        "--tls-key-file",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/server-key.pem"),
    ),
];

/// How to get `redis-server` when it is missing.
pub const INSTALL_HINT: &str = "redis-server is not installed; these tests start a real one. \
     Install it with `apt-get install -y redis-server` (Debian/Ubuntu), or run `scripts/test.sh`, \
     which does";

impl RedisServer {
    /// Starts a server on a free loopback port and waits (at most 10 s) until it answers.
    ///
    /// # Panics
    /// When `redis-server` is not installed (with [`INSTALL_HINT`]) or does not start: the
    /// tests that need it must fail, never skip.
    pub fn start() -> Self {
        Self::start_binary("redis-server")
    }

    /// [`RedisServer::start`] speaking TLS only (`rediss://`), with a certificate signed by
    /// [`TEST_CA_PEM`]; clients need no certificate of their own.
    pub fn start_tls() -> Self {
        Self::start_with("redis-server", Speaks::Tls)
    }

    /// [`RedisServer::start_tls`] that also authenticates its clients (mutual TLS): a client
    /// must show a certificate its client CA signed, as [`test_mutual_tls`] does.
    pub fn start_mutual_tls() -> Self {
        Self::start_with("redis-server", Speaks::MutualTls)
    }

    /// [`RedisServer::start`] with the server binary at `binary`.
    pub fn start_binary(binary: &str) -> Self {
        Self::start_with(binary, Speaks::Plain)
    }

    fn start_with(binary: &str, speaks: Speaks) -> Self {
        Self::start_with_options(binary, speaks, Vec::new())
    }

    fn start_with_options(binary: &str, speaks: Speaks, options: Vec<String>) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let mut server = RedisServer {
            binary: binary.to_owned(),
            port,
            speaks,
            options,
            child: None,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let mut command = Command::new(&self.binary);
        command.args(&self.options);
        let port = self.port.to_string();
        match self.speaks {
            Speaks::Plain => {
                command.args(["--port", &port]);
            }
            Speaks::Tls | Speaks::MutualTls => {
                command.args(["--port", "0", "--tls-port", &port]);
                for (option, file) in TLS_FILES {
                    command.args([option, file]);
                }
            }
        }
        if self.speaks == Speaks::Tls {
            command.args(["--tls-auth-clients", "no"]);
        }
        if self.speaks == Speaks::MutualTls {
            command.args(["--tls-auth-clients", "yes"]);
            command.args(["--tls-ca-cert-file", CLIENT_CA_FILE]);
        }
        let child = command
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--protected-mode", "yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(err) if err.kind() == io::ErrorKind::NotFound => panic!("{INSTALL_HINT}"),
            Err(err) => panic!("redis-server did not start: {err}"),
        };
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers() {
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        if self.speaks != Speaks::Plain {
            return true; // listening is enough: a PING would need a TLS client
        }
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut reply = [0u8; 7];
        // A server with a password refuses the PING: it answers all the same.
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && (&reply == b"+PONG\r\n" || reply.starts_with(b"-NOAUTH"))
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT` (`rediss://` when it speaks TLS).
    pub fn url(&self) -> String {
        let scheme = match self.speaks {
            Speaks::Plain => "redis",
            Speaks::Tls | Speaks::MutualTls => "rediss",
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL: no goodbye to clients) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server (SIGSTOP) until it is killed: its connections stay open, and
    /// nothing is answered on them, as from a host that froze or was cut off.
    pub fn pause(&self) {
        if let Some(child) = &self.child {
            let stopped = std::process::Command::new("kill")
                .args(["-STOP", &child.id().to_string()])
                .status();
            assert!(stopped.is_ok_and(|status| status.success()), "SIGSTOP sent");
        }
    }

    /// Starts the server again on the same port (empty: it kept nothing).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A name no other test run uses, so suites can share one server.
pub fn unique(name: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!(
        "{name}:{}:{nanos}:{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// An address partition no other test run uses: an IPv6 /64 prefix drawn from [`unique`].
pub fn unique_address() -> AddressPartition {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    unique("ip").hash(&mut hasher);
    let prefix = std::net::Ipv6Addr::from_bits(u128::from(hasher.finish()) << 64);
    AddressPartition::new(prefix.into())
}

/// 2024-02-29T23:00:00Z: an hour before a cycle resets, in a leap year.
pub const LEAP_DAY_EVENING: i64 = 1_709_247_600;

fn request<'a>(key: &'a str, account: &'a str, address: AddressPartition) -> RequestQuery<'a> {
    RequestQuery {
        address,
        key,
        account,
        emission_us: 250_000,
        burst: 4,
        auth_limit: 3,
        quota: 5,
        quota_floor: 0,
    }
}

/// Asks `store` to decide `query`, which must be decided (not blocked).
async fn decided(
    store: &impl Store,
    query: RequestQuery<'_>,
) -> (crate::RateOutcome, crate::QuotaOutcome) {
    match store.request(query).await.expect("store answers") {
        RequestOutcome::Decided { rate, quota } => (rate, quota),
        blocked => panic!("expected a rate decision, got {blocked:?}"),
    }
}

/// The behaviour suite: every store, on a manual clock the store reads, must pass each of
/// these. Run them all with [`run_all`].
pub mod suite {
    use super::*;

    /// A burst of 4 at 4/s is admitted at once; the 5th is refused with the exact wait until
    /// one unit refills (250 ms), and admitted once that wait has passed.
    pub async fn burst_then_exact_wait(store: &impl Store, clock: &ManualClock) {
        clock.set_us(LEAP_DAY_EVENING * 1_000_000);
        let (key, account, address) = (unique("key"), unique("acct"), unique_address());
        let query = request(&key, &account, address);
        for left in (0..4).rev() {
            let (rate, _) = decided(store, query).await;
            assert!(
                rate.admitted,
                "request {} of the burst is admitted",
                4 - left
            );
            assert_eq!(rate.remaining, left, "remaining after request {}", 4 - left);
        }
        let (refused, _) = decided(store, query).await;
        assert!(!refused.admitted, "the request past the burst is refused");
        assert_eq!(
            refused.next_unit_us, 250_000,
            "the wait is one emission interval"
        );
        clock.advance_us(249_999);
        let (early, _) = decided(store, query).await;
        assert!(!early.admitted, "a microsecond early is still refused");
        assert_eq!(early.next_unit_us, 1, "one microsecond left");
        clock.advance_us(1);
        let (on_time, _) = decided(store, query).await;
        assert!(on_time.admitted, "on time is admitted");
    }

    /// The quota accepts exactly its size, refuses the rest with the time until the cycle
    /// resets, and starts again (from the floor) in the next cycle.
    pub async fn quota_exact_then_resets(store: &impl Store, clock: &ManualClock) {
        clock.set_us(LEAP_DAY_EVENING * 1_000_000);
        let account = unique("acct");
        let event = EventQuery {
            account: &account,
            quota: 5,
            quota_floor: 2,
        };
        for used in 3..=5 {
            let outcome = store.event(event).await.expect("store answers");
            assert!(
                outcome.accepted,
                "event {used} of 5 (2 spent at start) is accepted"
            );
            assert_eq!(outcome.used, used);
        }
        let refused = store.event(event).await.expect("store answers");
        assert!(!refused.accepted, "the event past the quota is refused");
        assert_eq!(refused.used, 5, "a refused event is not counted");
        assert_eq!(
            refused.reset_us, 3_600_000_000,
            "the cycle resets at midnight UTC"
        );
        assert_eq!(
            refused.cycle_us,
            29 * 86_400_000_000,
            "February 2024 has 29 days"
        );
        clock.advance_us(3_600_000_000);
        let next = store.event(event).await.expect("store answers");
        assert!(next.accepted, "a new cycle accepts again");
        assert_eq!(next.used, 3, "the new cycle starts from the floor");
        assert_eq!(next.cycle_us, 31 * 86_400_000_000, "March has 31 days");
    }

    /// The counter never reads under the floor the service gives: a count the store has
    /// lost (a floor higher than it) goes on from the floor, and a lower floor changes
    /// nothing.
    pub async fn the_count_never_reads_under_the_floor(store: &impl Store, clock: &ManualClock) {
        clock.set_us(LEAP_DAY_EVENING * 1_000_000);
        let (key, account, address) = (unique("key"), unique("acct"), unique_address());
        let event = |quota_floor| EventQuery {
            account: &account,
            quota: 8,
            quota_floor,
        };
        for used in 1..=2 {
            assert_eq!(
                store.event(event(0)).await.expect("store answers").used,
                used
            );
        }
        let mut look = request(&key, &account, address);
        look.quota_floor = 5;
        let (_, quota) = decided(store, look).await;
        assert_eq!(quota.used, 5, "a look reads the floor over a lower count");
        let raised = store.event(event(5)).await.expect("store answers");
        assert_eq!(raised.used, 6, "an event counts on from the floor");
        let lower = store.event(event(3)).await.expect("store answers");
        assert_eq!(lower.used, 7, "a floor under the count changes nothing");
        assert_eq!(store.event(event(0)).await.expect("store answers").used, 8);
        let past = store.event(event(0)).await.expect("store answers");
        assert!(!past.accepted, "the quota holds with the floor counted in");
        let over = store.event(event(9)).await.expect("store answers");
        assert_eq!(
            (over.accepted, over.used),
            (false, 9),
            "a floor past the quota is told"
        );
    }

    /// Past 3 failures in a window an address is blocked, valid key or not, until the window
    /// that the first failure opened ends; other addresses are not.
    pub async fn failed_keys_block_the_address(store: &impl Store, clock: &ManualClock) {
        clock.set_us(LEAP_DAY_EVENING * 1_000_000);
        let (key, account, address, other) = (
            unique("key"),
            unique("acct"),
            unique_address(),
            unique_address(),
        );
        let failure = AuthFailureQuery {
            address,
            window_us: 60_000_000,
        };
        for count in 1..=4 {
            let outcome = store.auth_failure(failure).await.expect("store answers");
            assert_eq!(outcome.failures, count, "failure {count} is counted");
            clock.advance_us(1_000_000);
        }
        match store
            .request(request(&key, &account, address))
            .await
            .expect("store answers")
        {
            RequestOutcome::AddressBlocked(auth) => {
                assert_eq!(
                    auth.window_left_us, 56_000_000,
                    "blocked until the window ends"
                )
            }
            decided => panic!("a blocked address must not be decided: {decided:?}"),
        }
        let (rate, _) = decided(store, request(&key, &account, other)).await;
        assert!(
            rate.admitted,
            "another address with the same key is admitted"
        );
        clock.advance_us(56_000_000);
        let (rate, _) = decided(store, request(&key, &account, address)).await;
        assert!(
            rate.admitted,
            "the address is admitted once the window has ended"
        );
    }

    /// A request looks at the quota without spending it.
    pub async fn requests_do_not_spend_the_quota(store: &impl Store, clock: &ManualClock) {
        clock.set_us(LEAP_DAY_EVENING * 1_000_000);
        let (key, account, address) = (unique("key"), unique("acct"), unique_address());
        for _ in 0..3 {
            let (_, quota) = decided(store, request(&key, &account, address)).await;
            assert_eq!(quota.used, 0, "a look counts nothing");
            assert_eq!(quota.reset_us, 3_600_000_000, "the look tells the reset");
        }
    }
}

/// Runs every test of [`suite`] on `store`.
pub async fn run_all(store: &impl Store, clock: &ManualClock) {
    suite::burst_then_exact_wait(store, clock).await;
    suite::quota_exact_then_resets(store, clock).await;
    suite::failed_keys_block_the_address(store, clock).await;
    suite::requests_do_not_spend_the_quota(store, clock).await;
    suite::the_count_never_reads_under_the_floor(store, clock).await;
}
