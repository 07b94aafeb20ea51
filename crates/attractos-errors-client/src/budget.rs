//! A retry budget shared by every request of a client: a token bucket, as in AWS's standard
//! retry mode. A retry costs tokens, a success gives some back; when the bucket is empty the
//! client stops retrying, so a fleet of clients facing an outage sends each request about once
//! instead of multiplying the load by its attempts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// A token bucket shared by clones. Defaults (AWS standard mode): 500 tokens, a retry costs 5,
/// a retry after no answer (a timeout or a reset connection) costs 10, a success without retry
/// adds 1, and a retry that succeeds gives its cost back.
///
/// ```
/// use attractos_errors_client::RetryBudget;
///
/// let budget = RetryBudget::new(10);            // two retries at the default cost of 5
/// let shared = budget.clone();                  // clones share the bucket
/// assert!(budget.try_spend_retry(false).is_some());
/// assert!(shared.try_spend_retry(false).is_some());
/// assert!(budget.try_spend_retry(false).is_none());
/// assert_eq!(shared.available(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct RetryBudget {
    inner: Arc<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: AtomicU32,
    capacity: u32,
    retry_cost: u32,
    no_answer_cost: u32,
    success_credit: u32,
}

/// Tokens taken for one retry; give them back with [`RetryBudget::refund`] if it succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a spent retry's tokens come back only through RetryBudget::refund"]
pub struct Spent(u32);

impl Spent {
    /// How many tokens this retry took.
    pub fn tokens(self) -> u32 {
        self.0
    }
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::new(500)
    }
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens with AWS's standard costs.
    pub fn new(capacity: u32) -> Self {
        RetryBudget::with_costs(capacity, 5, 10, 1)
    }

    /// A full bucket with its own costs: per retry, per retry after no answer, and the credit
    /// of a success that needed no retry.
    pub fn with_costs(capacity: u32, retry: u32, no_answer: u32, success: u32) -> Self {
        RetryBudget {
            inner: Arc::new(Bucket {
                tokens: AtomicU32::new(capacity),
                capacity,
                retry_cost: retry,
                no_answer_cost: no_answer,
                success_credit: success,
            }),
        }
    }

    /// Takes the tokens of one retry (the no-answer cost if `no_answer`), or `None` when the
    /// bucket holds fewer: then do not retry.
    pub fn try_spend_retry(&self, no_answer: bool) -> Option<Spent> {
        let bucket = &self.inner;
        let cost = if no_answer {
            bucket.no_answer_cost
        } else {
            bucket.retry_cost
        };
        bucket
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |tokens| {
                tokens.checked_sub(cost)
            })
            .ok()
            .map(|_| Spent(cost))
    }

    /// Gives back the tokens of a retry that succeeded.
    pub fn refund(&self, spent: Spent) {
        self.add(spent.0);
    }

    /// Records a success that needed no retry: the bucket slowly refills.
    pub fn credit_success(&self) {
        self.add(self.inner.success_credit);
    }

    /// The tokens left.
    pub fn available(&self) -> u32 {
        self.inner.tokens.load(Ordering::Acquire)
    }

    fn add(&self, tokens: u32) {
        let capacity = self.inner.capacity;
        // The closure always returns Some, so the update cannot fail.
        let _ = self
            .inner
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                Some(held.saturating_add(tokens).min(capacity))
            });
    }
}
