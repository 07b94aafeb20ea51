//! The IETF RateLimit header fields of AttractOS's limited routes
//! (draft-ietf-httpapi-ratelimit-headers): the policy ids, and a reader of either field.
//!
//! `attractos-limits` writes them, the client's pacer and the contract checker read them: the
//! three share these names and this reader, so they cannot disagree on what a field says.
//! Both fields are RFC 9651 Lists of String items with Integer parameters:
//! `RateLimit-Policy: "requests";q=20;w=1` (quota `q`, window `w` in seconds) and
//! `RateLimit: "requests";r=0;t=1` (`r` left, usable within the next `t` seconds).
//!
//! ```
//! use attractos_errors::ratelimit::{self, PolicyId};
//!
//! let lines = [&b"\"requests\";r=0;t=2"[..], b"\"events\";r=9;t=86400"];
//! let members = ratelimit::read(lines).unwrap().unwrap();
//! assert_eq!(members[0].policy, PolicyId::Requests.as_str());
//! assert_eq!((members[0].integer("r"), members[0].integer("t")), (Some(0), Some(2)));
//! assert!(ratelimit::read([&b"requests;r=0"[..]]).unwrap().is_err(), "an id is quoted");
//! ```

use std::fmt;

use sfv::{BareItem, List, ListEntry, Parser};

/// A policy id: which of AttractOS's limits a member speaks of (`docs/limits.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyId {
    /// `requests`: the per-key request rate; spent, it answers `RATE_LIMITED`.
    Requests,
    /// `events`: the per-account monthly event quota; spent, `LIMIT_EXCEEDED`.
    Events,
    /// `auth-failures`: the per-address failed-authentication allowance; spent,
    /// `RATE_LIMITED` whatever key the address sends.
    AuthFailures,
}

impl PolicyId {
    /// The id as the fields name it (quoted there: a String item of printable ASCII that
    /// needs no escaping).
    pub const fn as_str(self) -> &'static str {
        match self {
            PolicyId::Requests => "requests",
            PolicyId::Events => "events",
            PolicyId::AuthFailures => "auth-failures",
        }
    }
}

/// One member of either field: its policy id and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The policy id, as the field spells it (any id: other services name their own).
    pub policy: String,
    /// The parameters in order, each with its value when that is an Integer.
    params: Vec<(String, Option<i64>)>,
}

impl Member {
    /// Parameter `name`: `None` when absent, `Some(None)` when present but not an Integer.
    pub fn param(&self, name: &str) -> Option<Option<i64>> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| *value)
    }

    /// Parameter `name` when it is present and an Integer.
    pub fn integer(&self, name: &str) -> Option<i64> {
        self.param(name).flatten()
    }
}

/// A field that is not a List of policies: the value (its lines joined) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The field's value as received, its lines joined with `, `.
    pub value: Vec<u8>,
    /// What is wrong with it.
    pub why: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = String::from_utf8_lossy(&self.value);
        write!(f, "{value:?} is not a well-formed List: {}", self.why)
    }
}

impl std::error::Error for Malformed {}

/// Why a field written to draft 07 is malformed here: its syntax is gone from the drafts since.
const DRAFT_07: &str = "draft 07's syntax (`RateLimit: limit=10, remaining=9, reset=60`, \
     `RateLimit-Policy: 10;w=60`); since draft 08 each member is a quoted policy id with its \
     parameters (`\"requests\";r=9;t=60`, `\"requests\";q=10;w=60`)";

/// Whether `value` is draft 07's `RateLimit`: a Dictionary of `limit`, `remaining` and `reset`.
fn is_draft_07_state(value: &[u8]) -> bool {
    let dictionary: Result<sfv::Dictionary, _> = Parser::new(value).parse();
    dictionary.is_ok_and(|members| {
        !members.is_empty()
            && members
                .keys()
                .all(|key| matches!(key.as_str(), "limit" | "remaining" | "reset"))
    })
}

/// Reads a field from its `lines` (each header line's value; several lines are one List, as
/// RFC 9110 §5.3 combines them): `None` when there is no line, else its members, or why it is
/// not a List of String items (RFC 9651, parsed with `sfv`).
pub fn read<'a>(
    lines: impl IntoIterator<Item = &'a [u8]>,
) -> Option<Result<Vec<Member>, Malformed>> {
    let lines: Vec<&[u8]> = lines.into_iter().collect();
    if lines.is_empty() {
        return None;
    }
    let value = lines.join(&b", "[..]);
    let malformed = |why: String| Malformed {
        value: value.clone(),
        why,
    };
    let list: List = match Parser::new(&value).parse() {
        Ok(list) => list,
        Err(_) if is_draft_07_state(&value) => return Some(Err(malformed(DRAFT_07.into()))),
        Err(err) => return Some(Err(malformed(err.to_string()))),
    };
    let members = list.into_iter().map(|entry| {
        let ListEntry::Item(item) = entry else {
            return Err(malformed("an inner list where a policy id belongs".into()));
        };
        let why = match item.bare_item {
            BareItem::String(policy) => Ok(policy),
            // Draft 07's `RateLimit-Policy: 10;w=60`: a quota without a name.
            BareItem::Integer(_) => Err(DRAFT_07),
            _ => Err("a member that is not a quoted policy id"),
        };
        let policy = why.map_err(|why| malformed(why.into()))?;
        let params = item
            .params
            .iter()
            .map(|(key, value)| (key.as_str().to_owned(), value.as_integer().map(i64::from)))
            .collect();
        Ok(Member {
            policy: policy.as_str().to_owned(),
            params,
        })
    });
    Some(members.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_list_and_parameters_keep_their_kind() {
        let members = read([&br#""requests";r=3;t=1"#[..], br#""events";r=1.5;x=?1"#])
            .expect("lines")
            .expect("a List");
        assert_eq!(members.len(), 2);
        assert_eq!(members[1].policy, "events");
        assert_eq!(
            members[1].param("r"),
            Some(None),
            "a Decimal is not an Integer"
        );
        assert_eq!(members[1].param("t"), None);
        assert_eq!(members[0].integer("r"), Some(3));
        assert_eq!(read(std::iter::empty()), None);
    }

    #[test]
    fn what_is_not_a_list_of_policies_says_why() {
        for (value, why) in [
            (&b"(\"requests\");r=1"[..], "an inner list"),
            (b"requests;r=1", "not a quoted policy id"),
            (b"\"requests\";r=1,,", ""),
            (b"limit=10, remaining=9, reset=60", "draft 07's syntax"),
            (b"10;w=60", "draft 07's syntax"),
            (b"limit=10, used=1", "trailing characters"),
        ] {
            let err = read([value]).expect("a line").expect_err("malformed");
            assert_eq!(err.value, value);
            assert!(err.why.contains(why), "{err}");
            assert!(
                err.to_string().contains("is not a well-formed List"),
                "{err}"
            );
        }
    }
}
