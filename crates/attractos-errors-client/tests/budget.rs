//! The retry budget: a token bucket shared by clones, AWS standard-mode costs by default.

use std::thread;

use attractos_errors_client::RetryBudget;

#[test]
fn a_retry_costs_five_and_no_answer_ten_by_default() {
    let budget = RetryBudget::new(500);
    assert_eq!(budget.try_spend_retry(false).map(|s| s.tokens()), Some(5));
    assert_eq!(budget.available(), 495);
    assert_eq!(budget.try_spend_retry(true).map(|s| s.tokens()), Some(10));
    assert_eq!(budget.available(), 485);
    assert_eq!(RetryBudget::default().available(), 500);
}

#[test]
fn an_empty_bucket_refuses_and_takes_nothing() {
    let budget = RetryBudget::new(9);
    assert!(budget.try_spend_retry(false).is_some());
    assert_eq!(budget.available(), 4);
    assert_eq!(
        budget.try_spend_retry(false),
        None,
        "4 tokens left, a retry costs 5"
    );
    assert_eq!(budget.available(), 4, "a refusal takes nothing");
    assert_eq!(budget.try_spend_retry(true), None);
}

#[test]
fn a_retry_that_succeeds_is_refunded_and_a_plain_success_adds_one_up_to_capacity() {
    let budget = RetryBudget::with_costs(12, 5, 10, 1);
    let spent = budget.try_spend_retry(false).expect("a full bucket");
    assert_eq!(budget.available(), 7);
    budget.refund(spent);
    assert_eq!(budget.available(), 12);
    budget.credit_success();
    assert_eq!(budget.available(), 12, "never above capacity");
    let _ = budget.try_spend_retry(true).expect("12 tokens");
    budget.credit_success();
    budget.credit_success();
    assert_eq!(budget.available(), 4);
}

#[test]
fn clones_share_one_bucket_across_threads() {
    let budget = RetryBudget::new(500);
    let granted: usize = (0..4)
        .map(|_| {
            let budget = budget.clone();
            thread::spawn(move || {
                (0..100)
                    .filter(|_| budget.try_spend_retry(false).is_some())
                    .count()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().expect("a thread"))
        .sum();
    assert_eq!(
        granted, 100,
        "500 tokens are 100 retries, however they are raced for"
    );
    assert_eq!(budget.available(), 0);
}
