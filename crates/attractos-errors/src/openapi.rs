//! The contract, machine-readable: OpenAPI 3.1 schemas and responses for [utoipa] 5, and the
//! JSON Schema (2020-12) of the body. Everything is generated from [`ErrorCode::ALL`] and its
//! accessors, and every example is a real [`ApiError::to_bytes`](crate::ApiError::to_bytes) body
//! ([`docs::example`]). Needs the `openapi` feature.
//!
//! - [`ErrorBody`] implements [`utoipa::ToSchema`]: `error` and `code` required strings, `code`
//!   one of the catalogue's codes, `retry_after` (integer >= 1) required on the 429 codes and
//!   forbidden on all others (`oneOf` of two closed objects), one example per code.
//! - [`ErrorResponses`] builds one response per status for the codes a handler can answer with:
//!   a schema narrowed to those codes, a named example per code, and the headers the adapters
//!   send. [`error_responses!`](crate::error_responses) turns a list of codes into a type for
//!   `#[utoipa::path(responses(...))]`.
//! - [`add_components`] / [`ErrorComponents`] put the `ErrorBody` schema into a document;
//!   [`json_schema`] is `docs/error-body.schema.json`.
//!
//! With utoipa's macros:
//!
//! ```
//! use attractos_errors::openapi::ErrorComponents;
//! use utoipa::OpenApi;
//!
//! attractos_errors::error_responses! {
//!     /// The errors `GET /api/v1/sites` can answer with.
//!     pub SitesErrors = [MissingKey, InvalidKey, UserNotFound, RateLimited, ServerError];
//! }
//!
//! /// Lists the caller's sites.
//! #[utoipa::path(
//!     get,
//!     path = "/api/v1/sites",
//!     responses((status = 200, description = "The caller's sites"), SitesErrors)
//! )]
//! fn list_sites() {}
//!
//! #[derive(OpenApi)]
//! #[openapi(paths(list_sites), modifiers(&ErrorComponents))]
//! struct ApiDoc;
//!
//! let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
//! let responses = &doc["paths"]["/api/v1/sites"]["get"]["responses"];
//! let unauthorized = &responses["401"]["content"]["application/json"];
//! assert_eq!(
//!     unauthorized["schema"]["properties"]["code"]["enum"],
//!     serde_json::json!(["MISSING_KEY", "INVALID_KEY", "USER_NOT_FOUND"])
//! );
//! assert_eq!(unauthorized["examples"]["INVALID_KEY"]["value"]["code"], "INVALID_KEY");
//! assert!(responses["401"]["headers"]["WWW-Authenticate"].is_object());
//! assert_eq!(responses["429"]["headers"]["Retry-After"]["schema"]["minimum"], 1);
//! assert!(doc["components"]["schemas"]["ErrorBody"]["oneOf"].is_array());
//! ```
//!
//! Or building the document in code:
//!
//! ```
//! use attractos_errors::ErrorCode;
//! use attractos_errors::openapi::{ErrorResponses, add_components};
//! use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
//! use utoipa::openapi::{InfoBuilder, OpenApiBuilder, PathsBuilder, ResponseBuilder};
//!
//! let errors = ErrorResponses::of(&[ErrorCode::MissingKey, ErrorCode::SiteNotFound])
//!     .with(ErrorCode::InvalidDateRange);
//! let mut stats = OperationBuilder::new()
//!     .response("200", ResponseBuilder::new().description("The site's stats"))
//!     .build();
//! stats.responses.responses.extend(errors);
//! let mut doc = OpenApiBuilder::new()
//!     .info(InfoBuilder::new().title("AttractOS API").version("1").build())
//!     .paths(PathsBuilder::new().path(
//!         "/api/v1/sites/{siteId}/stats",
//!         PathItem::new(HttpMethod::Get, stats),
//!     ))
//!     .build();
//! add_components(&mut doc);
//!
//! let json = serde_json::to_value(&doc).unwrap();
//! let responses = &json["paths"]["/api/v1/sites/{siteId}/stats"]["get"]["responses"];
//! let statuses: Vec<&String> = responses.as_object().unwrap().keys().collect();
//! assert_eq!(statuses, ["200", "400", "401", "403"]);
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{
    Components, ContentBuilder, OpenApi, RefOr, Response, ResponseBuilder, Responses,
};
use utoipa::{Modify, PartialSchema, ToSchema};

pub use utoipa;

use crate::{ErrorBody, ErrorCode, HeaderText, docs, header_names};

/// The name of the body's component schema: `#/components/schemas/ErrorBody`.
pub const ERROR_BODY: &str = "ErrorBody";

/// The JSON Schema dialect of [`json_schema`], which OpenAPI 3.1 schemas also use.
pub const JSON_SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The one media type error bodies are sent as.
const JSON: &str = "application/json";

impl PartialSchema for ErrorBody {
    /// Every body the contract allows: `oneOf` a closed object for the codes without
    /// `retry_after` and a closed object for the 429 codes, which require it.
    fn schema() -> RefOr<Schema> {
        body_schema(ErrorCode::ALL).into()
    }
}

impl ToSchema for ErrorBody {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(ERROR_BODY)
    }
}

/// The schema of the bodies that carry one of `codes` (not empty), with one example per code.
fn body_schema(codes: &[ErrorCode]) -> Schema {
    let (throttled, plain): (Vec<ErrorCode>, Vec<ErrorCode>) =
        codes.iter().partition(|code| code.carries_retry_after());
    let examples = codes.iter().map(|&code| example_body(code));
    match (plain.is_empty(), throttled.is_empty()) {
        (false, false) => OneOfBuilder::new()
            .title(Some("AttractOS error body"))
            .description(Some(
                "Every AttractOS error response body: `error`, a human-readable message, and \
                 `code`, the catalogue code to match on; rate-limit (429) errors add \
                 `retry_after`, and no other error carries it.",
            ))
            .item(variant(&plain))
            .item(variant(&throttled))
            .examples(examples)
            .into(),
        _ => {
            let mut object = variant(codes);
            if let Schema::Object(object) = &mut object {
                object.examples = examples.collect();
            }
            object
        }
    }
}

/// A closed object whose `code` is one of `codes`, which all carry `retry_after` or none does.
fn variant(codes: &[ErrorCode]) -> Schema {
    let throttled = codes.first().is_some_and(|code| code.carries_retry_after());
    let mut code_list = String::from("The catalogue code to match on:\n");
    for code in codes {
        let _ = write!(
            code_list,
            "\n- `{code}` ({}): {}",
            code.status().as_u16(),
            code.message()
        );
    }
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some(if throttled {
            "Rate-limit error body"
        } else {
            "Error body"
        }))
        .property(
            "error",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "A human-readable message: the catalogue's description of the code or a \
                     more specific one. Match on `code`, not on this text.",
                )),
        )
        .required("error")
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(code_list))
                .enum_values(Some(codes.iter().map(|code| code.as_str()))),
        )
        .required("code")
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
    if throttled {
        object = object
            .property(
                "retry_after",
                seconds_schema().description(Some(
                    "Seconds to wait before retrying; the same number as the `Retry-After` \
                     header.",
                )),
            )
            .required("retry_after");
    }
    object.into()
}

/// Whole seconds as [`crate::RetryAfter`] holds them: 1 to `u32::MAX`.
fn seconds_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1u32))
        .maximum(Some(u32::MAX))
}

/// The body the reference page shows for `code`, as JSON.
fn example_body(code: ErrorCode) -> Value {
    serde_json::from_slice(&docs::example(code).to_bytes())
        .expect("ApiError::to_bytes writes a JSON object")
}

/// The error responses of one operation: one response per status, for the codes it can answer
/// with.
///
/// Each response's `application/json` schema allows exactly those codes of that status (with
/// `retry_after` on 429s), each code has a named example (its code string; summary the
/// message, description the fix), and the headers every adapter sends are declared:
/// `Cache-Control`, `X-Content-Type-Options`, `X-Request-Id`, `Link`, plus `WWW-Authenticate`
/// on 401 and `Retry-After` on 429.
///
/// ```
/// use attractos_errors::ErrorCode;
/// use attractos_errors::openapi::ErrorResponses;
///
/// let errors = ErrorResponses::of(&[ErrorCode::RateLimited, ErrorCode::MissingKey]);
/// let responses = errors.build().responses;
/// assert_eq!(responses.keys().collect::<Vec<_>>(), ["401", "429"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorResponses {
    /// In catalogue order, without duplicates.
    codes: Vec<ErrorCode>,
}

impl ErrorResponses {
    /// The responses for `codes`, in any order; duplicates are ignored.
    pub fn of(codes: &[ErrorCode]) -> Self {
        let mut codes = codes.to_vec();
        codes.sort_unstable();
        codes.dedup();
        ErrorResponses { codes }
    }

    /// The responses for every code of the catalogue.
    pub fn all() -> Self {
        Self::of(ErrorCode::ALL)
    }

    /// Adds `code`.
    pub fn with(self, code: ErrorCode) -> Self {
        let mut codes = self.codes;
        codes.push(code);
        Self::of(&codes)
    }

    /// The codes, in catalogue order.
    pub fn codes(&self) -> &[ErrorCode] {
        &self.codes
    }

    /// The utoipa responses, keyed by status (`"401"`).
    pub fn build(&self) -> Responses {
        let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
        for &code in &self.codes {
            by_status
                .entry(code.status().as_u16())
                .or_default()
                .push(code);
        }
        by_status
            .into_iter()
            .map(|(status, codes)| (status.to_string(), status_response(&codes)))
            .collect()
    }
}

/// The response for codes that share one status.
fn status_response(codes: &[ErrorCode]) -> Response {
    let status = codes[0].status();
    let names: Vec<String> = codes.iter().map(|code| format!("`{code}`")).collect();
    let mut content = ContentBuilder::new().schema(Some(body_schema_without_examples(codes)));
    for &code in codes {
        content = content.examples_from_iter([(
            code.as_str(),
            ExampleBuilder::new()
                .summary(code.message())
                .description(format!("Fix: {}", code.fix()))
                .value(Some(example_body(code))),
        )]);
    }
    let mut response = ResponseBuilder::new()
        .description(format!(
            "{}: {}.",
            status.canonical_reason().unwrap_or("Error"),
            names.join(", ")
        ))
        .content(JSON, content.build());
    for (name, header) in headers(codes) {
        response = response.header(name, header);
    }
    response.build()
}

/// The narrowed body schema of a response; its examples are the media type's named ones.
fn body_schema_without_examples(codes: &[ErrorCode]) -> Schema {
    let mut schema = body_schema(codes);
    match &mut schema {
        Schema::Object(object) => object.examples.clear(),
        Schema::OneOf(one_of) => one_of.examples.clear(),
        _ => {}
    }
    schema
}

/// The response headers of `codes`, derived from what
/// [`ApiError::headers`](crate::ApiError::headers) sends for each.
fn headers(codes: &[ErrorCode]) -> BTreeMap<String, Header> {
    // Every value each header takes across the codes, in first-seen order.
    let mut values: Vec<(&'static str, Vec<HeaderText>)> = Vec::new();
    for &code in codes {
        for (name, value) in docs::example(code).headers() {
            // OpenAPI ignores a declared Content-Type; Link is declared below, since whether it
            // is sent depends on the server's configuration, not on the code.
            if name == header_names::CONTENT_TYPE || name == header_names::LINK {
                continue;
            }
            match values.iter_mut().find(|(seen, _)| *seen == name) {
                Some((_, seen)) if !seen.contains(&value) => seen.push(value),
                Some(_) => {}
                None => values.push((name, vec![value])),
            }
        }
    }
    let mut headers = BTreeMap::new();
    for (name, texts) in values {
        let schema = if texts
            .iter()
            .all(|text| matches!(text, HeaderText::Seconds(_)))
        {
            seconds_schema()
        } else {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(texts.iter().map(ToString::to_string)))
        };
        headers.insert(
            display_name(name),
            HeaderBuilder::new()
                .schema(schema)
                .description(header_description(name))
                .build(),
        );
    }
    for name in [header_names::LINK, header_names::X_REQUEST_ID] {
        headers.insert(
            display_name(name),
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(header_description(name))
                .build(),
        );
    }
    headers
}

/// `retry-after` -> `Retry-After`, `www-authenticate` -> `WWW-Authenticate`.
fn display_name(lowercase: &str) -> String {
    lowercase
        .split('-')
        .map(|word| match word {
            "www" => "WWW".to_owned(),
            _ => {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn header_description(name: &str) -> Option<&'static str> {
    Some(match name {
        header_names::CACHE_CONTROL => "Error responses are never cached.",
        header_names::X_CONTENT_TYPE_OPTIONS => "Clients must not sniff another content type.",
        header_names::WWW_AUTHENTICATE => {
            "The Bearer challenge (RFC 6750): `error=\"invalid_token\"` unless no key was sent."
        }
        header_names::RETRY_AFTER => {
            "Seconds to wait before retrying; the same number as the body's `retry_after`."
        }
        header_names::LINK => {
            "Sent when the server has a docs base URL: `<BASE#CODE>; rel=\"help\"`, the code's \
             section of the error reference (RFC 8288)."
        }
        header_names::X_REQUEST_ID => {
            "The request's id: the client's `X-Request-Id` if it sent one, else a generated \
             UUID v4. The server's log lines for the request carry the same id."
        }
        _ => return None,
    })
}

impl From<ErrorResponses> for Responses {
    fn from(errors: ErrorResponses) -> Self {
        errors.build()
    }
}

impl From<ErrorResponses> for BTreeMap<String, RefOr<Response>> {
    fn from(errors: ErrorResponses) -> Self {
        errors.build().responses
    }
}

impl IntoIterator for ErrorResponses {
    type Item = (String, RefOr<Response>);
    type IntoIter = std::collections::btree_map::IntoIter<String, RefOr<Response>>;

    /// `(status, response)` pairs, e.g. for `operation.responses.responses.extend(errors)`.
    fn into_iter(self) -> Self::IntoIter {
        self.build().responses.into_iter()
    }
}

/// Declares a type listing the codes an operation can answer with, for
/// `#[utoipa::path(responses(...))]`: it implements [`utoipa::IntoResponses`] through
/// [`ErrorResponses`], and its `CODES` constant lists the codes.
/// Needs the `openapi` feature.
///
/// ```
/// use attractos_errors::ErrorCode;
/// use utoipa::IntoResponses;
///
/// attractos_errors::error_responses! {
///     /// The errors of `GET /api/v1/sites/{siteId}/stats`.
///     pub StatsErrors = [MissingKey, InvalidKey, SiteNotFound, InvalidDateRange, ServerError];
///     /// The errors of `POST /api/v1/events`.
///     pub EventErrors = [InvalidJson, LimitExceeded, PayloadTooLarge];
/// }
///
/// assert_eq!(StatsErrors::CODES[2], ErrorCode::SiteNotFound);
/// assert_eq!(EventErrors::responses().keys().collect::<Vec<_>>(), ["400", "413", "429"]);
/// ```
#[macro_export]
macro_rules! error_responses {
    ($(
        $(#[$meta:meta])*
        $vis:vis $name:ident = [$($code:ident),* $(,)?];
    )+) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        $vis struct $name;

        impl $name {
            /// The codes this operation can answer with.
            $vis const CODES: &'static [$crate::ErrorCode] = &[$($crate::ErrorCode::$code),*];
        }

        impl $crate::openapi::utoipa::IntoResponses for $name {
            fn responses() -> ::std::collections::BTreeMap<
                ::std::string::String,
                $crate::openapi::utoipa::openapi::RefOr<
                    $crate::openapi::utoipa::openapi::response::Response,
                >,
            > {
                $crate::openapi::ErrorResponses::of(Self::CODES).into()
            }
        }
    )+};
}

/// Adds the `ErrorBody` component schema ([`ERROR_BODY`]) to `openapi`.
pub fn add_components(openapi: &mut OpenApi) {
    openapi
        .components
        .get_or_insert_with(Components::new)
        .schemas
        .insert(ErrorBody::name().into_owned(), ErrorBody::schema());
}

/// [`add_components`] as a utoipa modifier: `#[openapi(modifiers(&ErrorComponents))]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ErrorComponents;

impl Modify for ErrorComponents {
    fn modify(&self, openapi: &mut OpenApi) {
        add_components(openapi);
    }
}

/// `docs/error-body.schema.json`: the `ErrorBody` schema as a standalone JSON Schema 2020-12
/// document, with sorted keys.
///
/// ```
/// let schema: serde_json::Value =
///     serde_json::from_str(&attractos_errors::openapi::json_schema()).unwrap();
/// assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
/// assert_eq!(schema["oneOf"][1]["required"], serde_json::json!(["error", "code", "retry_after"]));
/// ```
pub fn json_schema() -> String {
    let mut schema =
        serde_json::to_value(ErrorBody::schema()).expect("a utoipa schema serializes to JSON");
    let object = schema
        .as_object_mut()
        .expect("the ErrorBody schema is a JSON object");
    object.insert("$schema".to_owned(), JSON_SCHEMA_DIALECT.into());
    object.insert(
        "$comment".to_owned(),
        "Generated from the catalogue in crates/attractos-errors/src/code.rs. Regenerate: \
         UPDATE_DOCS=1 cargo test -p attractos-errors --features openapi --test suite openapi::"
            .into(),
    );
    canonical_json(&schema).expect("a JSON value serializes")
}

/// `value` as pretty JSON with every object's keys sorted and a final newline: the same bytes
/// whatever serde_json or utoipa features the build has, for generated files under `docs/`.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut json = serde_json::to_string_pretty(&Sorted(&value))?;
    json.push('\n');
    Ok(json)
}

/// Serializes a JSON value with sorted object keys.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    out.serialize_entry(key, &Sorted(value))?;
                }
                out.end()
            }
            Value::Array(items) => serializer.collect_seq(items.iter().map(Sorted)),
            other => other.serialize(serializer),
        }
    }
}
