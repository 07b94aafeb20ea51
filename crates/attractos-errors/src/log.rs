//! How a sent error is logged, the same for every adapter: a `SERVER_ERROR` at `error` level
//! with its whole cause chain (the cause never reaches the client, so the log is where
//! operators find it); another layer's answer outside the contract, sent as `SERVER_ERROR`, at
//! `warn` with its original status; everything else at `debug` level, with its cause chain
//! when it has one. Adapters call [`ApiError::log`] inside the request's span, so the line
//! carries that span's request id. Every value has its own field name (`message` is tracing's
//! own field, printed without a label, so the public message is `public_message`).

use std::error::Error as StdError;
use std::fmt;

use crate::rules::NonContractStatus;
use crate::{ApiError, ErrorCode};

impl ApiError {
    /// Emits the one log event for this error's response.
    #[inline]
    pub fn log(&self) {
        // Inlined, so that with `debug` filtered out a rejected request pays one relaxed
        // atomic load here, not a call.
        if self.code() == ErrorCode::ServerError {
            match self
                .cause()
                .and_then(|cause| cause.downcast_ref::<NonContractStatus>())
            {
                Some(NonContractStatus(status)) => self.log_rewritten(*status),
                None => self.log_server_error(),
            }
        } else if tracing::level_enabled!(tracing::Level::DEBUG) {
            self.log_rejected();
        }
    }

    fn log_server_error(&self) {
        tracing::error!(
            code = self.code().as_str(),
            cause = %CauseChain(self.cause()),
            detail = self.detail(),
            "internal error answered with SERVER_ERROR"
        );
    }

    fn log_rewritten(&self, original_status: u16) {
        tracing::warn!(
            code = self.code().as_str(),
            original_status,
            detail = self.detail(),
            "another layer's answer outside the contract sent as SERVER_ERROR"
        );
    }

    fn log_rejected(&self) {
        tracing::debug!(
            code = self.code().as_str(),
            status = self.code().status().as_u16(),
            public_message = self.message(),
            cause = %CauseChain(self.cause()),
            "request rejected"
        );
    }
}

/// The span an adapter serves each request in, so that every line logged while serving it
/// carries its id: `request{request_id=.. method=.. path=..}`. At `error` level, so that it is
/// enabled whenever the `SERVER_ERROR` line it must annotate is: an `info` span would vanish
/// under a `warn` filter, taking the request id with it. The id is the contract's (visible
/// ASCII: a client id that is not is replaced), recorded empty were it not UTF-8.
pub fn request_span(request_id: &[u8], method: &str, path: &str) -> tracing::Span {
    let request_id = std::str::from_utf8(request_id).unwrap_or_default();
    tracing::error_span!("request", request_id = %request_id, method = %method, path = %path)
}

/// `cause: its source: its source …`, or `none`.
struct CauseChain<'a>(Option<&'a (dyn StdError + Send + Sync + 'static)>);

impl fmt::Display for CauseChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(cause) = self.0 else {
            return f.write_str("none");
        };
        write!(f, "{cause}")?;
        let mut source = cause.source();
        while let Some(next) = source {
            write!(f, ": {next}")?;
            source = next.source();
        }
        Ok(())
    }
}
