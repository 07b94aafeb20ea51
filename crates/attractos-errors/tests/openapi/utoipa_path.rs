//! `error_responses!` declares a type for `#[utoipa::path(responses(...))]`, which mixes with
//! the operation's own responses.

use attractos_errors::ErrorCode;
use attractos_errors::openapi::ErrorResponses;
use serde_json::Value;
use utoipa::{IntoResponses, OpenApi};

use super::support::responses_json;

attractos_errors::error_responses! {
    /// The errors of `GET /api/v1/sites/{siteId}/stats`.
    pub StatsErrors = [MissingKey, InvalidKey, SiteNotFound, InvalidDateRange, RateLimited, ServerError];
    /// The errors of `POST /api/v1/events`.
    EventErrors = [InvalidJson, LimitExceeded, PayloadTooLarge,];
}

/// The site's stats.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{siteId}/stats",
    params(("siteId" = String, Path, description = "The site")),
    responses((status = 200, description = "The site's stats"), StatsErrors)
)]
#[allow(dead_code)]
fn stats() {}

#[derive(OpenApi)]
#[openapi(paths(stats))]
struct ApiDoc;

#[test]
fn the_declared_type_lists_its_codes() {
    assert_eq!(StatsErrors::CODES[0], ErrorCode::MissingKey);
    assert_eq!(StatsErrors::CODES.len(), 6);
    assert_eq!(
        EventErrors::CODES,
        [
            ErrorCode::InvalidJson,
            ErrorCode::LimitExceeded,
            ErrorCode::PayloadTooLarge
        ]
    );
}

#[test]
fn its_responses_are_error_responses_of_its_codes() {
    let expected = responses_json(&ErrorResponses::of(StatsErrors::CODES));
    assert_eq!(
        serde_json::to_value(StatsErrors::responses()).unwrap(),
        expected
    );
}

#[test]
fn in_a_path_it_adds_its_responses_next_to_the_success_response() {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
    let responses = &doc["paths"]["/api/v1/sites/{siteId}/stats"]["get"]["responses"];
    let statuses: Vec<&String> = responses.as_object().unwrap().keys().collect();
    assert_eq!(statuses, ["200", "400", "401", "403", "429", "500"]);
    assert_eq!(responses["200"]["description"], "The site's stats");
    let expected = responses_json(&ErrorResponses::of(StatsErrors::CODES));
    for (status, response) in expected.as_object().unwrap() {
        assert_eq!(&responses[status], response, "{status}");
    }
    assert_eq!(responses["201"], Value::Null);
}
