//! [`ApiKeys`]: what a service knows of its API keys ([`LocalApiKeys`] where its lookups are
//! not `Send`), and the two steps every keyed request takes through the limits, written once
//! for both adapters' `Authenticated` extractor: [`authenticate`] and, on the routes that
//! record events, [`count_event`].

use std::future::Future;

use attractos_errors::{ApiError, Category};
use futures_util::future::Either;

use crate::{Account, LimitContext, Limiter, QuotaOutcome};

/// A service's API keys as the limits see them: what a key resolves to, the account its
/// requests count against, and the limiter they go through. The adapters' `Authenticated<K>`
/// extractor takes one from the app's state; a service implements it once, on its state.
///
/// ```
/// use attractos_errors::{ApiError, ErrorCode};
/// use attractos_limits::{Account, ApiKeys, LimitContext, Limiter, Plan, Policies};
///
/// struct Keys(Limiter);
///
/// impl ApiKeys for Keys {
///     type Caller = &'static str;
///
///     fn limiter(&self) -> &Limiter {
///         &self.0
///     }
///
///     async fn resolve(&self, key: &str) -> Result<&'static str, ApiError> {
///         match key {
///             "ak_demo_free" => Ok("ak_demo_free"),
///             _ => Err(ApiError::invalid_key()),
///         }
///     }
///
///     fn account<'a>(&'a self, key: &'a &'static str) -> Account<'a> {
///         Account { key, id: "user:1", plan: Plan::Free, event_floor: 0 }
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let keys = Keys(Limiter::in_memory(Policies::default()));
/// let context = LimitContext::new("192.0.2.7".parse().unwrap());
/// let caller = attractos_limits::authenticate(&keys, Ok("ak_demo_free"), &context).await;
/// assert_eq!(caller.unwrap(), "ak_demo_free");
/// let refused = attractos_limits::authenticate(&keys, Ok("ak_guess"), &context).await;
/// assert_eq!(refused.unwrap_err().code(), ErrorCode::InvalidKey); // and counted
/// assert!(context.take_fields().unwrap().policy().unwrap().starts_with(r#""auth-failures""#));
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `ApiKeys`",
    note = "axum's `Authenticated<K>` needs `ApiKeys` (a lookup whose future is `Send`); keys \
            that implement only `LocalApiKeys` serve actix-web's `Authenticated<K>`"
)]
pub trait ApiKeys: Send + Sync {
    /// Who a valid key belongs to, as the service's handlers want it.
    type Caller: Send;

    /// The limiter the keys' requests go through.
    fn limiter(&self) -> &Limiter;

    /// Looks `key` up: its caller, or why it is refused. A refusal of the catalogue's
    /// authentication category (`INVALID_KEY`, `USER_NOT_FOUND`) counts against the client's
    /// allowance of failed keys; any other error (`SERVER_ERROR`: the key store is down) is
    /// answered as it is and counts against nobody.
    fn resolve(&self, key: &str) -> impl Future<Output = Result<Self::Caller, ApiError>> + Send;

    /// The account `caller`'s requests count against: its key's rate, its plan, its quota.
    fn account<'a>(&'a self, caller: &'a Self::Caller) -> Account<'a>;
}

/// [`ApiKeys`] without the `Send` bounds, for a service whose key lookups cannot cross
/// threads: an actix-web worker's `Rc` cache, a client that is not `Send`. actix-web runs a
/// request on the worker thread that accepted it, so its `Authenticated<K>` takes a
/// `LocalApiKeys`; axum's needs [`ApiKeys`], since tokio may move a request's task between
/// threads. Every [`ApiKeys`] is a `LocalApiKeys`, so one implementation serves both; the
/// steps are written once, for this trait, and [`authenticate`]'s future is `Send` exactly
/// when the keys' lookup future is.
///
/// ```
/// use std::cell::RefCell;
/// use std::collections::HashMap;
/// use std::rc::Rc;
///
/// use attractos_errors::ApiError;
/// use attractos_limits::{Account, LimitContext, Limiter, LocalApiKeys, Plan, Policies};
///
/// /// The keys one worker has resolved, kept on the worker.
/// struct WorkerKeys {
///     limiter: Limiter,
///     seen: Rc<RefCell<HashMap<String, u64>>>,
/// }
///
/// impl LocalApiKeys for WorkerKeys {
///     type Caller = String;
///
///     fn limiter(&self) -> &Limiter {
///         &self.limiter
///     }
///
///     async fn resolve(&self, key: &str) -> Result<String, ApiError> {
///         let seen = Rc::clone(&self.seen); // held across the await: not Send
///         std::future::ready(()).await;
///         if key != "ak_demo_free" {
///             return Err(ApiError::invalid_key());
///         }
///         *seen.borrow_mut().entry(key.to_owned()).or_default() += 1;
///         Ok(key.to_owned())
///     }
///
///     fn account<'a>(&'a self, key: &'a String) -> Account<'a> {
///         Account { key, id: "user:1", plan: Plan::Free, event_floor: 0 }
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let keys = WorkerKeys { limiter: Limiter::in_memory(Policies::default()), seen: Rc::default() };
/// let context = LimitContext::new("192.0.2.7".parse().unwrap());
/// let caller = attractos_limits::authenticate(&keys, Ok("ak_demo_free"), &context).await;
/// assert_eq!(caller.unwrap(), "ak_demo_free");
/// assert_eq!(keys.seen.borrow()["ak_demo_free"], 1);
/// # });
/// ```
pub trait LocalApiKeys {
    /// Who a valid key belongs to, as the service's handlers want it.
    type Caller;

    /// The limiter the keys' requests go through.
    fn limiter(&self) -> &Limiter;

    /// Looks `key` up, as [`ApiKeys::resolve`] does, in a future that need not be `Send`.
    fn resolve(&self, key: &str) -> impl Future<Output = Result<Self::Caller, ApiError>>;

    /// The account `caller`'s requests count against: its key's rate, its plan, its quota.
    fn account<'a>(&'a self, caller: &'a Self::Caller) -> Account<'a>;
}

impl<K: ApiKeys> LocalApiKeys for K {
    type Caller = K::Caller;

    fn limiter(&self) -> &Limiter {
        ApiKeys::limiter(self)
    }

    fn resolve(&self, key: &str) -> impl Future<Output = Result<Self::Caller, ApiError>> {
        ApiKeys::resolve(self, key)
    }

    fn account<'a>(&'a self, caller: &'a Self::Caller) -> Account<'a> {
        ApiKeys::account(self, caller)
    }
}

/// Authenticates a request from the client of `context` that carried `key` (or whose
/// `Authorization` header was refused already: `Err(MISSING_KEY | INVALID_KEY)`) and applies
/// the limits: a refused key counts against the client's address, past its allowance
/// `RATE_LIMITED` whatever the key; a caller's key is admitted or refused by its plan's rate.
/// The decision's RateLimit fields are left in `context` for the response. The future is
/// `Send` when the keys' lookup is: always for [`ApiKeys`].
pub fn authenticate<'a, K: LocalApiKeys>(
    keys: &'a K,
    key: Result<&'a str, ApiError>,
    context: &'a LimitContext,
) -> impl Future<Output = Result<K::Caller, ApiError>> + 'a {
    // Two futures, not one `async fn` holding the header's refusal beside the admission: the
    // handler future that holds this one stays small.
    match key {
        Ok(key) => Either::Left(resolve_and_admit(keys, key, context)),
        Err(refusal) => Either::Right(refused(keys, refusal, context)),
    }
}

async fn resolve_and_admit<K: LocalApiKeys>(
    keys: &K,
    key: &str,
    context: &LimitContext,
) -> Result<K::Caller, ApiError> {
    match keys.resolve(key).await {
        Ok(caller) => {
            let verdict = keys
                .limiter()
                .admit(context.client(), keys.account(&caller))
                .await;
            context.set_admission(verdict.fields, verdict.rate);
            verdict.outcome.map(|()| caller)
        }
        Err(refusal) if refusal.code().category() == Category::Authentication => {
            refused(keys, refusal, context).await
        }
        Err(other) => Err(other),
    }
}

/// A refused key, counted against the client's address.
async fn refused<K: LocalApiKeys, T>(
    keys: &K,
    refusal: ApiError,
    context: &LimitContext,
) -> Result<T, ApiError> {
    let (answer, fields) = keys.limiter().key_refused(context.client(), refusal).await;
    context.set_fields(fields);
    Err(answer)
}

/// Counts one event of `caller` against its account's monthly quota: `LIMIT_EXCEEDED` when
/// it is spent, with the seconds until the cycle resets. The RateLimit fields are left in
/// `context`: the quota's, and on an accepted event also the key's rate that [`authenticate`]
/// decided for the same request. `Ok` carries the quota after the event, `None` when the
/// store failed and the quota fails open (the event is then accepted uncounted).
pub async fn count_event<K: LocalApiKeys>(
    keys: &K,
    caller: &K::Caller,
    context: &LimitContext,
) -> Result<Option<QuotaOutcome>, ApiError> {
    let account = keys.account(caller);
    let verdict = keys
        .limiter()
        .count_event(account, context.admitted_rate())
        .await;
    context.set_fields(verdict.fields);
    verdict.outcome.map(|()| verdict.quota)
}
