//! Redis as a real component: exact under concurrency across replicas, a decided answer in
//! bounded time when it dies, one warning per outage, nothing leaked, and shared limits again
//! once it is back.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use attractos_errors::ErrorCode;
use attractos_limits::testing::{RedisServer, unique};
use attractos_limits::{
    AnyStore, Clock, DEFAULT_TIMEOUT, EventQuery, Limiter, Policies, RatePolicy, RedisStore, Store,
};

use crate::common::{client, free_account};

fn redis(server: &RedisServer) -> RedisStore {
    RedisStore::connect(&server.url(), DEFAULT_TIMEOUT, Clock::Store).expect("a valid URL")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quota_is_exact_under_concurrency_across_replicas() {
    let server = RedisServer::start();
    // A long timeout: 1000 decisions at once queue behind one connection per replica, and
    // this test is about exactness, not latency.
    let patient = || {
        RedisStore::connect(&server.url(), Duration::from_secs(5), Clock::Store)
            .expect("a valid URL")
    };
    let replicas = [Arc::new(patient()), Arc::new(patient())];
    let account = Arc::new(unique("acct"));
    let tasks: Vec<_> = (0..1000)
        .map(|n| {
            let store = Arc::clone(&replicas[n % 2]);
            let account = Arc::clone(&account);
            tokio::spawn(async move {
                let query = EventQuery {
                    account: &account,
                    quota: 500,
                    quota_floor: 0,
                };
                store
                    .event(query)
                    .await
                    .expect("the store answers")
                    .accepted
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        accepted += usize::from(task.await.unwrap());
    }
    assert_eq!(
        accepted, 500,
        "exactly the quota is accepted, across both replicas"
    );
}

fn policies() -> Policies {
    // One request per minute: any second admission of a key is visibly shared state.
    Policies {
        free_rate: RatePolicy::new(NonZeroU32::MIN, NonZeroU32::new(60).unwrap()),
        ..Policies::default()
    }
}

fn limiter(server: &RedisServer) -> Limiter {
    Limiter::new(AnyStore::Redis(redis(server)), policies())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_store_gets_the_fail_modes_in_bounded_time_then_shared_limits_come_back() {
    let mut server = RedisServer::start();
    let (a, b) = (limiter(&server), limiter(&server));
    let key = unique("key");
    assert!(a.admit(client(), free_account(&key)).await.outcome.is_ok());
    let shared = b.admit(client(), free_account(&key)).await;
    assert_eq!(
        shared.outcome.unwrap_err().code(),
        ErrorCode::RateLimited,
        "replicas share the key's rate"
    );

    server.kill();
    for n in 0..20 {
        let started = Instant::now();
        let verdict = a.admit(client(), free_account(&unique("key"))).await;
        let event = a.count_event(free_account(&key), verdict.rate).await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "decision {n} took {:?}",
            started.elapsed()
        );
        assert!(
            verdict.outcome.is_ok(),
            "the rate fails open (per-process fallback)"
        );
        assert!(
            verdict.fields.current().is_some(),
            "the fallback states its state"
        );
        let err = event.outcome.unwrap_err();
        assert_eq!(err.code(), ErrorCode::ServerError, "the quota fails closed");
        assert_eq!(event.fields.current(), None, "the quota's state is unknown");
        let policy = event.fields.policy().expect("the policies are still known");
        let month = policy
            .strip_prefix(r#""requests";q=1;w=60, "events";q=10000;w="#)
            .and_then(|window| window.parse::<u64>().ok());
        assert!(
            month.is_some_and(|secs| secs % 86_400 == 0 && (28..=31).contains(&(secs / 86_400))),
            "the event window is this calendar month's length: {policy}"
        );
        let cause = format!("{:?}", err.cause());
        assert!(
            !cause.contains(&server.port().to_string()),
            "the cause names no address: {cause}"
        );
    }

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let key = unique("key");
        let first = a.admit(client(), free_account(&key)).await;
        let second = b.admit(client(), free_account(&key)).await;
        if first.outcome.is_ok() && second.outcome.is_err() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "limits were not shared again within 5 s of the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The outage is logged when it starts and when it ends, not once per request: a second of
/// decisions against a dead store makes one warning, and a second outage a second one.
#[tokio::test]
async fn an_outage_is_logged_once_when_it_starts_and_once_when_it_ends() {
    let (messages, _guard) = Messages::capture();
    let failed = "the limit store failed";
    let back = "the limit store answers again";
    let mut server = RedisServer::start();
    let limiter = limiter(&server);
    let decide = || async {
        limiter.admit(client(), free_account(&unique("key"))).await;
        limiter
            .count_event(free_account(&unique("key")), None)
            .await;
    };
    decide().await;
    assert_eq!(messages.count(failed), 0, "{messages:?}");

    server.kill();
    // A second of decisions: the dead store is asked again every 250 ms (the rest fail fast).
    for _ in 0..10 {
        decide().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(messages.count(failed), 1, "one warning: {messages:?}");

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(5);
    while messages.count(back) == 0 {
        assert!(
            Instant::now() < deadline,
            "no recovery within 5 s: {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        decide().await;
    }
    for _ in 0..20 {
        decide().await;
    }
    assert_eq!(messages.count(back), 1, "{messages:?}");
    assert_eq!(messages.count(failed), 1, "{messages:?}");

    server.kill();
    decide().await;
    assert_eq!(
        messages.count(failed),
        2,
        "a new outage, a new warning: {messages:?}"
    );
}

/// `CONFIG SET name value` on `server`.
fn configure(server: &RedisServer, name: &str, value: &str) {
    let client = redis::Client::open(server.url()).expect("a valid URL");
    let mut connection = client.get_connection().expect("the server answers");
    let command = redis::cmd("CONFIG").arg("SET").arg(name).arg(value).clone();
    let () = command
        .query(&mut connection)
        .expect("the setting is taken");
}

/// A limiter whose store runs on this test's (one-threaded) runtime, where its log is captured.
fn limiter_here(server: &RedisServer) -> Limiter {
    let store = redis(server).on_runtime(tokio::runtime::Handle::current());
    Limiter::new(AnyStore::Redis(store), policies())
}

/// A Redis that may evict keys would lose counts (an account past its quota): the store asks
/// after its first answer, and again after an outage (the server may have changed), and
/// warns; one that does not evict is not warned of.
#[tokio::test]
async fn a_redis_that_may_evict_the_limits_is_warned_of_after_each_outage() {
    let (messages, _guard) = Messages::capture();
    let warning = "the limit store's Redis may evict keys";
    let mut server = RedisServer::start();
    let limiter = limiter_here(&server);
    let answered = || async {
        let event = limiter
            .count_event(free_account(&unique("key")), None)
            .await;
        event.outcome.is_ok()
    };
    assert!(answered().await, "Redis as it starts: no maxmemory");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(messages.count(warning), 0, "{messages:?}");

    server.kill();
    assert!(!answered().await);
    server.restart();
    configure(&server, "maxmemory", "100mb");
    configure(&server, "maxmemory-policy", "volatile-lru");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !answered().await {
        assert!(Instant::now() < deadline, "Redis back within 5 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while messages.count(warning) == 0 {
        assert!(
            Instant::now() < deadline,
            "a warning within 2 s: {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for _ in 0..20 {
        assert!(answered().await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(messages.count(warning), 1, "once, not per decision");
    assert!(
        format!("{messages:?}").contains("set maxmemory-policy noeviction"),
        "the warning says what to set: {messages:?}"
    );
}

/// A full Redis that does not evict refuses writes: each decision a store failure, answered
/// by the fail modes (the quota closed, the rate by the per-process fallback), the cause
/// saying so; limits are kept in Redis again once it has room.
#[tokio::test]
async fn a_full_redis_is_a_store_failure_until_it_has_room() {
    let server = RedisServer::start();
    let limiter = limiter(&server);
    let key = unique("key");
    let event = || async { limiter.count_event(free_account(&key), None).await.outcome };
    assert!(event().await.is_ok());
    configure(&server, "maxmemory", "1");

    let err = event().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ServerError, "the quota fails closed");
    let cause = format!("{:?}", err.cause());
    assert!(
        cause.contains("maxmemory"),
        "the cause says Redis is full: {cause}"
    );
    let verdict = limiter.admit(client(), free_account(&unique("key"))).await;
    assert!(verdict.outcome.is_ok(), "the rate fails open");

    configure(&server, "maxmemory", "0");
    let deadline = Instant::now() + Duration::from_secs(2);
    while event().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "events accepted within 2 s of room"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn the_password_never_shows() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _entered = runtime.enter();
    let store = RedisStore::connect(
        "redis://:hunter2@127.0.0.1:1/0",
        DEFAULT_TIMEOUT,
        Clock::Store,
    )
    .expect("a valid URL");
    // What the store is, and nothing of its URL.
    assert_eq!(
        format!("{store:?}"),
        "RedisStore { connection: Connection { .. } }"
    );
    let err =
        RedisStore::connect("redis://:hunter2@[bad", DEFAULT_TIMEOUT, Clock::Store).unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
}

#[test]
#[should_panic(expected = "apt-get install -y redis-server")]
fn a_missing_redis_server_fails_with_the_install_command() {
    let _server = RedisServer::start_binary("/nonexistent/redis-server");
}

/// The messages of the events logged on this thread while the guard lives.
#[derive(Debug, Clone, Default)]
struct Messages(Arc<std::sync::Mutex<Vec<String>>>);

impl Messages {
    fn capture() -> (Messages, tracing::subscriber::DefaultGuard) {
        use tracing_subscriber::layer::SubscriberExt;
        // While this process has one `Dispatch`, a callsite first met on a thread with no
        // subscriber (another test's) caches "never", and hides its events from this one
        // (tokio-rs/tracing#3611). A second one, kept for good, makes tracing ask them all.
        static SECOND: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
        SECOND.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::new()));
        let messages = Messages::default();
        let subscriber = tracing_subscriber::registry().with(messages.clone());
        (messages, tracing::subscriber::set_default(subscriber))
    }

    /// How many messages start with `text`.
    fn count(&self, text: &str) -> usize {
        let messages = self.0.lock().expect("not poisoned");
        messages.iter().filter(|m| m.starts_with(text)).count()
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Messages {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        self.0.lock().expect("not poisoned").push(message.0);
    }
}
