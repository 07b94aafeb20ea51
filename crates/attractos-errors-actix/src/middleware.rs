//! The app-wide middleware of [`contract_app`](crate::contract_app): request ids, the request
//! span, the early body-limit check, the body deadline, panic catching, and conversion of every non-contract
//! error response.

use std::any::Any;
use std::future::{Future as _, Ready, poll_fn, ready};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{
    ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use actix_web::{HttpMessage as _, HttpResponse};
use attractos_errors::{Contract, rules};
use futures_util::FutureExt as _;
use futures_util::future::LocalBoxFuture;
use tracing::Instrument as _;

use crate::deadline::with_deadline;
use crate::error::{Answered, render};
use crate::framework::from_actix;

/// `X-Request-Id`.
pub(crate) const X_REQUEST_ID: HeaderName =
    HeaderName::from_static(attractos_errors::header_names::X_REQUEST_ID);

/// The [`Transform`] that [`contract_app`](crate::contract_app) wraps the whole app in.
#[derive(Debug, Clone)]
pub(crate) struct ContractMiddleware {
    contract: Contract,
}

impl ContractMiddleware {
    pub(crate) const fn new(contract: Contract) -> Self {
        ContractMiddleware { contract }
    }
}

impl<S, B> Transform<S, ServiceRequest> for ContractMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = ContractService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ContractService {
            service,
            contract: self.contract.clone(),
        }))
    }
}

/// The service [`ContractMiddleware`] wraps the app's routing in.
pub(crate) struct ContractService<S> {
    service: S,
    contract: Contract,
}

impl<S, B> Service<ServiceRequest> for ContractService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let request_id = request_id(&self.contract, req.headers());
        let span = attractos_errors::request_span(
            request_id.as_bytes(),
            req.method().as_str(),
            req.path(),
        );
        let contract = self.contract.clone();
        let limit = contract.body_limit();

        let lengths = req
            .headers()
            .get_all(CONTENT_LENGTH)
            .map(HeaderValue::as_bytes);
        if let Err(err) = rules::announced_body(lengths, limit) {
            let response = span.in_scope(|| contract.__in_scope(|| answer(&err)));
            let mut res = req.into_response(response).map_into_right_body();
            res.headers_mut().insert(X_REQUEST_ID, request_id);
            return Box::pin(ready(Ok(res)));
        }

        let payload = req.take_payload();
        req.set_payload(with_deadline(payload, contract.body_timeout()));

        // Routing and the start of the handler run synchronously inside `call`: catch there too.
        let called = span.in_scope(|| {
            contract.__in_scope(|| catch_unwind(AssertUnwindSafe(|| self.service.call(req))))
        });
        async move {
            let outcome = match called {
                Ok(future) => {
                    // Every poll in the contract's scope, where handlers' errors are rendered.
                    let mut future = pin!(AssertUnwindSafe(future).catch_unwind());
                    poll_fn(|cx| contract.__in_scope(|| future.as_mut().poll(cx))).await
                }
                Err(panic) => Err(panic),
            };
            let (error, request_id) = match outcome {
                Ok(Ok(res)) => {
                    return Ok(contract.__in_scope(|| into_contract(res, limit, request_id)));
                }
                Ok(Err(err)) => (from_actix(&err, limit), request_id),
                Err(panic) => (panicked(panic), request_id),
            };
            error.log();
            Err(Answered {
                error,
                request_id,
                contract,
            }
            .into())
        }
        .instrument(span)
        .boxed_local()
    }
}

/// The client's `X-Request-Id` (its first value) if the contract accepts it, else a new one.
fn request_id(contract: &Contract, headers: &HeaderMap) -> HeaderValue {
    if let Some(id) = headers.get(X_REQUEST_ID) {
        if contract.accepts_request_id(id.as_bytes()) {
            return id.clone();
        }
    }
    HeaderValue::from_bytes(&rules::new_request_id()).expect("a hyphenated UUID is a header value")
}

/// The one log line and the response for a contract error the middleware itself produces.
fn answer(err: &attractos_errors::ApiError) -> HttpResponse {
    err.log();
    render(err)
}

fn panicked(payload: Box<dyn Any + Send>) -> attractos_errors::ApiError {
    // `&*payload`: the payload itself, not the box, is what the panic message is in.
    rules::panic(&*payload)
}

/// `res` as it is if it is a success or already JSON, else the contract error for it (keeping
/// `Allow`); either way with `X-Request-Id` (unless the handler set its own).
fn into_contract<B: MessageBody>(
    res: ServiceResponse<B>,
    limit: usize,
    request_id: HeaderValue,
) -> ServiceResponse<EitherBody<B>> {
    let status = res.status().as_u16();
    let content_type = res.headers().get(CONTENT_TYPE).map(HeaderValue::as_bytes);
    let mut res = if !rules::needs_rewrite(status, content_type) {
        res.map_into_left_body()
    } else {
        let (req, response) = res.into_parts();
        let allow = response.headers().get(ALLOW).map(compact_list);
        let error = match response.error() {
            Some(err) => from_actix(err, limit),
            None => another_layers(response, status),
        };
        let mut converted = answer(&error);
        if let Some(allow) = allow {
            converted.headers_mut().insert(ALLOW, allow);
        }
        ServiceResponse::new(req, converted).map_into_right_body()
    };
    // A handler's own `X-Request-Id` stays, as with tower-http's `PropagateRequestId`.
    if !res.headers().contains_key(X_REQUEST_ID) {
        res.headers_mut().insert(X_REQUEST_ID, request_id);
    }
    res
}

/// The contract error for an answer without an actix-web error behind it (a handler's or a
/// middleware's own `HttpResponse`): by status, with its plain-text body when it is already in
/// memory, which a `SERVER_ERROR` keeps for its log line, as the axum adapter does.
fn another_layers<B: MessageBody>(
    response: HttpResponse<B>,
    status: u16,
) -> attractos_errors::ApiError {
    let headers = response.headers();
    let retry_after = headers.get(RETRY_AFTER).cloned();
    let plain = rules::is_plain_text(headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes));
    let text = if plain {
        response.into_body().try_into_bytes().ok()
    } else {
        None
    };
    rules::from_answer(
        status,
        retry_after.as_ref().map(HeaderValue::as_bytes),
        text.as_deref().map(String::from_utf8_lossy).as_deref(),
    )
}

/// The framework's `Allow` list as both adapters send it ([`rules::allow`]): actix-web writes
/// `Allow: GET, HEAD`, axum `Allow: GET,HEAD`.
fn compact_list(value: &HeaderValue) -> HeaderValue {
    value
        .to_str()
        .ok()
        .and_then(|listed| HeaderValue::try_from(rules::allow(listed, false)).ok())
        .unwrap_or_else(|| value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_lose_their_spaces() {
        let compact = |text: &'static str| compact_list(&HeaderValue::from_static(text));
        assert_eq!(compact("GET, HEAD"), "GET,HEAD");
        assert_eq!(compact("GET,HEAD, POST"), "GET,HEAD,POST");
        assert_eq!(compact("GET"), "GET");
    }

    #[test]
    fn a_client_request_id_is_kept_and_a_missing_one_is_a_uuid_v4() {
        let contract = Contract::new();
        let mut headers = HeaderMap::new();
        let generated = request_id(&contract, &headers);
        let parsed = uuid::Uuid::parse_str(generated.to_str().expect("ASCII")).expect("a UUID");
        assert_eq!(parsed.get_version_num(), 4, "generated ids are UUID v4");
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&contract, &headers), "abc-123");
    }
}
