//! `ApiError::log`: the one event per sent error. A `SERVER_ERROR` at error level with its
//! whole cause chain and internal detail (the body shows neither, so the log is where
//! operators find them); every other code at debug level with its code, status and message.

use std::sync::{Arc, Mutex};

use attractos_errors::{ApiError, ErrorCode, RetryAfter, docs};
use tracing::field::{Field, Visit};
use tracing::{Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// One event as a subscriber sees it: its level and its fields, in order, as text.
#[derive(Debug)]
struct Logged {
    level: Level,
    fields: Vec<(String, String)>,
}

impl Logged {
    /// Every value recorded under `name` (`message` is both a field and the event's text).
    fn values(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.values(name).contains(&value)
    }
}

impl Visit for Logged {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields
            .push((field.name().to_owned(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.fields
            .push((field.name().to_owned(), format!("{value:?}")));
    }
}

/// A layer that keeps every event it is given.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Logged>>>);

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut logged = Logged {
            level: *event.metadata().level(),
            fields: Vec::new(),
        };
        event.record(&mut logged);
        self.0.lock().expect("not poisoned").push(logged);
    }
}

/// What `err.log()` emits under a subscriber that lets through `max_level` and below.
fn logged_at(max_level: LevelFilter, err: &ApiError) -> Vec<Logged> {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone().with_filter(max_level));
    tracing::subscriber::with_default(subscriber, || err.log());
    std::mem::take(&mut *capture.0.lock().expect("not poisoned"))
}

fn logged(err: &ApiError) -> Logged {
    let mut events = logged_at(LevelFilter::TRACE, err);
    assert_eq!(events.len(), 1, "exactly one event for {err}: {events:#?}");
    events.remove(0)
}

#[derive(Debug, thiserror::Error)]
#[error("loading the report failed")]
struct ReportFailed(#[source] std::io::Error);

#[test]
fn a_server_error_is_logged_at_error_level_with_its_whole_cause_chain() {
    let err = ApiError::internal(ReportFailed(std::io::Error::other(
        "disk quota exceeded: secret-path=/var/private",
    )));
    let event = logged(&err);
    assert_eq!(event.level, Level::ERROR, "{event:#?}");
    assert!(event.has("code", "SERVER_ERROR"), "{event:#?}");
    assert!(
        event.has(
            "cause",
            "loading the report failed: disk quota exceeded: secret-path=/var/private"
        ),
        "every source, outermost first: {event:#?}"
    );
}

#[test]
fn a_server_error_without_a_cause_says_none() {
    let event = logged(&ApiError::server_error());
    assert_eq!(event.level, Level::ERROR, "{event:#?}");
    assert!(event.has("cause", "none"), "{event:#?}");
}

#[test]
fn a_server_error_logs_the_detail_its_body_leaves_out() {
    let err = ApiError::internal(std::io::Error::other("timed out"))
        .with_message("while reading site_broken");
    let event = logged(&err);
    assert!(
        event.has("detail", "while reading site_broken"),
        "{event:#?}"
    );
    assert!(event.has("cause", "timed out"), "{event:#?}");
}

#[test]
fn a_rejected_request_is_logged_at_debug_level_with_code_status_and_public_message() {
    let err = ApiError::site_not_found().with_message("site_x is not yours");
    let event = logged(&err);
    assert_eq!(event.level, Level::DEBUG, "{event:#?}");
    assert!(event.has("code", "SITE_NOT_FOUND"), "{event:#?}");
    assert!(event.has("status", "403"), "{event:#?}");
    assert!(
        event.has("public_message", "site_x is not yours"),
        "{event:#?}"
    );

    let event = logged(&ApiError::rate_limited(RetryAfter::from_secs(30)));
    assert!(event.has("status", "429"), "{event:#?}");
    assert!(
        event.has("public_message", ErrorCode::RateLimited.message()),
        "{event:#?}"
    );
}

#[test]
fn only_server_errors_are_logged_at_error_level() {
    for &code in ErrorCode::ALL {
        let expected = if code == ErrorCode::ServerError {
            Level::ERROR
        } else {
            Level::DEBUG
        };
        assert_eq!(logged(&docs::example(code)).level, expected, "{code}");
    }
}

#[test]
fn with_debug_filtered_out_only_server_errors_reach_the_log() {
    let rejected = logged_at(LevelFilter::INFO, &ApiError::invalid_key());
    assert!(rejected.is_empty(), "{rejected:#?}");
    let failed = logged_at(LevelFilter::INFO, &ApiError::server_error());
    assert_eq!(failed.len(), 1, "{failed:#?}");
}

#[test]
fn a_rejected_request_logs_its_cause_chain_at_debug_level() {
    let err = ApiError::invalid_json().with_cause(ReportFailed(std::io::Error::other(
        "connection reset after 12 bytes",
    )));
    let event = logged(&err);
    assert_eq!(event.level, Level::DEBUG, "{event:#?}");
    assert!(
        event.has(
            "cause",
            "loading the report failed: connection reset after 12 bytes"
        ),
        "every source, outermost first: {event:#?}"
    );
}

#[test]
fn another_layer_s_answer_sent_as_server_error_is_logged_at_warn_with_its_status() {
    let err = attractos_errors::rules::from_answer(403, None, Some("blocked by the WAF"));
    assert_eq!(err.code(), ErrorCode::ServerError);
    let event = logged(&err);
    assert_eq!(event.level, Level::WARN, "{event:#?}");
    assert!(event.has("code", "SERVER_ERROR"), "{event:#?}");
    assert!(event.has("original_status", "403"), "{event:#?}");
    assert!(event.has("detail", "blocked by the WAF"), "{event:#?}");
}

/// A layer that keeps every span it is given: its name and, as [`Logged`], its level and fields.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(&'static str, Logged)>>>);

impl<S: Subscriber> Layer<S> for Spans {
    fn on_new_span(
        &self,
        attributes: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: Context<'_, S>,
    ) {
        let mut logged = Logged {
            level: *attributes.metadata().level(),
            fields: Vec::new(),
        };
        attributes.record(&mut logged);
        let name = attributes.metadata().name();
        self.0.lock().expect("not poisoned").push((name, logged));
    }
}

#[test]
fn a_request_is_served_in_a_span_with_its_id_method_and_path_that_an_error_filter_keeps() {
    for (id, recorded) in [(&b"3a68a75c-req"[..], "3a68a75c-req"), (b"\xffid", "")] {
        let spans = Spans::default();
        let subscriber =
            tracing_subscriber::registry().with(spans.clone().with_filter(LevelFilter::ERROR));
        tracing::subscriber::with_default(subscriber, || {
            drop(attractos_errors::request_span(id, "POST", "/api/v1/event"));
        });
        let spans = std::mem::take(&mut *spans.0.lock().expect("not poisoned"));
        let [(name, span)] = &spans[..] else {
            panic!("one span, not {spans:#?}");
        };
        assert_eq!((*name, span.level), ("request", Level::ERROR));
        let fields: Vec<(&str, &str)> = span
            .fields
            .iter()
            .map(|(field, value)| (field.as_str(), value.as_str()))
            .collect();
        let expected = [
            ("request_id", recorded),
            ("method", "POST"),
            ("path", "/api/v1/event"),
        ];
        assert_eq!(fields, expected, "id {id:?}");
    }
}
