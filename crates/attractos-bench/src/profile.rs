//! Where the server's time goes per request: the flat `perf report`s that `bench/load.sh`
//! records in its profile round, grouped into components (kernel, allocator, HTTP stack, JSON
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
use std::fmt::Write as _;

/// What a sampled function belongs to.
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

impl Component {
    /// Every component, in table order.
    pub const ALL: [Component; 11] = [
        Component::Kernel,
        Component::Allocator,
        Component::Libc,
        Component::Http,
        Component::Runtime,
        Component::Json,
        Component::Library,
        Component::App,
        Component::Tracing,
        Component::Std,
        Component::Other,
    ];

    /// The table label.
    pub fn label(self) -> &'static str {
        match self {
            Component::Kernel => "kernel (TCP/IP, syscalls, scheduling)",
            Component::Allocator => "allocator (glibc malloc/free)",
            Component::Libc => "libc memcpy/memset, clock reads",
            Component::Http => "HTTP stack (hyper, axum, tower / actix-http, actix-web)",
            Component::Runtime => "async runtime (tokio, mio)",
            Component::Json => "JSON parsing (serde_json)",
            Component::Library => "this library (attractos-errors and its adapters)",
            Component::App => "reference handlers, store, rate limiter",
            Component::Tracing => "tracing (request span)",
            Component::Std => "Rust std (UTF-8 checks, formatting, collections)",
            Component::Other => "other",
        }
    }

    /// The component of a sampled symbol in shared object `dso`.
    pub fn of(dso: &str, symbol: &str) -> Component {
        if dso.starts_with("[kernel") {
            return Component::Kernel;
        }
        if dso.starts_with("libc.") {
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
            let name = symbol.split(['@', '.']).next().unwrap_or(symbol);
            return if ALLOCATOR.contains(&name) || name.starts_with("tcache") {
                Component::Allocator
            } else {
                Component::Libc
            };
        }
        if dso == "[vdso]" {
            return Component::Libc;
        }
        match crate_of(symbol) {
            "hyper" | "hyper_util" | "axum" | "axum_core" | "tower" | "tower_http"
            | "tower_layer" | "tower_service" | "http" | "http_body" | "http_body_util"
            | "httparse" | "bytes" | "futures_util" | "futures_core" | "actix_http"
            | "actix_web" | "actix_router" | "actix_server" | "actix_service" | "actix_utils"
            | "actix_codec" | "tokio_util" | "regex_lite" => Component::Http,
            "tokio" | "mio" | "actix_rt" => Component::Runtime,
            "serde_json" | "serde" | "serde_core" | "serde_urlencoded" => Component::Json,
            name if name.starts_with("attractos_errors") => Component::Library,
            "attractos_reference"
            | "governor"
            | "dashmap"
            | "uuid"
            | "rand"
            | "rand_core"
            | "rand_chacha" => Component::App,
            "tracing" | "tracing_core" | "tracing_subscriber" | "sharded_slab" | "nu_ansi_term" => {
                Component::Tracing
            }
            "core" | "alloc" | "std" | "hashbrown" => Component::Std,
            _ => Component::Other,
        }
    }
}

/// The crate a demangled Rust symbol belongs to: its path's first segment, or for
/// `<T as crate::Trait>::method` with a generic `T`, the trait's crate.
fn crate_of(symbol: &str) -> &str {
    let trimmed = symbol.trim_start_matches(['<', '&', '*']);
    let trimmed = trimmed
        .strip_prefix("mut ")
        .or_else(|| trimmed.strip_prefix("const "))
        .or_else(|| trimmed.strip_prefix("dyn "))
        .unwrap_or(trimmed);
    let head_end = trimmed.find([' ', '<', '>']).unwrap_or(trimmed.len());
    match trimmed[..head_end].split_once("::") {
        Some((name, _)) => name,
        None => match trimmed.split_once(" as ") {
            Some((_, rest)) => rest.split("::").next().unwrap_or(""),
            None => "",
        },
    }
}

/// One flat profile of the server during one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Sampling frequency, Hz.
    pub hz: u32,
    /// Requests answered while perf sampled (from wrk's record of the same run).
    pub requests: u64,
    /// The server's `malloc` calls per request, counted by a uprobe in a run of its own, when
    /// the machine allowed one.
    pub mallocs_per_request: Option<f64>,
    /// Samples per component.
    pub by_component: BTreeMap<Component, u64>,
    /// Samples per (component, symbol).
    pub by_symbol: BTreeMap<(Component, String), u64>,
}

impl Profile {
    /// Parses `perf report --no-children --sort dso,sym -n -g none --stdio`, preceded by the
    /// line `# attractos: sampled at <HZ> Hz` that `bench/load.sh` writes.
    pub fn parse(report: &str, requests: u64) -> Result<Profile, String> {
        let hz = report
            .lines()
            .find_map(|line| line.strip_prefix("# attractos: sampled at "))
            .and_then(|rest| rest.strip_suffix(" Hz"))
            .and_then(|hz| hz.parse().ok())
            .ok_or("no `# attractos: sampled at <HZ> Hz` line")?;
        let mallocs_per_request = report
            .lines()
            .find_map(|line| line.strip_prefix("# attractos: malloc calls "))
            .and_then(|rest| rest.strip_suffix(" requests")?.split_once(" in "))
            .and_then(|(calls, requests)| {
                let (calls, requests) = (calls.parse::<u64>().ok()?, requests.parse::<u64>().ok()?);
                (requests > 0).then(|| calls as f64 / requests as f64)
            });
        let mut profile = Profile {
            hz,
            requests,
            mallocs_per_request,
            by_component: BTreeMap::new(),
            by_symbol: BTreeMap::new(),
        };
        for line in report.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.split_whitespace();
            let (Some(percent), Some(samples), Some(dso), Some(_kind)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let (true, Ok(samples)) = (percent.ends_with('%'), samples.parse::<u64>()) else {
                continue;
            };
            let symbol = fields.collect::<Vec<_>>().join(" ");
            let component = Component::of(dso, &symbol);
            *profile.by_component.entry(component).or_default() += samples;
            *profile.by_symbol.entry((component, symbol)).or_default() += samples;
        }
        if profile.by_component.is_empty() {
            return Err("no samples".to_owned());
        }
        Ok(profile)
    }

    fn us(&self, samples: u64) -> f64 {
        samples as f64 / f64::from(self.hz) / self.requests.max(1) as f64 * 1e6
    }

    /// The server's CPU time per request in `component`, microseconds.
    pub fn us_per_request(&self, component: Component) -> f64 {
        self.us(self.by_component.get(&component).copied().unwrap_or(0))
    }

    /// The server's CPU time per request in all, microseconds.
    pub fn total_us_per_request(&self) -> f64 {
        self.us(self.by_component.values().sum())
    }

    /// The server's CPU time per request in one symbol, microseconds.
    pub fn symbol_us_per_request(&self, key: &(Component, String)) -> f64 {
        self.us(self.by_symbol.get(key).copied().unwrap_or(0))
    }
}

/// The symbols whose time per request grew most from `base` to `other`, largest first.
pub fn largest_increases(
    base: &Profile,
    other: &Profile,
    count: usize,
) -> Vec<((Component, String), f64)> {
    let mut deltas: Vec<_> = other
        .by_symbol
        .keys()
        .chain(base.by_symbol.keys())
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

/// The scenarios the profile round samples, in table order: (a), (c) and (c)'s control.
pub const SCENARIOS: [&str; 3] = ["a-sites-200", "c-invalid-json", "control-valid-event"];

/// The page's profile section for one framework's profiles by scenario id, or `None` when
/// any of [`SCENARIOS`] was not profiled.
pub fn markdown(framework: &str, profiles: &BTreeMap<String, Profile>) -> Option<String> {
    let [a, c, control] = SCENARIOS.map(|scenario| profiles.get(scenario));
    let (a, c, control) = (a?, c?, control?);
    let mut w = String::new();
    let _ = writeln!(
        w,
        "**{framework}**: server CPU time per request, µs ({} / {} / {} requests sampled)\n",
        a.requests, c.requests, control.requests
    );
    let _ = writeln!(
        w,
        "| component | (a) 200 | (c) INVALID_JSON | control 202 | (c) − (a) | (c) − control |"
    );
    let _ = writeln!(w, "| --- | ---: | ---: | ---: | ---: | ---: |");
    let row = |w: &mut String, label: &str, [a, c, control]: [f64; 3]| {
        let _ = writeln!(
            w,
            "| {label} | {a:.2} | {c:.2} | {control:.2} | {:+.2} | {:+.2} |",
            c - a,
            c - control
        );
    };
    for component in Component::ALL {
        let values = [a, c, control].map(|p| p.us_per_request(component));
        if values.iter().any(|v| *v >= 0.005) {
            row(&mut w, component.label(), values);
        }
    }
    row(
        &mut w,
        "**total**",
        [a, c, control].map(Profile::total_us_per_request),
    );
    if let [Some(a), Some(c), Some(control)] = [a, c, control].map(|p| p.mallocs_per_request) {
        row(
            &mut w,
            "`malloc` calls per request (count)",
            [a, c, control],
        );
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Functions whose time per request grew most from (a) to (c), µs: {}.\n",
        largest_increases(a, c, 8)
            .iter()
            .map(|((component, symbol), delta)| format!(
                "`{}` ({:+.2}, {})",
                short(symbol),
                delta,
                component.label().split(' ').next().unwrap_or("")
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some(w)
}

/// One sentence on what (c) costs per request beyond (a) and where, for the page's reading of
/// the load targets (starts with a space), or `None` without both profiles.
pub fn difference_summary(profiles: &BTreeMap<String, Profile>) -> Option<String> {
    let (a, c) = (profiles.get(SCENARIOS[0])?, profiles.get(SCENARIOS[1])?);
    let delta = |component| c.us_per_request(component) - a.us_per_request(component);
    let mut parts: Vec<(Component, f64)> = Component::ALL.iter().map(|&k| (k, delta(k))).collect();
    parts.sort_by(|x, y| y.1.total_cmp(&x.1));
    let largest: Vec<String> = parts
        .iter()
        .filter(|(k, d)| *d > 0.0 && *k != Component::Library)
        .take(4)
        .map(|(k, d)| format!("{} {d:+.2} µs", k.label()))
        .collect();
    Some(format!(
        " In the profile, (c) takes {:.2} µs of server CPU per request against (a)'s {:.2} µs; of \
         the {:+.2} µs, this library's own code is {:+.2} µs, and the largest parts are {}.",
        c.total_us_per_request(),
        a.total_us_per_request(),
        c.total_us_per_request() - a.total_us_per_request(),
        delta(Component::Library),
        largest.join(", ")
    ))
}

/// A symbol without its generic arguments, for the page.
fn short(symbol: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for ch in symbol.chars() {
        match ch {
            '<' => {
                if depth > 0 || !out.is_empty() {
                    depth += 1;
                } else {
                    out.push(ch);
                }
            }
            '>' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out.replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_attributed_to_their_crate() {
        let cases = [
            (
                "attractos-reference",
                "serde_json::read::SliceRead::skip_to_escape",
                Component::Json,
            ),
            (
                "attractos-reference",
                "<hyper::proto::h1::role::Server as hyper::proto::h1::Http1Transaction>::parse",
                Component::Http,
            ),
            (
                "attractos-reference",
                "<F as axum::handler::Handler<(M,T1),S>>::call::{{closure}}",
                Component::Http,
            ),
            (
                "attractos-reference",
                "<&mut serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::deserialize_struct",
                Component::Json,
            ),
            (
                "attractos-reference",
                "attractos_errors::rules::json_error",
                Component::Library,
            ),
            (
                "attractos-reference",
                "<attractos_errors_axum::error::ApiError as axum_core::response::into_response::IntoResponse>::into_response",
                Component::Library,
            ),
            (
                "attractos-reference",
                "core::str::converts::from_utf8",
                Component::Std,
            ),
            ("libc.so.6", "cfree@GLIBC_2.2.5", Component::Allocator),
            (
                "libc.so.6",
                "unlink_chunk.constprop.0",
                Component::Allocator,
            ),
            (
                "libc.so.6",
                "__memmove_avx512_unaligned_erms",
                Component::Libc,
            ),
            ("[kernel.kallsyms]", "tcp_ack", Component::Kernel),
            ("[vdso]", "__vdso_clock_gettime", Component::Libc),
        ];
        for (dso, symbol, expected) in cases {
            assert_eq!(Component::of(dso, symbol), expected, "{symbol}");
        }
    }

    #[test]
    fn a_report_without_its_frequency_line_is_refused() {
        let report = "    100.00%   10  [kernel.kallsyms]  [k] tcp_ack\n";
        assert!(Profile::parse(report, 10).is_err());
    }

    #[test]
    fn increases_are_per_request_and_sorted() {
        let base = Profile::parse(
            "# attractos: sampled at 100 Hz\n 50% 50 libc.so.6 [.] malloc\n 50% 50 [kernel.kallsyms] [k] tcp_ack\n",
            100,
        )
        .unwrap();
        // Half the requests in the same samples: every symbol costs twice as much per request.
        let other = Profile::parse(
            "# attractos: sampled at 100 Hz\n 80% 80 libc.so.6 [.] malloc\n 20% 20 [kernel.kallsyms] [k] tcp_ack\n",
            50,
        )
        .unwrap();
        let increases = largest_increases(&base, &other, 5);
        assert_eq!(increases[0].0.1, "malloc");
        assert!((increases[0].1 - 11_000.0).abs() < 1e-6);
        assert!((increases[1].1 + 1_000.0).abs() < 1e-6);
        assert_eq!(increases.len(), 2);
    }
}
