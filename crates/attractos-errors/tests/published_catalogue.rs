//! The published catalogue, copied by hand from the published error page, not from the crate:
//! the crate must say exactly this.

use attractos_errors::{Category, ErrorCode, Retry};

const PUBLISHED: [(&str, u16, Category, &str, &str); 11] = [
    (
        "MISSING_KEY",
        401,
        Category::Authentication,
        "No Authorization header was provided in the request.",
        "Add the Authorization header with your API key: Authorization: Bearer YOUR_API_KEY",
    ),
    (
        "INVALID_KEY",
        401,
        Category::Authentication,
        "The API key provided is invalid or has been revoked.",
        "Check that your API key is correct. Generate a new key from your dashboard if needed.",
    ),
    (
        "USER_NOT_FOUND",
        401,
        Category::Authentication,
        "The user associated with this API key no longer exists.",
        "This typically means the account was deleted. Create a new account and API key.",
    ),
    (
        "SITE_NOT_FOUND",
        403,
        Category::Authorization,
        "The site ID does not exist or you do not have access to it.",
        "Verify the site ID is correct. Use GET /api/v1/sites to list your accessible sites.",
    ),
    (
        "PLAN_REQUIRED",
        403,
        Category::Authorization,
        "This feature requires a higher plan tier.",
        "Upgrade to Pro to access this feature (e.g., hourly granularity timeseries).",
    ),
    (
        "MISSING_SITE_ID",
        400,
        Category::Request,
        "The siteId path parameter is required but was not provided.",
        "Include the site ID in the URL path: /api/v1/sites/{siteId}/stats",
    ),
    (
        "INVALID_DATE_RANGE",
        400,
        Category::Request,
        "The start or end date parameter is invalid.",
        "Use ISO 8601 date format: YYYY-MM-DD (e.g., 2024-01-15)",
    ),
    (
        "INVALID_JSON",
        400,
        Category::Request,
        "The request body contains invalid JSON.",
        "Check your JSON syntax. Use a JSON validator if needed.",
    ),
    (
        "RATE_LIMITED",
        429,
        Category::RateLimit,
        "You have exceeded the API rate limit for your plan.",
        "Wait for the time specified in retry_after. Consider upgrading for higher limits.",
    ),
    (
        "LIMIT_EXCEEDED",
        429,
        Category::RateLimit,
        "You have exceeded your monthly event tracking quota.",
        "Wait until the next billing cycle or upgrade your plan for more events.",
    ),
    (
        "SERVER_ERROR",
        500,
        Category::Server,
        "An unexpected error occurred on the server.",
        "Retry the request. If the error persists, contact support@attractos.com.",
    ),
];

#[test]
fn every_published_code_has_its_published_status_category_message_and_fix() {
    for (name, status, category, message, fix) in PUBLISHED {
        let code: ErrorCode = name.parse().unwrap_or_else(|_| panic!("{name} is missing"));
        assert_eq!(code.status().as_u16(), status, "{name}: status");
        assert_eq!(code.category(), category, "{name}: category");
        assert_eq!(code.message(), message, "{name}: message");
        assert_eq!(code.fix(), fix, "{name}: fix");
        assert!(code.is_published(), "{name}: the page publishes it");
    }
}

#[test]
fn the_published_codes_come_first_in_page_order_then_the_protocol_additions() {
    let published: Vec<&str> = ErrorCode::ALL
        .iter()
        .filter(|c| c.is_published())
        .map(|c| c.as_str())
        .collect();
    let page: Vec<&str> = PUBLISHED.iter().map(|row| row.0).collect();
    assert_eq!(published, page);
    let first: Vec<&str> = ErrorCode::ALL[..PUBLISHED.len()]
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(first, page, "the published codes lead the table");

    let protocol: Vec<(&str, u16)> = ErrorCode::ALL
        .iter()
        .filter(|c| !c.is_published())
        .map(|c| (c.as_str(), c.status().as_u16()))
        .collect();
    assert_eq!(
        protocol,
        [
            ("NOT_FOUND", 404),
            ("METHOD_NOT_ALLOWED", 405),
            ("PAYLOAD_TOO_LARGE", 413)
        ]
    );
    for code in ErrorCode::ALL.iter().filter(|c| !c.is_published()) {
        assert_eq!(code.category(), Category::Protocol, "{code}");
    }
}

#[test]
fn retry_follows_the_published_fixes_and_faq() {
    for &code in ErrorCode::ALL {
        let expected = match code.as_str() {
            "RATE_LIMITED" | "LIMIT_EXCEEDED" => Retry::AfterRetryAfter,
            "SERVER_ERROR" => Retry::WithBackoff,
            _ => Retry::Never,
        };
        assert_eq!(code.retry(), expected, "{code}");
        assert_eq!(
            code.carries_retry_after(),
            code.status().as_u16() == 429,
            "{code}"
        );
    }
}
