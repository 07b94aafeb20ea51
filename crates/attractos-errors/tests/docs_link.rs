//! A [`Contract`] with a docs base URL links every code's section of the reference page; the
//! setting belongs to the contract, so two contracts in one process link their own pages.

use attractos_errors::{Contract, DocsLinkError, ErrorCode};

#[test]
fn a_docs_base_url_must_be_an_absolute_url_without_a_fragment() {
    for bad in [
        "",
        "not a url",
        "https://x.example/#frag",
        "https://x.example/<a>",
    ] {
        assert_eq!(
            Contract::new().with_docs_base_url(bad).err(),
            Some(DocsLinkError::InvalidUrl),
            "{bad:?}"
        );
    }
}

#[test]
fn every_code_links_its_own_section_of_its_contracts_page() {
    let plain = Contract::new();
    let docs = Contract::new()
        .with_docs_base_url("https://docs.attractos.com/errors")
        .unwrap();
    let other = Contract::new()
        .with_docs_base_url("https://other.example/codes")
        .unwrap();
    for &code in ErrorCode::ALL {
        assert_eq!(plain.docs_link(code), None, "{code}: no base URL, no link");
        assert_eq!(
            docs.docs_link(code),
            Some(
                format!(
                    "<https://docs.attractos.com/errors#{}>; rel=\"help\"",
                    code.anchor()
                )
                .as_str()
            ),
            "{code}"
        );
        assert_eq!(
            other.docs_link(code),
            Some(
                format!(
                    "<https://other.example/codes#{}>; rel=\"help\"",
                    code.anchor()
                )
                .as_str()
            ),
            "{code}"
        );
    }
}

#[test]
fn the_link_is_in_force_only_inside_its_contracts_scope() {
    let docs = Contract::new()
        .with_docs_base_url("https://docs.attractos.com/errors")
        .unwrap();
    let code = ErrorCode::InvalidKey;
    assert_eq!(
        attractos_errors::__docs_link(code),
        None,
        "outside any scope"
    );
    docs.__in_scope(|| {
        let link = attractos_errors::__docs_link(code).expect("inside the scope");
        assert_eq!(Some(&*link), docs.docs_link(code).map(str::as_bytes));
        Contract::new().__in_scope(|| {
            assert_eq!(
                attractos_errors::__docs_link(code),
                None,
                "an inner contract without docs"
            );
        });
        assert!(
            attractos_errors::__docs_link(code).is_some(),
            "restored after the inner scope"
        );
    });
    assert_eq!(
        attractos_errors::__docs_link(code),
        None,
        "restored after the scope"
    );
}

#[test]
fn request_ids_are_echoed_when_short_visible_ascii_else_made_anew() {
    let contract = Contract::new().with_request_id_max_len(8);
    assert_eq!(&*contract.request_id(Some(b"abc-123")), b"abc-123");
    for rejected in [
        &b""[..],
        b"has space",
        b"123456789",
        b"caf\xc3\xa9",
        b"tab\there",
    ] {
        let id = contract.request_id(Some(rejected));
        assert_ne!(&*id, rejected, "{rejected:?} is replaced");
        assert_eq!(id.len(), 36, "{rejected:?}: a hyphenated UUID");
    }
    assert_ne!(
        contract.request_id(None),
        contract.request_id(None),
        "each new id is fresh"
    );
}
