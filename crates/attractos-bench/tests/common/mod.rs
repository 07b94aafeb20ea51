//! Reading the responses the variants build, without a runtime: their bodies are in memory.

#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use attractos_errors::ErrorBody;

/// A response reduced to what a client sees: status, headers (sorted), body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn error_body(&self) -> ErrorBody {
        ErrorBody::from_slice(&self.body).expect("a contract error body")
    }
}

/// The output of a future that is ready at its first poll.
fn ready<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("an in-memory body is ready at once"),
    }
}

pub fn axum(response: axum::response::Response) -> Seen {
    let (parts, body) = response.into_parts();
    let body = ready(axum::body::to_bytes(body, usize::MAX)).expect("an in-memory body");
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().expect("ASCII").to_owned(),
            )
        })
        .collect();
    headers.sort();
    Seen {
        status: parts.status.as_u16(),
        headers,
        body: body.to_vec(),
    }
}

pub fn actix(response: actix_web::HttpResponse) -> Seen {
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().expect("ASCII").to_owned(),
            )
        })
        .collect();
    headers.sort();
    let body = ready(actix_web::body::to_bytes(response.into_body()))
        .unwrap_or_else(|_| panic!("an in-memory body"));
    Seen {
        status,
        headers,
        body: body.to_vec(),
    }
}
