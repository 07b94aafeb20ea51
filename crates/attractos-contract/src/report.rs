//! Rendering reports: a readable table per target, JSON, or JUnit XML for CI systems.
//!
//! Findings are grouped by rule, one line each with its level, how many cases it hit and
//! its first example, so a service's real violations stand out from one missing header
//! repeated in every case.
//!
//! ```
//! use attractos_contract::judge::Verdict;
//! use attractos_contract::report::table;
//! use attractos_contract::rule::{Finding, Rule};
//! use attractos_contract::run::{Outcome, Report};
//!
//! let outcome = Outcome {
//!     case: "missing-key".into(), expected: "401 MISSING_KEY".into(),
//!     got: "401 MISSING_KEY".into(), request: "GET /api/v1/sites".into(),
//!     verdict: Verdict::Pass {
//!         reason: "ok".into(),
//!         warnings: vec![Finding::new(Rule::RequestId, "no x-request-id header")],
//!     },
//!     response: None,
//! };
//! let text = table(&Report::new("demo", vec![outcome]));
//! assert!(text.contains("missing-key"));
//! assert!(text.contains("warn  recommended  request-id  1 case  GET /api/v1/sites: no x-request-id header"));
//! assert!(text.ends_with("demo: 1 passed, 0 failed; 1 passed with warnings\n"));
//! ```

use std::fmt::Write as _;

use crate::judge::Verdict;
use crate::rule::{Finding, Level, Rule};
use crate::run::{Report, RuleGroup, Stopped};

/// The table of one report: one row per case (case, expected, got, verdict with the rules
/// that failed it), under a skipped row why; then the findings grouped by rule, one line
/// each; then why the run stopped, when it stopped early; then `TARGET: N passed, M failed`.
pub fn table(report: &Report) -> String {
    let rows: Vec<[String; 4]> = report
        .outcomes
        .iter()
        .map(|o| {
            let verdict = match &o.verdict {
                Verdict::Fail { findings, .. } => format!("FAIL  {}", rule_list(findings)),
                other => other.label().to_owned(),
            };
            [o.case.clone(), o.expected.clone(), o.got.clone(), verdict]
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "== {}", report.target);
    let header = ["CASE", "EXPECTED", "GOT", "VERDICT"].map(str::to_owned);
    let widths = column_widths(std::iter::once(&header).chain(&rows));
    push_row(&mut out, &header, &widths);
    for (row, outcome) in rows.iter().zip(&report.outcomes) {
        push_row(&mut out, row, &widths);
        if let Verdict::Skip { reason } = &outcome.verdict {
            let _ = writeln!(out, "    {reason}");
        }
    }
    if !report.findings_by_rule.is_empty() {
        let _ = writeln!(out, "\nFINDINGS BY RULE");
        let lines: Vec<[String; 4]> = report.findings_by_rule.iter().map(group_cells).collect();
        let widths = column_widths(&lines);
        for (cells, group) in lines.iter().zip(&report.findings_by_rule) {
            let mut example = format!("{}: {}", group.first_request, group.first_message);
            if let Some(cite) = group.cite {
                let _ = write!(example, " ({cite})");
            }
            let mut row = cells.to_vec();
            row.push(example);
            push_row(&mut out, &row, &widths);
        }
    }
    if let Some(stopped) = &report.stopped {
        let _ = writeln!(out, "\n{}", stopped_line(stopped));
    }
    let _ = writeln!(out, "{}: {}", report.target, report.summary());
    out
}

/// `the run stopped: REASON; N cases were not run`.
fn stopped_line(stopped: &Stopped) -> String {
    let plural = if stopped.not_run == 1 {
        " was"
    } else {
        "s were"
    };
    format!(
        "the run stopped: {}; {} case{plural} not run",
        stopped.reason, stopped.not_run
    )
}

fn group_cells(group: &RuleGroup) -> [String; 4] {
    let plural = if group.cases == 1 { "" } else { "s" };
    [
        if group.fails { "FAIL" } else { "warn" }.to_owned(),
        group.level.to_string(),
        group.rule.to_owned(),
        format!("{} case{plural}", group.cases),
    ]
}

/// The rules of `findings`, once each, contract rules first.
fn rule_list(findings: &[Finding]) -> String {
    let mut rules: Vec<Rule> = findings.iter().map(|f| f.rule).collect();
    rules.sort();
    rules.dedup();
    rules.iter().map(|r| r.id()).collect::<Vec<_>>().join(", ")
}

fn column_widths<'a>(rows: impl IntoIterator<Item = &'a [String; 4]>) -> [usize; 4] {
    let mut widths = [0; 4];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    widths
}

/// Writes `cells` padded to `widths`; cells past the widths (the last column) are not padded.
fn push_row(out: &mut String, cells: &[String], widths: &[usize; 4]) {
    let mut text = String::new();
    for (i, cell) in cells.iter().enumerate() {
        match widths.get(i) {
            Some(width) if i + 1 < cells.len() => {
                let _ = write!(text, "{cell:<width$}  ");
            }
            _ => text.push_str(cell),
        }
    }
    let _ = writeln!(out, "{}", text.trim_end());
}

/// Every report as one JSON document: `{"ok": bool, "level": "...", "targets": [report, …]}`,
/// each report with its counts, its findings grouped by rule (`findings_by_rule`), one
/// object per case (case, expected, got, verdict, findings or reason, warnings, request), and
/// `stopped` (why, how many cases were not run) when the run stopped early.
pub fn json(reports: &[Report], level: Level) -> String {
    #[derive(serde::Serialize)]
    struct Document<'a> {
        ok: bool,
        level: Level,
        targets: &'a [Report],
    }
    let document = Document {
        ok: reports.iter().all(Report::ok),
        level,
        targets: reports,
    };
    let mut text = serde_json::to_string_pretty(&document).expect("a report serializes to JSON");
    text.push('\n');
    text
}

/// Every report as JUnit XML: a `<testsuite>` per target, a `<testcase>` per case (classname
/// the target), a `<failure>` per failed case listing its findings, `<skipped>` for skipped
/// cases, the warnings of a case in its `<system-out>`, and why a run stopped early in its
/// testsuite's `<system-err>`.
pub fn junit(reports: &[Report], level: Level) -> String {
    let sum = |f: fn(&Report) -> usize| reports.iter().map(f).sum::<usize>();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"attractos-contract (level {level})\" tests=\"{}\" failures=\"{}\" errors=\"0\">",
        sum(|r| r.outcomes.len()),
        sum(|r| r.failed),
    );
    for report in reports {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
            escape(&report.target),
            report.outcomes.len(),
            report.failed,
            report.skipped,
        );
        for outcome in &report.outcomes {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\"",
                escape(&outcome.case),
                escape(&report.target),
            );
            let warnings = outcome.verdict.warnings();
            if outcome.verdict.is_pass() && warnings.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            match &outcome.verdict {
                Verdict::Fail { findings, .. } => {
                    let _ = writeln!(
                        out,
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                        escape(&rule_list(findings)),
                        escape(&format!(
                            "{}: expected {}, got {}",
                            outcome.request, outcome.expected, outcome.got
                        )),
                        escape_text(&lines(findings)),
                    );
                }
                Verdict::Skip { reason } => {
                    let _ = writeln!(out, "      <skipped message=\"{}\"/>", escape(reason));
                }
                Verdict::Pass { .. } => {}
            }
            if !warnings.is_empty() {
                let _ = writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    escape_text(&format!("below level {level}:\n{}", lines(warnings)))
                );
            }
            out.push_str("    </testcase>\n");
        }
        if let Some(stopped) = &report.stopped {
            let _ = writeln!(
                out,
                "    <system-err>{}</system-err>",
                escape_text(&stopped_line(stopped))
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn lines(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Escapes text for an XML attribute; characters XML 1.0 cannot carry at all (most control
/// characters) become U+FFFD.
fn escape(text: &str) -> String {
    escape_xml(text, true)
}

/// Escapes text for an XML element's content, where line breaks stay as they are.
fn escape_text(text: &str) -> String {
    escape_xml(text, false)
}

fn escape_xml(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
