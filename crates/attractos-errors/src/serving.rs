//! How servers started with the adapters' helpers (`attractos_errors_axum::serve`,
//! `attractos_errors_actix::server`) bound slow and numerous clients: how long a request head
//! may take, and how many connections may be open at once. The body deadline is a request
//! rule: [`rules::DEFAULT_BODY_TIMEOUT`](crate::rules::DEFAULT_BODY_TIMEOUT).
//!
//! ```
//! use attractos_errors::serving;
//!
//! assert_eq!(serving::DEFAULT_HEAD_TIMEOUT.as_secs(), 5);
//! // Three quarters of the open-file limit, the rest kept for files and outgoing connections.
//! assert_eq!(serving::max_connections_for(Some(256)), 192);
//! ```

use std::time::Duration;

/// How long a client may take to send a request head, from the moment its connection is
/// accepted or its previous response was sent, unless configured otherwise: 5 s, as actix-web has by default. The same bound
/// closes idle keep-alive connections.
pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// The cap on concurrent connections when the open-file limit cannot be read: 768, three
/// quarters of the usual 1,024 ([`max_connections_for`]).
pub const DEFAULT_MAX_CONNECTIONS: usize = 768;

/// How many connections a server may hold open at once with `open_files` descriptors: three
/// quarters of them, leaving the rest for the listener, logs, files and outgoing connections,
/// so that a flood of connections is turned away in the kernel's accept queue instead of
/// making every `open` and `connect` in the process fail. `None` (the limit is unknown):
/// [`DEFAULT_MAX_CONNECTIONS`].
///
/// ```
/// use attractos_errors::serving::max_connections_for;
/// assert_eq!(max_connections_for(Some(1024)), 768);
/// assert_eq!(max_connections_for(None), 768);
/// ```
pub fn max_connections_for(open_files: Option<u64>) -> usize {
    match open_files {
        Some(limit) => usize::try_from(limit - limit / 4)
            .unwrap_or(usize::MAX)
            .max(1),
        None => DEFAULT_MAX_CONNECTIONS,
    }
}

/// This process's soft limit on open files, read from `/proc/self/limits` (Linux); `None`
/// elsewhere, when unlimited, or when it cannot be read.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
