//! The `RateLimit-Policy` and `RateLimit` header fields of draft-ietf-httpapi-ratelimit-headers
//! (draft 11; on the wire the same as draft 10), serialized as RFC 9651 structured fields
//! (written directly, checked against `sfv`).
//!
//! Both are Lists of Items: a String naming the policy, with Integer parameters: `q` (quota) and
//! `w` (window) on a policy, `r` (available quota) and `t` (effective window: the seconds within
//! which the client can use no more than `r`) on its state.
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

use attractos_errors::header_names;
use bytes::Bytes;

pub use attractos_errors::ratelimit::PolicyId;

/// One of the two header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `RateLimit-Policy`: the policies, constant per limiter, plan and cycle length.
    Policy,
    /// `RateLimit`: the state after this decision.
    Current,
}

impl Field {
    /// The field's name, lowercase as HTTP/2 and both frameworks' header maps spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Policy => header_names::RATELIMIT_POLICY,
            Field::Current => header_names::RATELIMIT,
        }
    }
}

/// A policy as `RateLimit-Policy` states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyItem {
    /// The policy id.
    pub id: PolicyId,
    /// The quota (`q`).
    pub quota: u64,
    /// The window in seconds (`w`).
    pub window_secs: u64,
}

/// A policy's state as `RateLimit` states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateItem {
    /// The policy id.
    pub id: PolicyId,
    /// Units left (`r`).
    pub remaining: u64,
    /// The effective window in seconds (`t`): within it, no more than `remaining` is usable.
    pub reset_secs: u64,
}

impl PolicyItem {
    fn member(&self) -> Member {
        (self.id, [('q', self.quota), ('w', self.window_secs)])
    }
}

impl StateItem {
    fn member(&self) -> Member {
        (self.id, [('r', self.remaining), ('t', self.reset_secs)])
    }
}

/// A serialized `RateLimit-Policy` value. It depends only on the policies, so a limiter
/// writes each once and every response shares it: a clone is a reference count, and the
/// adapters hand the same bytes to their header maps without copying them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyField(pub(crate) Bytes);

impl PolicyField {
    /// Serializes `policies` (empty: no field is sent).
    pub fn new(policies: &[PolicyItem]) -> Self {
        PolicyField(serialize(policies.iter().map(PolicyItem::member)))
    }
}

/// The two fields of one response, serialized: `RateLimit-Policy` shared, `RateLimit` in one
/// allocation of its exact length, so a decision allocates once. Empty lists are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimitFields {
    policy: PolicyField,
    current: Bytes,
}

/// The largest Integer RFC 9651 allows.
const MAX_INTEGER: u64 = 999_999_999_999_999;

/// A List member: the policy id and two Integer parameters.
type Member = (PolicyId, [(char, u64); 2]);

/// Room for a quoted policy id (the longest, `"auth-failures"`, is 15 bytes): each is kept
/// padded to this length, so writing one is a copy of a fixed size, which needs no call.
const QUOTED: usize = 16;

/// The most a member can take: its padded id and two parameters (`;`, key, `=`, up to 15
/// digits), and the `, ` before it.
const MEMBER_ROOM: usize = 2 + QUOTED + 2 * (3 + 15);

/// `id` quoted and padded to [`QUOTED`] bytes, and its length.
const fn quoted(id: PolicyId) -> ([u8; QUOTED], usize) {
    let text = id.as_str().as_bytes();
    let mut padded = [0; QUOTED];
    padded[0] = b'"';
    let mut at = 0;
    while at < text.len() {
        padded[at + 1] = text[at];
        at += 1;
    }
    // An id longer than the room fails to compile here.
    padded[at + 1] = b'"';
    (padded, text.len() + 2)
}

/// A List of `members` separated by `, `, each `"<id>";<a>=<x>;<b>=<y>` as RFC 9651
/// serializes a String item with Integer parameters (clamped to the Integer range; a test
/// checks the output against `sfv`). Written in one pass on the stack (on the heap past two
/// members: the limiter's own fields have at most two), then copied once into the value's own
/// allocation.
fn serialize(members: impl ExactSizeIterator<Item = Member>) -> Bytes {
    const REQUESTS: ([u8; QUOTED], usize) = quoted(PolicyId::Requests);
    const EVENTS: ([u8; QUOTED], usize) = quoted(PolicyId::Events);
    const AUTH_FAILURES: ([u8; QUOTED], usize) = quoted(PolicyId::AuthFailures);
    let room = members.len() * MEMBER_ROOM;
    let mut stack = [0; 2 * MEMBER_ROOM];
    let mut heap = Vec::new();
    let out = if room <= stack.len() {
        &mut stack[..]
    } else {
        heap.resize(room, 0);
        &mut heap[..]
    };
    let mut at = 0;
    for (index, (id, params)) in members.enumerate() {
        if index > 0 {
            out[at..at + 2].copy_from_slice(b", ");
            at += 2;
        }
        let (padded, length) = match id {
            PolicyId::Requests => REQUESTS,
            PolicyId::Events => EVENTS,
            PolicyId::AuthFailures => AUTH_FAILURES,
        };
        out[at..at + QUOTED].copy_from_slice(&padded);
        at += length;
        for (key, value) in params {
            out[at..at + 3].copy_from_slice(&[b';', key as u8, b'=']);
            at = write_integer(out, at + 3, value.min(MAX_INTEGER));
        }
    }
    Bytes::copy_from_slice(&out[..at])
}

/// Writes `value`'s decimal digits at `at` in `out`; returns where they end.
fn write_integer(out: &mut [u8], at: usize, value: u64) -> usize {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(value).as_bytes();
    out[at..at + digits.len()].copy_from_slice(digits);
    at + digits.len()
}

/// The text of a serialized field: the serializer writes only ASCII.
fn text(bytes: &Bytes) -> Option<&str> {
    Some(std::str::from_utf8(bytes).expect("serialized fields are ASCII"))
        .filter(|value| !value.is_empty())
}

impl RateLimitFields {
    /// Serializes `policies` and `states`.
    ///
    /// ```
    /// use attractos_limits::fields::{PolicyId, PolicyItem, RateLimitFields, StateItem};
    ///
    /// let fields = RateLimitFields::new(
    ///     &[PolicyItem { id: PolicyId::Requests, quota: 20, window_secs: 1 }],
    ///     &[StateItem { id: PolicyId::Requests, remaining: 0, reset_secs: 1 }],
    /// );
    /// assert_eq!(fields.policy(), Some(r#""requests";q=20;w=1"#));
    /// assert_eq!(fields.current(), Some(r#""requests";r=0;t=1"#));
    /// ```
    pub fn new(policies: &[PolicyItem], states: &[StateItem]) -> Self {
        Self::with_policy(PolicyField::new(policies), states)
    }

    /// The fields with an already serialized `RateLimit-Policy` and `states`.
    pub fn with_policy(policy: PolicyField, states: &[StateItem]) -> Self {
        RateLimitFields {
            policy,
            current: serialize(states.iter().map(StateItem::member)),
        }
    }

    /// The `RateLimit-Policy` value, if any policy applies.
    pub fn policy(&self) -> Option<&str> {
        text(&self.policy.0)
    }

    /// The `RateLimit` value, if any state is known.
    pub fn current(&self) -> Option<&str> {
        text(&self.current)
    }

    /// The fields to send and their values, as bytes a header map can take without a copy
    /// (`HeaderValue::from_maybe_shared`).
    pub fn into_headers(self) -> impl Iterator<Item = (Field, Bytes)> {
        [
            (Field::Policy, self.policy.0),
            (Field::Current, self.current),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
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

    /// A List as `sfv` serializes it: the reference the direct writing must match.
    fn by_sfv(members: impl Iterator<Item = Member>) -> Option<String> {
        let mut list = ListSerializer::new();
        for (id, params) in members {
            let mut item =
                list.bare_item(StringRef::from_str(id.as_str()).expect("printable ASCII"));
            for (key, value) in params {
                let mut letter = [0; 4];
                let key = KeyRef::from_str(key.encode_utf8(&mut letter)).expect("a one-letter key");
                let value =
                    sfv::Integer::try_from(value.min(MAX_INTEGER)).expect("clamped to the range");
                item = item.parameter(key, value);
            }
            let _ = item.finish();
        }
        list.finish()
    }

    fn id() -> impl Strategy<Value = PolicyId> {
        prop_oneof![
            Just(PolicyId::Requests),
            Just(PolicyId::Events),
            Just(PolicyId::AuthFailures),
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
            policies in prop::collection::vec((id(), count(), count()), 0..5),
            states in prop::collection::vec((id(), count(), count()), 0..5),
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
            let policy = by_sfv(policies.iter().map(PolicyItem::member));
            let current = by_sfv(states.iter().map(StateItem::member));
            prop_assert_eq!(fields.policy(), policy.as_deref(), "RateLimit-Policy differs from sfv's");
            prop_assert_eq!(fields.current(), current.as_deref(), "RateLimit differs from sfv's");
            let expected: Vec<(&str, String)> = [("ratelimit-policy", policy), ("ratelimit", current)]
                .into_iter()
                .filter_map(|(name, value)| Some((name, value?)))
                .collect();
            let sent: Vec<(&str, String)> = fields
                .into_headers()
                .map(|(field, value)| (field.name(), String::from_utf8(value.to_vec()).expect("ASCII")))
                .collect();
            prop_assert_eq!(sent, expected, "the fields sent: the draft's names, each with a value");
        }
    }
}
