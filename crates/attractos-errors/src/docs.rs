//! The reference page and the machine-readable catalogue, generated from the one table.
//! `docs/error-codes.md` and `docs/catalogue.json` are these functions' output, and a test
//! fails when the committed files drift from them.

use std::fmt::Write as _;

use crate::headers::{names, values};
use crate::{ApiError, Category, ErrorCode, RetryAfter};

/// The example a page shows for `code`: its default body, with `retry_after` 30 on 429s.
pub fn example(code: ErrorCode) -> ApiError {
    match code {
        ErrorCode::RateLimited => ApiError::rate_limited(RetryAfter::from_secs(30)),
        ErrorCode::LimitExceeded => ApiError::limit_exceeded(RetryAfter::from_secs(30)),
        other => ApiError::try_from(other).expect("only the 429 codes need retry_after"),
    }
}

/// `docs/error-codes.md`: the published error page's structure, every code with status,
/// description, fix, and the exact headers its response carries.
pub fn markdown() -> String {
    let mut page = String::new();
    let w = &mut page;
    let _ = writeln!(
        w,
        "<!-- Generated from the catalogue in crates/attractos-errors/src/code.rs."
    );
    let _ = writeln!(
        w,
        "     Regenerate: UPDATE_DOCS=1 cargo test -p attractos-errors --test suite generated_docs -->\n"
    );
    let _ = writeln!(w, "# Error Codes\n");
    let _ = writeln!(
        w,
        "AttractOS API returns structured JSON errors with a code, message, and HTTP status. \
         Use the code field for programmatic error handling and the error message for debugging. \
         All errors follow the format: {{\"error\": \"message\", \"code\": \"ERROR_CODE\"}}.\n"
    );
    let _ = writeln!(w, "## Error Response Format\n");
    let _ = writeln!(
        w,
        "All API errors return a JSON object with these fields:\n"
    );
    let _ = writeln!(
        w,
        "```json\n{{\n  \"error\": \"Human-readable error message\",\n  \"code\": \"ERROR_CODE\",\n  \"retry_after\": 30\n}}\n```\n"
    );
    let _ = writeln!(
        w,
        "`retry_after` (integer seconds, at least 1) is present on rate limit (429) errors only."
    );
    // The exact values the adapters write, from the same constants (names as sent: lowercase).
    let _ = writeln!(
        w,
        "Every error is sent with `{}: {}`, `{}: {}` and `{}: {}`;",
        names::CONTENT_TYPE,
        values::APPLICATION_JSON,
        names::CACHE_CONTROL,
        values::NO_STORE,
        names::X_CONTENT_TYPE_OPTIONS,
        values::NOSNIFF,
    );
    let _ = writeln!(
        w,
        "401s add `{auth}: {}` ({}) or `{auth}: {}` ({}), and 429s `{}` with the same seconds as",
        ErrorCode::MissingKey.challenge().unwrap_or_default(),
        ErrorCode::MissingKey,
        ErrorCode::InvalidKey.challenge().unwrap_or_default(),
        ErrorCode::InvalidKey,
        names::RETRY_AFTER,
        auth = names::WWW_AUTHENTICATE,
    );
    let _ = writeln!(
        w,
        "`retry_after`. Each code's section lists its headers exactly as sent (names lowercase).\n"
    );
    for category in Category::ALL {
        let codes: Vec<ErrorCode> = ErrorCode::ALL
            .iter()
            .copied()
            .filter(|c| c.category() == category)
            .collect();
        let mut statuses: Vec<u16> = codes.iter().map(|c| c.status().as_u16()).collect();
        statuses.dedup();
        let statuses: Vec<String> = statuses.iter().map(u16::to_string).collect();
        let _ = writeln!(w, "## {} ({})\n", category.title(), statuses.join(", "));
        let _ = writeln!(w, "{}\n", category.summary());
        for code in codes {
            let _ = writeln!(w, "<a id=\"{}\"></a>\n", code.anchor());
            let _ = writeln!(w, "### {} {}\n", code.as_str(), code.status().as_u16());
            if !code.is_published() {
                let _ = writeln!(
                    w,
                    "*Protocol-level addition: not on the published AttractOS page.*\n"
                );
            }
            let _ = writeln!(w, "{}\n", code.message());
            let _ = writeln!(w, "Fix: {}\n", code.fix());
            let _ = writeln!(w, "Retry: {}.\n", retry_sentence(code));
            let _ = writeln!(w, "Headers:\n");
            for (name, value) in example(code).headers() {
                let _ = writeln!(w, "- `{name}: {value}`");
            }
            let _ = writeln!(w);
            let _ = writeln!(
                w,
                "```json\n{}\n```\n",
                String::from_utf8_lossy(&example(code).to_bytes())
            );
        }
    }
    let _ = writeln!(w, "## Frequently Asked Questions\n");
    for (question, answer) in FAQ {
        let _ = writeln!(w, "**{question}**\n\n{answer}\n");
    }
    page.truncate(page.trim_end().len());
    page.push('\n');
    page
}

fn retry_sentence(code: ErrorCode) -> &'static str {
    match code.retry() {
        crate::Retry::Never => "never; the same request cannot succeed",
        crate::Retry::AfterRetryAfter => "after the `retry_after` seconds",
        crate::Retry::WithBackoff => "with exponential backoff",
    }
}

/// The published error page's FAQ, word for word.
pub const FAQ: [(&str, &str); 3] = [
    (
        "Why am I getting INVALID_KEY when my key worked before?",
        "Your API key may have been revoked (manually or due to suspicious activity). Check your dashboard Settings > API Keys to see if the key is still active. Generate a new key if needed.",
    ),
    (
        "How do I find the correct site ID?",
        "Use the GET /api/v1/sites endpoint to list all your sites. Each site object includes an id field you can use in other API calls.",
    ),
    (
        "What should I do if I keep getting SERVER_ERROR?",
        "First, check the status page for any ongoing incidents. If the service is operational, try the request again with exponential backoff. If the error persists, contact support with the request details.",
    ),
];

#[derive(serde::Serialize)]
struct Entry {
    code: &'static str,
    status: u16,
    category: &'static str,
    published: bool,
    message: &'static str,
    fix: &'static str,
    retryable: bool,
    retry: &'static str,
    anchor: &'static str,
}

/// `docs/catalogue.json`: one object per code, in catalogue order.
pub fn catalogue_json() -> String {
    let entries: Vec<Entry> = ErrorCode::ALL
        .iter()
        .map(|&code| Entry {
            code: code.as_str(),
            status: code.status().as_u16(),
            category: code.category().as_str(),
            published: code.is_published(),
            message: code.message(),
            fix: code.fix(),
            retryable: code.retry().is_retryable(),
            retry: code.retry().as_str(),
            anchor: code.anchor(),
        })
        .collect();
    let mut json = serde_json::to_string_pretty(&entries).expect("serializing plain strings");
    json.push('\n');
    json
}
