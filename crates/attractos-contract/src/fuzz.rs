//! Generated bad requests: random byte bodies, odd headers, bad dates, odd paths and methods.
//! Seeded, so a failure replays with the same `--seed`; each is judged by the contract's
//! generic rules ([`Expect::Any`]), since no single code is "right" for noise.
//!
//! ```
//! use attractos_contract::fuzz;
//!
//! let a = fuzz::cases(7, 20);
//! assert_eq!(a.len(), 20);
//! assert_eq!(a, fuzz::cases(7, 20), "the same seed gives the same requests");
//! assert_ne!(a, fuzz::cases(8, 20));
//! ```

use http::Method;

use crate::case::{Body, Case, Expect, RequestSpec};
use crate::fixtures::{KeyRef, SiteRef};

/// A small, stable pseudo-random generator (splitmix64): the same seed gives the same cases on
/// every platform and every version of this crate's dependencies.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// One element of `items` (non-empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// Between `min` and `max` (inclusive) random bytes.
    pub fn bytes(&mut self, min: usize, max: usize) -> Vec<u8> {
        let len = min + self.below(max.saturating_sub(min) + 1);
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// `n` generated cases for `seed`, named `fuzz-<index>-<kind>`.
pub fn cases(seed: u64, n: usize) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|index| {
            let (kind, request) = match rng.below(5) {
                0 => ("body", body_request(&mut rng)),
                1 => ("headers", header_request(&mut rng)),
                2 => ("dates", date_request(&mut rng)),
                3 => ("path", path_request(&mut rng)),
                _ => ("method", method_request(&mut rng)),
            };
            Case {
                name: format!("fuzz-{index:04}-{kind}"),
                about: format!("generated request {index} of seed {seed}"),
                request,
                expect: Expect::Any,
                same_answer_as: None,
            }
        })
        .collect()
}

fn any_key(rng: &mut Rng, spec: RequestSpec) -> RequestSpec {
    match rng.below(8) {
        0 => spec,
        1 => spec.raw_auth([format!("Bearer ak_fuzz_{:x}", rng.next_u64())]),
        2 => spec.key(KeyRef::Revoked),
        3 => spec.key(KeyRef::Orphan),
        4 => spec.key(KeyRef::Quota),
        5 | 6 => spec.key(KeyRef::Pro),
        _ => spec.key(KeyRef::Free),
    }
}

fn any_site(rng: &mut Rng) -> SiteRef {
    *rng.pick(&[
        SiteRef::Free,
        SiteRef::Pro,
        SiteRef::Quota,
        SiteRef::Foreign,
        SiteRef::Unknown,
    ])
}

const CONTENT_TYPES: [&str; 8] = [
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/vnd.attractos+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
];

fn body_request(rng: &mut Rng) -> RequestSpec {
    let mut spec = any_key(rng, RequestSpec::new(Method::POST, "/api/v1/events"));
    if !rng.one_in(6) {
        spec = spec.header("content-type", *rng.pick(&CONTENT_TYPES));
    }
    let body = match rng.below(7) {
        0 => Body::Bytes(rng.bytes(0, 511)),
        1 => Body::Text(String::new()),
        2 => {
            // A valid event with one field mangled.
            let site = any_site(rng);
            spec = spec.site(site);
            let field = *rng.pick(&[
                r#"{"site_id":"{site}","name":"pageview","url":"https://x.example/"}"#,
                r#"{"site_id":"{site}","name":"","url":"https://x.example/"}"#,
                r#"{"site_id":"   ","name":"pageview","url":"https://x.example/"}"#,
                r#"{"site_id":"{site}","name":"pageview","url":""}"#,
                r#"{"site_id":"{site}","name":"pageview"}"#,
                r#"{"site_id":null,"name":"pageview","url":"u"}"#,
                r#"{"site_id":["{site}"],"name":"pageview","url":"u"}"#,
                r#"{"site_id":"{site}","name":"pageview","url":"u","extra":{"deep":[1,2,3]}}"#,
            ]);
            Body::Text(field.to_owned())
        }
        3 => Body::Text(
            (*rng.pick(&[
                "{",
                "}",
                "[]",
                "null",
                "0",
                "\"text\"",
                "{\"a\":1,}",
                "{'a':1}",
                "{\"site_id\":\"\\ud800\"}",
                "\u{feff}{}",
                "{\"a\":1}{\"b\":2}",
                "nan",
            ]))
            .to_owned(),
        ),
        4 => {
            // Deep nesting, which naive parsers overflow on.
            let depth = 1 + rng.below(2000);
            Body::Text(format!("{}{}", "[".repeat(depth), "]".repeat(depth)))
        }
        5 => {
            // Invalid UTF-8 inside an otherwise valid document.
            let mut bytes = br#"{"site_id":"site_demo","name":""#.to_vec();
            bytes.extend(rng.bytes(1, 8).iter().map(|b| b | 0x80));
            bytes.extend_from_slice(br#"","url":"u"}"#);
            Body::Bytes(bytes)
        }
        _ => Body::Bytes(vec![b' '; rng.below(64)]),
    };
    spec.body(body)
}

fn header_request(rng: &mut Rng) -> RequestSpec {
    let path = *rng.pick(&[
        "/api/v1/sites",
        "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-02",
        "/api/v1/events",
    ]);
    let method = if path == "/api/v1/events" {
        Method::POST
    } else {
        Method::GET
    };
    let spec = RequestSpec::new(method, path);
    let spec = match rng.below(10) {
        0 => spec.raw_auth(["Bearer ak_demo_free", "Bearer ak_demo_pro"]),
        1 => spec.raw_auth(["bearer ak_demo_free"]),
        2 => spec.raw_auth(["BEARER    ak_demo_pro   "]),
        3 => spec.raw_auth(["Bearer"]),
        4 => spec.raw_auth([format!("Bearer {}", "k".repeat(1 + rng.below(2048)))]),
        5 => {
            let mut value = b"Bearer ak_".to_vec();
            value.extend(rng.bytes(1, 16).iter().map(|b| b | 0x80));
            spec.raw_auth([value])
        }
        6 => spec.raw_auth(["Token ak_demo_free"]),
        7 => spec.raw_auth([""]),
        8 => any_key(rng, spec).header("x-request-id", format!("fuzz-{:x}", rng.next_u64())),
        _ => any_key(rng, spec)
            .header("content-length-ish", "1")
            .header("accept", "text/html"),
    };
    if rng.one_in(3) {
        spec.header("content-type", *rng.pick(&CONTENT_TYPES))
    } else {
        spec
    }
}

fn date(rng: &mut Rng) -> String {
    let odd = [
        "2024-02-30",
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-01-00",
        "2024-1-1",
        "24-01-01",
        "2024/01/01",
        "20240101",
        "2024-01-01T00:00:00Z",
        "+2024-01-01",
        "-001-01-01",
        "0000-01-01",
        "9999-12-31",
        "2024-01-01%00",
        "%E2%80%8B2024-01-01",
        "2024-01-01&start=2024-01-02",
        "",
        "%",
        "%zz",
        "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%94-01-01",
        "2024-01-01+",
    ];
    match rng.below(3) {
        0 => (*rng.pick(&odd)).to_owned(),
        1 => format!(
            "{:04}-{:02}-{:02}",
            rng.below(10_000),
            rng.below(14),
            rng.below(33)
        ),
        _ => rng
            .bytes(1, 12)
            .iter()
            .map(|b| format!("%{b:02X}"))
            .collect(),
    }
}

fn date_request(rng: &mut Rng) -> RequestSpec {
    let endpoint = *rng.pick(&["stats", "timeseries"]);
    let mut query = Vec::new();
    if !rng.one_in(6) {
        query.push(format!("start={}", date(rng)));
    }
    if !rng.one_in(6) {
        query.push(format!("end={}", date(rng)));
    }
    if rng.one_in(4) {
        query.push(format!("start={}", date(rng)));
    }
    if endpoint == "timeseries" && rng.one_in(2) {
        query.push(format!(
            "granularity={}",
            rng.pick(&[
                "daily",
                "hourly",
                "weekly",
                "",
                "DAILY",
                "%FF",
                "hourly&granularity=daily"
            ])
        ));
    }
    let path = format!("/api/v1/sites/{{site}}/{endpoint}?{}", query.join("&"));
    let site = any_site(rng);
    any_key(rng, RequestSpec::get(path).site(site))
}

fn segment(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => String::new(),
        1 => "%20".to_owned(),
        2 => "..".to_owned(),
        3 => "%2F".to_owned(),
        4 => "%00".to_owned(),
        5 => "%C3%A9t%C3%A9".to_owned(),
        6 => "x".repeat(1 + rng.below(300)),
        _ => format!("s{:x}", rng.next_u64()),
    }
}

fn path_request(rng: &mut Rng) -> RequestSpec {
    let path = match rng.below(6) {
        0 => format!(
            "/api/v1/sites/{}/stats?start=2024-01-01&end=2024-01-02",
            segment(rng)
        ),
        1 => format!("/api/v1/sites/{}/timeseries", segment(rng)),
        2 => format!("/api/v1/{}", segment(rng)),
        3 => format!("/api/v1/sites/site_demo/{}", segment(rng)),
        4 => (*rng.pick(&[
            "/",
            "/api",
            "/api/v1",
            "/api/v1/",
            "/api/v1/sites/",
            "//api/v1/sites",
            "/api/v1/sites/site_demo",
            "/api/v1/sites/site_demo/stats/extra",
            "/API/V1/SITES",
            "/api/v1/events/",
            "/api/v1/sites?start=2024-01-01",
        ]))
        .to_owned(),
        _ => format!("/{}/{}/{}", segment(rng), segment(rng), segment(rng)),
    };
    any_key(rng, RequestSpec::get(path))
}

fn method_request(rng: &mut Rng) -> RequestSpec {
    let method = rng
        .pick(&[
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
            Method::POST,
            Method::GET,
        ])
        .clone();
    let path = *rng.pick(&[
        "/api/v1/sites",
        "/api/v1/events",
        "/api/v1/sites/{site}/stats?start=2024-01-01&end=2024-01-01",
        "/api/v1/sites/{site}/timeseries?start=2024-01-01&end=2024-01-01",
    ]);
    let spec = RequestSpec::new(method, path).site(any_site(rng));
    any_key(rng, spec)
}
