#![doc = include_str!("../README.md")]

mod contract;
mod deadline;
mod error;
mod extract;
mod framework;
#[cfg(feature = "limits")]
mod limits;
mod middleware;
mod resource;
mod server;

pub use attractos_errors;
pub use attractos_errors::rules::SITE_ID_PARAM;
pub use attractos_errors::{Contract, ErrorCode, RetryAfter};
pub use contract::{AppFactory, contract_app};
pub use error::{ApiError, Result};
pub use extract::{BearerKey, DateRange, Json, Query, SiteId};
#[cfg(feature = "limits")]
pub use limits::{Authenticated, limit_context};
pub use resource::resource;
pub use server::server;
