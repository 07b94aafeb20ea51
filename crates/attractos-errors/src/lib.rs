#![doc = include_str!("../README.md")]

mod adapter;
mod body;
mod code;
pub mod docs;
mod error;
mod headers;
mod log;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod ratelimit;
pub mod rules;
pub mod serving;
mod settings;

pub use body::{Code, ErrorBody, MAX_BODY_LEN, ParseError};
pub use code::{Category, ErrorCode, Retry, UnknownCode};
pub use error::{ApiError, Cause, RetryAfter, RetryAfterRequired};
pub use headers::{DocsLinkError, HeaderText, names as header_names, values as header_values};
pub use log::request_span;
#[doc(hidden)]
pub use settings::__docs_link;
pub use settings::Contract;
pub use time::Date;

#[doc(hidden)]
pub use itoa as __itoa;
