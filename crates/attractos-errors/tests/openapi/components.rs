//! `add_components` and the `ErrorComponents` modifier put the `ErrorBody` schema into a
//! document, next to whatever components it already has.

use attractos_errors::ErrorBody;
use attractos_errors::openapi::{ERROR_BODY, ErrorComponents, add_components};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApiBuilder, Paths};
use utoipa::{OpenApi, ToSchema};

use super::support::body_schema;

#[test]
fn the_component_is_named_error_body() {
    assert_eq!(ERROR_BODY, "ErrorBody");
    assert_eq!(<ErrorBody as ToSchema>::name(), ERROR_BODY);
}

#[test]
fn add_components_adds_the_schema_and_keeps_the_others() {
    let mut doc = OpenApiBuilder::new()
        .info(InfoBuilder::new().title("t").version("1").build())
        .paths(Paths::new())
        .components(Some(
            ComponentsBuilder::new()
                .schema("Site", ObjectBuilder::new().schema_type(Type::Object))
                .build(),
        ))
        .build();
    add_components(&mut doc);
    let json = serde_json::to_value(&doc).unwrap();
    assert_eq!(json["components"]["schemas"][ERROR_BODY], body_schema());
    assert_eq!(json["components"]["schemas"]["Site"]["type"], "object");
}

#[test]
fn add_components_creates_the_components_object_when_missing() {
    let mut doc = OpenApiBuilder::new().paths(Paths::new()).build();
    assert!(doc.components.is_none());
    add_components(&mut doc);
    let json = serde_json::to_value(&doc).unwrap();
    assert_eq!(json["components"]["schemas"][ERROR_BODY], body_schema());
}

#[test]
fn the_modifier_does_the_same_in_a_derived_document() {
    #[derive(OpenApi)]
    #[openapi(modifiers(&ErrorComponents))]
    struct ApiDoc;

    let json = serde_json::to_value(ApiDoc::openapi()).unwrap();
    assert_eq!(json["openapi"], "3.1.0");
    assert_eq!(json["components"]["schemas"][ERROR_BODY], body_schema());
}

#[test]
fn deriving_with_the_schema_type_gives_the_same_component() {
    #[derive(OpenApi)]
    #[openapi(components(schemas(ErrorBody)))]
    struct ApiDoc;

    let json = serde_json::to_value(ApiDoc::openapi()).unwrap();
    assert_eq!(json["components"]["schemas"][ERROR_BODY], body_schema());
}
