//! `attractos-reference`: serves the reference API until Ctrl-C.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use attractos_errors::{rules, serving};

use attractos_limits::{ProxyTrust, RedisSentinels, RedisTls};
use attractos_reference::{Framework, Options, bind};
use clap::{Parser, ValueEnum};
use tracing_subscriber::EnvFilter;

/// The AttractOS reference server: a small analytics API whose every error follows the
/// AttractOS error contract. Built-in keys: ak_demo_free, ak_demo_pro, ak_demo_revoked,
/// ak_demo_orphan, ak_demo_quota (see the crate README). Logs go to stderr; set RUST_LOG
/// (default: info).
#[derive(Debug, Parser)]
#[command(version)]
#[command(group = clap::ArgGroup::new("redis_store").args(["redis", "redis_sentinel"]))]
struct Cli {
    /// The web framework serving the API.
    #[arg(long, value_enum, default_value_t = FrameworkArg::Axum)]
    framework: FrameworkArg,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Keep the limits in this Redis server (redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], or
    /// rediss:// for TLS), shared by every replica using it. Default: this process's memory.
    #[arg(
        long,
        value_name = "URL",
        env = "ATTRACTOS_REDIS_URL",
        hide_env_values = true
    )]
    redis: Option<String>,
    /// For a rediss:// Redis (or rediss:// sentinels and their primary) whose certificate a
    /// private CA signed: that CA (a PEM file), trusted instead of the system's roots.
    #[arg(long, value_name = "FILE", requires = "redis_store")]
    redis_ca: Option<PathBuf>,
    /// For a rediss:// Redis (or sentinels) that authenticates its clients (mutual TLS): this
    /// server's certificate chain (a PEM file), shown with --redis-client-key.
    #[arg(long, value_name = "FILE", requires_all = ["redis_store", "redis_client_key"])]
    redis_client_cert: Option<PathBuf>,
    /// The private key (a PEM file) of --redis-client-cert.
    #[arg(long, value_name = "FILE", requires = "redis_client_cert")]
    redis_client_key: Option<PathBuf>,
    /// Keep the limits in the Redis primary these sentinels name, asked again after a failover
    /// (redis://[[USER]:PASSWORD@]HOST[:PORT], the sentinel's own credentials; rediss:// for
    /// TLS to them and the primary; repeat the flag or separate URLs with commas; the other
    /// sentinels they know of are learned from them). Instead of --redis.
    #[arg(
        long,
        value_name = "URL",
        env = "ATTRACTOS_REDIS_SENTINELS",
        hide_env_values = true,
        value_delimiter = ',',
        conflicts_with = "redis",
        requires = "redis_service"
    )]
    redis_sentinel: Vec<String>,
    /// The name the sentinels monitor the primary under (`sentinel monitor NAME ...`).
    #[arg(long, value_name = "NAME", requires = "redis_sentinel")]
    redis_service: Option<String>,
    /// The password of the primary the sentinels name (its requirepass), if it has one.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "ATTRACTOS_REDIS_PRIMARY_PASSWORD",
        hide_env_values = true,
        requires = "redis_sentinel"
    )]
    redis_primary_password: Option<String>,
    /// The Redis user (ACL) the primary's password is of; the default user without it.
    #[arg(
        long,
        value_name = "NAME",
        env = "ATTRACTOS_REDIS_PRIMARY_USER",
        requires = "redis_primary_password"
    )]
    redis_primary_user: Option<String>,
    /// Milliseconds one limit decision may wait for Redis; past that the policy's failure
    /// mode answers (rate limits fall back to this process's memory, the event quota answers
    /// SERVER_ERROR).
    #[arg(long, value_name = "MS", default_value_t = attractos_limits::DEFAULT_TIMEOUT.as_millis() as u64, value_parser = clap::value_parser!(u64).range(1..))]
    redis_timeout_ms: u64,
    /// Requests per second each Free-plan API key may make; more answer RATE_LIMITED.
    #[arg(long, default_value_t = Options::DEFAULT_RATE_LIMIT)]
    rate_limit: NonZeroU32,
    /// Requests per second each Pro-plan API key may make (default: 5x --rate-limit).
    #[arg(long)]
    rate_limit_pro: Option<NonZeroU32>,
    /// Events a Free-plan account may record per calendar month (UTC); more answer
    /// LIMIT_EXCEEDED.
    #[arg(long, default_value_t = attractos_limits::Policies::DEFAULT_FREE_EVENTS)]
    event_quota_free: u64,
    /// Events a Pro-plan account may record per calendar month (UTC).
    #[arg(long, default_value_t = attractos_limits::Policies::DEFAULT_PRO_EVENTS)]
    event_quota_pro: u64,
    /// Failed API keys one client address (an IPv6 /64 counts as one) may send per minute;
    /// past that it is answered RATE_LIMITED, whatever key it sends, until the minute has
    /// passed.
    #[arg(long, default_value_t = Options::DEFAULT_AUTH_FAILURE_LIMIT)]
    auth_failure_limit: NonZeroU32,
    /// The server sits behind exactly one proxy that appends the address it saw to
    /// X-Forwarded-For: the failed-key allowance counts that last entry, not the peer
    /// (never believed by default: any client can write the header).
    #[arg(long)]
    trust_x_forwarded_for: bool,
    /// The largest request body in bytes; larger ones answer PAYLOAD_TOO_LARGE.
    #[arg(long, default_value_t = rules::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Seconds a client may take to send a request head (also the idle keep-alive bound).
    #[arg(long, value_name = "SECS", default_value_t = serving::DEFAULT_HEAD_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    head_timeout: u64,
    /// Seconds a request body may take to arrive; slower ones answer INVALID_JSON.
    #[arg(long, value_name = "SECS", default_value_t = rules::DEFAULT_BODY_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,
    /// Also serves GET /api/v1/debug/panic and /api/v1/debug/fail, whose handlers panic or
    /// fail on purpose (for soak and reliability tests; never in production).
    #[arg(long)]
    debug_routes: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FrameworkArg {
    /// axum 0.8.
    Axum,
    /// actix-web 4.
    Actix,
}

impl From<FrameworkArg> for Framework {
    fn from(arg: FrameworkArg) -> Self {
        match arg {
            FrameworkArg::Axum => Framework::Axum,
            FrameworkArg::Actix => Framework::Actix,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("attractos-reference: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> std::io::Result<()> {
    let framework = Framework::from(cli.framework);
    let mut options = Options::default()
        .rate_limit(cli.rate_limit)
        .event_quota_free(cli.event_quota_free)
        .event_quota_pro(cli.event_quota_pro)
        .auth_failure_limit(cli.auth_failure_limit)
        .redis_timeout(Duration::from_millis(cli.redis_timeout_ms))
        .body_limit(cli.body_limit)
        .head_timeout(Duration::from_secs(cli.head_timeout))
        .body_timeout(Duration::from_secs(cli.body_timeout))
        .debug_routes(cli.debug_routes);
    if cli.trust_x_forwarded_for {
        options = options.proxy_trust(ProxyTrust::LastXForwardedFor);
    }
    if let Some(pro) = cli.rate_limit_pro {
        options = options.rate_limit_pro(pro);
    }
    if let Some(url) = &cli.redis {
        options = options.redis(url.clone());
    }
    if let Some(tls) = redis_tls(cli)? {
        options = options.redis_tls(tls);
    }
    if let Some(service) = &cli.redis_service {
        let mut sentinels = RedisSentinels::new(service, &cli.redis_sentinel)
            .map_err(|err| unusable("--redis-sentinel", err))?;
        if let Some(password) = &cli.redis_primary_password {
            let user = cli.redis_primary_user.as_deref();
            sentinels = sentinels.with_primary_password(user, password);
        }
        options = options.redis_sentinels(sentinels);
    }
    let server = bind(framework, cli.addr, options)?;
    tracing::info!(
        framework = %framework,
        url = %server.url(),
        rate_limit = cli.rate_limit.get(),
        limit_store = match (&cli.redis, &cli.redis_service) {
            (_, Some(_)) => "redis through sentinels",
            (Some(_), None) => "redis",
            (None, None) => "memory",
        },
        "serving the AttractOS reference API; Ctrl-C stops"
    );
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(tokio::signal::ctrl_c())?;
    tracing::info!("Ctrl-C received; stopping");
    server.stop()
}

/// The Redis TLS files the command line names, read and checked; `None` when it names none.
fn redis_tls(cli: &Cli) -> std::io::Result<Option<RedisTls>> {
    let read = |flag: &str, file: &Path| {
        std::fs::read(file).map_err(|err| {
            std::io::Error::new(err.kind(), format!("{flag} {}: {err}", file.display()))
        })
    };
    let mut tls = None;
    if let Some(file) = &cli.redis_ca {
        let ca = read("--redis-ca", file)?;
        let trusting = RedisTls::default().trusting(ca);
        tls = Some(trusting.map_err(|err| unusable("--redis-ca", err))?);
    }
    if let (Some(chain), Some(key)) = (&cli.redis_client_cert, &cli.redis_client_key) {
        let (chain, key) = (
            read("--redis-client-cert", chain)?,
            read("--redis-client-key", key)?,
        );
        let showing = tls.unwrap_or_default().with_client_certificate(chain, key);
        let flags = "--redis-client-cert, --redis-client-key";
        tls = Some(showing.map_err(|err| unusable(flags, err))?);
    }
    Ok(tls)
}

/// Why what `flags` give cannot be used.
fn unusable(flags: &str, err: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{flags}: {err}"))
}
