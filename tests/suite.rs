//! The workspace's cross-cutting behaviour: both adapters answer byte-identically, hostile input
//! and TCP framing get contract answers, nothing secret leaks, `SITE_NOT_FOUND` tells no site
//! apart, and limits hold across replicas sharing one Redis.

mod support;

mod cross_adapter;
mod hostile_input;
mod limits_across_replicas;
mod no_leaks;
mod site_not_found_indistinguishable;
mod tcp_framing;
