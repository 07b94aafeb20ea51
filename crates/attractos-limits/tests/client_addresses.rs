//! Whose failed keys count together: an IPv6 /64 (a host is usually given a whole one), and an
//! IPv4 address whether it is seen as IPv4 or as IPv6 (a dual-stack socket).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use attractos_errors::{ApiError, ErrorCode};
use attractos_limits::{Account, AuthFailurePolicy, Limiter, Plan, Policies};

const ALLOWANCE: u32 = 3;

fn limiter() -> Limiter {
    Limiter::in_memory(Policies {
        auth_failures: AuthFailurePolicy {
            limit: NonZeroU32::new(ALLOWANCE).expect("not zero"),
            window: Duration::from_secs(60),
        },
        ..Policies::default()
    })
}

fn address(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

async fn refused_key(limiter: &Limiter, client: &str) -> ErrorCode {
    let (answer, _) = limiter
        .key_refused(address(client), ApiError::invalid_key())
        .await;
    answer.code()
}

async fn valid_key(limiter: &Limiter, client: &str) -> Result<(), ErrorCode> {
    let account = Account {
        key: "ak_demo_free",
        id: "user:1",
        plan: Plan::Free,
        event_floor: 0,
    };
    let verdict = limiter.admit(address(client), account).await;
    verdict.outcome.map_err(|err| err.code())
}

#[tokio::test]
async fn an_ipv6_guesser_gets_no_fresh_allowance_from_another_address_of_its_64() {
    let limiter = limiter();
    for host in 1..=ALLOWANCE {
        let client = format!("2001:db8:1:2::{host}");
        assert_eq!(refused_key(&limiter, &client).await, ErrorCode::InvalidKey);
    }
    assert_eq!(
        refused_key(&limiter, "2001:db8:1:2:ffff:ffff:ffff:ffff").await,
        ErrorCode::RateLimited,
        "a fourth address of the /64 is the same guesser"
    );
    assert_eq!(
        valid_key(&limiter, "2001:db8:1:2::99").await,
        Err(ErrorCode::RateLimited),
        "whatever key it sends"
    );
    assert_eq!(
        valid_key(&limiter, "2001:db8:1:3::1").await,
        Ok(()),
        "the next /64 is another client"
    );
}

#[tokio::test]
async fn an_ipv4_client_is_one_client_seen_as_ipv4_or_as_ipv6() {
    let limiter = limiter();
    for failure in 0..=ALLOWANCE {
        let client = if failure % 2 == 0 {
            "192.0.2.7"
        } else {
            "::ffff:192.0.2.7"
        };
        let expected = if failure < ALLOWANCE {
            ErrorCode::InvalidKey
        } else {
            ErrorCode::RateLimited
        };
        assert_eq!(
            refused_key(&limiter, client).await,
            expected,
            "failure {failure}"
        );
    }
    for client in ["192.0.2.7", "::ffff:192.0.2.7"] {
        assert_eq!(
            valid_key(&limiter, client).await,
            Err(ErrorCode::RateLimited),
            "{client}: past the allowance either way"
        );
    }
    assert_eq!(
        valid_key(&limiter, "::ffff:192.0.2.8").await,
        Ok(()),
        "the next IPv4 address is another client, and not one /64 with every other IPv4 client"
    );
}
