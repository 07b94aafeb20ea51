//! `docs/` is generated from the catalogue; this fails when a committed file drifts.
//! Regenerate with `UPDATE_DOCS=1 cargo test -p attractos-errors --test suite generated_docs`.

use std::path::PathBuf;

use attractos_errors::{ErrorCode, docs};

fn check(file: &str, generated: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(file);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/{file} differs from the catalogue; run UPDATE_DOCS=1 cargo test -p attractos-errors --test suite generated_docs"
    );
}

#[test]
fn error_codes_md_matches_the_catalogue() {
    check("error-codes.md", &docs::markdown());
}

#[test]
fn catalogue_json_matches_the_catalogue() {
    check("catalogue.json", &docs::catalogue_json());
}

#[test]
fn the_page_has_a_section_with_anchor_message_and_fix_for_every_code() {
    let page = docs::markdown();
    for code in ErrorCode::ALL {
        assert!(
            page.contains(&format!("<a id=\"{}\"></a>", code.anchor())),
            "{code}"
        );
        assert!(
            page.contains(&format!("### {} {}", code, code.status().as_u16())),
            "{code}"
        );
        assert!(page.contains(code.message()), "{code}");
        assert!(page.contains(&format!("Fix: {}", code.fix())), "{code}");
    }
    for (question, answer) in docs::FAQ {
        assert!(page.contains(question) && page.contains(answer));
    }
}

#[test]
fn the_json_catalogue_lists_every_code_in_order() {
    let entries: Vec<serde_json::Value> = serde_json::from_str(&docs::catalogue_json()).unwrap();
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names, expected);
    for (entry, code) in entries.iter().zip(ErrorCode::ALL) {
        assert_eq!(entry["status"], code.status().as_u16());
        assert_eq!(entry["message"], code.message());
        assert_eq!(entry["fix"], code.fix());
        assert_eq!(entry["retryable"], code.retry().is_retryable());
    }
}

#[test]
fn each_codes_section_lists_the_exact_headers_its_error_is_sent_with() {
    let page = docs::markdown();
    for &code in ErrorCode::ALL {
        let start = page
            .find(&format!("### {} ", code.as_str()))
            .unwrap_or_else(|| panic!("{code}: no section"));
        let section = &page[start..];
        let section = &section[..section[4..]
            .find("\n#")
            .map_or(section.len(), |end| end + 4)];
        let listed: Vec<String> = docs::example(code)
            .headers()
            .map(|(name, value)| format!("- `{name}: {value}`"))
            .collect();
        assert!(
            section.contains(&listed.join("\n")),
            "{code}: the section lists {listed:?} in order:\n{section}"
        );
    }
    // The general paragraph states the challenges as sent, not an abbreviation of them.
    for code in [ErrorCode::MissingKey, ErrorCode::InvalidKey] {
        let challenge = code.challenge().expect("a 401 has a challenge");
        assert!(
            page.contains(&format!("`www-authenticate: {challenge}` ({code})")),
            "{code}: {challenge}"
        );
    }
}
