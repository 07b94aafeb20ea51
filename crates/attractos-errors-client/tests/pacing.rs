//! The pacer: after an answer saying a key's request rate has nothing left
//! (`RateLimit: "requests";r=0;t=N`), that key's next request waits N seconds before it is
//! sent, and no other key's does; a retrier with a pacer sleeps that wait before sending.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use attractos_errors_client::{Pacer, Policy, RequestInfo, Retrier};
use http::{HeaderMap, HeaderValue, Method};

const KEY: &[u8] = b"Bearer ak_demo_free";
const OTHER: &[u8] = b"Bearer ak_demo_pro";

fn ratelimit(lines: &[&'static str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in lines {
        headers.append("ratelimit", HeaderValue::from_static(line));
    }
    headers
}

fn learnt(lines: &[&'static str]) -> (Pacer, Instant) {
    let (pacer, now) = (Pacer::default(), Instant::now());
    pacer.learn(Some(KEY), &ratelimit(lines), now);
    (pacer, now)
}

#[test]
fn nothing_left_makes_that_key_wait_its_t_and_no_other_key() {
    let (pacer, now) = learnt(&[r#""requests";r=0;t=2, "events";r=5;t=86400"#]);
    assert_eq!(pacer.wait(Some(KEY), now), Duration::from_secs(2));
    let later = now + Duration::from_millis(1500);
    assert_eq!(pacer.wait(Some(KEY), later), Duration::from_millis(500));
    assert_eq!(
        pacer.wait(Some(KEY), now + Duration::from_secs(2)),
        Duration::ZERO
    );
    assert_eq!(pacer.wait(Some(OTHER), now), Duration::ZERO, "another key");
    assert_eq!(pacer.wait(None, now), Duration::ZERO, "no key");
    assert_eq!(
        pacer.clone().wait(Some(KEY), now),
        Duration::from_secs(2),
        "clones share what they learnt"
    );
}

#[test]
fn requests_left_clear_the_wait_and_an_unreadable_answer_changes_nothing() {
    let (pacer, now) = learnt(&[r#""requests";r=0;t=2"#]);
    pacer.learn(Some(KEY), &HeaderMap::new(), now);
    pacer.learn(Some(KEY), &ratelimit(&["requests r=0"]), now);
    pacer.learn(Some(KEY), &ratelimit(&[r#""requests";r=zero;t=1"#]), now);
    assert_eq!(
        pacer.wait(Some(KEY), now),
        Duration::from_secs(2),
        "no field, or one that does not parse, says nothing new"
    );
    pacer.learn(Some(KEY), &ratelimit(&[r#""requests";r=3;t=1"#]), now);
    assert_eq!(pacer.wait(Some(KEY), now), Duration::ZERO);
}

#[test]
fn only_the_requests_policy_paces() {
    let (pacer, now) = learnt(&[r#""events";r=0;t=86400, "auth-failures";r=0;t=60"#]);
    assert_eq!(pacer.wait(Some(KEY), now), Duration::ZERO);
    let (pacer, now) = learnt(&[r#""requests";r=0"#]);
    assert_eq!(pacer.wait(Some(KEY), now), Duration::ZERO, "no t: no wait");
}

#[test]
fn a_field_over_several_lines_is_read_whole() {
    let (pacer, now) = learnt(&[r#""events";r=1;t=5"#, r#""requests";r=0;t=3"#]);
    assert_eq!(pacer.wait(Some(KEY), now), Duration::from_secs(3));
}

/// Two requests of one key through `retrier`, each answered 200 with `ratelimit`; the
/// waits slept.
fn two_requests(retrier: &Retrier, ratelimit: &'static str) -> Vec<Duration> {
    requests_with(retrier, ratelimit, &[KEY, KEY])
}

/// A request with each of `keys` through `retrier`, each answered 200 with `ratelimit`; the
/// waits slept.
fn requests_with(retrier: &Retrier, ratelimit: &'static str, keys: &[&[u8]]) -> Vec<Duration> {
    let slept = Mutex::new(Vec::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    for key in keys {
        let mut headers = HeaderMap::new();
        let authorization = HeaderValue::from_bytes(key).expect("a header value");
        headers.insert("authorization", authorization);
        let sent = runtime.block_on(retrier.send(
            RequestInfo::new(&Method::GET, &headers),
            || async {
                let mut response = http::Response::new(b"{}".to_vec());
                let value = HeaderValue::from_static(ratelimit);
                response.headers_mut().insert("ratelimit", value);
                Ok::<_, std::io::Error>(response)
            },
            |wait| {
                slept.lock().unwrap().push(wait);
                async {}
            },
        ));
        assert_eq!(sent.expect("a success").status(), 200);
    }
    slept.into_inner().unwrap()
}

#[test]
fn a_paced_retrier_sleeps_the_wait_before_sending_the_keys_next_request() {
    let paced = Retrier::default().pace(Pacer::default());
    let slept = two_requests(&paced, r#""requests";r=0;t=1"#);
    assert_eq!(
        slept.len(),
        1,
        "the first request is sent at once: {slept:?}"
    );
    let wait = slept[0];
    assert!(
        wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
        "the second waits out the rest of t=1: {wait:?}"
    );
    let unpaced = two_requests(&Retrier::default(), r#""requests";r=0;t=1"#);
    assert!(unpaced.is_empty(), "without a pacer: {unpaced:?}");
}

#[test]
fn a_paced_retrier_does_not_hold_one_keys_wait_against_another() {
    let paced = Retrier::default().pace(Pacer::default());
    let slept = requests_with(&paced, r#""requests";r=0;t=1"#, &[KEY, OTHER]);
    assert!(slept.is_empty(), "{slept:?}");
}

#[test]
fn a_pacing_wait_is_never_longer_than_the_policys_longest_wait() {
    let policy = Policy::default().max_wait(Duration::from_secs(3));
    let paced = Retrier::new(policy).pace(Pacer::default());
    let slept = two_requests(&paced, r#""requests";r=0;t=600"#);
    assert_eq!(slept, [Duration::from_secs(3)]);
}
