//! The three decisions as pure functions of a stored state and the time, in microseconds
//! since the Unix epoch. The in-memory store runs them as they are; the Redis store runs the
//! same arithmetic in its Lua script (`redis.lua`), and a property test holds the two to the
//! same answers.

use time::{Date, Month, OffsetDateTime, Time};

/// A GCRA decision: the theoretical arrival time (`tat`) before and after, and what the
/// client is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateOutcome {
    /// Whether the request is admitted.
    pub admitted: bool,
    /// Requests the client may still make at once (`r`).
    pub remaining: u64,
    /// Microseconds until `remaining` grows by one (0 when the burst is full). When refused,
    /// this is the wait until a request is admitted.
    pub next_unit_us: i64,
}

/// An event quota decision (or a look at the quota, when nothing is consumed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaOutcome {
    /// Whether the event is accepted (always true for a look).
    pub accepted: bool,
    /// Events counted in this cycle.
    pub used: u64,
    /// Microseconds until the cycle resets.
    pub reset_us: i64,
    /// The length of this cycle in microseconds.
    pub cycle_us: i64,
    /// When this cycle started, microseconds since the epoch.
    pub cycle_start_us: i64,
}

/// Failed authentications of one address in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthOutcome {
    /// Failures counted in the window (0 when there is none).
    pub failures: u64,
    /// Microseconds until the window ends (0 when there is none).
    pub window_left_us: i64,
}

/// GCRA: `tat` is the stored theoretical arrival time (`None` for a fresh key). Returns the
/// `tat` to store (unchanged when refused) and the outcome.
pub fn gcra(tat: Option<i64>, now: i64, emission_us: i64, burst: u32) -> (i64, RateOutcome) {
    let burst = i64::from(burst);
    let tat = tat.unwrap_or(now).max(now);
    let new_tat = tat + emission_us;
    let allow_at = new_tat - burst * emission_us;
    let (admitted, tat) = if now < allow_at {
        (false, tat)
    } else {
        (true, new_tat)
    };
    // Units available now: how far `now` is past the point where the burst was spent.
    let credit = now - tat + burst * emission_us;
    let remaining = (credit / emission_us).clamp(0, burst);
    let next_unit_us = if remaining >= burst {
        0
    } else {
        (remaining + 1) * emission_us - credit
    };
    (
        tat,
        RateOutcome {
            admitted,
            remaining: remaining as u64,
            next_unit_us,
        },
    )
}

/// The billing cycle holding `now`: its start and end, microseconds since the epoch.
pub fn cycle(now: i64) -> (i64, i64) {
    let secs = now.div_euclid(1_000_000);
    let date = OffsetDateTime::from_unix_timestamp(secs)
        .map(OffsetDateTime::date)
        .unwrap_or(Date::MIN);
    let start = month_start(date.year(), date.month());
    let (year, month) = match date.month() {
        Month::December => (date.year() + 1, Month::January),
        other => (date.year(), other.next()),
    };
    (start, month_start(year, month))
}

fn month_start(year: i32, month: Month) -> i64 {
    Date::from_calendar_date(year, month, 1)
        .map(|day| day.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp() * 1_000_000)
        .unwrap_or(i64::MAX / 4)
}

/// The event counter: `stored` is `(cycle start, events)` or `None`, and `(start, end)` the
/// cycle holding `now` ([`cycle`]); the events used are the counter's, never fewer than
/// `floor` (a counter of another cycle, or none, reads `floor`). Consuming past `limit` is
/// refused and changes nothing. Returns the state to store and the outcome.
pub fn quota(
    stored: Option<(i64, u64)>,
    now: i64,
    (start, end): (i64, i64),
    limit: u64,
    floor: u64,
    consume: bool,
) -> ((i64, u64), QuotaOutcome) {
    let used = match stored {
        Some((stored_start, used)) if stored_start == start => used.max(floor),
        _ => floor,
    };
    let (accepted, used) = if !consume {
        (true, used)
    } else if used >= limit {
        (false, used)
    } else {
        (true, used + 1)
    };
    (
        (start, used),
        QuotaOutcome {
            accepted,
            used,
            reset_us: end - now,
            cycle_us: end - start,
            cycle_start_us: start,
        },
    )
}

/// The failures of an address: `stored` is `(failures, window end)`; a window that has ended
/// counts as none. With `fail`, one more failure is counted, opening a window if none is open.
pub fn auth_failures(
    stored: Option<(u64, i64)>,
    now: i64,
    window_us: i64,
    fail: bool,
) -> ((u64, i64), AuthOutcome) {
    let (failures, end) = match stored {
        Some((failures, end)) if now < end => (failures, end),
        _ if fail => (0, now + window_us),
        _ => (0, now),
    };
    let failures = failures + u64::from(fail);
    (
        (failures, end),
        AuthOutcome {
            failures,
            window_left_us: end - now,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_request_per_interval() {
        let (mut tat, mut now) = (None, 1_000_000);
        for expected_remaining in (0..3).rev() {
            let (next, outcome) = gcra(tat, now, 100, 3);
            assert!(outcome.admitted);
            assert_eq!(outcome.remaining, expected_remaining);
            tat = Some(next);
        }
        let (_, refused) = gcra(tat, now, 100, 3);
        assert!(!refused.admitted);
        assert_eq!(refused.next_unit_us, 100, "the wait is one interval");
        now += 100;
        assert!(gcra(tat, now, 100, 3).1.admitted);
    }

    #[test]
    fn cycles_are_calendar_months_in_utc() {
        // (case, an hour before a cycle ends (Unix seconds), the cycle's length in days)
        const CASES: &[(&str, i64, i64)] = &[
            (
                "2024-02-29T23:00:00Z: the leap-year February",
                1_709_247_600,
                29,
            ),
            (
                "2024-12-31T23:00:00Z: December, into next January",
                1_735_686_000,
                31,
            ),
        ];
        for &(case, secs, days) in CASES {
            let now = secs * 1_000_000;
            let (start, end) = cycle(now);
            assert_eq!(
                end - now,
                3_600_000_000,
                "{case}: the cycle ends in an hour"
            );
            assert_eq!(
                end - start,
                days * 86_400 * 1_000_000,
                "{case}: {days} days long"
            );
        }
    }

    #[test]
    fn a_check_without_a_failure_opens_no_window() {
        let now = 1_000_000;
        let (stored, outcome) = auth_failures(None, now, 60_000_000, false);
        assert_eq!(stored, (0, now), "nothing to expire");
        assert_eq!((outcome.failures, outcome.window_left_us), (0, 0));
        let (stored, outcome) = auth_failures(None, now, 60_000_000, true);
        assert_eq!(stored, (1, now + 60_000_000), "the first failure opens it");
        assert_eq!(outcome.window_left_us, 60_000_000);
    }

    #[test]
    fn the_last_cycle_of_the_calendar_still_ends_after_it_starts() {
        // 9999-12-15T00:00:00Z: the next month is past what the date library can name.
        let now = 253_400_832_000 * 1_000_000;
        let (start, end) = cycle(now);
        assert!(start <= now && now < end, "{start} <= {now} < {end}");
    }
}
