//! [`Pacer`]: not sending a request the server has already said it would refuse.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use attractos_errors::header_names;
use attractos_errors::ratelimit::{self, PolicyId};
use http::HeaderMap;

/// How many keys a pacer remembers before it forgets those whose wait is over.
const REMEMBERED_KEYS: usize = 1024;

/// What the answers' `RateLimit` field said of each API key's request rate. After
/// `RateLimit: "requests";r=0;t=2`, the key has nothing left for two seconds: its next request
/// would only be refused (`RATE_LIMITED`), so a [`Retrier`](crate::Retrier) with a pacer waits
/// those seconds before sending it (never longer than its policy's longest wait). Keys are
/// told apart by the request's `Authorization` value, as the server counts them; only the
/// `requests` policy paces (the event quota and the failed-key allowance concern some
/// requests only). Clones share what they learnt.
///
/// ```
/// use attractos_errors_client::Pacer;
/// use http::{HeaderMap, HeaderValue};
/// use std::time::{Duration, Instant};
///
/// let pacer = Pacer::default();
/// let mut answer = HeaderMap::new();
/// answer.insert("ratelimit", HeaderValue::from_static(r#""requests";r=0;t=2, "events";r=9;t=86400"#));
/// let now = Instant::now();
/// pacer.learn(Some(b"Bearer ak_demo_free"), &answer, now);
/// assert_eq!(pacer.wait(Some(b"Bearer ak_demo_free"), now), Duration::from_secs(2));
/// assert_eq!(pacer.wait(Some(b"Bearer ak_other"), now), Duration::ZERO);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Pacer(Arc<Mutex<Keys>>);

#[derive(Debug, Default)]
struct Keys {
    /// The keys are hashed, so the pacer keeps no secret.
    hasher: RandomState,
    not_before: HashMap<u64, Instant>,
}

impl Pacer {
    /// How long a request with `authorization` should wait at `now` before it is sent.
    pub fn wait(&self, authorization: Option<&[u8]>, now: Instant) -> Duration {
        let keys = self.lock();
        let key = keys.hasher.hash_one(authorization);
        keys.not_before
            .get(&key)
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now))
    }

    /// Learns from the headers of an answer, received at `now`, to a request with
    /// `authorization`: a `requests` policy with `r=0` and `t` seconds makes the key wait
    /// until then; any other state of it, that the key may send again.
    pub fn learn(&self, authorization: Option<&[u8]>, headers: &HeaderMap, now: Instant) {
        let Some(available) = requests_state(headers) else {
            return;
        };
        let mut keys = self.lock();
        let key = keys.hasher.hash_one(authorization);
        match available {
            (0, reset) => {
                if keys.not_before.len() >= REMEMBERED_KEYS {
                    keys.not_before.retain(|_, until| *until > now);
                }
                let until = now + Duration::from_secs(reset);
                keys.not_before.insert(key, until);
            }
            _ => {
                keys.not_before.remove(&key);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Keys> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The `requests` member of the `RateLimit` field: its `r` and `t` (0 when absent). `None`
/// when the field is absent, is not a List of policies, or has no such member.
fn requests_state(headers: &HeaderMap) -> Option<(u64, u64)> {
    let lines = headers.get_all(header_names::RATELIMIT).into_iter();
    let members = ratelimit::read(lines.map(|line| line.as_bytes()))?.ok()?;
    let requests = members
        .iter()
        .find(|member| member.policy == PolicyId::Requests.as_str())?;
    let integer = |name: &str| u64::try_from(requests.integer(name)?).ok();
    Some((integer("r")?, integer("t").unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spent(reset: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("ratelimit", http::HeaderValue::from_static(reset));
        headers
    }

    /// Learns `count` keys (`ak_0`, `ak_1`, ...) spent for one second at `now`.
    fn spend(pacer: &Pacer, count: usize, now: Instant) {
        for n in 0..count {
            let key = format!("Bearer ak_{n}");
            pacer.learn(Some(key.as_bytes()), &spent(r#""requests";r=0;t=1"#), now);
        }
    }

    #[test]
    fn past_its_keys_a_pacer_forgets_those_whose_wait_is_over_and_only_those() {
        let (pacer, start) = (Pacer::default(), Instant::now());
        spend(&pacer, REMEMBERED_KEYS, start);
        let waiting = start + Duration::from_millis(500);
        pacer.learn(
            Some(b"Bearer other"),
            &spent(r#""requests";r=0;t=1"#),
            waiting,
        );
        assert_eq!(
            pacer.lock().not_before.len(),
            REMEMBERED_KEYS + 1,
            "all still wait"
        );
        assert_eq!(
            pacer.wait(Some(b"Bearer ak_0"), waiting),
            Duration::from_millis(500)
        );

        // One second after `start` the first keys' waits end exactly: forgotten.
        let over = start + Duration::from_secs(1);
        pacer.learn(Some(b"Bearer late"), &spent(r#""requests";r=0;t=1"#), over);
        assert_eq!(
            pacer.lock().not_before.len(),
            2,
            "`other` and `late` still wait"
        );
    }

    #[test]
    fn below_its_keys_a_pacer_forgets_nothing() {
        let (pacer, start) = (Pacer::default(), Instant::now());
        spend(&pacer, REMEMBERED_KEYS - 1, start);
        let later = start + Duration::from_secs(5);
        pacer.learn(Some(b"Bearer late"), &spent(r#""requests";r=0;t=1"#), later);
        assert_eq!(pacer.lock().not_before.len(), REMEMBERED_KEYS);
    }
}
