//! What several modules of the suite take: a client, a Free-plan account, and the store's
//! least-privilege Redis user.

use std::net::IpAddr;

use attractos_limits::testing::RedisServer;
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

/// Makes `attractos-limits` (password `limits-password`) a user of `server` with the rights
/// docs/limits.md gives the store's Redis user (its keys, `EVALSHA` and `SCRIPT LOAD`, the
/// script's `TIME`, `MGET` and `SET`, and `INFO`), then the rules in `more`.
pub fn add_least_privilege_user(server: &RedisServer, more: &str) {
    let rights = "on >limits-password resetkeys ~attractos:limits:* resetchannels -@all \
                  +evalsha +script|load +time +mget +set +info";
    let mut setuser = redis::cmd("ACL");
    setuser.arg("SETUSER").arg("attractos-limits");
    setuser.arg(
        rights
            .split_whitespace()
            .chain(more.split_whitespace())
            .collect::<Vec<_>>(),
    );
    let client = redis::Client::open(server.url()).expect("a valid URL");
    let mut admin = client.get_connection().expect("redis answers");
    let () = setuser.query(&mut admin).expect("the user is made");
}
