//! The workspace's cross-cutting behaviour: both adapters answer byte-identically, hostile input
//! and TCP framing get contract answers, nothing secret leaks, `SITE_NOT_FOUND` tells no site
//! apart, limits hold across replicas sharing one Redis, and a service set up the way each
//! adapter's docs show answers and logs the same on both.

mod support;

mod cross_adapter;
mod hostile_input;
mod limits_across_replicas;
mod no_leaks;
mod same_surface;
mod site_not_found_indistinguishable;
mod tcp_framing;
