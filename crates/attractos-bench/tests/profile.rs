//! A sampled function is counted in the component of its crate, and time is per request.

use attractos_bench::profile::{Component, Profile, largest_increases};

#[test]
fn symbols_are_attributed_to_their_crate() {
    let reference = "attractos-reference";
    for (dso, symbol, expected) in [
        (
            reference,
            "serde_json::read::SliceRead::skip_to_escape",
            Component::Json,
        ),
        (
            reference,
            "<hyper::proto::h1::role::Server as hyper::proto::h1::Http1Transaction>::parse",
            Component::Http,
        ),
        (
            reference,
            "<F as axum::handler::Handler<(M,T1),S>>::call::{{closure}}",
            Component::Http,
        ),
        (
            reference,
            "<&mut serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::deserialize_struct",
            Component::Json,
        ),
        (
            reference,
            "attractos_errors::rules::json_error",
            Component::Library,
        ),
        (
            reference,
            "<attractos_errors_axum::error::ApiError as axum_core::response::into_response::IntoResponse>::into_response",
            Component::Library,
        ),
        (
            reference,
            "attractos_reference::store::Store::site",
            Component::App,
        ),
        (
            reference,
            "tokio::runtime::park::Inner::park",
            Component::Runtime,
        ),
        (
            reference,
            "tracing_core::dispatcher::get_default",
            Component::Tracing,
        ),
        (reference, "core::str::converts::from_utf8", Component::Std),
        (reference, "0x00007f3a", Component::Other),
        ("libc.so.6", "cfree@GLIBC_2.2.5", Component::Allocator),
        (
            "libc.so.6",
            "unlink_chunk.constprop.0",
            Component::Allocator,
        ),
        ("libc.so.6", "tcache_get", Component::Allocator),
        (
            "libc.so.6",
            "__memmove_avx512_unaligned_erms",
            Component::Libc,
        ),
        ("[kernel.kallsyms]", "tcp_ack", Component::Kernel),
        ("[vdso]", "__vdso_clock_gettime", Component::Libc),
    ] {
        assert_eq!(Component::of(dso, symbol), expected, "{symbol}");
    }
}

#[test]
fn a_report_without_its_frequency_line_or_without_samples_is_refused() {
    assert!(Profile::parse("    100.00%   10  [kernel.kallsyms]  [k] tcp_ack\n", 10).is_err());
    assert!(Profile::parse("# attractos: sampled at 99 Hz\n#\n", 10).is_err());
}

#[test]
fn increases_are_per_request_and_largest_first() {
    let parse = |report: &str, requests| {
        Profile::parse(
            &format!("# attractos: sampled at 100 Hz\n{report}"),
            requests,
        )
        .expect("a profile")
    };
    let base = parse(
        " 50% 50 libc.so.6 [.] malloc\n 50% 50 [kernel.kallsyms] [k] tcp_ack\n",
        100,
    );
    // Half the requests in the same samples: every symbol costs twice as much per request.
    let other = parse(
        " 80% 80 libc.so.6 [.] malloc\n 20% 20 [kernel.kallsyms] [k] tcp_ack\n",
        50,
    );
    let increases = largest_increases(&base, &other, 5);
    let named: Vec<(&str, f64)> = increases
        .iter()
        .map(|((_, symbol), us)| (symbol.as_str(), us.round()))
        .collect();
    assert_eq!(named, vec![("malloc", 11_000.0), ("tcp_ack", -1_000.0)]);
}
