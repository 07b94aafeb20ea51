//! The client address the failed-authentication policy counts by.

use std::net::{IpAddr, SocketAddr};

/// Whether a proxy's forwarding header is believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProxyTrust {
    /// The peer address is the client (default): any client can write any header, so a
    /// header believed without a proxy in front would let a guesser pick a fresh address
    /// for every request.
    #[default]
    PeerOnly,
    /// The service sits behind exactly one proxy that appends the address it saw to
    /// `X-Forwarded-For`: the last entry is the client.
    LastXForwardedFor,
}

/// The client's address: the peer, or with [`ProxyTrust::LastXForwardedFor`] the last entry
/// of the `X-Forwarded-For` value that `x_forwarded_for` reads (the last header line, where
/// there are several), which the proxy wrote: an address, with or without a port (`[..]` around
/// IPv6). The peer when that entry is missing or not an address: the entries before it are the
/// client's own say. The header is read only when it is believed.
///
/// ```
/// use attractos_limits::{ProxyTrust, client_address};
/// let peer = "10.0.0.2".parse().unwrap();
/// assert_eq!(client_address(peer, ProxyTrust::PeerOnly, || unreachable!("not read")), peer);
/// let trusted = |header: &'static str| {
///     client_address(peer, ProxyTrust::LastXForwardedFor, || Some(header)).to_string()
/// };
/// assert_eq!(trusted("198.51.100.1, 203.0.113.9"), "203.0.113.9");
/// assert_eq!(trusted("203.0.113.9:41234"), "203.0.113.9");
/// assert_eq!(trusted("[2001:db8::7]:41234"), "2001:db8::7");
/// assert_eq!(trusted("[2001:db8::7]"), "2001:db8::7");
/// assert_eq!(trusted("203.0.113.9, unknown"), "10.0.0.2");
/// ```
pub fn client_address<'h>(
    peer: IpAddr,
    trust: ProxyTrust,
    x_forwarded_for: impl FnOnce() -> Option<&'h str>,
) -> IpAddr {
    match trust {
        ProxyTrust::PeerOnly => peer,
        ProxyTrust::LastXForwardedFor => x_forwarded_for()
            .and_then(|header| header.rsplit(',').next())
            .and_then(|last| address(last.trim()))
            .unwrap_or(peer),
    }
}

/// An `X-Forwarded-For` entry's address: `192.0.2.1`, `2001:db8::1`, or either with a port,
/// as some proxies write it (`192.0.2.1:41234`, `[2001:db8::1]:41234`, `[2001:db8::1]`).
fn address(entry: &str) -> Option<IpAddr> {
    entry
        .parse()
        .ok()
        .or_else(|| {
            entry
                .parse::<SocketAddr>()
                .ok()
                .map(|with_port| with_port.ip())
        })
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}
