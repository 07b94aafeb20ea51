//! The rules the judge applies, each at a [`Level`]: what the published catalogue promises
//! (`contract`), what the HTTP RFCs require of these answers (`http`, each rule citing its
//! section), and this project's house rules (`recommended`).
//!
//! A run fails on findings at or below its level in that order (`--level http` fails on
//! `contract` and `http` findings) and reports the others as warnings, so a service written
//! elsewhere can be held to the published page alone.
//!
//! ```
//! use attractos_contract::rule::{Finding, Level, Rule};
//!
//! assert_eq!(Rule::AllowOn405.level(), Level::Http);
//! assert_eq!(Rule::AllowOn405.cite(), Some("RFC 9110 §15.5.6"));
//! assert!(Level::Contract.includes(Rule::CatalogueCode.level()));
//! assert!(!Level::Contract.includes(Rule::RequestId.level()));
//! assert!(Level::Recommended.includes(Rule::RequestId.level()));
//! assert_eq!("http".parse::<Level>(), Ok(Level::Http));
//!
//! let finding = Finding::new(Rule::AllowOn405, "a 405 needs an Allow header");
//! assert_eq!(finding.to_string(), "[http allow-on-405, RFC 9110 §15.5.6] a 405 needs an Allow header");
//! ```

use std::fmt;
use std::str::FromStr;

use serde::ser::SerializeStruct;

/// How binding a rule is. Ordered: each level includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Level {
    /// What the published error page promises.
    Contract,
    /// What the HTTP RFCs require of these answers.
    Http,
    /// This project's house rules. The default: the strictest.
    #[default]
    Recommended,
}

impl Level {
    /// Every level, from the least strict run to the strictest.
    pub const ALL: [Level; 3] = [Level::Contract, Level::Http, Level::Recommended];

    /// `contract`, `http` or `recommended`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Contract => "contract",
            Level::Http => "http",
            Level::Recommended => "recommended",
        }
    }

    /// Whether a run at this level fails on a finding of `rule_level`.
    pub fn includes(self, rule_level: Level) -> bool {
        rule_level <= self
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|level| level.as_str() == text)
            .ok_or_else(|| {
                format!("unknown level {text:?}: expected contract, http or recommended")
            })
    }
}

impl serde::Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $level:ident, $cite:expr; )+) => {
        /// A rule of the judge.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Rule {
            $( $(#[$doc])* $variant, )+
        }

        impl Rule {
            /// Every rule, contract rules first.
            pub const ALL: &[Rule] = &[$(Rule::$variant),+];

            /// The rule's kebab-case name, as reports show it.
            pub const fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)+ }
            }

            /// The rule's level.
            pub const fn level(self) -> Level {
                match self { $(Rule::$variant => Level::$level,)+ }
            }

            /// The specification section an `http` (or draft) rule comes from.
            pub const fn cite(self) -> Option<&'static str> {
                match self { $(Rule::$variant => $cite,)+ }
            }
        }
    };
}

rules! {
    /// The service answered, with a success or an error (not a redirect, not nothing).
    Answered = "answered", Contract, None;
    /// The answer is the one the case expects: its code, or its success status.
    ExpectedAnswer = "expected-answer", Contract, None;
    /// An answer's `Content-Type` is `application/json` and its body is JSON.
    JsonContentType = "json-content-type", Contract, None;
    /// An error body is a JSON object whose `error` is a non-empty string and `code` a string.
    BodyShape = "body-shape", Contract, None;
    /// `code` is a catalogue code, spelled exactly.
    CatalogueCode = "catalogue-code", Contract, None;
    /// An error body has no keys beyond `error`, `code` and `retry_after`.
    NoExtraFields = "no-extra-fields", Contract, None;
    /// The status is the code's.
    StatusMatchesCode = "status-matches-code", Contract, None;
    /// `retry_after` appears on the two 429 codes only, as a whole number of seconds >= 1.
    RetryAfterField = "retry-after-field", Contract, None;
    /// A `SERVER_ERROR` says the catalogue's message and nothing else.
    ServerErrorMessage = "server-error-message", Contract, None;
    /// No response contains a forbidden text (`--forbid`, the fixtures' secrets).
    ForbiddenText = "forbidden-text", Contract, None;
    /// A foreign site and a site that does not exist get the same status, body and contract
    /// headers, on every route that takes a site id.
    SiteNotFoundIndistinguishable = "site-not-found-indistinguishable", Contract, None;
    /// A 401 carries a `WWW-Authenticate` challenge, of the Bearer scheme.
    WwwAuthenticateOn401 = "www-authenticate-on-401", Http, Some("RFC 9110 §15.5.2, RFC 6750 §3");
    /// A 405 carries an `Allow` header.
    AllowOn405 = "allow-on-405", Http, Some("RFC 9110 §15.5.6");
    /// A 429 carries `Retry-After` in seconds, equal to the body's `retry_after`.
    RetryAfterHeader = "retry-after-header", Http, Some("RFC 6585 §4, RFC 9110 §10.2.3");
    /// An error carries `Cache-Control: no-store`.
    CacheControlNoStore = "cache-control-no-store", Recommended, None;
    /// An error carries `X-Content-Type-Options: nosniff`.
    Nosniff = "nosniff", Recommended, None;
    /// Every answer carries a non-empty `X-Request-Id`, the client's when it sent one.
    RequestId = "request-id", Recommended, None;
    /// An error's `Link`, when sent, is `<…#anchor>; rel="help"` for its code.
    DocsLink = "docs-link", Recommended, None;
    /// `RateLimit-Policy` and `RateLimit`, when sent, are well-formed structured-field lists
    /// with `q`, `r` and `t` >= 0.
    RateLimitFields = "ratelimit-fields", Recommended, Some("draft-ietf-httpapi-ratelimit-headers-11 §3, §4");
    /// On a 429, `Retry-After` is not earlier than the effective window `t` of any exhausted
    /// limit.
    RateLimitRetryAfter = "ratelimit-retry-after", Recommended, Some("draft-ietf-httpapi-ratelimit-headers-11 §6");
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One broken rule in one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// What the answer did, e.g. `no x-request-id header`.
    pub message: String,
}

impl Finding {
    /// A finding of `rule`.
    pub fn new(rule: Rule, message: impl Into<String>) -> Self {
        Finding {
            rule,
            message: message.into(),
        }
    }

    /// The rule's level.
    pub fn level(&self) -> Level {
        self.rule.level()
    }
}

/// `[level rule] message`, e.g. `[recommended request-id] no x-request-id header`, with the
/// rule's source for cited rules: `[http allow-on-405, RFC 9110 §15.5.6] a 405 needs an Allow
/// header`.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} {}", self.level(), self.rule)?;
        if let Some(cite) = self.rule.cite() {
            write!(f, ", {cite}")?;
        }
        write!(f, "] {}", self.message)
    }
}

impl serde::Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut finding = serializer.serialize_struct("Finding", 3)?;
        finding.serialize_field("rule", self.rule.id())?;
        finding.serialize_field("level", &self.level())?;
        finding.serialize_field("message", &self.message)?;
        finding.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_http_rule_cites_its_section_and_no_contract_rule_does() {
        for rule in Rule::ALL {
            match rule.level() {
                Level::Http => {
                    assert!(rule.cite().is_some_and(|c| c.starts_with("RFC ")), "{rule}")
                }
                Level::Contract => assert_eq!(rule.cite(), None, "{rule}"),
                Level::Recommended => {}
            }
        }
    }

    #[test]
    fn rules_are_listed_by_level() {
        assert!(Rule::ALL.windows(2).all(|w| w[0].level() <= w[1].level()));
    }
}
