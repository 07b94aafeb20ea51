//! `attractos-contract`: runs the AttractOS error contract suite against the embedded
//! reference server or a running service.
//!
//! One module per subcommand: [`check`], [`soak`], [`cases`]. Exit status: 0 when nothing
//! failed, 1 when something did, 2 when the command could not run.

mod cases;
mod check;
mod soak;

use std::io::IsTerminal;
use std::net::TcpListener;
use std::process::ExitCode;

use attractos_contract::target::HttpTarget;
use attractos_reference::{Framework, Options, Server, serve};
use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

/// Checks that a service keeps the AttractOS error contract: every error is
/// {"error": "...", "code": "..."} (plus retry_after on 429s) with the contract's status and
/// headers, and nothing internal leaks.
#[derive(Debug, Parser)]
#[command(name = "attractos-contract", version, propagate_version = true)]
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
    /// skipped, and the report says which. Findings are grouped by rule, each rule at a level
    /// (contract, http, recommended); --level chooses which fail the run. Exits 0 when nothing
    /// at or below the level failed, 1 otherwise, 2 when the check could not run.
    ///
    /// A broken or hostile service cannot hang or exhaust the checker: each request must end
    /// within --timeout, body included, and at most 1 MiB of a body is read. A request past
    /// either, or answered with something that is not HTTP (garbage, a connection closed
    /// mid-answer, a head over hyper's ~400 KiB or 100 headers), fails its case as no
    /// response, saying what the service did. When the first 3 cases sent all get no response,
    /// the run stops there, saying the service is unreachable or not answering (exit 1).
    Check(Box<check::CheckArgs>),
    /// Floods the embedded reference server (per framework, on 127.0.0.1) with a bounded mix of
    /// good and bad requests and injected panics and failures, judging every answer; then checks
    /// the server still answers the suite correctly and that memory did not grow past a bound.
    ///
    /// Prints requests, responses by code, non-contract responses (must be 0) and RSS before
    /// and after. Exits 1 on any non-contract response, missing answer, failed check or growth
    /// past the bound.
    Soak(soak::SoakArgs),
    /// Lists the contract cases: name, request, what they need, expected answer.
    Cases {
        /// Output format.
        #[arg(long, value_enum, default_value_t = cases::Format::Table)]
        format: cases::Format,
    },
}

/// Which embedded reference servers to start.
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
    let outcome = match cli.command {
        Command::Cases { format } => {
            print!("{}", cases::list(format));
            Ok(true)
        }
        Command::Soak(args) => soak::soak(&args),
        Command::Check(args) => check::check(&args),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("attractos-contract: {err}");
            ExitCode::from(2)
        }
    }
}

/// Starts the embedded reference server of `framework` on an ephemeral loopback port, and a
/// target for it named after both.
fn start(framework: Framework, options: Options) -> Result<(Server, HttpTarget), String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|err| format!("cannot bind 127.0.0.1:0: {err}"))?;
    let server = serve(framework, listener, options)
        .map_err(|err| format!("cannot start the {framework} server: {err}"))?;
    let name = format!("{framework} ({})", server.url());
    let target = HttpTarget::named(name, &server.url()).map_err(|e| e.to_string())?;
    Ok((server, target))
}

/// The two-worker runtime the runs share with the embedded servers' own threads.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))
}
