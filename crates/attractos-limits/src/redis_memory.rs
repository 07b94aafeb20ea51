//! Whether the Redis the limits are kept in may evict them: an evicted rate or count starts
//! again from zero, so a key would get more than its rate and an account more than its quota.
//! Redis evicts only with a `maxmemory` and a policy other than `noeviction`, and every key
//! of the limits has an expiry, so the `volatile-*` policies (ElastiCache's default is
//! `volatile-lru`) take them as readily as the `allkeys-*` ones.

use std::time::Duration;

/// Asks the server for its memory settings (`INFO memory`, which managed services allow where
/// they refuse `CONFIG GET`) and warns when it may evict keys. Says nothing when it does not
/// answer within `timeout`: its batches' failures are logged already.
pub(crate) async fn warn_if_evicting(
    info: impl Future<Output = redis::RedisResult<String>>,
    timeout: Duration,
) {
    let Ok(Ok(info)) = tokio::time::timeout(timeout, info).await else {
        return;
    };
    if let Some(policy) = eviction_policy(&info) {
        tracing::warn!(
            maxmemory_policy = policy,
            "the limit store's Redis may evict keys: an evicted rate or count starts again from \
             zero, so a key could get more than its rate and an account more than its quota; \
             set maxmemory-policy noeviction (a full Redis then refuses writes, which the \
             fail modes answer)"
        );
    }
}

/// The eviction policy of an `INFO memory` answer, when it may evict keys: a `maxmemory` is
/// set and the policy is not `noeviction`.
fn eviction_policy(info: &str) -> Option<&str> {
    let field = |name: &str| {
        let value = info
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'));
        value.map(str::trim)
    };
    let maxmemory: u64 = field("maxmemory")?.parse().ok()?;
    let policy = field("maxmemory_policy")?;
    (maxmemory > 0 && policy != "noeviction").then_some(policy)
}

#[cfg(test)]
mod tests {
    use super::eviction_policy;

    fn info(maxmemory: &str, policy: &str) -> String {
        format!(
            "# Memory\r\nused_memory:1007336\r\nmaxmemory:{maxmemory}\r\nmaxmemory_human:0B\r\n\
             maxmemory_policy:{policy}\r\nallocator_frag_ratio:1.00\r\n"
        )
    }

    #[test]
    fn a_server_may_evict_with_a_maxmemory_and_any_policy_but_noeviction() {
        assert_eq!(eviction_policy(&info("0", "allkeys-lru")), None, "no limit");
        assert_eq!(eviction_policy(&info("104857600", "noeviction")), None);
        for policy in [
            "volatile-lru",
            "allkeys-lru",
            "volatile-ttl",
            "allkeys-random",
        ] {
            assert_eq!(eviction_policy(&info("104857600", policy)), Some(policy));
        }
        assert_eq!(
            eviction_policy("# Memory\r\n"),
            None,
            "unknown: nothing said"
        );
        assert_eq!(eviction_policy(&info("lots", "allkeys-lru")), None);
    }
}
