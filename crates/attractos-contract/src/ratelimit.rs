//! The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-11), checked
//! whenever a response carries them.
//!
//! `RateLimit-Policy: "burst";q=20;w=1` names each quota policy; `RateLimit: "burst";r=0;t=1`
//! says how much of it is available (`r`) and its effective window in seconds (`t`, the time
//! within which the client can use no more than `r`). Both are
//! structured-field Lists (RFC 9651), parsed with `sfv`: every member a String item, with an
//! integer `q` >= 0 (required) and `w` >= 1 on a policy, an integer `r` >= 0 (required) and
//! `t` >= 0 on a limit. On a 429, `Retry-After` must not be earlier than the end of the
//! effective window of any limit that is spent (`r=0`, draft §6): a client that waits less is
//! refused again.
//!
//! Both rules are at the `recommended` level: the draft is not an RFC yet, and the `http`
//! level cites RFCs only. A response without the fields is not judged by them.

use attractos_errors::header_names;
use attractos_errors::ratelimit::{self, Member};

use crate::judge::{Response, retry_after_seconds, show};
use crate::rule::{Finding, Rule};

/// Adds a finding unless parameter `name` of `member` of `field` is an integer >= `min` (or
/// absent, when it is not `required`).
fn expect(
    member: &Member,
    field: &str,
    name: &str,
    min: i64,
    required: bool,
    found: &mut Vec<Finding>,
) {
    let message = match member.param(name) {
        Some(Some(value)) if value >= min => return,
        None if !required => return,
        None => format!("{field} {:?} has no {name}", member.policy),
        Some(_) => format!(
            "{field} {:?}: {name} is not an integer >= {min}",
            member.policy
        ),
    };
    found.push(Finding::new(Rule::RateLimitFields, message));
}

/// Adds a finding per broken rule of the RateLimit fields `response` carries.
pub(crate) fn check(response: &Response, found: &mut Vec<Finding>) {
    if let Some(policies) = field(response, header_names::RATELIMIT_POLICY, found) {
        for policy in &policies {
            expect(policy, "RateLimit-Policy", "q", 0, true, found);
            expect(policy, "RateLimit-Policy", "w", 1, false, found);
        }
    }
    let Some(limits) = field(response, header_names::RATELIMIT, found) else {
        return;
    };
    for limit in &limits {
        expect(limit, "RateLimit", "r", 0, true, found);
        expect(limit, "RateLimit", "t", 0, false, found);
    }
    if response.status != 429 {
        return;
    }
    let Some(retry_after) = response.header("retry-after").and_then(retry_after_seconds) else {
        return; // the retry-after-header rule reports it
    };
    for limit in limits.iter().filter(|l| l.integer("r") == Some(0)) {
        if let Some(t) = limit.integer("t")
            && u64::try_from(t).is_ok_and(|t| t > retry_after)
        {
            found.push(Finding::new(
                Rule::RateLimitRetryAfter,
                format!(
                    "Retry-After is {retry_after}, earlier than the reset t={t} of the spent limit {:?}",
                    limit.policy
                ),
            ));
        }
    }
}

/// The members of field `name`, or `None` when the response does not carry it or it is not
/// a List of policies (a finding says why).
fn field(response: &Response, name: &str, found: &mut Vec<Finding>) -> Option<Vec<Member>> {
    match ratelimit::read(response.header_all(name))? {
        Ok(members) => Some(members),
        Err(malformed) => {
            let message = format!(
                "{name} is {}, not a well-formed List: {}",
                show(&malformed.value),
                malformed.why
            );
            found.push(Finding::new(Rule::RateLimitFields, message));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                .collect(),
            body: Default::default(),
        }
    }

    fn messages(response: &Response) -> Vec<String> {
        let mut found = Vec::new();
        check(response, &mut found);
        found
            .into_iter()
            .map(|f| format!("{} {}", f.rule, f.message))
            .collect()
    }

    #[test]
    fn well_formed_fields_pass() {
        let ok = response(
            429,
            &[
                (
                    "ratelimit-policy",
                    r#""rate";q=20;w=1, "quota";q=1000;w=2592000"#,
                ),
                ("ratelimit", r#""rate";r=0;t=2"#),
                ("ratelimit", r#""quota";r=400;t=86400"#),
                ("retry-after", "2"),
            ],
        );
        assert_eq!(messages(&ok), Vec::<String>::new());
        assert_eq!(messages(&response(200, &[])), Vec::<String>::new());
    }

    #[test]
    fn each_broken_field_is_named() {
        let cases = [
            (("ratelimit", "rate;r=1"), "not a quoted policy id"),
            (("ratelimit", r#""rate";r=-1"#), "r is not an integer >= 0"),
            (
                ("ratelimit", r#""rate";r=1;t=-3"#),
                "t is not an integer >= 0",
            ),
            (("ratelimit", r#""rate";t=3"#), "has no r"),
            (("ratelimit", r#""rate";r=1.5"#), "r is not an integer >= 0"),
            (("ratelimit", r#""rate";r=1,,"#), "not a well-formed List"),
            // A service written to draft 07 (express-rate-limit's `standardHeaders: 'draft-7'`).
            (
                ("ratelimit", "limit=10, remaining=9, reset=60"),
                "draft 07's syntax",
            ),
            (("ratelimit-policy", "10;w=60"), "draft 07's syntax"),
            (("ratelimit-policy", r#""rate";w=1"#), "has no q"),
            (
                ("ratelimit-policy", r#""rate";q=5;w=0"#),
                "w is not an integer >= 1",
            ),
        ];
        for ((name, value), expected) in cases {
            let found = messages(&response(200, &[(name, value)]));
            assert!(
                found.len() == 1
                    && found[0].starts_with("ratelimit-fields ")
                    && found[0].contains(expected),
                "{name}: {value} gave {found:?}, expected {expected:?}"
            );
        }
    }

    #[test]
    fn a_429_must_not_send_clients_back_before_a_spent_limit_resets() {
        let early = response(
            429,
            &[("ratelimit", r#""rate";r=0;t=5"#), ("retry-after", "2")],
        );
        let found = messages(&early);
        assert_eq!(
            found,
            [
                r#"ratelimit-retry-after Retry-After is 2, earlier than the reset t=5 of the spent limit "rate""#
            ]
        );
        // A limit with requests left may reset later (e.g. the monthly quota on a RATE_LIMITED).
        let other = response(
            429,
            &[
                ("ratelimit", r#""rate";r=0;t=2, "quota";r=9;t=900"#),
                ("retry-after", "2"),
            ],
        );
        assert_eq!(messages(&other), Vec::<String>::new());
    }
}
