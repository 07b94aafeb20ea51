//! The `attractos-contract` binary: `check` against the embedded servers or a URL, table,
//! JSON and JUnit output, `--level`, skipping without fixtures, `--timeout` and a service that
//! answers nothing, exit status, and `cases`.

use std::net::TcpListener;
use std::process::{Command, Output};

use attractos_reference::{Framework, Options, serve};

#[path = "../../attractos-contract/tests/independent_service/service.rs"]
mod service;

fn contract(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_attractos-contract"));
    command.args(args);
    for var in [
        "ATTRACTOS_URL",
        "ATTRACTOS_KEY_FREE",
        "ATTRACTOS_KEY_PRO",
        "ATTRACTOS_KEY_REVOKED",
        "ATTRACTOS_KEY_ORPHAN",
        "ATTRACTOS_KEY_QUOTA",
        "ATTRACTOS_SITE_FREE",
        "ATTRACTOS_SITE_PRO",
        "ATTRACTOS_SITE_BROKEN",
        "ATTRACTOS_SITE_QUOTA",
        "ATTRACTOS_SITE_FOREIGN",
        "ATTRACTOS_CA_FILE",
        "ATTRACTOS_HEADERS",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// The first line of `text` that starts with `prefix`.
fn line_starting<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{text}"))
}

/// A server for `app` on an ephemeral loopback port: its URL, and a guard that stops it.
struct Running {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the server stops");
        }
    }
}

impl Running {
    /// `serve(listener, stopped)` on an ephemeral loopback port, on a thread of its own.
    fn start<F, Serving>(scheme: &str, serve: F) -> Running
    where
        F: FnOnce(tokio::net::TcpListener, tokio::sync::oneshot::Receiver<()>) -> Serving,
        F: Send + 'static,
        Serving: std::future::Future<Output = ()>,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("{scheme}://{}", listener.local_addr().expect("an address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                serve(listener, stopped).await;
            });
        });
        Running {
            url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

fn run_axum(app: axum::Router) -> Running {
    Running::start("http", |listener, stopped| async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
            .expect("serves");
    })
}

/// The limits crate's TLS fixtures: a test CA, and a certificate for 127.0.0.1 it signed.
const TLS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../attractos-limits/tests/tls/"
);

/// An HTTPS front for the plain service at `plain` (`http://HOST:PORT`): TLS with the test
/// certificate for 127.0.0.1, each connection relayed to the service as it is.
fn https_in_front_of(plain: &str) -> Running {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(format!("{TLS}server.pem"))
        .and_then(Iterator::collect)
        .expect("the test certificate");
    let key = PrivateKeyDer::from_pem_file(format!("{TLS}server-key.pem")).expect("its key");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|config| config.with_no_client_auth().with_single_cert(chain, key))
        .expect("a TLS configuration");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let service = plain.trim_start_matches("http://").to_owned();
    Running::start("https", |listener, mut stopped| async move {
        loop {
            let (client, _) = tokio::select! {
                accepted = listener.accept() => accepted.expect("a connection"),
                _ = &mut stopped => return,
            };
            let (acceptor, service) = (acceptor.clone(), service.clone());
            tokio::spawn(async move {
                let Ok(mut client) = acceptor.accept(client).await else {
                    return;
                };
                let Ok(mut service) = tokio::net::TcpStream::connect(service).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut client, &mut service).await;
            });
        }
    })
}

#[test]
fn a_service_behind_a_private_ca_is_checked_trusting_its_ca_and_not_without() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let server = serve(Framework::Axum, listener, Options::default()).expect("starts");
    let https = https_in_front_of(&server.url());
    let check = |ca: Option<&str>| {
        let mut args = vec!["check", "--url", &https.url, "--reference-fixtures"];
        args.extend(["--only", "stats-ok"]);
        args.extend(ca.iter().flat_map(|ca| ["--ca", *ca]));
        contract(&args, &[])
    };

    let untrusted = check(None);
    let text = stdout(&untrusted);
    assert_eq!(untrusted.status.code(), Some(1), "{text}");
    assert!(
        text.contains("UnknownIssuer"),
        "the certificate is not trusted: {text}"
    );

    let ca = format!("{TLS}ca.pem");
    let trusted = check(Some(&ca));
    let text = stdout(&trusted);
    assert!(trusted.status.success(), "{text}");
    assert!(text.contains(": 1 passed, 0 failed"), "{text}");

    let not_pem = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let refused = check(Some(not_pem));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("--ca {not_pem}: no PEM certificate")),
        "{stderr}"
    );
    drop(https);
    server.stop().expect("a clean stop");
}

/// A plain axum server, no contract: text 404s and 405s.
fn plain_axum() -> Running {
    run_axum(axum::Router::new().route("/api/v1/sites", axum::routing::get(|| async { "[]" })))
}

#[test]
fn check_runs_every_case_on_both_embedded_frameworks() {
    let output = contract(&["check"], &[]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("== axum (http://127.0.0.1:"), "{text}");
    assert!(text.contains("== actix (http://127.0.0.1:"), "{text}");
    assert!(text.contains("CASE"), "a table header: {text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("server-error") && l.ends_with("pass")),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with("passed, 0 failed (level recommended)"),
        "{text}"
    );
    assert!(
        !text.contains("FINDINGS BY RULE"),
        "nothing to group: {text}"
    );
}

#[test]
fn json_output_has_one_report_per_target_with_the_fuzz_cases() {
    let output = contract(
        &[
            "check",
            "--framework",
            "actix",
            "--format",
            "json",
            "--fuzz",
            "25",
            "--seed",
            "3",
        ],
        &[],
    );
    assert!(output.status.success(), "{}", stdout(&output));
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(document["ok"], true);
    let targets = document["targets"].as_array().expect("a list of targets");
    assert_eq!(targets.len(), 1);
    let cases = attractos_contract::case::fixed().len() as u64;
    assert_eq!(targets[0]["passed"], cases + 25);
    let first = &targets[0]["outcomes"][0];
    for key in ["case", "expected", "got", "verdict", "reason", "request"] {
        assert!(first.get(key).is_some(), "{key} missing from {first}");
    }
}

#[test]
fn a_service_that_breaks_the_contract_fails_and_exits_non_zero() {
    let server = plain_axum();
    let output = contract(&["check", "--url", &server.url], &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let row = line_starting(&text, "not-found ");
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells,
        [
            "not-found",
            "404 NOT_FOUND",
            "404 (not a JSON error)",
            "FAIL",
            "expected-answer, json-content-type, cache-control-no-store, nosniff, request-id"
        ]
    );
    let group = line_starting(&text, "FAIL  contract     json-content-type");
    assert!(group.contains("expected application/json"), "{group}");
    assert!(
        text.contains(
            "needs key-free (--key-free or ATTRACTOS_KEY_FREE) and site-free (--site-free or ATTRACTOS_SITE_FREE)"
        ),
        "{text}"
    );
    assert!(text.contains("skipped"), "{text}");
}

#[test]
fn fixtures_come_from_environment_variables() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let server = serve(Framework::Axum, listener, Options::default()).expect("starts");
    let url = server.url();
    let output = contract(
        &["check", "--url", &url, "--only", "stats-ok"],
        &[
            ("ATTRACTOS_KEY_FREE", "ak_demo_free"),
            ("ATTRACTOS_SITE_FREE", "site_demo"),
        ],
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains(": 1 passed, 0 failed"), "{text}");
    server.stop().expect("a clean stop");
}

#[test]
fn a_running_reference_server_passes_with_its_builtin_fixtures() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let server = serve(Framework::Actix, listener, Options::default()).expect("starts");
    let output = contract(
        &["check", "--url", &server.url(), "--reference-fixtures"],
        &[],
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(!text.contains("skipped"), "{text}");
    server.stop().expect("a clean stop");
}

#[test]
fn cases_lists_every_case() {
    let output = contract(&["cases"], &[]);
    let text = stdout(&output);
    assert!(output.status.success());
    for case in attractos_contract::case::fixed() {
        assert!(
            text.contains(&case.name),
            "{} missing from {text}",
            case.name
        );
    }
}

#[test]
fn help_documents_the_subcommands_and_fixture_variables() {
    let output = contract(&["check", "--help"], &[]);
    let text = stdout(&output);
    assert!(text.contains("--fuzz <N>"), "{text}");
    assert!(text.contains("--level <LEVEL>"), "{text}");
    assert!(text.contains("junit"), "{text}");
    assert!(text.contains("ATTRACTOS_KEY_FREE"), "{text}");
    assert!(text.contains("--timeout <SECONDS>"), "{text}");
    // The help states the checker's bounds as the code sets them.
    let cap = attractos_contract::target::HttpTarget::MAX_BODY_BYTES >> 20;
    assert!(
        text.contains(&format!("at most {cap} MiB of a body is read")),
        "{text}"
    );
    let give_up = attractos_contract::run::GIVE_UP_AFTER;
    assert!(
        text.contains(&format!("When the first {give_up} cases sent")),
        "{text}"
    );
    let top = stdout(&contract(&["--help"], &[]));
    assert!(top.contains("check") && top.contains("cases"), "{top}");
}

/// The independent service's fixtures are the reference ones.
fn check_independent(mutations: &[service::Mutation], extra: &[&str]) -> (Option<i32>, String) {
    let server = run_axum(service::router(mutations));
    let mut args = vec!["check", "--url", &server.url, "--reference-fixtures"];
    args.extend_from_slice(extra);
    let output = contract(&args, &[]);
    (output.status.code(), stdout(&output))
}

/// Behind a gateway that answers 403 in plain text to any request without its token, the
/// service is checked once the token is given (by flag or by variable), and the checker's
/// own headers cannot be given.
#[test]
fn headers_a_gateway_asks_for_are_sent_with_every_request() {
    use service::Mutation::NoHouseHeaders;
    async fn gate(
        request: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        match request.headers().get("x-gateway-token") {
            Some(token) if token == "letmein" => next.run(request).await,
            _ => (axum::http::StatusCode::FORBIDDEN, "no token").into_response(),
        }
    }
    let gateway = service::router(&[NoHouseHeaders]).layer(axum::middleware::from_fn(gate));
    let server = run_axum(gateway);
    let check = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["check", "--url", &server.url, "--reference-fixtures"];
        args.extend(["--level", "contract"]);
        args.extend_from_slice(extra);
        contract(&args, env)
    };

    let refused = check(&[], &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    for (extra, env) in [
        (&["--header", "X-Gateway-Token: letmein"][..], &[][..]),
        (
            &[],
            &[("ATTRACTOS_HEADERS", "X-Other: 1\nx-gateway-token:letmein")][..],
        ),
    ] {
        let through = check(extra, env);
        assert_eq!(
            through.status.code(),
            Some(0),
            "{extra:?} {env:?}: {}",
            stdout(&through)
        );
    }
    for (header, why) in [
        ("Authorization: Bearer ak_x", "the checker sets it itself"),
        ("no colon", "is not NAME: VALUE"),
        ("bad name: 1", "not a header name"),
    ] {
        let output = check(&["--header", header], &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{header}: {stderr}");
        assert!(stderr.contains(why), "{header}: {stderr}");
    }
}

#[test]
fn a_service_following_the_published_page_passes_at_contract_level_only() {
    use service::Mutation::NoHouseHeaders;
    let (code, text) = check_independent(&[NoHouseHeaders], &["--level", "contract"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("passed with warnings"), "{text}");
    let every_case = format!("{} cases", attractos_contract::case::fixed().len());
    assert!(
        text.lines()
            .any(|l| l.starts_with("warn  recommended  request-id") && l.contains(&every_case)),
        "the missing header is one line: {text}"
    );

    let (code, text) = check_independent(&[NoHouseHeaders], &[]);
    assert_eq!(code, Some(1), "{text}");
    let groups: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL  ")).collect();
    assert_eq!(groups.len(), 3, "one line per missing header: {text}");
}

#[test]
fn a_leaked_secret_fails_at_contract_level_naming_its_rule() {
    use service::Mutation::{LeakedSecret, NoHouseHeaders};
    let (code, text) = check_independent(
        &[NoHouseHeaders, LeakedSecret],
        &["--level", "contract", "--forbid", service::SECRET],
    );
    assert_eq!(code, Some(1), "{text}");
    let failing: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("FAIL  contract     "))
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(
        failing,
        ["server-error-message", "forbidden-text"],
        "{text}"
    );
}

#[test]
fn json_and_junit_carry_the_grouped_findings() {
    use service::Mutation::{NoAllowOn405, NoHouseHeaders};
    let (code, text) = check_independent(
        &[NoHouseHeaders, NoAllowOn405],
        &["--level", "http", "--format", "json"],
    );
    assert_eq!(code, Some(1), "{text}");
    let document: serde_json::Value = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(document["level"], "http");
    let groups = document["targets"][0]["findings_by_rule"]
        .as_array()
        .expect("groups");
    let first = &groups[0];
    assert_eq!(first["rule"], "allow-on-405");
    assert_eq!(first["level"], "http");
    assert_eq!(first["cite"], "RFC 9110 §15.5.6");
    assert_eq!(first["fails"], true);
    assert_eq!(first["cases"], 1);
    assert_eq!(first["first_request"], "DELETE /api/v1/sites");
    assert!(
        groups[1..].iter().all(|g| g["fails"] == false),
        "{groups:?}"
    );

    let (code, xml) = check_independent(
        &[NoHouseHeaders, NoAllowOn405],
        &["--level", "http", "--format", "junit"],
    );
    assert_eq!(code, Some(1), "{xml}");
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<failure type=\"allow-on-405\" message=\"DELETE /api/v1/sites: expected 405 METHOD_NOT_ALLOWED, got 405 METHOD_NOT_ALLOWED\">"),
        "{xml}"
    );
}

#[test]
fn a_check_that_cannot_run_exits_2() {
    let output = contract(&["check", "--url", "ftp://example.invalid"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let output = contract(&["check", "--level", "strict"], &[]);
    assert_eq!(output.status.code(), Some(2), "clap's usage error");
}

#[test]
fn a_service_that_answers_nothing_is_said_once_and_exits_1() {
    // Bound but never accepted: the kernel completes the handshakes, and no answer ever comes.
    let silent = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let url = format!("http://{}", silent.local_addr().expect("an address"));
    let output = contract(
        &[
            "check",
            "--url",
            &url,
            "--reference-fixtures",
            "--timeout",
            "1",
        ],
        &[],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let rows = text
        .lines()
        .filter(|l| l.contains("no response  FAIL"))
        .count();
    assert_eq!(rows, 3, "{text}");
    let not_run = attractos_contract::case::fixed().len() - 3;
    assert_eq!(
        text.matches("the service is unreachable or gives no answer")
            .count(),
        1,
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "FAIL  contract  answered  3 cases  GET /api/v1/sites: no response: nothing came \
             within 1s\n\nthe run stopped: the first 3 cases sent got no response: the service \
             is unreachable or gives no answer the checker can read; {not_run} cases were not run\n"
        )),
        "{text}"
    );
    drop(silent);
}

#[test]
fn a_timeout_of_zero_is_a_usage_error() {
    let output = contract(&["check", "--timeout", "0"], &[]);
    assert_eq!(output.status.code(), Some(2), "clap's usage error");
}
