//! `attractos-contract`: runs the AttractOS error contract suite against the embedded
//! reference server or a running service.

use std::io::IsTerminal;
use std::net::TcpListener;
use std::num::NonZeroU32;
use std::process::ExitCode;

use attractos_contract::case::{self, DEFAULT_BURST};
use attractos_contract::fixtures::{Fixtures, KeyRef, SiteRef};
use attractos_contract::report;
use attractos_contract::run::{self, Report, Suite};
use attractos_contract::target::HttpTarget;
use attractos_reference::{Framework, Options, Server, serve};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::EnvFilter;

/// Checks that a service keeps the AttractOS error contract: every error is
/// {"error": "...", "code": "..."} (plus retry_after on 429s) with the contract's status and
/// headers, and nothing internal leaks.
#[derive(Debug, Parser)]
#[command(version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the contract cases (and optionally generated bad requests) and judges every answer.
    ///
    /// Without --url, starts the embedded reference server on ephemeral 127.0.0.1 ports, once
    /// per framework, and checks each. With --url, checks that service, using the keys and site
    /// ids given by flags or environment variables; cases needing one that is missing are
    /// skipped, and the report says which. Exits non-zero when any case fails.
    Check(Box<CheckArgs>),
    /// Floods the embedded reference server (per framework, on 127.0.0.1) with a bounded mix of
    /// good and bad requests and injected panics and failures, judging every answer; then checks
    /// the server still answers the suite correctly and that memory did not grow past a bound.
    ///
    /// Prints requests, responses by code, non-contract responses (must be 0) and RSS before
    /// and after. Exits 1 on any non-contract response, missing answer, failed check or growth
    /// past the bound.
    Soak(SoakArgs),
    /// Lists the contract cases: name, request, what they need, expected answer.
    Cases {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Base URL of a running service to check, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "ATTRACTOS_URL")]
    url: Option<String>,
    /// Which embedded reference servers to check (without --url).
    #[arg(long, value_enum, default_value_t = Frameworks::Both, conflicts_with = "url")]
    framework: Frameworks,
    /// Per-key rate limit of the embedded servers, requests per second.
    #[arg(long, default_value_t = Options::DEFAULT_RATE_LIMIT, conflicts_with = "url")]
    rate_limit: NonZeroU32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Adds N generated bad requests (random bodies, odd headers, bad dates, odd paths),
    /// each judged by the contract's generic rules.
    #[arg(long, default_value_t = 0, value_name = "N")]
    fuzz: usize,
    /// Seed of the generated requests; the same seed replays the same requests.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Most requests the rate-limit case sends before giving up on seeing RATE_LIMITED.
    #[arg(long, default_value_t = DEFAULT_BURST)]
    burst: u32,
    /// The service's request body limit in bytes (sizes the over-limit body).
    #[arg(long, default_value_t = attractos_errors::rules::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Runs only the cases whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
    /// Text no response may contain (repeatable). The embedded run always forbids the
    /// reference fixtures' secret, hunter2.
    #[arg(long, value_name = "TEXT")]
    forbid: Vec<String>,
    /// With --url: start from the reference server's built-in keys and sites (for a running
    /// attractos-reference); flags and environment variables still override them.
    #[arg(long, requires = "url")]
    reference_fixtures: bool,
    #[command(flatten)]
    fixtures: FixtureArgs,
}

#[derive(Debug, Args)]
struct SoakArgs {
    /// How long the flood lasts per framework, e.g. 30s, 2m, 500ms.
    #[arg(long, default_value = "10s", value_parser = attractos_contract::soak::parse_duration)]
    duration: std::time::Duration,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Which embedded reference servers to soak.
    #[arg(long, value_enum, default_value_t = Frameworks::Both)]
    framework: Frameworks,
    /// Per-key rate limit of the embedded servers, requests per second.
    #[arg(long, default_value_t = NonZeroU32::new(200).expect("not zero"))]
    rate_limit: NonZeroU32,
    /// Generated bad requests in the pool the clients cycle through.
    #[arg(long, default_value_t = 400, value_name = "N")]
    fuzz: usize,
    /// Seed of the generated requests.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Allowed growth of this process's resident memory (which includes the embedded server)
    /// between the end of the warm-up (the first fifth) and the end of the flood, in MiB.
    #[arg(long, default_value_t = 64)]
    max_rss_growth_mib: u64,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Fixtures (with --url)")]
struct FixtureArgs {
    /// A live key of a Free-plan user who owns --site-free.
    #[arg(long, env = "ATTRACTOS_KEY_FREE", hide_env_values = true)]
    key_free: Option<String>,
    /// A live key of a Pro-plan user who owns --site-pro.
    #[arg(long, env = "ATTRACTOS_KEY_PRO", hide_env_values = true)]
    key_pro: Option<String>,
    /// A revoked key.
    #[arg(long, env = "ATTRACTOS_KEY_REVOKED", hide_env_values = true)]
    key_revoked: Option<String>,
    /// A key whose user was deleted.
    #[arg(long, env = "ATTRACTOS_KEY_ORPHAN", hide_env_values = true)]
    key_orphan: Option<String>,
    /// A key of a user who owns --site-quota and has spent this month's event quota.
    #[arg(long, env = "ATTRACTOS_KEY_QUOTA", hide_env_values = true)]
    key_quota: Option<String>,
    /// A site of the --key-free user.
    #[arg(long, env = "ATTRACTOS_SITE_FREE")]
    site_free: Option<String>,
    /// A site of the --key-pro user.
    #[arg(long, env = "ATTRACTOS_SITE_PRO")]
    site_pro: Option<String>,
    /// A site of the --key-pro user whose reads fail inside the service (SERVER_ERROR).
    #[arg(long, env = "ATTRACTOS_SITE_BROKEN")]
    site_broken: Option<String>,
    /// A site of the --key-quota user.
    #[arg(long, env = "ATTRACTOS_SITE_QUOTA")]
    site_quota: Option<String>,
    /// An existing site the --key-free user does not own.
    #[arg(long, env = "ATTRACTOS_SITE_FOREIGN")]
    site_foreign: Option<String>,
}

impl FixtureArgs {
    fn apply(&self, mut fixtures: Fixtures) -> Fixtures {
        let keys = [
            (KeyRef::Free, &self.key_free),
            (KeyRef::Pro, &self.key_pro),
            (KeyRef::Revoked, &self.key_revoked),
            (KeyRef::Orphan, &self.key_orphan),
            (KeyRef::Quota, &self.key_quota),
        ];
        for (key, value) in keys {
            if let Some(value) = value {
                fixtures = fixtures.with_key(key, value.clone());
            }
        }
        let sites = [
            (SiteRef::Free, &self.site_free),
            (SiteRef::Pro, &self.site_pro),
            (SiteRef::Broken, &self.site_broken),
            (SiteRef::Quota, &self.site_quota),
            (SiteRef::Foreign, &self.site_foreign),
        ];
        for (site, value) in sites {
            if let Some(value) = value {
                fixtures = fixtures.with_site(site, value.clone());
            }
        }
        fixtures
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A readable table per target, with a summary line.
    Table,
    /// One JSON document on stdout.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Frameworks {
    /// axum, then actix-web.
    Both,
    /// axum only.
    Axum,
    /// actix-web only.
    Actix,
}

impl Frameworks {
    fn list(self) -> &'static [Framework] {
        match self {
            Frameworks::Both => &Framework::ALL,
            Frameworks::Axum => &[Framework::Axum],
            Frameworks::Actix => &[Framework::Actix],
        }
    }
}

/// The secret inside the reference server's broken-site failure.
const REFERENCE_SECRET: &str = "hunter2";

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("off")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match cli.command {
        Command::Cases { format } => {
            print!("{}", list_cases(format));
            ExitCode::SUCCESS
        }
        Command::Soak(args) => match soak(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(err) => {
                eprintln!("attractos-contract: {err}");
                ExitCode::from(2)
            }
        },
        Command::Check(args) => match check(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(err) => {
                eprintln!("attractos-contract: {err}");
                ExitCode::from(2)
            }
        },
    }
}

fn suite(args: &CheckArgs, fixtures: Fixtures) -> Suite {
    let mut suite = Suite::new(fixtures)
        .with_body_limit(args.body_limit)
        .with_burst(args.burst)
        .with_fuzz(args.fuzz, args.seed);
    if let Some(filter) = &args.only {
        suite = suite.only(filter);
    }
    for text in &args.forbid {
        suite = suite.forbid(text.clone());
    }
    suite
}

/// Runs the check; `Ok(false)` when a case failed.
fn check(args: &CheckArgs) -> Result<bool, String> {
    let mut targets = Vec::new();
    // Kept until the end of the run; dropping a server stops it.
    let mut servers: Vec<Server> = Vec::new();
    let suite = match &args.url {
        Some(url) => {
            let base = if args.reference_fixtures {
                Fixtures::reference()
            } else {
                Fixtures::default()
            };
            targets.push(HttpTarget::new(url).map_err(|err| err.to_string())?);
            suite(args, args.fixtures.apply(base))
        }
        None => {
            let options = Options::default()
                .rate_limit(args.rate_limit)
                .body_limit(args.body_limit);
            for framework in args.framework.list() {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .map_err(|err| format!("cannot bind 127.0.0.1:0: {err}"))?;
                let server = serve(*framework, listener, options.clone())
                    .map_err(|err| format!("cannot start the {framework} server: {err}"))?;
                let name = format!("{framework} ({})", server.url());
                targets.push(HttpTarget::named(name, &server.url()).map_err(|e| e.to_string())?);
                servers.push(server);
            }
            suite(args, Fixtures::reference()).forbid(REFERENCE_SECRET)
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    let mut reports = Vec::new();
    for target in &targets {
        let progress = progress_bar(&suite, target.base_url());
        let report = runtime.block_on(run::run(target, &suite, |outcome| {
            progress.set_message(outcome.case.clone());
            progress.inc(1);
        }));
        progress.finish_and_clear();
        if args.format == Format::Table {
            println!("{}", report::table(&report));
        }
        reports.push(report);
    }
    if args.format == Format::Json {
        print!("{}", report::json(&reports));
    } else if reports.len() > 1 {
        let passed: usize = reports.iter().map(|r| r.passed).sum();
        let failed: usize = reports.iter().map(|r| r.failed).sum();
        println!("total: {passed} passed, {failed} failed");
    }
    // Close the clients' idle keep-alive connections first, so graceful stops are immediate.
    drop(targets);
    for server in servers {
        server
            .stop()
            .map_err(|err| format!("stopping an embedded server: {err}"))?;
    }
    Ok(reports.iter().all(Report::ok))
}

/// Soaks each embedded server in turn; `Ok(false)` when one failed.
fn soak(args: &SoakArgs) -> Result<bool, String> {
    use attractos_contract::soak::{self, SoakConfig};
    use attractos_reference::domain::DEBUG_FAULT_SECRET;

    // The soak sends thousands of made-up keys from one address on purpose; the failed-key
    // throttle would answer its later checks RATE_LIMITED, so it is out of the way here.
    let options = Options::default()
        .rate_limit(args.rate_limit)
        .auth_failure_limit(std::num::NonZeroU32::MAX)
        .debug_routes(true);
    let config = SoakConfig::new(args.duration)
        .with_concurrency(args.concurrency)
        .with_rate_limit(args.rate_limit.get())
        .with_fuzz(args.fuzz, args.seed)
        .with_faults(true)
        .with_max_rss_growth(args.max_rss_growth_mib << 20)
        .forbid(REFERENCE_SECRET)
        .forbid(DEBUG_FAULT_SECRET);
    quiet_injected_panics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    let mut all_ok = true;
    for framework in args.framework.list() {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|err| format!("cannot bind 127.0.0.1:0: {err}"))?;
        let server = serve(*framework, listener, options.clone())
            .map_err(|err| format!("cannot start the {framework} server: {err}"))?;
        let name = format!("{framework} ({})", server.url());
        let target = HttpTarget::named(name, &server.url()).map_err(|e| e.to_string())?;
        let report = runtime.block_on(soak::soak(&target, Fixtures::reference(), &config));
        println!(
            "concurrency: {}, pool seed {}, {} generated requests, rate limit {}/s per key",
            args.concurrency, args.seed, args.fuzz, args.rate_limit
        );
        println!("{}", report.render());
        all_ok &= report.ok();
        drop(target);
        server
            .stop()
            .map_err(|err| format!("stopping an embedded server: {err}"))?;
    }
    Ok(all_ok)
}

/// The injected panics are expected by the thousand: keep their messages (which the server
/// logs anyway) off stderr, and report every other panic as usual.
fn quiet_injected_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map_or("", String::as_str);
        if !text.starts_with("injected panic") {
            default(info);
        }
    }));
}

/// A bar on stderr, hidden when stderr is not a terminal.
fn progress_bar(suite: &Suite, url: &str) -> ProgressBar {
    let bar =
        ProgressBar::with_draw_target(Some(suite.cases.len() as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg}")
            .expect("a valid progress template")
            .progress_chars("=> "),
    );
    bar.set_prefix(url.to_owned());
    bar
}

fn list_cases(format: Format) -> String {
    let cases = case::fixed();
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = cases
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "name": c.name,
                        "about": c.about,
                        "method": c.request.method.as_str(),
                        "path": c.request.path,
                        "needs": c.request.needs().iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "expected": c.expect.to_string(),
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&rows).expect("plain JSON values");
            text.push('\n');
            text
        }
        Format::Table => {
            let width = cases.iter().map(|c| c.name.len()).max().unwrap_or(0);
            let mut out = String::new();
            for c in &cases {
                out.push_str(&format!(
                    "{:<width$}  {:<22}  {} {}\n{:<width$}  {}\n",
                    c.name,
                    c.expect.to_string(),
                    c.request.method,
                    c.request.path,
                    "",
                    c.about,
                ));
            }
            out
        }
    }
}
