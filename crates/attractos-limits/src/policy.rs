//! What is limited and by how much: the request rate and the monthly event quota of each plan,
//! and the failed-authentication allowance of each client address.

use std::num::NonZeroU32;
use std::time::Duration;

/// A pricing plan: it decides the request rate and the monthly event quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Plan {
    /// The free plan.
    Free,
    /// The paid plan: a higher rate and quota.
    Pro,
}

/// A request rate: `burst` requests at once, refilled evenly over `window`, so `burst` per
/// `window` on average (GCRA, as `governor` and `redis_rate` do).
///
/// In the `RateLimit-Policy` field it is `q=burst;w=window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatePolicy {
    burst: NonZeroU32,
    window_secs: NonZeroU32,
}

impl RatePolicy {
    /// `n` requests per second, a burst of `n`.
    ///
    /// ```
    /// use attractos_limits::RatePolicy;
    /// use std::num::NonZeroU32;
    /// let rate = RatePolicy::per_second(NonZeroU32::new(20).unwrap());
    /// assert_eq!(rate.emission_interval_us(), 50_000);
    /// ```
    pub const fn per_second(n: NonZeroU32) -> Self {
        RatePolicy {
            burst: n,
            window_secs: NonZeroU32::MIN,
        }
    }

    /// `burst` requests per `window_secs` seconds.
    pub const fn new(burst: NonZeroU32, window_secs: NonZeroU32) -> Self {
        RatePolicy { burst, window_secs }
    }

    /// The requests a client may make at once (`q`).
    pub const fn burst(&self) -> u32 {
        self.burst.get()
    }

    /// The seconds in which a spent burst refills (`w`).
    pub const fn window_secs(&self) -> u32 {
        self.window_secs.get()
    }

    /// Microseconds between two requests at the sustained rate, rounded up so the limiter
    /// never admits more than the policy says.
    pub const fn emission_interval_us(&self) -> i64 {
        let window_us = self.window_secs.get() as i64 * 1_000_000;
        let burst = self.burst.get() as i64;
        (window_us + burst - 1) / burst
    }
}

/// A monthly event quota: `events` per billing cycle, the cycle being the calendar month in
/// UTC (it resets at 00:00 UTC on the 1st).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaPolicy {
    /// Events accepted per cycle.
    pub events: u64,
}

/// Failed authentications allowed per client address: past `limit` failed keys within
/// `window` (a fixed window opened by the first failure), the address is refused until the
/// window ends, whatever key it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFailurePolicy {
    /// Failed keys allowed per window.
    pub limit: NonZeroU32,
    /// The window, whole seconds.
    pub window: Duration,
}

impl AuthFailurePolicy {
    /// The default: 30 failed keys per minute per address. A person mistyping a key, or a
    /// script with a stale key retrying, stays far below it; guessing keys at more than one
    /// every two seconds is throttled.
    pub const DEFAULT: AuthFailurePolicy = AuthFailurePolicy {
        limit: NonZeroU32::new(30).expect("30 is not zero"),
        window: Duration::from_secs(60),
    };

    pub(crate) fn window_us(&self) -> i64 {
        i64::try_from(self.window.as_micros()).unwrap_or(i64::MAX / 4)
    }
}

/// What happens to a decision when the store cannot be reached in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailMode {
    /// Serve, limited by a per-process in-memory store with the same policies: each replica
    /// enforces the limit on its own, so a key gets at most N times its rate across N replicas.
    OpenWithFallback,
    /// Serve, unlimited.
    Open,
    /// Answer `SERVER_ERROR` (the cause is logged).
    Closed,
}

/// Every policy: the rate and quota of each plan, the failed-authentication allowance, and
/// what each does when the store fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    /// The Free plan's request rate.
    pub free_rate: RatePolicy,
    /// The Pro plan's request rate.
    pub pro_rate: RatePolicy,
    /// The Free plan's monthly event quota.
    pub free_quota: QuotaPolicy,
    /// The Pro plan's monthly event quota.
    pub pro_quota: QuotaPolicy,
    /// Failed keys allowed per client address.
    pub auth_failures: AuthFailurePolicy,
    /// The request rate and failed-authentication policies when the store fails. Default:
    /// [`FailMode::OpenWithFallback`]: an outage of the limit store must not take the API
    /// down, and the per-process fallback still bounds abuse.
    pub rate_fail_mode: FailMode,
    /// The event quota when the store fails. Default: [`FailMode::Closed`]: the quota
    /// promises that no event is accepted past it, which an uncounted event would break; a
    /// client told `SERVER_ERROR` sends the event again later.
    pub quota_fail_mode: FailMode,
}

impl Policies {
    /// The default Free rate: 20 requests per second.
    pub const DEFAULT_FREE_RATE: NonZeroU32 = NonZeroU32::new(20).expect("20 is not zero");
    /// The default Free quota: 10 000 events a month.
    pub const DEFAULT_FREE_EVENTS: u64 = 10_000;
    /// The default Pro quota: 1 000 000 events a month.
    pub const DEFAULT_PRO_EVENTS: u64 = 1_000_000;

    /// The rate of `plan`.
    pub fn rate(&self, plan: Plan) -> RatePolicy {
        match plan {
            Plan::Free => self.free_rate,
            Plan::Pro => self.pro_rate,
        }
    }

    /// The event quota of `plan`.
    pub fn quota(&self, plan: Plan) -> QuotaPolicy {
        match plan {
            Plan::Free => self.free_quota,
            Plan::Pro => self.pro_quota,
        }
    }

    /// Sets the Free rate to `free` requests per second and the Pro rate to five times that.
    pub fn with_free_rate(mut self, free: NonZeroU32) -> Self {
        self.free_rate = RatePolicy::per_second(free);
        self.pro_rate = RatePolicy::per_second(free.saturating_mul(NonZeroU32::new(5).expect("5")));
        self
    }
}

impl Default for Policies {
    fn default() -> Self {
        Policies {
            free_rate: RatePolicy::per_second(Self::DEFAULT_FREE_RATE),
            pro_rate: RatePolicy::per_second(NonZeroU32::new(100).expect("100 is not zero")),
            free_quota: QuotaPolicy {
                events: Self::DEFAULT_FREE_EVENTS,
            },
            pro_quota: QuotaPolicy {
                events: Self::DEFAULT_PRO_EVENTS,
            },
            auth_failures: AuthFailurePolicy::DEFAULT,
            rate_fail_mode: FailMode::OpenWithFallback,
            quota_fail_mode: FailMode::Closed,
        }
    }
}
