//! "This response is contract error X", for a service's own tests, on either framework.
//!
//! Turn the framework's response into a [`Response`] ([`Response::from_axum`],
//! [`Response::from_actix`]), then [`Response::assert_error`] checks the status, the exact
//! body keys (`retry_after` on the 429 codes only, equal to `Retry-After`), the JSON content
//! type and every other rule of the [judge], and hands back the body for the
//! message; [`Response::assert_error_message`] also wants the catalogue's own message.

use attractos_errors::{ErrorBody, ErrorCode};

use crate::case::{Expect, Request};
use crate::judge::{self, JudgeOptions, Response};
use crate::rule::Level;
#[cfg(any(feature = "axum", feature = "actix"))]
use crate::target::TargetError;

impl Response {
    /// Panics, listing every broken rule, unless this is a complete contract error with `code`:
    /// its status, a body of exactly `error` and `code` (plus `retry_after` >= 1 on the 429
    /// codes, equal to `Retry-After`), `application/json`, and the HTTP and house rules
    /// (`WWW-Authenticate` on 401, `Allow` on 405, `no-store`, `nosniff`, an `X-Request-Id`).
    /// Returns the body, e.g. to check a specific message.
    ///
    /// ```
    /// use attractos_contract::judge::Response;
    /// use attractos_errors_axum::{ApiError, Contract, ContractExt, ErrorCode};
    /// use axum::{Router, body::Body, routing::get};
    /// use tower::ServiceExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// async fn stats() -> Result<&'static str, ApiError> {
    ///     Err(ApiError::site_not_found())
    /// }
    /// let app = Router::new().route("/stats", get(stats)).with_contract(Contract::default());
    ///
    /// let request = http::Request::get("/stats").body(Body::empty()).unwrap();
    /// let response = Response::from_axum(app.clone().oneshot(request).await.unwrap()).await;
    /// response.assert_error_message(ErrorCode::SiteNotFound);
    ///
    /// let request = http::Request::delete("/stats").body(Body::empty()).unwrap();
    /// let response = Response::from_axum(app.oneshot(request).await.unwrap()).await;
    /// assert_eq!(response.assert_error(ErrorCode::MethodNotAllowed).code.as_str(), "METHOD_NOT_ALLOWED");
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_error(&self, code: ErrorCode) -> ErrorBody {
        self.assert_error_at(code, Level::Recommended)
    }

    /// [`Response::assert_error`], failing only on the rules at or below `level` (e.g.
    /// [`Level::Contract`], the published page alone, for a handler's own 405 that has no
    /// `Allow` to give).
    #[track_caller]
    pub fn assert_error_at(&self, code: ErrorCode, level: Level) -> ErrorBody {
        let request = Request {
            method: http::Method::GET,
            target: String::new(),
            headers: Vec::new(),
            body: bytes::Bytes::new(),
        };
        let verdict = judge::judge(
            &Expect::Error(code),
            &request,
            self,
            &JudgeOptions::default().at_level(level),
        );
        assert!(
            verdict.is_pass(),
            "not contract error {code}: {verdict}\n{self}"
        );
        ErrorBody::from_slice(&self.body).unwrap_or_else(|err| panic!("{err}\n{self}"))
    }

    /// [`Response::assert_error`], and the message is the catalogue's for `code`: the body
    /// is exactly the code's default body.
    #[track_caller]
    pub fn assert_error_message(&self, code: ErrorCode) -> ErrorBody {
        let body = self.assert_error(code);
        assert_eq!(body.error, code.message(), "the message of {code}\n{self}");
        body
    }

    /// A header's value as text, if present and visible ASCII.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// An axum response, read whole; panics if its body fails.
    #[cfg(feature = "axum")]
    pub async fn from_axum(response: axum::response::Response) -> Response {
        read_axum(response)
            .await
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// An actix-web response (e.g. of `actix_web::test::call_service`), read whole; panics if
    /// its body fails.
    #[cfg(feature = "actix")]
    pub async fn from_actix<B: actix_web::body::MessageBody + 'static>(
        response: actix_web::dev::ServiceResponse<B>,
    ) -> Response {
        read_actix(response.into_parts().1.map_into_boxed_body())
            .await
            .unwrap_or_else(|err| panic!("{err}"))
    }
}

/// Reads an axum response whole.
#[cfg(feature = "axum")]
pub(crate) async fn read_axum(response: axum::response::Response) -> Result<Response, TargetError> {
    use http_body_util::BodyExt;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|err| TargetError(format!("reading the body: {err}")))?
        .to_bytes();
    Ok(Response {
        status: parts.status.as_u16(),
        headers: header_list(
            parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes())),
        ),
        body,
    })
}

/// Reads an actix-web response whole (a service's, or an error's `error_response()`).
#[cfg(feature = "actix")]
pub(crate) async fn read_actix(response: actix_web::HttpResponse) -> Result<Response, TargetError> {
    let status = response.status().as_u16();
    let headers = header_list(
        response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes())),
    );
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .map_err(|_| TargetError("reading the body failed".to_owned()))?;
    Ok(Response {
        status,
        headers,
        body: bytes::Bytes::copy_from_slice(&body),
    })
}

#[cfg(any(feature = "axum", feature = "actix"))]
fn header_list<'a>(headers: impl Iterator<Item = (&'a str, &'a [u8])>) -> Vec<(String, Vec<u8>)> {
    headers
        .map(|(name, value)| (name.to_owned(), value.to_vec()))
        .collect()
}

/// `<status>`, each header as `name: value` in the order sent, an empty line, the body.
impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.status)?;
        for (name, value) in &self.headers {
            writeln!(f, "{name}: {}", String::from_utf8_lossy(value))?;
        }
        writeln!(f)?;
        f.write_str(&String::from_utf8_lossy(&self.body))
    }
}
