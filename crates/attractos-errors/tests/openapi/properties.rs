//! For any message and retry_after, what `ApiError::to_bytes` writes validates against the
//! `ErrorBody` schema and against its status's `ErrorResponses` schema; for any set of codes,
//! each response allows exactly that set's codes of its status.

use std::sync::LazyLock;

use attractos_errors::openapi::ErrorResponses;
use attractos_errors::{ApiError, ErrorCode};
use jsonschema::Validator;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::support::{body_validator, response_schema, responses_json, validator};

static BODY: LazyLock<Validator> = LazyLock::new(body_validator);

/// The validator of every status's response in `ErrorResponses::all()`, by status.
static ALL: LazyLock<Vec<(u16, Validator)>> = LazyLock::new(|| {
    let responses = responses_json(&ErrorResponses::all());
    responses
        .as_object()
        .unwrap()
        .keys()
        .map(|status| {
            let status: u16 = status.parse().unwrap();
            (status, validator(&response_schema(&responses, status)))
        })
        .collect()
});

fn api_error() -> impl Strategy<Value = ApiError> {
    crate::common::api_error(prop_oneof![
        1 => Just(None),
        3 => any::<String>().prop_map(Some),
        2 => "[\"\\\\\\x00-\\x1f🦀é ]{0,32}".prop_map(Some),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_body_a_server_writes_is_valid(err in api_error()) {
        let body: Value = serde_json::from_slice(&err.to_bytes()).unwrap();
        let verdict = BODY.validate(&body).err().map(|e| e.to_string());
        prop_assert_eq!(verdict, None, "ErrorBody schema rejected {}", body);
        let status = err.code().status().as_u16();
        let (_, response) = ALL.iter().find(|(s, _)| *s == status).unwrap();
        let verdict = response.validate(&body).err().map(|e| e.to_string());
        prop_assert_eq!(verdict, None, "the {} response schema rejected {}", status, body);
    }

    #[test]
    fn each_response_lists_exactly_the_chosen_codes_of_its_status(
        chosen in proptest::sample::subsequence(ErrorCode::ALL, 0..=ErrorCode::ALL.len()).prop_shuffle()
    ) {
        let responses = responses_json(&ErrorResponses::of(&chosen));
        let mut statuses: Vec<u16> = chosen.iter().map(|c| c.status().as_u16()).collect();
        statuses.sort_unstable();
        statuses.dedup();
        let keys: Vec<u16> = responses.as_object().unwrap().keys().map(|k| k.parse().unwrap()).collect();
        prop_assert_eq!(&keys, &statuses, "one response per status of {:?}", chosen);
        for status in statuses {
            let expected: Vec<&str> = ErrorCode::ALL
                .iter()
                .filter(|c| chosen.contains(c) && c.status().as_u16() == status)
                .map(|c| c.as_str())
                .collect();
            prop_assert_eq!(
                &response_schema(&responses, status)["properties"]["code"]["enum"],
                &json!(expected),
                "codes of the {} response for {:?}", status, chosen
            );
        }
    }
}
