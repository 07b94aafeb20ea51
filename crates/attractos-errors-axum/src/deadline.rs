//! [`DeadlineBody`]: a request body that fails with [`BodyTimeout`] once it has kept its reader
//! waiting past the contract's body deadline, so that a client sending one byte now and then
//! cannot hold a handler, and with it a connection, for ever.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use attractos_errors::rules::BodyTimeout;
use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// `inner`, failing with [`BodyTimeout`] if it has not ended `deadline` after its first poll.
/// The clock starts when a reader first asks for data; a timer is made only when the body
/// makes its reader wait, so a body that has already arrived costs no timer.
#[derive(Debug)]
pub(crate) struct DeadlineBody {
    inner: Body,
    deadline: Duration,
    started: Option<Instant>,
    timer: Option<Pin<Box<Sleep>>>,
}

impl DeadlineBody {
    pub(crate) fn new(inner: Body, deadline: Duration) -> Self {
        DeadlineBody {
            inner,
            deadline,
            started: None,
            timer: None,
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let started = *this.started.get_or_insert_with(Instant::now);
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(started + deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimeout(deadline))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stalls_fails_at_the_deadline_with_body_timeout() {
        let (mut sender, stalled) = stalled_body();
        sender.push(Bytes::from_static(b"{"));
        let body = DeadlineBody::new(stalled, Duration::from_secs(2));
        let started = Instant::now();
        let err = body.collect().await.expect_err("the body never ends");
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(2),
            "fails at the deadline"
        );
        let timeout = BodyTimeout::find(&err).expect("the error names the deadline");
        assert_eq!(timeout, BodyTimeout(Duration::from_secs(2)));
        drop(sender);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_ends_inside_the_deadline_is_read_whole() {
        let body = DeadlineBody::new(Body::from("{}"), Duration::from_secs(2));
        let bytes = body.collect().await.expect("a whole body").to_bytes();
        assert_eq!(bytes, "{}");
    }

    /// A body whose sender keeps it open: frames pushed, then nothing.
    fn stalled_body() -> (Sender, Body) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|bytes| (Ok::<_, std::io::Error>(Frame::data(bytes)), rx))
        });
        (
            Sender(tx),
            Body::new(http_body_util::StreamBody::new(stream)),
        )
    }

    struct Sender(tokio::sync::mpsc::UnboundedSender<Bytes>);

    impl Sender {
        fn push(&mut self, bytes: Bytes) {
            self.0.send(bytes).expect("the body is alive");
        }
    }
}
