//! The in-memory store and its built-in fixtures: API keys, users, plans and sites. The
//! monthly event counters live in the limit store (`attractos-limits`).
//!
//! ```
//! use attractos_reference::store::{KeyLookup, Plan, Store};
//!
//! let store = Store::with_fixtures();
//! let KeyLookup::Active(user) = store.lookup_key("ak_demo_free") else { unreachable!() };
//! assert_eq!(user.plan, Plan::Free);
//! assert_eq!(store.sites_of(&user)[0].id, "site_demo");
//! assert!(matches!(store.lookup_key("ak_demo_revoked"), KeyLookup::Revoked));
//! ```

use std::collections::HashMap;

/// The fixture API keys, one per situation the contract needs.
pub mod keys {
    /// A Free-plan user owning `site_demo`.
    pub const FREE: &str = "ak_demo_free";
    /// A Pro-plan user owning `site_pro` and `site_broken`.
    pub const PRO: &str = "ak_demo_pro";
    /// A revoked key: `INVALID_KEY`.
    pub const REVOKED: &str = "ak_demo_revoked";
    /// A key whose user was deleted: `USER_NOT_FOUND`.
    pub const ORPHAN: &str = "ak_demo_orphan";
    /// A Free-plan user owning `site_quota`, whose monthly event quota is already spent.
    pub const QUOTA: &str = "ak_demo_quota";
}

/// The fixture site ids.
pub mod sites {
    /// Owned by [`super::keys::FREE`], domain `demo.example`.
    pub const DEMO: &str = "site_demo";
    /// Owned by [`super::keys::PRO`], domain `pro.example`.
    pub const PRO: &str = "site_pro";
    /// Owned by [`super::keys::PRO`]; every read of its data fails inside the store.
    pub const BROKEN: &str = "site_broken";
    /// Owned by [`super::keys::QUOTA`], domain `quota.example`.
    pub const QUOTA: &str = "site_quota";
}

/// The text of the failure reading [`sites::BROKEN`]: it carries a secret, so it shows that
/// internal causes reach the logs and never a client.
pub const BROKEN_SITE_FAILURE: &str = "replica analytics-2 refused the connection \
     (postgres://stats@analytics-2.internal/stats?db-password=hunter2): connection reset";

/// A pricing plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// Daily timeseries only, 10 000 events a month.
    Free,
    /// Hourly timeseries too, 1 000 000 events a month.
    Pro,
}

impl Plan {
    /// The limits' plan: it decides the request rate and the event quota
    /// ([`attractos_limits::Policies`]).
    pub const fn limits(self) -> attractos_limits::Plan {
        match self {
            Plan::Free => attractos_limits::Plan::Free,
            Plan::Pro => attractos_limits::Plan::Pro,
        }
    }
}

/// A store-wide user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub u32);

/// A user the store knows, as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// The user's plan.
    pub plan: Plan,
}

/// A site, as `GET /api/v1/sites` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Site {
    /// The site id used in paths, e.g. `site_demo`.
    pub id: String,
    /// The site's domain, e.g. `demo.example`.
    pub domain: String,
}

/// What an API key stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup {
    /// A live key of an existing user.
    Active(User),
    /// The store has never issued this key.
    Unknown,
    /// The key was revoked.
    Revoked,
    /// The key's user was deleted.
    UserDeleted,
}

/// A failure inside the store. Its text is for operators: it may hold secrets.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backing database could not be read.
    #[error("site data read failed: {0}")]
    Unavailable(String),
}

impl From<StoreError> for attractos_errors::ApiError {
    fn from(err: StoreError) -> Self {
        attractos_errors::ApiError::internal(err)
    }
}

/// A site's data handle: proof that its data could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteData {
    /// The site's id.
    pub id: String,
}

struct KeyRecord {
    user: UserId,
    revoked: bool,
}

struct UserRecord {
    plan: Plan,
    deleted: bool,
    /// The events every month's counter starts with (the quota fixture starts spent, at
    /// [`SPENT`], so it stays spent whatever quota the server is given).
    usage_floor: u64,
}

struct SiteRecord {
    owner: UserId,
    domain: &'static str,
    broken: bool,
}

/// The starting count of a spent quota: past any quota a server is given, and exact in the
/// limit store's arithmetic (Redis's Lua numbers are doubles).
pub const SPENT: u64 = 1 << 40;

/// Keys, users and sites.
pub struct Store {
    keys: HashMap<&'static str, KeyRecord>,
    users: HashMap<UserId, UserRecord>,
    sites: HashMap<&'static str, SiteRecord>,
}

impl Store {
    /// The store with the built-in fixtures (see the crate README).
    pub fn with_fixtures() -> Self {
        const FREE: UserId = UserId(1);
        const PRO: UserId = UserId(2);
        const ORPHAN: UserId = UserId(3);
        const QUOTA: UserId = UserId(4);
        let user = |plan, deleted, usage_floor| UserRecord {
            plan,
            deleted,
            usage_floor,
        };
        let key = |user, revoked| KeyRecord { user, revoked };
        let site = |owner, domain, broken| SiteRecord {
            owner,
            domain,
            broken,
        };
        Store {
            keys: HashMap::from([
                (keys::FREE, key(FREE, false)),
                (keys::PRO, key(PRO, false)),
                (keys::REVOKED, key(FREE, true)),
                (keys::ORPHAN, key(ORPHAN, false)),
                (keys::QUOTA, key(QUOTA, false)),
            ]),
            users: HashMap::from([
                (FREE, user(Plan::Free, false, 0)),
                (PRO, user(Plan::Pro, false, 0)),
                (ORPHAN, user(Plan::Free, true, 0)),
                (QUOTA, user(Plan::Free, false, SPENT)),
            ]),
            sites: HashMap::from([
                (sites::DEMO, site(FREE, "demo.example", false)),
                (sites::PRO, site(PRO, "pro.example", false)),
                (sites::BROKEN, site(PRO, "broken.example", true)),
                (sites::QUOTA, site(QUOTA, "quota.example", false)),
                ("site_orphaned", site(ORPHAN, "orphaned.example", false)),
            ]),
        }
    }

    /// What `key` stands for.
    pub fn lookup_key(&self, key: &str) -> KeyLookup {
        let Some(record) = self.keys.get(key) else {
            return KeyLookup::Unknown;
        };
        if record.revoked {
            return KeyLookup::Revoked;
        }
        match self.users.get(&record.user) {
            Some(user) if !user.deleted => KeyLookup::Active(User {
                id: record.user,
                plan: user.plan,
            }),
            _ => KeyLookup::UserDeleted,
        }
    }

    /// The sites `user` owns, sorted by id.
    pub fn sites_of(&self, user: &User) -> Vec<Site> {
        let mut owned: Vec<Site> = self
            .sites
            .iter()
            .filter(|(_, site)| site.owner == user.id)
            .map(|(id, site)| Site {
                id: (*id).to_owned(),
                domain: site.domain.to_owned(),
            })
            .collect();
        owned.sort_by(|a, b| a.id.cmp(&b.id));
        owned
    }

    /// Whether `user` owns the site `site_id` (false for unknown sites).
    pub fn owns(&self, user: &User, site_id: &str) -> bool {
        self.sites
            .get(site_id)
            .is_some_and(|site| site.owner == user.id)
    }

    /// Opens the data of `site_id`; fails for the broken fixture site.
    pub fn site_data(&self, site_id: &str) -> Result<SiteData, StoreError> {
        match self.sites.get(site_id) {
            Some(site) if site.broken => {
                Err(StoreError::Unavailable(BROKEN_SITE_FAILURE.to_owned()))
            }
            Some(_) => Ok(SiteData {
                id: site_id.to_owned(),
            }),
            None => Err(StoreError::Unavailable(format!(
                "no data for site {site_id:?}"
            ))),
        }
    }

    /// The fewest events `user` has used this month (`Account::event_floor`): 0, as this
    /// server keeps no events of its own, but for the quota fixture, whose quota is spent
    /// (also on a fresh Redis).
    pub fn event_floor(&self, user: &User) -> u64 {
        self.users.get(&user.id).map_or(0, |u| u.usage_floor)
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("keys", &self.keys.len())
            .field("sites", &self.sites.len())
            .finish_non_exhaustive()
    }
}
