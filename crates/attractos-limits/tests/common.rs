//! What several modules of the suite take: a client and a Free-plan account.

use std::net::IpAddr;

use attractos_limits::{Account, Plan};

/// A client address (TEST-NET-1), the same for every module: each test has a store of its own.
pub fn client() -> IpAddr {
    "192.0.2.7".parse().expect("an IPv4 address")
}

/// A Free-plan account whose key and id are `key`, no event spent at the start of its cycle.
pub fn free_account(key: &str) -> Account<'_> {
    Account {
        key,
        id: key,
        plan: Plan::Free,
        event_floor: 0,
    }
}
