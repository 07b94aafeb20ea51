//! The behaviour both adapters must have, each check an `async fn(Framework)` on the test
//! service ([`crate::service`]) or on a small app of its own. [`crate::conformance_suite!`]
//! runs every check as a `#[test]`.

pub mod bearer_key;
pub mod body_limit;
pub mod date_range;
pub mod docs_link;
pub mod domain_errors;
pub mod example;
pub mod json_body;
pub mod limits;
pub mod logging;
pub mod other_layers;
pub mod panics;
pub mod properties;
pub mod query;
pub mod request_id;
pub mod routing;
pub mod site_id;
pub mod snapshots;

/// A `#[test]` per check, in a module per area, on one framework (`Axum` or `Actix`).
#[macro_export]
macro_rules! conformance_suite {
    ($framework:ident) => {
        $crate::__conformance_tests! { $framework;
            bearer_key: a_bearer_key_is_accepted_with_the_scheme_in_any_case,
                no_header_is_missing_key_with_a_plain_challenge, another_scheme_is_invalid_key,
                an_empty_key_is_invalid_key, a_key_with_non_visible_ascii_is_invalid_key,
                an_overlong_key_is_invalid_key, several_authorization_headers_are_invalid_key,
                a_well_formed_but_unknown_key_is_the_handlers_invalid_key;
            date_range: a_valid_range_reaches_the_handler, a_malformed_date_is_invalid,
                a_day_that_does_not_exist_is_invalid, a_missing_date_is_invalid,
                a_reversed_range_is_invalid, a_repeated_parameter_is_invalid,
                percent_encoded_dates_are_decoded_first;
            body_limit: a_content_length_over_the_limit_is_refused_on_any_route,
                a_body_exactly_at_the_limit_is_read,
                a_streamed_body_over_the_limit_is_refused_while_reading, the_limit_is_configurable;
            docs_link: every_error_links_its_section_under_a_contract_with_a_docs_base_url;
            domain_errors: question_mark_converts_domain_errors;
            json_body: a_valid_document_reaches_the_handler,
                a_document_in_chunks_without_a_length_reaches_the_handler,
                json_content_types_with_parameters_and_suffixes_are_accepted,
                a_syntax_error_names_its_line_and_column, a_truncated_document_says_where_it_ends,
                wrong_types_and_missing_fields_are_invalid_json,
                a_missing_or_other_content_type_is_invalid_json,
                a_body_that_is_not_utf8_is_invalid_json, an_empty_body_is_invalid_json,
                a_body_cut_short_is_invalid_json_with_the_cause_kept_out;
            limits: a_valid_key_is_admitted_with_the_ratelimit_fields,
                past_its_rate_a_key_is_rate_limited_with_the_rate_alone,
                refused_keys_count_until_the_address_is_rate_limited_whatever_key,
                a_key_store_failure_is_server_error_and_counts_against_nobody,
                past_the_quota_events_are_limit_exceeded_until_the_cycle_ends,
                a_route_outside_the_limit_glue_is_server_error_with_the_cause_logged;
            logging: a_server_error_logs_its_cause_chain_with_the_request_id_once,
                a_domain_errors_source_chain_is_logged,
                a_panic_logs_its_message_once_inside_the_span,
                a_client_error_is_one_debug_line_with_the_request_id,
                a_generated_request_id_is_the_one_logged,
                the_request_id_is_on_the_error_line_even_when_only_errors_are_logged,
                a_success_logs_no_error,
                a_client_errors_cause_is_logged_at_debug_level_with_its_chain,
                another_layers_answer_sent_as_server_error_is_a_warning_with_its_status;
            other_layers: a_plain_429_keeps_its_retry_after, bare_statuses_map_to_their_codes,
                json_error_responses_and_successes_pass_untouched;
            panics: every_kind_of_panic_is_server_error_and_the_service_serves_on;
            query: a_query_that_deserializes_reaches_the_handler,
                a_query_that_does_not_deserialize_is_invalid_date_range,
                a_handler_can_still_refuse_a_valid_query;
            request_id: the_clients_id_is_echoed_on_success_and_on_every_kind_of_error,
                without_one_each_response_gets_a_fresh_uuid_v4;
            routing: an_unknown_path_is_not_found_whatever_the_method,
                a_wrong_method_is_method_not_allowed_with_allow;
            site_id: a_site_id_reaches_the_handler_decoded_and_trimmed,
                a_refused_site_id_gets_its_code, a_route_without_the_parameter_is_missing_site_id;
            snapshots: every_code_with_its_default_message, a_specific_message,
                an_internal_cause_is_not_sent, an_unknown_route, a_wrong_method,
                a_body_over_the_default_limit, a_panicking_handler;
        }
        // Properties run their own runtimes, one per generated request.
        mod properties {
            $crate::__conformance_properties! { $framework;
                any_json_body, any_authorization_value, any_query_string,
                any_query_string_for_a_typed_query, any_path_segment
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($framework:ident; $($area:ident: $($check:ident),+;)+) => {
        $(
            mod $area {
                $(
                    #[test]
                    fn $check() {
                        let framework = $crate::Framework::$framework;
                        framework.block_on($crate::checks::$area::$check(framework));
                    }
                )+
            }
        )+
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_properties {
    ($framework:ident; $($check:ident),+) => {
        $(
            #[test]
            fn $check() {
                $crate::checks::properties::$check($crate::Framework::$framework);
            }
        )+
    };
}
