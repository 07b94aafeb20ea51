//! `attractos-contract cases`: what the fixed cases send and expect.

use attractos_contract::case;
use clap::ValueEnum;

/// Output format of `cases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Two lines per case: name, expected answer, request; then what it shows.
    Table,
    /// One JSON array on stdout.
    Json,
}

/// The fixed cases in `format`.
pub(crate) fn list(format: Format) -> String {
    let cases = case::fixed();
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = cases
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "name": c.name,
                        "about": c.about,
                        "method": c.request.method.as_str(),
                        "path": c.request.path,
                        "needs": c.request.needs().iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "expected": c.expect.to_string(),
                        "same_answer_as": c.same_answer_as,
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&rows).expect("plain JSON values");
            text.push('\n');
            text
        }
        Format::Table => {
            let width = cases.iter().map(|c| c.name.len()).max().unwrap_or(0);
            let mut out = String::new();
            for c in &cases {
                out.push_str(&format!(
                    "{:<width$}  {:<22}  {} {}\n{:<width$}  {}\n",
                    c.name,
                    c.expect.to_string(),
                    c.request.method,
                    c.request.path,
                    "",
                    c.about,
                ));
            }
            out
        }
    }
}
