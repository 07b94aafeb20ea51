//! [`with_deadline`]: a request payload that fails with [`BodyTimeout`] once it has kept its
//! reader waiting past the contract's body deadline, so that a client sending one byte now and
//! then cannot hold a handler, and with it a connection, for ever.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::rt::time::{Instant, Sleep, sleep_until};
use attractos_errors::rules::BodyTimeout;
use bytes::Bytes;
use futures_util::Stream;

/// `payload` with the deadline, or `Payload::None` as it is (no body, nothing to bound).
pub(crate) fn with_deadline(payload: Payload, deadline: Duration) -> Payload {
    match payload {
        Payload::None => Payload::None,
        payload => Payload::Stream {
            payload: Box::pin(DeadlinePayload {
                inner: payload,
                deadline,
                started: None,
                timer: None,
            }),
        },
    }
}

/// The payload, failing with [`PayloadError::Io`] around [`BodyTimeout`] if it has not ended
/// `deadline` after its first poll. The clock starts when a reader first asks for data; a timer
/// is made only when the payload makes its reader wait.
struct DeadlinePayload {
    inner: Payload,
    deadline: Duration,
    started: Option<Instant>,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Stream for DeadlinePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let started = *this.started.get_or_insert_with(Instant::now);
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(sleep_until(started + deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                BodyTimeout(deadline),
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The [`BodyTimeout`] a payload error carries, if it is the deadline's.
pub(crate) fn timed_out(err: &PayloadError) -> Option<BodyTimeout> {
    match err {
        PayloadError::Io(err) => BodyTimeout::find(err),
        _ => None,
    }
}
