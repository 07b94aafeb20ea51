#![doc = include_str!("../README.md")]

/// The workspace README's example, compiled and run as a doctest of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
mod workspace_readme {}

mod contract;
mod deadline;
mod error;
mod extract;
#[cfg(feature = "limits")]
mod limits;
mod router;
mod serve;

pub use attractos_errors;
pub use attractos_errors::rules::SITE_ID_PARAM;
pub use attractos_errors::{Contract, ErrorCode, RetryAfter};
pub use contract::ContractExt;
pub use error::{ApiError, Result};
pub use extract::{BearerKey, DateRange, Json, Query, SiteId};
#[cfg(feature = "limits")]
pub use limits::Authenticated;
pub use router::{ConnectionRouter, ContractRouter, RouterFuture};
pub use serve::{Serve, serve};
