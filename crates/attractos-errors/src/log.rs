//! How a sent error is logged, the same for every adapter: a `SERVER_ERROR` at `error` level
//! with its whole cause chain (the cause never reaches the client, so the log is where
//! operators find it), everything else at `debug` level. Adapters call [`ApiError::log`]
//! inside the request's span, so the line carries that span's request id.

use std::error::Error as StdError;
use std::fmt;

use crate::{ApiError, ErrorCode};

impl ApiError {
    /// Emits the one log event for this error's response.
    #[inline]
    pub fn log(&self) {
        // Inlined, so that with `debug` filtered out a rejected request pays one relaxed
        // atomic load here, not a call.
        if self.code() == ErrorCode::ServerError {
            self.log_server_error();
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

    fn log_rejected(&self) {
        tracing::debug!(
            code = self.code().as_str(),
            status = self.code().status().as_u16(),
            message = self.message(),
            "request rejected"
        );
    }
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
