//! The reference server over both frameworks: its routes, authentication, site access, events,
//! rate limits, OpenAPI document, snapshots and slow clients.

mod authentication;
mod common;
mod debug_routes;
mod events;
mod openapi_error_bodies;
mod openapi_file;
mod openapi_routes;
mod openapi_served;
mod openapi_support;
mod rate_limit;
mod redis_flags;
mod serve;
mod site_access;
mod slow_clients;
mod snapshots;
mod timeseries;
