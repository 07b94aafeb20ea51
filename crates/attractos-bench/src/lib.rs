//! Measures the AttractOS error path against what people write by hand, so that the library is
//! never the slower choice: the error path IS the hot path under a flood of bad keys or a
//! throttled client.
//!
//! For three errors ([`Case`]), each framework module renders a full response several ways
//! ([`Variant`]): the library through its adapter, baseline A (`json!` body), baseline B
//! (`json!` body plus the contract headers), and the floor (a `&'static` body and
//! `from_static` headers), also with its header values evaluated at compile time.
//! `benches/render.rs` times them with criterion, the `allocations` binary counts their heap
//! allocations, and the `perf-report` binary writes `docs/performance.md`: [`measurements`]
//! reads what the tools left, [`targets`] judges the issue's targets, and [`page`] fills the
//! template `performance.md.tpl` (all of the page's prose) with its tables.
//! `bash bench/run.sh` runs everything.
//!
//! ```
//! use attractos_bench::{Case, axum_side, floor_bodies};
//!
//! let library = axum_side::library(Case::InvalidKey);
//! let floor = axum_side::floor(Case::InvalidKey);
//! assert_eq!(library.status(), floor.status());
//! assert_eq!(library.headers(), floor.headers());
//! assert!(floor_bodies::INVALID_KEY_BODY.contains("INVALID_KEY"));
//! ```

pub mod actix_side;
pub mod allocations;
pub mod axum_side;
pub mod cases;
pub mod floor_bodies;
pub mod limits_route;
pub mod measurements;
pub mod page;
pub mod profile;
pub mod targets;
pub mod template;

pub use attractos_reference::Framework;
pub use cases::{Case, Variant};
