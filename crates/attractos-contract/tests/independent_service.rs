//! The checker on a service nobody here wrote (`independent_service/service.rs`, plain axum following
//! the published page): each rule fails at its own level and is named, findings are grouped by
//! rule, and the JUnit report is well-formed.

mod service;

use attractos_contract::fixtures::Fixtures;
use attractos_contract::report;
use attractos_contract::rule::{Level, Rule};
use attractos_contract::run::{self, Report, Suite};
use attractos_contract::target::AxumTarget;
use service::{Mutation, SECRET};

async fn check(mutations: &[Mutation], level: Level) -> Report {
    let target = AxumTarget::new("independent", service::router(mutations));
    let suite = Suite::new(Fixtures::reference()).at_level(level);
    run::run(&target, &suite, |_| {}).await
}

/// The rules whose findings fail `report`.
fn failing_rules(report: &Report) -> Vec<&'static str> {
    report
        .findings_by_rule
        .iter()
        .filter(|g| g.fails)
        .map(|g| g.rule)
        .collect()
}

/// One broken rule per mutant of the correct service: the rule it must be caught by, and the
/// level that rule belongs to (the lowest `--level` that fails the mutant).
const MUTANTS: &[(Mutation, Rule, Level)] = &[
    (Mutation::NoAllowOn405, Rule::AllowOn405, Level::Http),
    (
        Mutation::NoWwwAuthenticate,
        Rule::WwwAuthenticateOn401,
        Level::Http,
    ),
    (
        Mutation::ForeignSiteOwnMessage,
        Rule::SiteNotFoundIndistinguishable,
        Level::Contract,
    ),
    (
        Mutation::RetryAfterOn400,
        Rule::RetryAfterField,
        Level::Contract,
    ),
    (
        Mutation::RetryAfterHeaderDiffers,
        Rule::RetryAfterHeader,
        Level::Http,
    ),
    (
        Mutation::LowercaseCode,
        Rule::CatalogueCode,
        Level::Contract,
    ),
    (
        Mutation::ExtraBodyField,
        Rule::NoExtraFields,
        Level::Contract,
    ),
    (
        Mutation::CustomServerErrorMessage,
        Rule::ServerErrorMessage,
        Level::Contract,
    ),
    (
        Mutation::LeakedSecret,
        Rule::ServerErrorMessage,
        Level::Contract,
    ),
    (
        Mutation::WeeklyGranularityOk,
        Rule::ExpectedAnswer,
        Level::Contract,
    ),
    (
        Mutation::WrongStatusForCode,
        Rule::StatusMatchesCode,
        Level::Contract,
    ),
    (
        Mutation::TextPlainErrors,
        Rule::JsonContentType,
        Level::Contract,
    ),
    (
        Mutation::CacheableErrors,
        Rule::CacheControlNoStore,
        Level::Recommended,
    ),
    (
        Mutation::RequestIdNotEchoed,
        Rule::RequestId,
        Level::Recommended,
    ),
    (Mutation::NoHouseHeaders, Rule::Nosniff, Level::Recommended),
    (
        Mutation::RateLimitMalformed,
        Rule::RateLimitFields,
        Level::Recommended,
    ),
    (
        Mutation::RateLimitResetAfterRetry,
        Rule::RateLimitRetryAfter,
        Level::Recommended,
    ),
];

#[tokio::test]
async fn the_correct_service_passes_at_the_strictest_level() {
    let report = check(&[], Level::Recommended).await;
    assert!(report.ok(), "{}", report::table(&report));
    assert_eq!(report.warned, 0, "{}", report::table(&report));
    assert_eq!(report.skipped, 0);
}

#[tokio::test]
async fn every_mutant_fails_at_its_rules_level_naming_the_rule_and_passes_below_it() {
    let mut missed = Vec::new();
    for &(mutation, rule, level) in MUTANTS {
        assert_eq!(rule.level(), level, "{rule} is a {level} rule");
        let report = check(&[mutation], level).await;
        let failing = failing_rules(&report);
        if report.ok() || !failing.contains(&rule.id()) {
            missed.push(format!(
                "{mutation:?} at level {level}: expected {rule} among the failing rules {failing:?}\n{}",
                report::table(&report)
            ));
        }
        if let Some(below) = Level::ALL.into_iter().rev().find(|l| *l < level) {
            let report = check(&[mutation], below).await;
            let group = report.findings_by_rule.iter().find(|g| g.rule == rule.id());
            if !report.ok() || group.is_none_or(|g| g.fails) {
                missed.push(format!(
                    "{mutation:?} at level {below}: expected a pass with {rule} as a warning\n{}",
                    report::table(&report)
                ));
            }
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n\n"));
}

#[tokio::test]
async fn the_published_page_alone_passes_at_contract_and_fails_by_default_on_the_house_headers() {
    let report = check(&[Mutation::NoHouseHeaders], Level::Contract).await;
    assert!(report.ok(), "{}", report::table(&report));
    assert_eq!(
        report.warned, report.passed,
        "every case misses X-Request-Id"
    );

    let report = check(&[Mutation::NoHouseHeaders], Level::Recommended).await;
    assert_eq!(
        failing_rules(&report),
        ["cache-control-no-store", "nosniff", "request-id"]
    );
    let request_id = &report.findings_by_rule[2];
    assert_eq!(
        request_id.cases,
        report.outcomes.len(),
        "one line for every case it hit"
    );
}

#[tokio::test]
async fn real_faults_stand_out_at_contract_level_and_in_the_grouped_table() {
    let faults = [
        Mutation::NoHouseHeaders,
        Mutation::LeakedSecret,
        Mutation::WeeklyGranularityOk,
    ];
    let report = check(&faults, Level::Contract).await;
    assert_eq!(
        failing_rules(&report),
        ["expected-answer", "server-error-message"]
    );
    assert_eq!(report.failed, 2, "{}", report::table(&report));

    let target = AxumTarget::new("independent", service::router(&faults));
    let suite = Suite::new(Fixtures::reference())
        .at_level(Level::Contract)
        .forbid(SECRET);
    let forbidden = run::run(&target, &suite, |_| {}).await;
    assert_eq!(
        failing_rules(&forbidden),
        ["expected-answer", "server-error-message", "forbidden-text"]
    );

    let report = check(&faults, Level::Recommended).await;
    insta::assert_snapshot!("grouped_table", report::table(&report));
}

#[tokio::test]
async fn junit_has_a_testcase_per_case_and_a_failure_per_failed_case() {
    let faults = [Mutation::NoHouseHeaders, Mutation::WeeklyGranularityOk];
    // A name that needs escaping, and the cases whose names start with "invalid-".
    let target = AxumTarget::new("independent <&\"'>", service::router(&faults));
    let suite = Suite::new(Fixtures::reference())
        .at_level(Level::Http)
        .only("invalid-");
    let report = run::run(&target, &suite, |_| {}).await;
    let xml = report::junit(std::slice::from_ref(&report), Level::Http);
    junit::validate(&xml);
    let document = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suite_name = document.descendants().find(|n| n.has_tag_name("testsuite"));
    assert_eq!(
        suite_name.and_then(|n| n.attribute("name")),
        Some("independent <&\"'>")
    );
    let cases: Vec<_> = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), report.outcomes.len());
    let failed: Vec<&str> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .filter_map(|c| c.attribute("name"))
        .collect();
    assert_eq!(failed, ["invalid-granularity"]);
    insta::assert_snapshot!("junit", xml);
}

#[tokio::test]
async fn junit_validates_against_the_junit_schema_with_xmllint() {
    let faults = [Mutation::NoHouseHeaders, Mutation::LeakedSecret];
    let skipping = Suite::new(
        Fixtures::default().with_key(attractos_contract::fixtures::KeyRef::Free, "ak_demo_free"),
    );
    let target = AxumTarget::new("independent <&\"'>", service::router(&faults));
    let reports = [
        check(&faults, Level::Contract).await,
        run::run(&target, &skipping, |_| {}).await,
    ];
    assert!(
        reports[1].skipped > 0,
        "the second report has skipped cases"
    );
    let xml = report::junit(&reports, Level::Contract);
    let dir = std::env::temp_dir().join(format!("attractos-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("report.xml");
    std::fs::write(&file, &xml).expect("the report is written");
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/independent_service/junit.xsd"
    );
    let output = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", schema])
        .arg(&file)
        .output()
        .unwrap_or_else(|err| {
            panic!("xmllint is needed to validate the JUnit report ({err}): apt-get install libxml2-utils")
        });
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "xmllint rejects the report:\n{}\n{xml}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The JUnit XML schema CI systems read (Ant's format as Jenkins and GitLab take it), checked
/// with a real XML parser: element nesting, required attributes, and counts that add up.
mod junit {
    use roxmltree::{Document, Node};

    pub fn validate(xml: &str) {
        let document = Document::parse(xml).expect("well-formed XML");
        let root = document.root_element();
        assert!(root.has_tag_name("testsuites"), "the root is <testsuites>");
        let mut total = (0, 0);
        for suite in elements(root) {
            assert!(
                suite.has_tag_name("testsuite"),
                "<testsuites> holds only <testsuite>"
            );
            for required in ["name", "tests", "failures", "errors"] {
                assert!(
                    suite.attribute(required).is_some(),
                    "<testsuite> needs {required}"
                );
            }
            let (mut tests, mut failures, mut skipped) = (0, 0, 0);
            for case in elements(suite) {
                assert!(
                    matches!(
                        case.tag_name().name(),
                        "testcase" | "properties" | "system-out" | "system-err"
                    ),
                    "unexpected <{}> in <testsuite>",
                    case.tag_name().name()
                );
                if !case.has_tag_name("testcase") {
                    continue;
                }
                tests += 1;
                assert!(case.attribute("name").is_some(), "<testcase> needs a name");
                for child in elements(case) {
                    match child.tag_name().name() {
                        "failure" => failures += 1,
                        "skipped" => skipped += 1,
                        "error" | "system-out" | "system-err" => {}
                        other => panic!("unexpected <{other}> in <testcase>"),
                    }
                    assert!(
                        elements(child).next().is_none(),
                        "<{}> holds text only",
                        child.tag_name().name()
                    );
                }
            }
            assert_eq!(count(suite, "tests"), tests, "tests= counts the testcases");
            assert_eq!(
                count(suite, "failures"),
                failures,
                "failures= counts the failures"
            );
            assert_eq!(
                suite
                    .attribute("skipped")
                    .map_or(0, |s| s.parse().expect("a number")),
                skipped
            );
            total.0 += tests;
            total.1 += failures;
        }
        assert_eq!(
            (count(root, "tests"), count(root, "failures")),
            total,
            "totals add up"
        );
    }

    fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
        node.children().filter(Node::is_element)
    }

    fn count(node: Node<'_, '_>, attribute: &str) -> usize {
        node.attribute(attribute)
            .unwrap_or_else(|| panic!("<{}> needs {attribute}", node.tag_name().name()))
            .parse()
            .expect("a count")
    }
}
