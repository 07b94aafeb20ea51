//! `attractos-contract soak`: a bounded flood of each embedded reference server.

use std::num::NonZeroU32;

use attractos_contract::fixtures::Fixtures;
use attractos_contract::soak::{self as flood, SoakConfig};
use attractos_reference::Options;
use attractos_reference::domain::DEBUG_FAULT_SECRET;
use clap::Args;

use crate::{Frameworks, REFERENCE_SECRET, runtime, start};

#[derive(Debug, Args)]
pub(crate) struct SoakArgs {
    /// How long the flood lasts per framework, e.g. 30s, 2m, 500ms.
    #[arg(long, default_value = "10s", value_parser = flood::parse_duration)]
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
    /// Slow clients beside the flood (part of a head or body, then nothing); the embedded
    /// servers' head and body timeouts are 2 s, and each slow connection must end within 5 s.
    #[arg(long, default_value_t = 8, value_name = "N")]
    slow_clients: usize,
}

/// Soaks each embedded server in turn; `Ok(false)` when one failed.
pub(crate) fn soak(args: &SoakArgs) -> Result<bool, String> {
    // The soak sends thousands of made-up keys from one address on purpose; the failed-key
    // throttle would answer its later checks RATE_LIMITED, so it is out of the way here.
    let slow_timeout = std::time::Duration::from_secs(2);
    let options = Options::default()
        .rate_limit(args.rate_limit)
        .auth_failure_limit(std::num::NonZeroU32::MAX)
        .head_timeout(slow_timeout)
        .body_timeout(slow_timeout)
        .debug_routes(true);
    let config = SoakConfig::new(args.duration)
        .with_slow_clients(args.slow_clients, slow_timeout * 5 / 2)
        .with_concurrency(args.concurrency)
        .with_rate_limit(args.rate_limit.get())
        .with_fuzz(args.fuzz, args.seed)
        .with_faults(true)
        .with_max_rss_growth(args.max_rss_growth_mib << 20)
        .forbid(REFERENCE_SECRET)
        .forbid(DEBUG_FAULT_SECRET);
    attractos_reference::domain::quiet_injected_panics();
    let runtime = runtime()?;
    let mut all_ok = true;
    for framework in args.framework.list() {
        let (server, target) = start(*framework, options.clone())?;
        let report = runtime.block_on(flood::soak(&target, Fixtures::reference(), &config));
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
