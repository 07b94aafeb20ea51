//! `attractos-contract check`: the contract cases against the embedded reference server or a
//! running service, reported as a table, JSON or JUnit XML.

use std::num::NonZeroU32;
use std::time::Duration;

use attractos_contract::case::DEFAULT_BURST;
use attractos_contract::fixtures::{Fixture, Fixtures, KeyRef, SiteRef};
use attractos_contract::report;
use attractos_contract::rule::Level;
use attractos_contract::run::{self, Report, Suite};
use attractos_contract::target::HttpTarget;
use attractos_reference::{Options, Server};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::{Frameworks, REFERENCE_SECRET, runtime, start};

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Base URL of a running service to check, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "ATTRACTOS_URL")]
    url: Option<String>,
    /// With an https:// --url: a PEM file of CA certificates to trust besides the Mozilla
    /// roots built in (a service behind a private CA).
    #[arg(long, env = "ATTRACTOS_CA_FILE", value_name = "FILE", requires = "url")]
    ca: Option<std::path::PathBuf>,
    /// With --url: a header to send with every request whose case does not set it, e.g. a
    /// gateway's token (repeatable; ATTRACTOS_HEADERS takes one per line). Authorization and
    /// the framing headers are the checker's own.
    #[arg(long = "header", value_name = "NAME: VALUE", requires = "url",
          env = "ATTRACTOS_HEADERS", value_delimiter = '\n', hide_env_values = true,
          value_parser = name_and_value)]
    headers: Vec<(String, String)>,
    /// Which embedded reference servers to check (without --url).
    #[arg(long, value_enum, default_value_t = Frameworks::Both, conflicts_with = "url")]
    framework: Frameworks,
    /// Per-key rate limit of the embedded servers, requests per second.
    #[arg(long, default_value_t = Options::DEFAULT_RATE_LIMIT, conflicts_with = "url")]
    rate_limit: NonZeroU32,
    /// Which findings fail the run; each level includes the ones before it. Findings of
    /// the levels above are reported as warnings and counted apart.
    #[arg(long, value_enum, default_value_t = LevelArg::Recommended)]
    level: LevelArg,
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
    /// Seconds one request may take, from connecting to its body's last byte, before it
    /// counts as no response. When the first 3 cases sent all get no response (connection
    /// refused, nothing within the timeout, not HTTP), the run stops and says once that the
    /// service is unreachable or not answering.
    #[arg(long, value_name = "SECONDS", default_value_t = HttpTarget::TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
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

/// The levels of the judge's rules, as `--level` takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LevelArg {
    /// What the published error page promises: status, body keys and types, catalogue code,
    /// retry_after on 429s only, the catalogue's message on 500s, JSON, the expected code, no
    /// forbidden text, SITE_NOT_FOUND indistinguishable.
    Contract,
    /// Also what the HTTP RFCs require of these answers: WWW-Authenticate on 401, Allow on
    /// 405, Retry-After on 429 equal to retry_after.
    Http,
    /// Also the house rules: Cache-Control no-store, nosniff, X-Request-Id and its echo, the
    /// docs Link and the RateLimit fields when sent.
    Recommended,
}

impl From<LevelArg> for Level {
    fn from(level: LevelArg) -> Level {
        match level {
            LevelArg::Contract => Level::Contract,
            LevelArg::Http => Level::Http,
            LevelArg::Recommended => Level::Recommended,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A readable table per target, findings grouped by rule, and a summary line.
    Table,
    /// One JSON document on stdout.
    Json,
    /// JUnit XML on stdout: a testsuite per target, a testcase per case.
    Junit,
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
        let given = [
            (Fixture::Key(KeyRef::Free), &self.key_free),
            (Fixture::Key(KeyRef::Pro), &self.key_pro),
            (Fixture::Key(KeyRef::Revoked), &self.key_revoked),
            (Fixture::Key(KeyRef::Orphan), &self.key_orphan),
            (Fixture::Key(KeyRef::Quota), &self.key_quota),
            (Fixture::Site(SiteRef::Free), &self.site_free),
            (Fixture::Site(SiteRef::Pro), &self.site_pro),
            (Fixture::Site(SiteRef::Broken), &self.site_broken),
            (Fixture::Site(SiteRef::Quota), &self.site_quota),
            (Fixture::Site(SiteRef::Foreign), &self.site_foreign),
        ];
        for (fixture, value) in given {
            let Some(value) = value.clone() else { continue };
            fixtures = match fixture {
                Fixture::Key(key) => fixtures.with_key(key, value),
                Fixture::Site(site) => fixtures.with_site(site, value),
            };
        }
        fixtures
    }
}

impl CheckArgs {
    fn suite(&self, fixtures: Fixtures) -> Suite {
        let mut suite = Suite::new(fixtures)
            .with_body_limit(self.body_limit)
            .with_burst(self.burst)
            .with_fuzz(self.fuzz, self.seed)
            .at_level(self.level.into());
        if let Some(filter) = &self.only {
            suite = suite.only(filter);
        }
        for text in &self.forbid {
            suite = suite.forbid(text.clone());
        }
        suite
    }
}

/// `NAME: VALUE`, split at the first colon, each side trimmed.
fn name_and_value(header: &str) -> Result<(String, String), String> {
    let (name, value) = header
        .split_once(':')
        .ok_or_else(|| format!("{header:?} is not NAME: VALUE"))?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

/// Runs the check; `Ok(false)` when a case failed at the chosen level.
pub(crate) fn check(args: &CheckArgs) -> Result<bool, String> {
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
            let mut target = HttpTarget::new(url).map_err(|err| err.to_string())?;
            if let Some(ca) = &args.ca {
                let unusable = |why: String| format!("--ca {}: {why}", ca.display());
                let pem = std::fs::read(ca).map_err(|err| unusable(err.to_string()))?;
                target = target.trusting(&pem).map_err(|err| unusable(err.0))?;
            }
            let headers = args.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
            target = target.with_headers(headers).map_err(|err| err.0)?;
            targets.push(target);
            args.suite(args.fixtures.apply(base))
        }
        None => {
            let options = Options::default()
                .rate_limit(args.rate_limit)
                .body_limit(args.body_limit);
            for framework in args.framework.list() {
                let (server, target) = start(*framework, options.clone())?;
                targets.push(target);
                servers.push(server);
            }
            args.suite(Fixtures::reference()).forbid(REFERENCE_SECRET)
        }
    };
    let timeout = Duration::from_secs(args.timeout);
    let targets: Vec<HttpTarget> = targets
        .into_iter()
        .map(|target| target.with_timeout(timeout))
        .collect();
    let runtime = runtime()?;
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
    let level = suite.judge.level;
    match args.format {
        Format::Json => print!("{}", report::json(&reports, level)),
        Format::Junit => print!("{}", report::junit(&reports, level)),
        Format::Table if reports.len() > 1 => {
            let sum = |f: fn(&Report) -> usize| reports.iter().map(f).sum::<usize>();
            let mut line = format!(
                "total: {} passed, {} failed",
                sum(|r| r.passed),
                sum(|r| r.failed)
            );
            if sum(|r| r.warned) > 0 {
                line.push_str(&format!("; {} passed with warnings", sum(|r| r.warned)));
            }
            println!("{line} (level {level})");
        }
        Format::Table => {}
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
