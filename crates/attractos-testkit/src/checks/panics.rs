//! A panicking handler is a `SERVER_ERROR` (the panic message stays out of the answer),
//! whatever its payload, and the same service goes on serving.

use attractos_errors::ErrorCode;

use crate::service::Stats;
use crate::{Contract, Framework, REQUEST_ID, Req};

/// A `&str`, a `String` and a non-string payload, each followed by a normal request.
pub async fn every_kind_of_panic_is_server_error_and_the_service_serves_on(framework: Framework) {
    let service = framework.start(Contract::default()).await;
    for uri in ["/panic", "/panic/formatted", "/panic/any", "/panic"] {
        let sent = service.send(&Req::get(uri)).await;
        sent.assert_error_message(ErrorCode::ServerError);
        assert_eq!(sent.header_str("x-request-id"), Some(REQUEST_ID));
        let text = sent.to_string();
        assert!(
            !text.contains("fell over") && !text.contains("payload"),
            "{text}"
        );

        let stats = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-10";
        let next = service.send(&Req::get(stats).key()).await;
        assert_eq!(next.status, 200, "after {uri}: {next}");
        let stats: Stats = serde_json::from_slice(&next.body).expect("the stats body");
        assert_eq!(stats.days, 10);
    }
}
