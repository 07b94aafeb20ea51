//! actix glue: actix-web renders the newtype handlers return with the contract (its `ResponseError` defaults, a 500 with the `Display` text, are
//! both overridden). (`?` on domain errors is in the conformance suite.)

use actix_web::{ResponseError, body::to_bytes};
use attractos_errors::{ApiError as CoreError, ErrorCode, RetryAfter};
use attractos_errors_actix::ApiError;

#[actix_web::test]
async fn status_code_and_error_response_are_the_contracts() {
    for code in ErrorCode::ALL {
        let err = ApiError(attractos_errors::docs::example(*code));
        assert_eq!(err.status_code().as_u16(), code.status().as_u16(), "{code}");
        let response = err.error_response();
        assert_eq!(response.status().as_u16(), code.status().as_u16(), "{code}");
        let body = to_bytes(response.into_body()).await.expect("a body");
        assert_eq!(body, err.to_bytes(), "{code}");
    }
}

#[actix_web::test]
async fn headers_are_the_cores_contract_headers() {
    let err = ApiError(CoreError::rate_limited(RetryAfter::from_secs(12)));
    let response = err.error_response();
    let names: Vec<&str> = response
        .headers()
        .keys()
        .map(|name| name.as_str())
        .collect();
    for (name, value) in err.headers() {
        assert!(names.contains(&name), "{name} missing");
        assert_eq!(
            response
                .headers()
                .get(name)
                .expect("present")
                .to_str()
                .expect("ASCII"),
            value.to_string()
        );
    }
    assert_eq!(
        response.headers().get("retry-after").expect("present"),
        "12"
    );
}
