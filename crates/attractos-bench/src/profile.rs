//! Where the server's time goes per request: the flat `perf report`s that `bench/load.sh`
//! records in its profiled round, grouped into components (kernel, allocator, HTTP stack, JSON
//! parser, this library, ...) and divided by the requests answered while perf sampled.
//!
//! ```
//! use attractos_bench::profile::{Component, Profile};
//!
//! let report = [
//!     "# attractos: sampled at 1000 Hz",
//!     "# attractos: malloc calls 5000 in 250 requests",
//!     "    60.00%   600  [kernel.kallsyms]    [k] tcp_sendmsg_locked",
//!     "    40.00%   400  attractos-reference  [.] serde_json::read::SliceRead::skip_to_escape",
//! ]
//! .join("\n");
//! let profile = Profile::parse(&report, 1000).unwrap();
//! // 1000 samples at 1000 Hz over 1000 requests: 1 ms of CPU each.
//! assert_eq!(profile.us_per_request(Component::Kernel), 600.0);
//! assert_eq!(profile.us_per_request(Component::Json), 400.0);
//! assert_eq!(profile.mallocs_per_request, Some(20.0));
//! ```

use std::collections::BTreeMap;

/// The scenarios the profiled round samples, in table order: (a), (c) and (c)'s control.
pub const SCENARIOS: [&str; 3] = ["a-sites-200", "c-invalid-json", "control-valid-event"];

/// What a sampled function belongs to, in table order; [`Component::of`] tells which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Component {
    /// The kernel: TCP/IP, syscalls, scheduling.
    Kernel,
    /// glibc's `malloc`/`free`.
    Allocator,
    /// glibc's `memcpy`/`memmove`/`memset`/`memcmp`, and the vDSO's clock reads.
    Libc,
    /// hyper, axum, tower, `http`, or the actix-web crates.
    Http,
    /// The async runtime: tokio, mio.
    Runtime,
    /// `serde_json` and `serde`.
    Json,
    /// `attractos-errors` and its adapters.
    Library,
    /// The reference server's handlers, store and rate limiter.
    App,
    /// `tracing` and its subscriber: the request span.
    Tracing,
    /// Rust's `core`/`alloc`/`std`: UTF-8 checks, formatting, collections.
    Std,
    /// Anything else.
    Other,
}

/// Each component's table label, and the crates whose functions it counts (the kernel and libc
/// are told by shared object, and `attractos_errors*` is the library).
const COMPONENTS: [(Component, &str, &str); 11] = [
    (
        Component::Kernel,
        "kernel (TCP/IP, syscalls, scheduling)",
        "",
    ),
    (Component::Allocator, "allocator (glibc malloc/free)", ""),
    (Component::Libc, "libc memcpy/memset, clock reads", ""),
    (
        Component::Http,
        "HTTP stack (hyper, axum, tower / actix-http, actix-web)",
        "hyper hyper_util axum axum_core tower tower_http tower_layer tower_service http \
         http_body http_body_util httparse bytes futures_util futures_core actix_http actix_web \
         actix_router actix_server actix_service actix_utils actix_codec tokio_util regex_lite",
    ),
    (
        Component::Runtime,
        "async runtime (tokio, mio)",
        "tokio mio actix_rt",
    ),
    (
        Component::Json,
        "JSON parsing (serde_json)",
        "serde_json serde serde_core serde_urlencoded",
    ),
    (
        Component::Library,
        "this library (attractos-errors and its adapters)",
        "",
    ),
    (
        Component::App,
        "reference handlers, store, rate limiter",
        "attractos_reference governor dashmap uuid rand rand_core rand_chacha",
    ),
    (
        Component::Tracing,
        "tracing (request span)",
        "tracing tracing_core tracing_subscriber sharded_slab nu_ansi_term",
    ),
    (
        Component::Std,
        "Rust std (UTF-8 checks, formatting, collections)",
        "core alloc std hashbrown",
    ),
    (Component::Other, "other", ""),
];

/// glibc's allocator functions (besides `tcache*`).
const ALLOCATOR: [&str; 9] = [
    "malloc",
    "_int_malloc",
    "_int_free",
    "cfree",
    "free",
    "realloc",
    "_int_realloc",
    "malloc_consolidate",
    "unlink_chunk",
];

impl Component {
    /// Every component, in table order.
    pub const ALL: [Component; 11] = {
        let mut all = [Component::Other; 11];
        let mut i = 0;
        while i < all.len() {
            // `label` indexes COMPONENTS by discriminant.
            assert!(
                COMPONENTS[i].0 as usize == i,
                "COMPONENTS in declaration order"
            );
            all[i] = COMPONENTS[i].0;
            i += 1;
        }
        all
    };

    /// The table label.
    pub fn label(self) -> &'static str {
        COMPONENTS[self as usize].1
    }

    /// The component of a sampled `symbol` in shared object `dso`.
    pub fn of(dso: &str, symbol: &str) -> Component {
        if dso.starts_with("[kernel") {
            return Component::Kernel;
        }
        if dso.starts_with("libc.") {
            let name = symbol.split(['@', '.']).next().unwrap_or(symbol);
            let allocator = ALLOCATOR.contains(&name) || name.starts_with("tcache");
            return if allocator {
                Component::Allocator
            } else {
                Component::Libc
            };
        }
        if dso == "[vdso]" {
            return Component::Libc;
        }
        let name = crate_of(symbol);
        if name.starts_with("attractos_errors") {
            return Component::Library;
        }
        COMPONENTS
            .iter()
            .find(|(_, _, crates)| crates.split_whitespace().any(|c| c == name))
            .map_or(Component::Other, |(component, _, _)| *component)
    }
}

/// The crate a demangled Rust symbol belongs to: its path's first segment, or for
/// `<T as crate::Trait>::method` with a generic `T`, the trait's crate.
fn crate_of(symbol: &str) -> &str {
    let trimmed = symbol.trim_start_matches(['<', '&', '*']);
    let trimmed = ["mut ", "const ", "dyn "]
        .iter()
        .find_map(|prefix| trimmed.strip_prefix(prefix))
        .unwrap_or(trimmed);
    let head_end = trimmed.find([' ', '<', '>']).unwrap_or(trimmed.len());
    match trimmed[..head_end].split_once("::") {
        Some((name, _)) => name,
        None => trimmed
            .split_once(" as ")
            .map_or("", |(_, rest)| rest.split("::").next().unwrap_or("")),
    }
}

/// One flat profile of the server during one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Sampling frequency, Hz.
    pub hz: u32,
    /// Requests answered while perf sampled (from wrk's record of the same run).
    pub requests: u64,
    /// The server's `malloc` calls per request, when a uprobe could count them.
    pub mallocs_per_request: Option<f64>,
    /// Samples per (component, symbol).
    pub samples: BTreeMap<(Component, String), u64>,
}

impl Profile {
    /// Parses `perf report --no-children --sort dso,sym -n -g none --stdio`, with the lines
    /// `# attractos: sampled at <HZ> Hz` and (optionally)
    /// `# attractos: malloc calls <N> in <REQUESTS> requests` that `bench/load.sh` adds.
    pub fn parse(report: &str, requests: u64) -> Result<Profile, String> {
        let note = |prefix: &str| report.lines().find_map(|line| line.strip_prefix(prefix));
        let hz = note("# attractos: sampled at ")
            .and_then(|rest| rest.strip_suffix(" Hz")?.parse().ok())
            .ok_or("no `# attractos: sampled at <HZ> Hz` line")?;
        let mallocs_per_request = note("# attractos: malloc calls ").and_then(|rest| {
            let (calls, counted) = rest.strip_suffix(" requests")?.split_once(" in ")?;
            let (calls, counted) = (calls.parse::<u64>().ok()?, counted.parse::<u64>().ok()?);
            (counted > 0).then(|| calls as f64 / counted as f64)
        });
        let mut samples = BTreeMap::new();
        for line in report.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.split_whitespace();
            let (Some(percent), Some(Ok(count)), Some(dso), Some(_kind)) = (
                fields.next(),
                fields.next().map(str::parse::<u64>),
                fields.next(),
                fields.next(),
            ) else {
                continue;
            };
            if percent.ends_with('%') {
                let symbol = fields.collect::<Vec<_>>().join(" ");
                *samples
                    .entry((Component::of(dso, &symbol), symbol))
                    .or_default() += count;
            }
        }
        if samples.is_empty() {
            return Err("no samples".to_owned());
        }
        Ok(Profile {
            hz,
            requests,
            mallocs_per_request,
            samples,
        })
    }

    fn us(&self, samples: u64) -> f64 {
        samples as f64 / f64::from(self.hz) / self.requests.max(1) as f64 * 1e6
    }

    /// The server's CPU time per request in `component`, microseconds.
    pub fn us_per_request(&self, component: Component) -> f64 {
        let samples = self.samples.iter().filter(|((c, _), _)| *c == component);
        self.us(samples.map(|(_, n)| n).sum())
    }

    /// The server's CPU time per request in all, microseconds.
    pub fn total_us_per_request(&self) -> f64 {
        self.us(self.samples.values().sum())
    }

    fn symbol_us_per_request(&self, key: &(Component, String)) -> f64 {
        self.us(self.samples.get(key).copied().unwrap_or(0))
    }
}

/// The `count` symbols whose time per request grew most from `base` to `other`, largest first,
/// with their growth in microseconds.
pub fn largest_increases(
    base: &Profile,
    other: &Profile,
    count: usize,
) -> Vec<((Component, String), f64)> {
    let mut deltas: Vec<_> = other
        .samples
        .keys()
        .chain(base.samples.keys())
        .map(|key| {
            let delta = other.symbol_us_per_request(key) - base.symbol_us_per_request(key);
            (key.clone(), delta)
        })
        .collect();
    deltas.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    deltas.dedup_by(|a, b| a.0 == b.0);
    deltas.truncate(count);
    deltas
}
