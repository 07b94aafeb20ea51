//! The API's OpenAPI 3.1 document, built with utoipa 5 from the route constants both
//! frameworks register ([`crate::routes`]), and served by both at `GET /api/v1/openapi.json`.
//!
//! Every operation lists its parameters (the `siteId` path parameter, the `start`/`end` dates,
//! the `granularity` enum), its success body, the bearer security scheme, and every error it can
//! answer with through the core's [`ErrorResponses`](attractos_errors::openapi::ErrorResponses):
//! one response per status, its schema narrowed to those codes. [`json`] is the exact text served
//! and committed as `docs/openapi.json` (keys sorted, so it is stable).
//!
//! ```
//! use attractos_reference::openapi;
//!
//! let doc: serde_json::Value = serde_json::from_str(openapi::json()).unwrap();
//! assert_eq!(doc["openapi"], "3.1.0");
//! let stats = &doc["paths"]["/api/v1/sites/{siteId}/stats"]["get"];
//! assert_eq!(stats["parameters"][0]["name"], "siteId");
//! assert_eq!(
//!     stats["responses"]["403"]["content"]["application/json"]["schema"]["properties"]["code"]["enum"],
//!     serde_json::json!(["SITE_NOT_FOUND"])
//! );
//! ```

use std::collections::BTreeMap;
use std::sync::LazyLock;

use attractos_errors::openapi::{ErrorComponents, canonical_json};
use attractos_errors::ratelimit::PolicyId;
use attractos_limits::{Plan, Policies};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::domain::{EventReceipt, Granularity, NewEvent, SiteList, Stats, Timeseries};
use crate::routes;

/// The name of the bearer security scheme in `components.securitySchemes`.
pub const BEARER: &str = "bearer";

attractos_errors::error_responses! {
    /// The errors of `GET /api/v1/sites`.
    pub SitesErrors = [
        MissingKey, InvalidKey, UserNotFound, RateLimited, ServerError, MethodNotAllowed,
        PayloadTooLarge,
    ];
    /// The errors of `GET /api/v1/sites/{siteId}/stats`.
    pub StatsErrors = [
        MissingKey, InvalidKey, UserNotFound, SiteNotFound, MissingSiteId, InvalidDateRange,
        RateLimited, ServerError, NotFound, MethodNotAllowed, PayloadTooLarge,
    ];
    /// The errors of `GET /api/v1/sites/{siteId}/timeseries`.
    pub TimeseriesErrors = [
        MissingKey, InvalidKey, UserNotFound, SiteNotFound, PlanRequired, MissingSiteId,
        InvalidDateRange, RateLimited, ServerError, NotFound, MethodNotAllowed, PayloadTooLarge,
    ];
    /// The errors of `POST /api/v1/events`.
    pub EventsErrors = [
        MissingKey, InvalidKey, UserNotFound, SiteNotFound, MissingSiteId, InvalidJson,
        RateLimited, LimitExceeded, ServerError, MethodNotAllowed, PayloadTooLarge,
    ];
    /// The errors of `GET /api/v1/openapi.json`, which needs no key.
    pub OpenApiErrors = [ServerError, MethodNotAllowed, PayloadTooLarge];
}

/// The document: every route of [`crate::routes`] but the empty-`siteId` aliases, which are the
/// same operations with `siteId` empty.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "AttractOS reference API",
        description = "A small AttractOS-like analytics API whose every error follows the \
                       AttractOS error contract: `{\"error\": \"<message>\", \"code\": \"<CODE>\"}`, \
                       plus `retry_after` on 429s. Every response carries `X-Request-Id`. Any \
                       request whose `Content-Length` exceeds the body limit (64 KiB by default) \
                       answers `PAYLOAD_TOO_LARGE`; a path no route matches answers `NOT_FOUND`."
    ),
    paths(operations::sites, operations::stats, operations::timeseries, operations::events,
          operations::openapi_json),
    components(schemas(attractos_errors::ErrorBody)),
    modifiers(&ErrorComponents, &Security, &AllowHeader, &RateLimitHeaders, &RequestIdHeader),
    tags(
        (name = "sites", description = "The caller's sites and their numbers."),
        (name = "events", description = "Recording events against the monthly quota."),
        (name = "meta", description = "This document."),
    )
)]
pub struct ApiDoc;

/// The document as a utoipa value.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as served and as `docs/openapi.json`: canonical JSON (keys sorted, pretty,
/// final newline), built once.
pub fn json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        canonical_json(&document()).expect("a utoipa document serializes to JSON")
    });
    &JSON
}

/// Adds the bearer scheme the API keys use.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("API key, e.g. ak_demo_free")
                    .description(Some(
                        "`Authorization: Bearer <API key>`. A missing header answers \
                         `MISSING_KEY`; a malformed, unknown or revoked key `INVALID_KEY`; a key \
                         whose user was deleted `USER_NOT_FOUND` (all 401).",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every operation of the document.
fn operations(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
    })
}

/// Declares `X-Request-Id` on every success response (the error responses' headers come from
/// the core's [`ErrorComponents`]).
struct RequestIdHeader;

impl Modify for RequestIdHeader {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let header = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some("The request's id: yours, or a generated UUID v4."))
            .build();
        for operation in operations(openapi) {
            for (status, response) in &mut operation.responses.responses {
                if let (RefOr::T(response), true) = (response, status.starts_with('2')) {
                    response
                        .headers
                        .insert("X-Request-Id".to_owned(), header.clone());
                }
            }
        }
    }
}

/// Declares the `Allow` header on every 405 response: the methods the path supports, which
/// both frameworks send with it.
struct AllowHeader;

impl Modify for AllowHeader {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for operation in operations(openapi) {
            let responses: &mut BTreeMap<String, RefOr<Response>> =
                &mut operation.responses.responses;
            if let Some(RefOr::T(response)) = responses.get_mut("405") {
                response.headers.insert(
                    "Allow".to_owned(),
                    HeaderBuilder::new()
                        .schema(ObjectBuilder::new().schema_type(Type::String))
                        .description(Some("The methods this path supports."))
                        .build(),
                );
            }
        }
    }
}

/// Declares the RateLimit fields (draft-ietf-httpapi-ratelimit-headers) on the answers of
/// every keyed operation: sent once the `Authorization` header has been looked at, that is
/// on every answer but the protocol-level ones (404, 405, 413), which come before it.
struct RateLimitHeaders;

impl Modify for RateLimitHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let field = |description: &str| {
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some(description.to_owned()))
                .build()
        };
        // The ids and the numbers of the reference server's defaults, from where they are set.
        let (requests, events, failures) = (
            PolicyId::Requests.as_str(),
            PolicyId::Events.as_str(),
            PolicyId::AuthFailures.as_str(),
        );
        let defaults = Policies::default();
        let rate = defaults.rate(Plan::Free);
        let (burst, window) = (rate.burst(), rate.window_secs());
        let quota = defaults.quota(Plan::Free).events;
        let allowance = defaults.auth_failures;
        let policy = field(&format!(
            "The limits that apply, as a structured-field List: `\"{requests}\";q={burst};w={window}` \
             (the key's rate: a burst of q refilled over w seconds), \
             `\"{events}\";q={quota};w=2592000` (the account's monthly event quota; w is this \
             calendar month's length), or, on answers to a failed key, \
             `\"{failures}\";q={limit};w={seconds}` (the client address's allowance).",
            limit = allowance.limit,
            seconds = allowance.window.as_secs(),
        ));
        let state = field(&format!(
            "The state of those limits: `\"{requests}\";r={r};t=1, \"{events}\";r={left};t=1339200` \
             (r units left, t seconds until r grows, or until the quota resets). On a 429 only \
             the refusing policy is listed, with r=0 and t equal to Retry-After.",
            r = burst - 1,
            left = quota - 10,
        ));
        for operation in operations(openapi) {
            if operation.security.is_none() {
                continue;
            }
            for (status, response) in &mut operation.responses.responses {
                let protocol_level = ["404", "405", "413"].contains(&status.as_str());
                if let (RefOr::T(response), false) = (response, protocol_level) {
                    response
                        .headers
                        .insert("RateLimit-Policy".to_owned(), policy.clone());
                    response
                        .headers
                        .insert("RateLimit".to_owned(), state.clone());
                }
            }
        }
    }
}

/// The operations, described on placeholder functions: the real handlers exist twice (in
/// [`crate::axum_app`] and [`crate::actix_app`]) and both serve exactly these routes, as the
/// tests check.
#[allow(dead_code)]
mod operations {
    use super::*;

    /// Lists the caller's sites.
    ///
    /// Sorted by id. Each site's `id` is the `siteId` of the other endpoints.
    #[utoipa::path(
        get,
        path = routes::SITES,
        operation_id = "listSites",
        tag = "sites",
        security(("bearer" = [])),
        responses(
            (status = 200, description = "The caller's sites.", body = SiteList),
            SitesErrors,
        )
    )]
    pub(super) fn sites() {}

    /// Totals of a site over a date range.
    ///
    /// Visits and page views from `start` to `end`, both inclusive, at most 366 days.
    #[utoipa::path(
        get,
        path = routes::STATS,
        operation_id = "getStats",
        tag = "sites",
        security(("bearer" = [])),
        params(
            ("siteId" = String, Path, min_length = 1, example = "site_pro", description = SITE_ID),
            ("start" = String, Query, format = Date, example = "2024-01-01", description = START),
            ("end" = String, Query, format = Date, example = "2024-01-07", description = END),
        ),
        responses(
            (status = 200, description = "The site's totals over the range.", body = Stats),
            StatsErrors,
        )
    )]
    pub(super) fn stats() {}

    /// A site's visits and page views, per day or per hour.
    ///
    /// Daily: at most 366 days. Hourly: Pro plan only (`PLAN_REQUIRED` otherwise), at most 31
    /// days.
    #[utoipa::path(
        get,
        path = routes::TIMESERIES,
        operation_id = "getTimeseries",
        tag = "sites",
        security(("bearer" = [])),
        params(
            ("siteId" = String, Path, min_length = 1, example = "site_pro", description = SITE_ID),
            ("start" = String, Query, format = Date, example = "2024-01-01", description = START),
            ("end" = String, Query, format = Date, example = "2024-01-02", description = END),
            ("granularity" = Option<Granularity>, Query, example = "hourly",
             description = "`daily` (the default) or `hourly` (Pro plan)."),
        ),
        responses(
            (status = 200, description = "One point per interval, in time order.",
             body = Timeseries),
            TimeseriesErrors,
        )
    )]
    pub(super) fn timeseries() {}

    /// Records one event.
    ///
    /// Counts against the caller's monthly event quota (`LIMIT_EXCEEDED` once spent, with
    /// `retry_after` the seconds until it resets on the 1st, 00:00 UTC).
    #[utoipa::path(
        post,
        path = routes::EVENTS,
        operation_id = "recordEvent",
        tag = "events",
        security(("bearer" = [])),
        request_body(content = NewEvent, content_type = "application/json",
                     description = "The event; at most the body limit (64 KiB by default)."),
        responses(
            (status = 202, description = "The event was recorded.", body = EventReceipt),
            EventsErrors,
        )
    )]
    pub(super) fn events() {}

    /// This document.
    ///
    /// The OpenAPI 3.1 document of the API; no key needed.
    #[utoipa::path(
        get,
        path = routes::OPENAPI,
        operation_id = "getOpenApi",
        tag = "meta",
        responses(
            (status = 200, description = "The OpenAPI 3.1 document.",
             content_type = "application/json", body = Object),
            OpenApiErrors,
        )
    )]
    pub(super) fn openapi_json() {}

    const SITE_ID: &str = "One of the caller's site ids (`GET /api/v1/sites`). Another user's \
                           site and an unknown one both answer `SITE_NOT_FOUND`; an empty one \
                           `MISSING_SITE_ID`.";
    const START: &str = "First day, `YYYY-MM-DD` (ISO 8601), inclusive.";
    const END: &str = "Last day, `YYYY-MM-DD` (ISO 8601), inclusive; not before `start`.";
}
