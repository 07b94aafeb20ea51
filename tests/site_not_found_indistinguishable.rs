//! `SITE_NOT_FOUND` cannot be used to probe site ids: for every route taking a site id (stats,
//! timeseries, and the event body's `site_id`), a site that exists for another account (a Pro
//! site, the broken site whose reads fail, a quota site, a deleted user's site) and a site that
//! does not exist at all get the same 403: same body, same headers (bar `x-request-id`), on
//! both frameworks, and the same bytes across them.

use crate::support;

use attractos_contract::case::Request;
use attractos_contract::judge::Response;
use attractos_contract::target::{ActixTarget, AxumTarget, Target};
use attractos_reference::{AppState, actix_app, axum_app};
use support::{bearer, comparable_headers, request};

const FOREIGN: [&str; 4] = ["site_pro", "site_broken", "site_quota", "site_orphaned"];
const UNKNOWN: [&str; 4] = ["site_nope", "site_demo2", "SITE_DEMO", "site_%E2%9C%93"];

fn requests_for(site: &str) -> Vec<(String, Request)> {
    let key = bearer("ak_demo_free");
    let auth: (&str, &[u8]) = ("authorization", &key);
    let range = "start=2024-01-01&end=2024-01-31";
    let body_site = site.replace("%E2%9C%93", "\u{2713}");
    vec![
        (
            "stats".to_owned(),
            request(
                "GET",
                &format!("/api/v1/sites/{site}/stats?{range}"),
                &[auth],
                vec![],
            ),
        ),
        (
            "timeseries".to_owned(),
            request(
                "GET",
                &format!("/api/v1/sites/{site}/timeseries?{range}"),
                &[auth],
                vec![],
            ),
        ),
        (
            "hourly timeseries".to_owned(),
            request(
                "GET",
                &format!("/api/v1/sites/{site}/timeseries?{range}&granularity=hourly"),
                &[auth],
                vec![],
            ),
        ),
        (
            "event".to_owned(),
            request(
                "POST",
                "/api/v1/events",
                &[auth, ("content-type", b"application/json")],
                format!(r#"{{"site_id":"{body_site}","name":"pageview","url":"https://x/"}}"#)
                    .into_bytes(),
            ),
        ),
    ]
}

async fn answers<T: Target>(target: &T) -> Vec<(String, Response)> {
    let mut out = Vec::new();
    for site in FOREIGN.iter().chain(&UNKNOWN) {
        for (route, request) in requests_for(site) {
            let response = tokio::time::timeout(support::TIMEOUT, target.send(&request))
                .await
                .expect("an answer in time")
                .expect("a response");
            out.push((format!("{route} of {site}"), response));
        }
    }
    out
}

/// The headers that must not differ between two requests: all the comparable ones but
/// `RateLimit`, whose `r` counts the key's requests and so changes with each one whatever
/// the site (the state it states is the key's, the same for a foreign and an unknown site).
fn same_for_every_request(response: &Response) -> Vec<(String, Vec<u8>)> {
    let mut headers = comparable_headers(response);
    headers.retain(|(name, _)| name != "ratelimit");
    headers
}

/// Asserts every answer for the same route is the same 403; returns one answer per route.
fn all_alike(framework: &str, answers: &[(String, Response)]) -> Vec<(String, String)> {
    let routes = requests_for("x").len();
    let mut reference = Vec::new();
    for route in 0..routes {
        let (first_name, first) = &answers[route];
        assert_eq!(
            first.status,
            403,
            "{framework} {first_name}: {}",
            first.summary()
        );
        assert_eq!(
            first.code().as_deref(),
            Some("SITE_NOT_FOUND"),
            "{framework} {first_name}"
        );
        for (name, answer) in answers.iter().skip(route).step_by(routes) {
            assert_eq!(
                answer.status, first.status,
                "{framework}: {name} vs {first_name}"
            );
            assert_eq!(
                answer.body, first.body,
                "{framework}: {name} vs {first_name}"
            );
            assert_eq!(
                same_for_every_request(answer),
                same_for_every_request(first),
                "{framework}: {name} vs {first_name}"
            );
        }
        let mut rendered = format!("{}\n", first.status).into_bytes();
        for (name, value) in comparable_headers(first) {
            rendered.extend_from_slice(name.as_bytes());
            rendered.extend_from_slice(b": ");
            rendered.extend_from_slice(&value);
            rendered.push(b'\n');
        }
        rendered.extend_from_slice(&first.body);
        reference.push((
            first_name.clone(),
            String::from_utf8_lossy(&rendered).into_owned(),
        ));
    }
    reference
}

#[test]
fn foreign_and_unknown_sites_answer_identically_on_every_route_and_framework() {
    let options = support::options();
    let axum = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(answers(&AxumTarget::new(
            "axum",
            axum_app::router(AppState::new(options.clone())),
        )));
    let actix = actix_web::rt::System::new().block_on(async {
        let target = ActixTarget::new("actix", actix_app::app(AppState::new(options))).await;
        answers(&target).await
    });
    assert_eq!(
        axum.len(),
        (FOREIGN.len() + UNKNOWN.len()) * requests_for("x").len()
    );
    let axum = all_alike("axum", &axum);
    let actix = all_alike("actix", &actix);
    assert_eq!(axum, actix, "the frameworks answer the same bytes");
}
