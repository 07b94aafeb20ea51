//! The `RateLimit-Policy` and `RateLimit` header fields of draft-ietf-httpapi-ratelimit-headers
//! (draft 10), serialized as RFC 9651 structured fields (written directly, checked against `sfv`).
//!
//! Both are Lists of Items: a String naming the policy, with Integer parameters.
//! `RateLimit-Policy: "requests";q=20;w=1, "events";q=10000;w=2678400` and
//! `RateLimit: "requests";r=19;t=1, "events";r=9990;t=1234567`.
//!
//! Where the draft leaves a choice, this crate picks:
//! - `requests` is GCRA (a burst of `q`, refilled evenly over `w`): `r` is the requests that
//!   could be made at once now, and `t` the seconds until `r` grows by one (0 when the burst
//!   is full). When `r` is 0 that is exactly when the next request is admitted, so on a
//!   `RATE_LIMITED` answer `t` equals `Retry-After`.
//! - `events` is a calendar month (UTC), which no fixed `w` describes: `w` is the length of
//!   the current cycle in seconds (28 to 31 days), `t` the seconds until it resets.
//! - `auth-failures` (per client address, on answers to a key that failed) is a fixed window
//!   opened by the first failure: `r` is the failures left, `t` the seconds until it closes.
//! - On a 429, `RateLimit` lists only the policy that refused, with `r=0`, so the two 429
//!   codes differ in their fields too and `Retry-After` is never earlier than any `t` listed.
//! - No `pk` parameter: a client sees only its own partition, and naming the key (even
//!   hashed) in responses would say nothing it does not know.
//! - No `qu`: every policy counts requests (`events` counts the requests that record one).

/// The policy id of the per-key request rate.
pub const REQUESTS: &str = "requests";
/// The policy id of the per-account monthly event quota.
pub const EVENTS: &str = "events";
/// The policy id of the per-address failed-authentication allowance.
pub const AUTH_FAILURES: &str = "auth-failures";

/// The field names, lowercase as HTTP/2 and both frameworks' header maps spell them.
pub mod names {
    /// `RateLimit-Policy`.
    pub const RATELIMIT_POLICY: &str = "ratelimit-policy";
    /// `RateLimit`.
    pub const RATELIMIT: &str = "ratelimit";
}

/// A policy as `RateLimit-Policy` states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyItem {
    /// The policy id.
    pub id: &'static str,
    /// The quota (`q`).
    pub quota: u64,
    /// The window in seconds (`w`).
    pub window_secs: u64,
}

/// A policy's state as `RateLimit` states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateItem {
    /// The policy id.
    pub id: &'static str,
    /// Units left (`r`).
    pub remaining: u64,
    /// Seconds until the quota resets (`t`).
    pub reset_secs: u64,
}

/// The two fields of one response, already serialized into one buffer (`RateLimit-Policy`
/// then `RateLimit`), so a decision allocates once. Empty lists are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimitFields {
    serialized: String,
    /// Where `RateLimit-Policy` ends and `RateLimit` starts in `serialized`.
    policy_len: usize,
}

/// The largest Integer RFC 9651 allows.
const MAX_INTEGER: u64 = 999_999_999_999_999;

/// Bytes reserved per list member: `"auth-failures";q=999999999999999;w=999999999999999, `
/// fits in 64, so with this crate's ids the buffer never grows.
const MEMBER_CAPACITY: usize = 64;

/// Appends a List: its members separated by `, `.
fn push_list<'a>(out: &mut String, members: impl Iterator<Item = (&'a str, [(char, u64); 2])>) {
    for (index, (id, params)) in members.enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        push_member(out, id, params);
    }
}

/// Appends one List member, `"<id>";<a>=<x>;<b>=<y>`, as RFC 9651 serializes it (a String
/// item with Integer parameters clamped to the Integer range). A test checks the output
/// against `sfv`.
fn push_member(out: &mut String, id: &str, params: [(char, u64); 2]) {
    push_string(out, id);
    let mut digits = itoa::Buffer::new();
    for (key, value) in params {
        out.push(';');
        out.push(key);
        out.push('=');
        out.push_str(digits.format(value.min(MAX_INTEGER)));
    }
}

/// Appends an RFC 9651 String: quoted, `"` and `\` escaped.
///
/// # Panics
/// If `value` holds a character outside printable ASCII, which no String can (policy ids are
/// constants).
fn push_string(out: &mut String, value: &str) {
    out.push('"');
    for char in value.chars() {
        assert!(
            char == ' ' || char.is_ascii_graphic(),
            "policy ids are printable ASCII"
        );
        if char == '"' || char == '\\' {
            out.push('\\');
        }
        out.push(char);
    }
    out.push('"');
}

impl RateLimitFields {
    /// Serializes `policies` and `states`.
    ///
    /// ```
    /// use attractos_limits::fields::{PolicyItem, RateLimitFields, StateItem};
    ///
    /// let fields = RateLimitFields::new(
    ///     &[PolicyItem { id: "requests", quota: 20, window_secs: 1 }],
    ///     &[StateItem { id: "requests", remaining: 0, reset_secs: 1 }],
    /// );
    /// assert_eq!(fields.policy(), Some(r#""requests";q=20;w=1"#));
    /// assert_eq!(fields.current(), Some(r#""requests";r=0;t=1"#));
    /// ```
    pub fn new(policies: &[PolicyItem], states: &[StateItem]) -> Self {
        let mut serialized =
            String::with_capacity((policies.len() + states.len()) * MEMBER_CAPACITY);
        push_list(
            &mut serialized,
            policies
                .iter()
                .map(|item| (item.id, [('q', item.quota), ('w', item.window_secs)])),
        );
        let policy_len = serialized.len();
        push_list(
            &mut serialized,
            states
                .iter()
                .map(|item| (item.id, [('r', item.remaining), ('t', item.reset_secs)])),
        );
        RateLimitFields {
            serialized,
            policy_len,
        }
    }

    /// The `RateLimit-Policy` value, if any policy applies.
    pub fn policy(&self) -> Option<&str> {
        Some(&self.serialized[..self.policy_len]).filter(|value| !value.is_empty())
    }

    /// The `RateLimit` value, if any state is known.
    pub fn current(&self) -> Option<&str> {
        Some(&self.serialized[self.policy_len..]).filter(|value| !value.is_empty())
    }

    /// The fields to send, as `(lowercase name, value)`.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            self.policy().map(|value| (names::RATELIMIT_POLICY, value)),
            self.current().map(|value| (names::RATELIMIT, value)),
        ]
        .into_iter()
        .flatten()
    }
}

/// Whole seconds, rounded up, of a non-negative microsecond count.
pub(crate) fn ceil_secs(us: i64) -> u64 {
    let us = us.max(0) as u64;
    us.div_ceil(1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sfv::{KeyRef, ListSerializer, StringRef};

    /// The fields as `sfv` serializes them: the reference the direct writing must match.
    fn by_sfv(policies: &[PolicyItem], states: &[StateItem]) -> (Option<String>, Option<String>) {
        let integer = |value: u64| {
            sfv::Integer::try_from(value.min(MAX_INTEGER)).expect("clamped to the range")
        };
        let string = |id| StringRef::from_str(id).expect("printable ASCII");
        let mut policy = ListSerializer::new();
        for item in policies {
            let _ = policy
                .bare_item(string(item.id))
                .parameter(KeyRef::constant("q"), integer(item.quota))
                .parameter(KeyRef::constant("w"), integer(item.window_secs))
                .finish();
        }
        let mut current = ListSerializer::new();
        for item in states {
            let _ = current
                .bare_item(string(item.id))
                .parameter(KeyRef::constant("r"), integer(item.remaining))
                .parameter(KeyRef::constant("t"), integer(item.reset_secs))
                .finish();
        }
        (policy.finish(), current.finish())
    }

    fn id() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just(REQUESTS),
            Just(EVENTS),
            Just(AUTH_FAILURES),
            Just(r#"quote " and \ backslash"#),
        ]
    }

    fn count() -> impl Strategy<Value = u64> {
        prop_oneof![
            0..100u64,
            Just(MAX_INTEGER),
            Just(MAX_INTEGER + 1),
            any::<u64>()
        ]
    }

    proptest! {
        #[test]
        fn fields_are_serialized_as_sfv_serializes_them(
            policies in prop::collection::vec((id(), count(), count()), 0..3),
            states in prop::collection::vec((id(), count(), count()), 0..3),
        ) {
            let policies: Vec<PolicyItem> = policies
                .into_iter()
                .map(|(id, quota, window_secs)| PolicyItem { id, quota, window_secs })
                .collect();
            let states: Vec<StateItem> = states
                .into_iter()
                .map(|(id, remaining, reset_secs)| StateItem { id, remaining, reset_secs })
                .collect();
            let fields = RateLimitFields::new(&policies, &states);
            let (policy, current) = by_sfv(&policies, &states);
            prop_assert_eq!(fields.policy(), policy.as_deref(), "RateLimit-Policy differs from sfv's");
            prop_assert_eq!(fields.current(), current.as_deref(), "RateLimit differs from sfv's");
        }
    }
}
