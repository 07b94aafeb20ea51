//! The Redis store's batches: decisions queued while one batch is out go together as the
//! next, one `EVALSHA` of the script, and each gets its own part of the answer.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use redis::Arg;
use tokio::sync::oneshot;

use crate::redis_server::Server;
use crate::redis_store::Key;
use crate::store::{Clock, StoreError};

/// The script every batch runs: GCRA, the quota counter and the failed-key window, for each
/// decision in turn.
pub(crate) const SCRIPT: &str = include_str!("redis.lua");

/// The most decisions one `EVALSHA` carries. The script holds Redis (every client of it) for
/// its whole run; 64 decisions are some 0.4 ms of Redis's time.
const MAX_BATCH: usize = 64;

/// The most batches on the connection at once. One: while it is out, the decisions that come
/// in wait for it and then go together, which is what makes the batches. With two, batches
/// were smaller and the server no faster (docs/limits.md).
const MAX_IN_FLIGHT: usize = 1;

/// Where a decision's answer or its batch's error goes.
pub(crate) type Waiter = oneshot::Sender<Result<Answer, StoreError>>;

/// The decisions the script takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Request,
    Event,
    AuthFailure,
}

impl Decision {
    /// Its name in the script's ARGV.
    fn name(self) -> &'static str {
        match self {
            Decision::Request => "request",
            Decision::Event => "event",
            Decision::AuthFailure => "auth_failure",
        }
    }

    /// How many integers of the script's answer are this decision's, given the first
    /// (redis.lua's header lists them); `None` when the first is none this decision gives.
    fn answer_len(self, first: i64) -> Option<usize> {
        match (self, first) {
            (Decision::Request, 0) => Some(3),
            (Decision::Request, 1) => Some(5),
            (Decision::Request, _) => None,
            (Decision::Event | Decision::AuthFailure, _) => Some(2),
        }
    }
}

/// One decision's integers from its batch's answer, and the billing cycle the batch was
/// decided in (the script states it once for the batch).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answer {
    values: [i64; 5],
    len: usize,
    /// Microseconds until the cycle ends, its length, its start.
    pub(crate) cycle: [i64; 3],
}

impl Answer {
    pub(crate) fn values(&self) -> &[i64] {
        &self.values[..self.len]
    }
}

/// The script's flat answer to `decisions`, one [`Answer`] each, in order; an error when its
/// integers do not fall into exactly that many answers.
fn split(
    decisions: impl ExactSizeIterator<Item = Decision>,
    values: &[i64],
) -> Result<Vec<Answer>, StoreError> {
    let count = decisions.len();
    let malformed = || {
        StoreError::Failed(format!(
            "an answer of {} integers to {count} decisions",
            values.len()
        ))
    };
    let (cycle, mut rest) = values.split_first_chunk::<3>().ok_or_else(malformed)?;
    let mut answers = Vec::with_capacity(count);
    for decision in decisions {
        let len = rest
            .first()
            .and_then(|&first| decision.answer_len(first))
            .filter(|&len| len <= rest.len())
            .ok_or_else(malformed)?;
        let mut answer = Answer {
            values: [0; 5],
            len,
            cycle: *cycle,
        };
        answer.values[..len].copy_from_slice(&rest[..len]);
        answers.push(answer);
        rest = &rest[len..];
    }
    if rest.is_empty() {
        Ok(answers)
    } else {
        Err(malformed())
    }
}

/// What the decisions and the batches' sender share: the connection and the queue.
pub(crate) struct Batches {
    server: Server,
    /// The script's SHA-1, which `EVALSHA` names it by.
    script_sha1: String,
    timeout: Duration,
    clock: Clock,
    queue: Mutex<Queue>,
    /// Whether the server's eviction settings were asked for since the store started or a
    /// batch last failed (the server may have restarted, or another been promoted, since).
    settings_asked: AtomicBool,
}

/// The decisions waiting to be sent.
#[derive(Default)]
struct Queue {
    /// Oldest first; only the last takes new decisions, until it holds [`MAX_BATCH`].
    waiting: VecDeque<Batch>,
    /// Senders running ([`Batches::send_all`]), at most [`MAX_IN_FLIGHT`].
    senders: usize,
    /// Sent batches, emptied, so their buffers are used again.
    spare: Vec<Batch>,
}

/// Decisions that go as one `EVALSHA`.
struct Batch {
    /// Every decision's keys, in order.
    keys: redis::Cmd,
    /// Every decision's name and arguments, in order.
    args: redis::Cmd,
    /// Each decision, and where its answer goes, in order.
    waiters: Vec<(Decision, Waiter)>,
    /// The first decision's timeout ends here; no decision of the batch waits past it.
    deadline: Instant,
}

impl Batch {
    fn new() -> Self {
        Batch {
            keys: redis::Cmd::with_capacity(3 * MAX_BATCH, 64 * 3 * MAX_BATCH),
            args: redis::Cmd::with_capacity(6 * MAX_BATCH, 16 * 6 * MAX_BATCH),
            waiters: Vec::with_capacity(MAX_BATCH),
            deadline: Instant::now(),
        }
    }

    fn clear(&mut self) {
        self.keys.clear();
        self.args.clear();
        self.waiters.clear();
    }
}

/// The queue's lock. Nothing panics while holding it, so a poisoned lock still holds a
/// consistent queue.
fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Batches {
    pub(crate) fn new(server: Server, timeout: Duration, clock: Clock) -> Self {
        Batches {
            server,
            script_sha1: redis::Script::new(SCRIPT).get_hash().to_owned(),
            timeout,
            clock,
            queue: Mutex::new(Queue::default()),
            settings_asked: AtomicBool::new(false),
        }
    }

    /// The same server, timeout and clock, nothing queued and not connected yet.
    pub(crate) fn fresh(&self) -> Self {
        Batches::new(self.server.fresh(), self.timeout, self.clock.clone())
    }

    /// How many sent batches are kept for their buffers.
    #[cfg(test)]
    pub(crate) fn spares(&self) -> usize {
        lock(&self.queue).spare.len()
    }

    /// Adds a decision to the batch being filled (a new one when there is none or it is
    /// full). True when no sender is out and the caller must start one.
    pub(crate) fn queue(
        &self,
        decision: Decision,
        keys: &[Key<'_>],
        args: &[i64],
        waiter: Waiter,
    ) -> bool {
        let mut queue = lock(&self.queue);
        let queue = &mut *queue;
        let open = match queue.waiting.back() {
            Some(last) => last.waiters.len() < MAX_BATCH,
            None => false,
        };
        if !open {
            let mut batch = queue.spare.pop().unwrap_or_else(Batch::new);
            batch.deadline = deadline_after(self.timeout);
            queue.waiting.push_back(batch);
        }
        let batch = queue.waiting.back_mut().expect("a batch was just made");
        batch.keys.arg(keys);
        batch.args.arg(decision.name()).arg(args);
        batch.waiters.push((decision, waiter));
        let start_sender = queue.senders < MAX_IN_FLIGHT;
        if start_sender {
            queue.senders += 1;
        }
        start_sender
    }

    /// A sender: sends the waiting batches one after another until none is left. Its place
    /// is held from now, not from its first poll, so a sender dropped unrun (its runtime shut
    /// down) gives it back too.
    pub(crate) fn send_all(self: Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let mut place = SenderPlace {
            batches: self,
            done: false,
        };
        async move {
            let batches = Arc::clone(&place.batches);
            batches.send_each(&mut place).await;
        }
    }

    async fn send_each(&self, place: &mut SenderPlace) {
        let mut sent: Option<Batch> = None;
        loop {
            let mut batch = {
                let mut queue = lock(&self.queue);
                if let Some(mut batch) = sent.take() {
                    batch.clear();
                    if queue.spare.len() <= MAX_IN_FLIGHT {
                        queue.spare.push(batch);
                    }
                }
                match queue.waiting.pop_front() {
                    Some(batch) => batch,
                    None => {
                        // Under the lock: a decision queued after this starts a sender.
                        queue.senders -= 1;
                        place.done = true;
                        return;
                    }
                }
            };
            let answers = self.answers(&batch).await;
            answer_each(&mut batch.waiters, answers);
            sent = Some(batch);
        }
    }

    /// Runs the script on `batch` and reads one answer per decision, within the batch's
    /// deadline.
    async fn answers(&self, batch: &Batch) -> Result<Vec<i64>, StoreError> {
        if batch.deadline <= Instant::now() {
            // Queued behind a batch that took the whole timeout.
            return Err(StoreError::Timeout(self.timeout));
        }
        let command = self.command(batch);
        let answers = async {
            let mut link = self.server.link(self.timeout).await?;
            let answers = link.query(&command).await?;
            Ok::<_, redis::RedisError>((answers, link))
        };
        let answers = match tokio::time::timeout_at(batch.deadline.into(), answers).await {
            Ok(Ok((answers, mut link))) => {
                if !self.settings_asked.load(Ordering::Relaxed)
                    && !self.settings_asked.swap(true, Ordering::Relaxed)
                {
                    let info = async move { link.info("memory").await };
                    tokio::spawn(crate::redis_memory::warn_if_evicting(info, self.timeout));
                }
                return Ok(answers);
            }
            // The connection's own response timeout (the same length, started when the
            // command was written) may fire in the same timer tick, before the deadline's.
            Ok(Err(err)) if err.is_timeout() => Err(StoreError::Timeout(self.timeout)),
            Ok(Err(err)) => Err(StoreError::Failed(describe(&err))),
            Err(_elapsed) => Err(StoreError::Timeout(self.timeout)),
        };
        self.server.failed();
        self.settings_asked.store(false, Ordering::Relaxed);
        answers
    }

    /// `EVALSHA`, the SHA-1, the key count, the keys, then ARGV: the time and the decisions.
    fn command(&self, batch: &Batch) -> redis::Cmd {
        let now = match &self.clock {
            Clock::Store => None,
            Clock::Manual(clock) => Some(clock.now_us()),
            Clock::Custom(now) => Some(now()),
        };
        let keys = batch.keys.args_iter();
        let args = batch.args.args_iter();
        let mut command = redis::Cmd::with_capacity(
            4 + keys.len() + args.len(),
            64 + 64 * keys.len() + 16 * args.len(),
        );
        command
            .arg("EVALSHA")
            .arg(self.script_sha1.as_str())
            .arg(keys.len());
        for key in keys {
            if let Arg::Simple(key) = key {
                command.arg(key);
            }
        }
        match now {
            None => command.arg(""),
            Some(now) => command.arg(now),
        };
        for arg in args {
            if let Arg::Simple(arg) = arg {
                command.arg(arg);
            }
        }
        command
    }
}

/// When a wait of `timeout` from now ends. One too long for the clock to add ends in 30 years
/// (as tokio's own "far future" does), which no decision sees.
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400))
}

/// A running sender's place among the [`MAX_IN_FLIGHT`]. A sender that ends without having
/// emptied the queue (it panicked, or the runtime is stopping) gives its place back, and
/// when no other sender is left, the decisions still queued get an error at once instead of
/// waiting for a sender that no one starts.
struct SenderPlace {
    batches: Arc<Batches>,
    done: bool,
}

impl Drop for SenderPlace {
    fn drop(&mut self) {
        if !self.done {
            let mut queue = lock(&self.batches.queue);
            queue.senders -= 1;
            if queue.senders == 0 {
                // Dropping their channels answers them: "the store stopped before answering".
                queue.waiting.clear();
            }
        }
    }
}

/// Sends each waiter its decision's answer, or the batch's error. A waiter that is gone (its
/// request was dropped) needs no answer.
fn answer_each(waiters: &mut Vec<(Decision, Waiter)>, values: Result<Vec<i64>, StoreError>) {
    let answers =
        values.and_then(|values| split(waiters.iter().map(|(decision, _)| *decision), &values));
    match answers {
        Ok(answers) => {
            for ((_, waiter), answer) in waiters.drain(..).zip(answers) {
                let _ = waiter.send(Ok(answer));
            }
        }
        Err(err) => {
            for (_, waiter) in waiters.drain(..) {
                let _ = waiter.send(Err(err.clone()));
            }
        }
    }
}

/// The error's kind, or a failed connection's I/O error; never redis-rs's detail, which may
/// repeat the address given.
fn describe(err: &redis::RedisError) -> String {
    if err.is_io_error() {
        // The I/O error's own text says what failed (refused, reset, a certificate not
        // trusted) and names neither the address nor the password, unlike the URL's parts.
        match std::error::Error::source(err) {
            Some(io) => format!("connection: {io}"),
            None => format!("connection: {:?}", err.kind()),
        }
    } else {
        format!("{:?}: {}", err.kind(), err.detail().unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RequestOutcome;
    use crate::redis_store::request_outcome;

    /// The batching: the first decision starts the one sender; a decision queued while it is
    /// out joins the next batch and starts none (else batches would not form, or, with no
    /// sender ever started, every decision would wait forever).
    #[test]
    fn a_decision_starts_a_sender_only_when_none_is_out() {
        let client = redis::Client::open("redis://127.0.0.1:1/").expect("a valid URL");
        let batches = Batches::new(Server::fixed(client), crate::DEFAULT_TIMEOUT, Clock::Store);
        let queue = |n| {
            let (waiter, _answered) = oneshot::channel();
            batches.queue(Decision::Event, &[Key::Quota("acct")], &[n, 0], waiter)
        };
        assert!(queue(1), "no sender is out: the first decision starts one");
        assert!(!queue(2), "one is out: the next decision waits for it");
        assert_eq!(lock(&batches.queue).waiting.len(), 1, "both in one batch");
    }

    #[test]
    fn a_timeout_too_long_for_the_clock_ends_decades_away() {
        let decades = Duration::from_secs(29 * 365 * 86_400);
        assert!(deadline_after(Duration::MAX) > Instant::now() + decades);
        let soon = deadline_after(Duration::from_millis(50));
        assert!(soon <= Instant::now() + Duration::from_millis(50));
    }

    /// The script's flat answer falls into one answer per decision, by each decision's
    /// length; integers too few, too many or of no decision's shape are an error for the
    /// whole batch, never a panic or a decision read from another's integers.
    #[test]
    fn a_batch_answer_splits_by_decision_or_is_an_error() {
        use Decision::{AuthFailure, Event, Request};
        let decisions = [Request, Event, Request, AuthFailure];
        let values = [9, 30, 1, 1, 1, 4, 250, 7, 1, 8, 0, 31, 500, 32, 600];
        let answers = split(decisions.into_iter(), &values).expect("well formed");
        let shapes: Vec<&[i64]> = answers.iter().map(Answer::values).collect();
        assert_eq!(
            shapes,
            [&[1, 1, 4, 250, 7][..], &[1, 8], &[0, 31, 500], &[32, 600]]
        );
        assert!(answers.iter().all(|answer| answer.cycle == [9, 30, 1]));
        let Ok(RequestOutcome::Decided { rate, quota }) = request_outcome(&answers[0]) else {
            panic!("a decided request");
        };
        assert_eq!((rate.remaining, rate.next_unit_us, quota.used), (4, 250, 7));
        assert_eq!(
            (quota.reset_us, quota.cycle_us, quota.cycle_start_us),
            (9, 30, 1)
        );
        assert!(matches!(
            request_outcome(&answers[2]),
            Ok(RequestOutcome::AddressBlocked(_))
        ));
        for broken in [&values[..14], &[&values[..], &[0]].concat(), &values[..2]] {
            assert!(split(decisions.into_iter(), broken).is_err(), "{broken:?}");
        }
        let unknown_first = [9, 30, 1, 2, 1, 4, 250, 7];
        assert!(split([Request].into_iter(), &unknown_first).is_err());
    }
}
