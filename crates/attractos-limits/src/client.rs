//! The client address the failed-authentication policy counts by.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

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

/// The partition of a client address, which the failed-key allowance counts: an IPv4
/// address, or an IPv6 address's /64 prefix. A single host or home is usually given a whole
/// /64, so counting each IPv6 address apart would let a guesser take a fresh address, and a
/// fresh allowance, for every guess. An IPv4 address seen as IPv6 (`::ffff:192.0.2.1`, from a
/// dual-stack socket) counts as the IPv4 address. A value, not text: the in-memory store keys
/// by it as it is; it is written out (as it displays) only into the Redis store's keys.
///
/// ```
/// use attractos_limits::AddressPartition;
/// let partition = |client: &str| AddressPartition::new(client.parse().unwrap());
/// assert_eq!(partition("192.0.2.1").to_string(), "ip:192.0.2.1");
/// assert_eq!(partition("::ffff:192.0.2.1"), partition("192.0.2.1"));
/// assert_eq!(partition("2001:db8:1:2:3:4:5:6").to_string(), "ip:2001:db8:1:2::/64");
/// assert_eq!(partition("2001:db8:1:2::9"), partition("2001:db8:1:2:3:4:5:6"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressPartition(
    /// The IPv4 address, or the IPv6 prefix with the host's 64 bits zero.
    IpAddr,
);

impl AddressPartition {
    /// The partition `client` counts in.
    pub const fn new(client: IpAddr) -> Self {
        const PREFIX: u128 = u128::MAX << 64;
        AddressPartition(match client.to_canonical() {
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & PREFIX)),
            v4 => v4,
        })
    }
}

/// As the Redis store's keys name it: `ip:192.0.2.1`, `ip:2001:db8:1:2::/64`.
impl fmt::Display for AddressPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "ip:{v4}"),
            IpAddr::V6(prefix) => write!(f, "ip:{prefix}/64"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    proptest! {
        /// An IPv4 address is its own partition, whichever way it is seen.
        #[test]
        fn an_ipv4_partition_is_ip_and_the_address(client in any::<Ipv4Addr>()) {
            let partition = AddressPartition::new(IpAddr::V4(client));
            prop_assert_eq!(partition.to_string(), format!("ip:{client}"));
            let mapped = AddressPartition::new(IpAddr::V6(client.to_ipv6_mapped()));
            prop_assert_eq!(mapped, partition, "seen as IPv6");
        }

        /// Two IPv6 addresses share a partition exactly when they share their first 64 bits.
        #[test]
        fn ipv6_addresses_share_a_partition_by_their_64_bit_prefix(
            first in any::<u128>(),
            second in any::<u128>(),
            same_prefix in any::<bool>(),
        ) {
            const HOST: u128 = u64::MAX as u128;
            let second = if same_prefix { (first & !HOST) | (second & HOST) } else { second };
            let mapped = |bits: u128| Ipv6Addr::from_bits(bits).to_ipv4_mapped().is_some();
            prop_assume!(!mapped(first) && !mapped(second));
            let partition = |bits| AddressPartition::new(IpAddr::V6(Ipv6Addr::from_bits(bits)));
            let (a, b) = (partition(first), partition(second));
            prop_assert_eq!(a == b, first >> 64 == second >> 64);
            let prefix = Ipv6Addr::from_bits(first & !HOST);
            prop_assert_eq!(a.to_string(), format!("ip:{prefix}/64"));
        }
    }
}
