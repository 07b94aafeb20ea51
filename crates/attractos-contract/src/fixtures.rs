//! The keys and site ids the cases need, and where they come from: the reference server's
//! built-in fixtures, or flags and environment variables for a service of your own.
//!
//! ```
//! use attractos_contract::fixtures::{Fixtures, KeyRef};
//!
//! let fixtures = Fixtures::default().with_key(KeyRef::Free, "ak_live_123");
//! assert_eq!(fixtures.key(KeyRef::Free), Some("ak_live_123"));
//! assert_eq!(fixtures.key(KeyRef::Pro), None);
//! assert_eq!(KeyRef::Pro.env_var(), "ATTRACTOS_KEY_PRO");
//! ```

use std::fmt;

/// An API key a case authenticates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRef {
    /// A live key of a Free-plan user who owns [`SiteRef::Free`].
    Free,
    /// A live key of a Pro-plan user who owns [`SiteRef::Pro`] (and [`SiteRef::Broken`]).
    Pro,
    /// A revoked key.
    Revoked,
    /// A key whose user was deleted.
    Orphan,
    /// A live key of a user who owns [`SiteRef::Quota`] and has spent the month's event quota.
    Quota,
}

/// A site id a case uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteRef {
    /// Owned by the [`KeyRef::Free`] user.
    Free,
    /// Owned by the [`KeyRef::Pro`] user.
    Pro,
    /// Owned by the [`KeyRef::Pro`] user; reading it fails inside the service (`SERVER_ERROR`).
    Broken,
    /// Owned by the [`KeyRef::Quota`] user.
    Quota,
    /// An existing site the [`KeyRef::Free`] user does not own.
    Foreign,
    /// A site id no service has: [`UNKNOWN_SITE_ID`], no fixture needed.
    Unknown,
}

/// The site id [`SiteRef::Unknown`] stands for.
pub const UNKNOWN_SITE_ID: &str = "site_contract_no_such_site";

impl KeyRef {
    /// Every key, in the order of the help text.
    pub const ALL: [KeyRef; 5] = [
        KeyRef::Free,
        KeyRef::Pro,
        KeyRef::Revoked,
        KeyRef::Orphan,
        KeyRef::Quota,
    ];

    /// The fixture's name, e.g. `key-free`: also the CLI flag without its dashes.
    pub const fn name(self) -> &'static str {
        match self {
            KeyRef::Free => "key-free",
            KeyRef::Pro => "key-pro",
            KeyRef::Revoked => "key-revoked",
            KeyRef::Orphan => "key-orphan",
            KeyRef::Quota => "key-quota",
        }
    }

    /// The environment variable the CLI reads it from, e.g. `ATTRACTOS_KEY_FREE`.
    pub const fn env_var(self) -> &'static str {
        match self {
            KeyRef::Free => "ATTRACTOS_KEY_FREE",
            KeyRef::Pro => "ATTRACTOS_KEY_PRO",
            KeyRef::Revoked => "ATTRACTOS_KEY_REVOKED",
            KeyRef::Orphan => "ATTRACTOS_KEY_ORPHAN",
            KeyRef::Quota => "ATTRACTOS_KEY_QUOTA",
        }
    }
}

impl SiteRef {
    /// Every site that needs a fixture, in the order of the help text.
    pub const ALL: [SiteRef; 5] = [
        SiteRef::Free,
        SiteRef::Pro,
        SiteRef::Broken,
        SiteRef::Quota,
        SiteRef::Foreign,
    ];

    /// The fixture's name, e.g. `site-free`: also the CLI flag without its dashes.
    pub const fn name(self) -> &'static str {
        match self {
            SiteRef::Free => "site-free",
            SiteRef::Pro => "site-pro",
            SiteRef::Broken => "site-broken",
            SiteRef::Quota => "site-quota",
            SiteRef::Foreign => "site-foreign",
            SiteRef::Unknown => "site-unknown",
        }
    }

    /// The environment variable the CLI reads it from, e.g. `ATTRACTOS_SITE_FREE`.
    pub const fn env_var(self) -> &'static str {
        match self {
            SiteRef::Free => "ATTRACTOS_SITE_FREE",
            SiteRef::Pro => "ATTRACTOS_SITE_PRO",
            SiteRef::Broken => "ATTRACTOS_SITE_BROKEN",
            SiteRef::Quota => "ATTRACTOS_SITE_QUOTA",
            SiteRef::Foreign => "ATTRACTOS_SITE_FOREIGN",
            SiteRef::Unknown => "ATTRACTOS_SITE_UNKNOWN",
        }
    }
}

/// A fixture a case needs and the run does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fixture {
    /// An API key.
    Key(KeyRef),
    /// A site id.
    Site(SiteRef),
}

impl fmt::Display for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, env) = match self {
            Fixture::Key(key) => (key.name(), key.env_var()),
            Fixture::Site(site) => (site.name(), site.env_var()),
        };
        write!(f, "{name} (--{name} or {env})")
    }
}

/// The keys and site ids of one target. Cases needing one that is absent are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fixtures {
    keys: [Option<String>; 5],
    sites: [Option<String>; 5],
}

fn key_index(key: KeyRef) -> usize {
    KeyRef::ALL.iter().position(|k| *k == key).unwrap_or(0)
}

impl Fixtures {
    /// The built-in fixtures of the `attractos-reference` server.
    pub fn reference() -> Self {
        Fixtures::default()
            .with_key(KeyRef::Free, "ak_demo_free")
            .with_key(KeyRef::Pro, "ak_demo_pro")
            .with_key(KeyRef::Revoked, "ak_demo_revoked")
            .with_key(KeyRef::Orphan, "ak_demo_orphan")
            .with_key(KeyRef::Quota, "ak_demo_quota")
            .with_site(SiteRef::Free, "site_demo")
            .with_site(SiteRef::Pro, "site_pro")
            .with_site(SiteRef::Broken, "site_broken")
            .with_site(SiteRef::Quota, "site_quota")
            .with_site(SiteRef::Foreign, "site_pro")
    }

    /// Sets an API key.
    pub fn with_key(mut self, key: KeyRef, value: impl Into<String>) -> Self {
        self.keys[key_index(key)] = Some(value.into());
        self
    }

    /// Sets a site id. [`SiteRef::Unknown`] is fixed and ignores this.
    pub fn with_site(mut self, site: SiteRef, value: impl Into<String>) -> Self {
        if let Some(index) = SiteRef::ALL.iter().position(|s| *s == site) {
            self.sites[index] = Some(value.into());
        }
        self
    }

    /// The API key, if this run has it.
    pub fn key(&self, key: KeyRef) -> Option<&str> {
        self.keys[key_index(key)].as_deref()
    }

    /// The site id, if this run has it.
    pub fn site(&self, site: SiteRef) -> Option<&str> {
        match site {
            SiteRef::Unknown => Some(UNKNOWN_SITE_ID),
            other => SiteRef::ALL
                .iter()
                .position(|s| *s == other)
                .and_then(|index| self.sites[index].as_deref()),
        }
    }
}
