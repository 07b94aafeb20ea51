//! Rendering reports: a readable table per target, or JSON.
//!
//! ```
//! use attractos_contract::judge::Verdict;
//! use attractos_contract::report::table;
//! use attractos_contract::run::{Outcome, Report};
//!
//! let outcome = Outcome {
//!     case: "missing-key".into(), expected: "401 MISSING_KEY".into(),
//!     got: "401 MISSING_KEY".into(), request: "GET /api/v1/sites".into(),
//!     verdict: Verdict::Pass { reason: "ok".into() }, response: None,
//! };
//! let text = table(&Report::new("demo", vec![outcome]));
//! assert!(text.contains("missing-key"));
//! assert!(text.ends_with("demo: 1 passed, 0 failed\n"));
//! ```

use std::fmt::Write as _;

use crate::run::Report;

/// The table of one report: a header line, one row per case (case, expected, got, verdict),
/// the reasons of each failure and skip indented under its row, then `TARGET: N passed, M failed`.
pub fn table(report: &Report) -> String {
    let headers = ["CASE", "EXPECTED", "GOT", "VERDICT"];
    let rows: Vec<[&str; 4]> = report
        .outcomes
        .iter()
        .map(|o| {
            [
                o.case.as_str(),
                o.expected.as_str(),
                o.got.as_str(),
                o.verdict.label(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "== {}", report.target);
    let line = |out: &mut String, cells: [&str; 4]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i == 3 {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(&mut out, headers);
    for (row, outcome) in rows.into_iter().zip(&report.outcomes) {
        line(&mut out, row);
        if !outcome.verdict.is_pass() {
            let _ = writeln!(out, "    {}", outcome.request);
            for reason in outcome.verdict.reasons() {
                let _ = writeln!(out, "    - {reason}");
            }
        }
    }
    let _ = writeln!(out, "{}: {}", report.target, report.summary());
    out
}

/// Every report as one JSON document: `{"ok": bool, "targets": [report, …]}`, each report with
/// its counts and one object per case (case, expected, got, verdict, reasons, request).
pub fn json(reports: &[Report]) -> String {
    #[derive(serde::Serialize)]
    struct Document<'a> {
        ok: bool,
        targets: &'a [Report],
    }
    let document = Document {
        ok: reports.iter().all(Report::ok),
        targets: reports,
    };
    let mut text = serde_json::to_string_pretty(&document).expect("a report serializes to JSON");
    text.push('\n');
    text
}
