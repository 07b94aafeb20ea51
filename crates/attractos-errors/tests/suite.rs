//! Behaviour of the core: the catalogue, the error value, the wire body and headers, the request
//! rules, the generated docs and, with `openapi`, the OpenAPI components.

mod api_error;
mod catalogue_table;
mod client_parsing;
mod common;
mod contract_settings;
mod debug_output;
mod docs_link;
mod generated_docs;
mod headers;
mod logging;
#[cfg(feature = "openapi")]
mod openapi;
mod properties;
mod published_catalogue;
mod rules_announced_body;
mod rules_bearer_key;
mod rules_json;
mod rules_other_layers;
mod rules_protocol;
mod rules_request;
mod rules_slow_clients;
mod wire_snapshots;
