//! Once a docs base URL is set, every error links its section (its own test binary: the
//! setting is per process).

use attractos_errors::{ApiError, DocsLinkError, ErrorCode, HeaderText, set_docs_base_url};

#[test]
fn every_error_links_its_section_once_the_base_url_is_set() {
    assert!(
        ApiError::invalid_key()
            .headers()
            .all(|(name, _)| name != "link")
    );
    assert_eq!(
        set_docs_base_url("not a url"),
        Err(DocsLinkError::InvalidUrl)
    );
    assert_eq!(
        set_docs_base_url("https://x.example/#frag"),
        Err(DocsLinkError::InvalidUrl)
    );
    set_docs_base_url("https://docs.attractos.com/errors").unwrap();
    assert_eq!(
        set_docs_base_url("https://other.example"),
        Err(DocsLinkError::AlreadySet)
    );

    for &code in ErrorCode::ALL {
        let err = attractos_errors::docs::example(code);
        let links: Vec<HeaderText> = err
            .headers()
            .filter(|(name, _)| *name == "link")
            .map(|(_, v)| v)
            .collect();
        let expected = format!(
            "<https://docs.attractos.com/errors#{}>; rel=\"help\"",
            code.anchor()
        );
        assert_eq!(
            links,
            [HeaderText::Static(Box::leak(expected.into_boxed_str()))],
            "{code}"
        );
    }
}
