//! Lists a key's sites through the retrying client, printing each retry it makes (what came
//! back, why it retries, how long it waits) and then the sites or the typed error.
//!
//! ```sh
//! cargo run -p attractos-reference -- --rate-limit 1 &
//! cargo run -p attractos-errors-client --example sites -- --url http://127.0.0.1:8080 --key ak_demo_free
//! cargo run -p attractos-errors-client --example sites -- --url http://127.0.0.1:8080 --key ak_demo_revoked
//! ```
//!
//! `--times N` sends N requests at once, to see the rate limit and its waits.

use std::process::ExitCode;
use std::time::Duration;

use attractos_errors_client::{Error, Policy, Retrier, RetryMiddleware, check};
use clap::Parser;

/// List the sites of an AttractOS API key, retrying as the error contract says.
#[derive(Debug, Parser)]
struct Args {
    /// The API's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The API key (`Authorization: Bearer KEY`).
    #[arg(long)]
    key: String,
    /// How many requests to send at once.
    #[arg(long, default_value_t = 1)]
    times: u32,
    /// The longest wait, in seconds, before giving up on a rate limit.
    #[arg(long, default_value_t = 30)]
    max_wait: u64,
    /// How many times each request is sent at most.
    #[arg(long, default_value_t = 5)]
    attempts: u32,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let policy = Policy::default()
        .max_attempts(args.attempts)
        .max_wait(Duration::from_secs(args.max_wait));
    let retrier = Retrier::new(policy).on_retry(|note| {
        println!("retry: {note}");
    });
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(RetryMiddleware::new(retrier))
        .build();
    let url = format!("{}/api/v1/sites", args.url.trim_end_matches('/'));

    let requests = (0..args.times).map(|_| list_sites(&client, &url, &args.key));
    let mut failed = false;
    for (n, outcome) in futures_util::future::join_all(requests)
        .await
        .into_iter()
        .enumerate()
    {
        match outcome {
            Ok(sites) => println!("request {}: {sites}", n + 1),
            Err(err) => {
                failed = true;
                report(n + 1, &err);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn list_sites(
    client: &reqwest_middleware::ClientWithMiddleware,
    url: &str,
    key: &str,
) -> Result<String, Error> {
    let response = client
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .map_err(Error::no_answer)?;
    let sites = check(response).await?;
    sites.text().await.map_err(Error::no_answer)
}

fn report(n: usize, err: &Error) {
    println!("request {n} failed: {err}");
    match err.code() {
        Some(code) => println!("  code: {code}"),
        None => println!("  code: none (not a contract answer)"),
    }
    if let Some(stop) = err.stop() {
        println!(
            "  stopped: {} after {} retries",
            stop.as_str(),
            err.retries().len()
        );
    }
    if let Some(resets_at) = err.quota_resets_at() {
        println!("  the quota resets at {resets_at:?}");
    }
    if let Some(id) = err.request_id() {
        println!("  request id (quote it to support): {id}");
    }
}
