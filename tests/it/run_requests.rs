//! `naftiko run` end to end: how consumed requests are built (SEMANTICS §3), how declared
//! exposed inputs are validated (§5) and how outputs shape the answer (§4), each checked at
//! a real recording upstream.

use crate::common;

use common::digest::{digest_fields, md5_hex};
use common::serve::{Naftiko, Reply, Seen, Upstream, client};
use serde_json::{Value, json};

const RESOLUTION: &str = "tests/fixtures/run/req-resolution.yaml";
const LOCATIONS: &str = "tests/fixtures/run/req-locations.yaml";
const BODIES: &str = "tests/fixtures/run/req-bodies.yaml";
const AUTH: &str = "tests/fixtures/run/req-auth.yaml";
const INPUTS: &str = "tests/fixtures/run/req-inputs.yaml";
const OUTPUTS: &str = "tests/fixtures/run/req-outputs.yaml";

fn ok_upstream() -> Upstream {
    Upstream::start(|_| Reply::json(json!({"ok": true})))
}

/// Starts `fixture` with every consumed namespace in `namespaces` at `base` and its REST
/// namespace on an ephemeral port.
fn start(
    fixture: &str,
    rest: &str,
    namespaces: &[(&str, String)],
    env: &[(&str, &str)],
) -> Naftiko {
    let mut owned: Vec<String> = Vec::new();
    for (ns, base) in namespaces {
        owned.push("--base-uri".into());
        owned.push(format!("{ns}={base}"));
    }
    owned.push("--listen".into());
    owned.push(format!("{rest}=127.0.0.1:0"));
    let mut args = vec![fixture];
    args.extend(owned.iter().map(String::as_str));
    Naftiko::start(&args, env)
}

fn only(up: &Upstream) -> Seen {
    let seen = up.seen();
    assert_eq!(seen.len(), 1, "exactly one upstream request: {seen:#?}");
    seen.into_iter().next().unwrap()
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    sorted(
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

fn body_json(seen: &Seen) -> Value {
    serde_json::from_str(&seen.body)
        .unwrap_or_else(|e| panic!("upstream body is not JSON ({e}): {:?}", seen.body))
}

/// A 400 problem naming `name`.
fn assert_bad_param(r: reqwest::blocking::Response, name: &str) -> Value {
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["status"], 400, "{problem}");
    assert_eq!(problem["invalid-params"][0]["name"], name, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains(name),
        "{problem}"
    );
    problem
}

// ---------------------------------------------------------------------------------------
// Value resolution order

fn start_resolution(up: &Upstream) -> Naftiko {
    start(
        RESOLUTION,
        "req-res-rest",
        &[("req-res", up.url())],
        &[
            ("level1", "from-env"),
            ("level2", "from-env"),
            ("level3", "from-env"),
            ("REQ_LEVEL4", "from-env"),
            ("REQ_LEVEL4_INBOUND", "from-env"),
            ("REQ_LATE_ENV", "late"),
        ],
    )
}

#[test]
fn with_beats_value_beats_inbound_beats_environment() {
    let up = ok_upstream();
    let n = start_resolution(&up);
    let r = client()
        .get(format!(
            "{}/resolve?level1=from-inbound&level2=from-inbound&level3=from-inbound&REQ_LEVEL4_INBOUND=from-inbound",
            n.url()
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(seen.path(), "/resolve");
    assert_eq!(
        sorted(seen.query()),
        pairs(&[
            ("level1", "from-with"),
            ("level2", "from-value"),
            ("level3", "from-inbound"),
            ("level4", "from-env"),
            ("level4-inbound", "from-inbound"),
        ]),
        "{}",
        seen.target
    );
}

#[test]
fn without_inbound_values_the_lower_levels_apply_and_environment_params_are_not_sent() {
    let up = ok_upstream();
    let n = start_resolution(&up);
    let r = client().get(format!("{}/resolve", n.url())).send().unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    // `level3` is a query parameter: the environment variable of the same name is not used.
    assert_eq!(
        sorted(seen.query()),
        pairs(&[
            ("level1", "from-with"),
            ("level2", "from-value"),
            ("level4", "from-env"),
            ("level4-inbound", "from-env"),
        ]),
        "{}",
        seen.target
    );
    for (name, value) in &seen.headers {
        assert!(
            !name.as_str().to_ascii_lowercase().starts_with("req_level"),
            "{name}: {value:?}"
        );
    }
}

#[test]
fn an_environment_parameter_declared_after_the_template_reading_it_is_still_usable() {
    let up = ok_upstream();
    let n = start_resolution(&up);
    let r = client()
        .get(format!("{}/late-env", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(
        seen.header("uses-env").as_deref(),
        Some("env=late"),
        "{seen:#?}"
    );
}

#[test]
fn a_base_uri_with_a_query_keeps_the_resource_path_before_that_query() {
    let up = ok_upstream();
    let n = start(
        RESOLUTION,
        "req-res-rest",
        &[("req-res", format!("{}/base?v=2", up.url()))],
        &[
            ("REQ_LEVEL4", "e"),
            ("REQ_LEVEL4_INBOUND", "e"),
            ("REQ_LATE_ENV", "e"),
        ],
    );
    let r = client().get(format!("{}/resolve", n.url())).send().unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(seen.path(), "/base/resolve", "{}", seen.target);
    assert!(
        seen.query().contains(&("v".to_owned(), "2".to_owned())),
        "{}",
        seen.target
    );
    assert!(
        seen.query()
            .contains(&("level1".to_owned(), "from-with".to_owned())),
        "{}",
        seen.target
    );
}

// ---------------------------------------------------------------------------------------
// Locations

fn start_locations(up: &Upstream) -> Naftiko {
    start(
        LOCATIONS,
        "req-loc-rest",
        &[("req-loc", format!("{}/up", up.url()))],
        &[("REQ_LOC_REGION", "eu-west")],
    )
}

#[test]
fn path_query_header_cookie_environment_and_body_fields_each_go_to_their_place() {
    let up = ok_upstream();
    let n = start_locations(&up);
    let r = client()
        .put(format!("{}/orders/42?tags=a&tags=b%20c&page=2", n.url()))
        .header("x-request-id", "rid-1")
        .json(&json!({
            "title": "T \"quoted\"",
            "count": 3,
            "flags": ["x", "y"],
            "session": "s 1;2",
            "extra": "not forwarded"
        }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let seen = only(&up);
    assert_eq!(seen.method, "PUT");
    assert_eq!(seen.path(), "/up/orders/42");
    // Query: arrays repeat, in order.
    assert_eq!(
        seen.query(),
        vec![
            ("tags".to_owned(), "a".to_owned()),
            ("tags".to_owned(), "b c".to_owned()),
            ("page".to_owned(), "2".to_owned()),
        ],
        "{}",
        seen.target
    );
    assert_eq!(seen.header("x-request-id").as_deref(), Some("rid-1"));
    // Cookies: one Cookie header, values encoded so `;` and spaces cannot split them.
    assert_eq!(seen.headers.get_all("cookie").iter().count(), 1);
    assert_eq!(
        seen.header("cookie").as_deref(),
        Some("session=s%201%3B2; theme=dark%20mode%3Bx")
    );
    // Environment: usable in a template, never sent itself.
    assert_eq!(seen.header("x-region").as_deref(), Some("region-eu-west"));
    assert!(seen.header("req_loc_region").is_none());
    assert!(!seen.target.contains("REQ_LOC_REGION") && !seen.body.contains("eu-west"));
    // Body fields: a JSON object of exactly the declared `in: body` parameters, types kept.
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        body_json(&seen),
        json!({"title": "T \"quoted\"", "count": 3, "flags": ["x", "y"]})
    );
}

#[test]
fn form_parameters_make_a_real_urlencoded_body() {
    let up = ok_upstream();
    let n = start_locations(&up);
    let r = client()
        .post(format!("{}/form", n.url()))
        .json(&json!({"scope": "read write", "note": "a&b=c+d é"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path(), "/up/form");
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        sorted(seen.form()),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("note", "a&b=c+d é"),
            ("scope", "read write")
        ]),
        "{}",
        seen.body
    );
    assert!(
        !seen.body.contains(' ') && !seen.body.contains('{'),
        "{}",
        seen.body
    );
}

#[test]
fn a_parameter_named_body_is_the_whole_json_body() {
    let up = ok_upstream();
    let n = start_locations(&up);
    let doc = json!({"a": 1, "b": [true, null, {"c": "d"}], "e": 2.5});
    let r = client()
        .post(format!("{}/whole", n.url()))
        .json(&doc)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/json")
    );
    // The other `in: body` parameter (`stamp`) becomes a top-level field of it.
    assert_eq!(
        body_json(&seen),
        json!({"a": 1, "b": [true, null, {"c": "d"}], "e": 2.5, "stamp": "v1"})
    );
}

#[test]
fn a_parameter_named_body_takes_an_inbound_body_field_of_that_name() {
    let up = ok_upstream();
    let n = start_locations(&up);
    let r = client()
        .post(format!("{}/field", n.url()))
        .json(&json!({"body": {"k": [1, 2]}, "other": 2}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(body_json(&seen), json!({"k": [1, 2], "stamp": "v1"}));
}

// ---------------------------------------------------------------------------------------
// `body:` blocks

fn start_bodies(up: &Upstream) -> Naftiko {
    start(BODIES, "req-body-rest", &[("req-body", up.url())], &[])
}

#[test]
fn a_json_body_block_renders_templates_and_keeps_the_types_of_whole_variables() {
    let up = ok_upstream();
    let n = start_bodies(&up);
    let name = "Ada \"the\" \\ first\n";
    let r = client()
        .post(format!("{}/json", n.url()))
        .json(&json!({"name": name, "count": 3, "flag": false, "meta": {"x": [1, null]}}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let seen = only(&up);
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        body_json(&seen),
        json!({
            "name": name,
            "count": 3,
            "label": format!("n={name} c=3"),
            "nested": {"list": [3, "literal", 7], "flag": false, "whole": {"x": [1, null]}}
        })
    );
}

#[test]
fn a_form_body_block_from_a_mapping_is_urlencoded() {
    let up = ok_upstream();
    let n = start_bodies(&up);
    let user = "a&b=c d+é";
    let r = client()
        .post(format!("{}/form-object", n.url()))
        .json(&json!({"user": user}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        sorted(seen.form()),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("note", &format!("hello {user}")),
            ("user", user)
        ]),
        "{}",
        seen.body
    );
}

#[test]
fn a_form_body_block_from_a_string_encodes_each_value() {
    let up = ok_upstream();
    let n = start_bodies(&up);
    let r = client()
        .post(format!("{}/form-string", n.url()))
        .json(&json!({"user": "x&b=evil #1"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        seen.form(),
        vec![
            ("a".to_owned(), "x&b=evil #1".to_owned()),
            ("b".to_owned(), "2".to_owned())
        ],
        "{}",
        seen.body
    );
}

#[test]
fn a_text_body_block_is_plain_text() {
    let up = ok_upstream();
    let n = start_bodies(&up);
    let r = client()
        .post(format!("{}/text", n.url()))
        .json(&json!({"name": "Ada", "count": 3}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert!(
        seen.header("content-type")
            .unwrap()
            .starts_with("text/plain"),
        "{seen:#?}"
    );
    assert_eq!(seen.body, "Hello Ada, you have 3 items.");
}

#[test]
fn a_json_body_block_whose_data_is_a_string_sends_that_json_text() {
    let up = ok_upstream();
    let n = start_bodies(&up);
    let r = client()
        .post(format!("{}/json-text", n.url()))
        .json(&json!({"name": "Ada", "count": 3}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        body_json(&seen),
        json!({"name": "Ada", "count": 3}),
        "raw body: {}",
        seen.body
    );
}

#[test]
fn a_raw_string_body_that_renders_to_json_is_sent_as_json() {
    let up = ok_upstream();
    let n = start_bodies(&up);
    let r = client()
        .post(format!("{}/raw", n.url()))
        .json(&json!({"name": "Ada", "count": 3}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        body_json(&seen),
        json!({"name": "Ada", "count": 3}),
        "raw body: {}",
        seen.body
    );
}

#[test]
fn an_xml_body_block_is_sent_as_xml() {
    let up = ok_upstream();
    let n = start_bodies(&up);
    let r = client()
        .post(format!("{}/xml", n.url()))
        .json(&json!({"name": "Ada", "count": 3}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/xml")
    );
    assert_eq!(seen.body, "<user><name>Ada</name><count>3</count></user>");
}

/// The parts of a multipart body: (header block, content).
fn multipart_parts(seen: &Seen) -> Vec<(String, String)> {
    let ct = seen.header("content-type").unwrap();
    assert!(ct.starts_with("multipart/form-data"), "{ct}");
    let boundary = ct
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .unwrap_or_else(|| panic!("no boundary in {ct}"))
        .trim_matches('"')
        .to_owned();
    let delimiter = format!("--{boundary}");
    let body = &seen.body;
    assert!(body.starts_with(&delimiter), "{body:?}");
    assert!(
        body.trim_end().ends_with(&format!("{delimiter}--")),
        "{body:?}"
    );
    body.split(&delimiter)
        .skip(1)
        .filter(|p| !p.starts_with("--"))
        .map(|p| {
            let p = p.strip_prefix("\r\n").expect("CRLF after the delimiter");
            let (head, content) = p
                .split_once("\r\n\r\n")
                .expect("a blank line after the part headers");
            let content = content
                .strip_suffix("\r\n")
                .expect("CRLF before the next delimiter");
            (head.to_owned(), content.to_owned())
        })
        .collect()
}

#[test]
fn a_multipart_body_block_sends_each_part() {
    let up = ok_upstream();
    let n = start_bodies(&up);
    let r = client()
        .post(format!("{}/multipart", n.url()))
        .json(&json!({"name": "Ada"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    let parts = multipart_parts(&seen);
    assert_eq!(parts.len(), 2, "{:?}", seen.body);
    let (head, content) = &parts[0];
    assert!(
        head.contains(r#"Content-Disposition: form-data; name="meta""#),
        "{head}"
    );
    assert_eq!(content, "Ada");
    let (head, content) = &parts[1];
    assert!(
        head.contains(r#"name="file""#) && head.contains(r#"filename="notes.txt""#),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain"),
        "{head}"
    );
    assert_eq!(content, "content of Ada");
}

// ---------------------------------------------------------------------------------------
// Authentication

const USER: &str = "aladdin";
const PASS: &str = "open:sesame é";
const TOKEN: &str = "tok-req-123456";
const KEY: &str = "key-req-456789";

fn start_auth(up: &Upstream) -> Naftiko {
    let base = up.url();
    let ns: Vec<(&str, String)> = [
        ("req-basic", "basic"),
        ("req-bearer", "bearer"),
        ("req-key-header", "key-header"),
        ("req-key-query", "key-query"),
        ("req-key-openapi", "key-openapi"),
        ("req-digest", "digest"),
    ]
    .iter()
    .map(|(ns, p)| (*ns, format!("{base}/{p}")))
    .collect();
    start(
        AUTH,
        "req-auth-rest",
        &ns,
        &[
            ("REQ_USER", USER),
            ("REQ_PASS", PASS),
            ("REQ_TOKEN", TOKEN),
            ("REQ_KEY", KEY),
        ],
    )
}

fn get_ok(n: &Naftiko, path: &str) {
    let r = client().get(format!("{}{path}", n.url())).send().unwrap();
    assert_eq!(r.status(), 200, "{path}: {}", r.text().unwrap());
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn basic_auth_sends_base64_of_user_colon_password() {
    assert_eq!(
        base64(b"Aladdin:open sesame"),
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
    let up = ok_upstream();
    let n = start_auth(&up);
    get_ok(&n, "/basic");
    let seen = only(&up);
    assert_eq!(seen.path(), "/basic/who");
    let expected = format!("Basic {}", base64(format!("{USER}:{PASS}").as_bytes()));
    assert_eq!(seen.header("authorization"), Some(expected));
}

#[test]
fn bearer_auth_sends_the_token() {
    let up = ok_upstream();
    let n = start_auth(&up);
    get_ok(&n, "/bearer");
    let seen = only(&up);
    assert_eq!(seen.path(), "/bearer/who");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {TOKEN}"))
    );
}

#[test]
fn an_api_key_goes_in_its_header() {
    let up = ok_upstream();
    let n = start_auth(&up);
    get_ok(&n, "/key-header");
    let seen = only(&up);
    assert_eq!(seen.header("x-api-key").as_deref(), Some(KEY));
    assert!(seen.header("authorization").is_none());
    assert_eq!(seen.query(), vec![]);
}

#[test]
fn an_api_key_goes_in_the_query_beside_other_parameters() {
    let up = ok_upstream();
    let n = start_auth(&up);
    get_ok(&n, "/key-query");
    let seen = only(&up);
    assert_eq!(seen.path(), "/key-query/who");
    assert_eq!(
        sorted(seen.query()),
        pairs(&[("api_key", KEY), ("q", "a b")]),
        "{}",
        seen.target
    );
    assert!(seen.header("api_key").is_none());
}

#[test]
fn an_api_key_written_with_openapi_field_names_goes_in_its_header() {
    let up = ok_upstream();
    let n = start_auth(&up);
    get_ok(&n, "/key-openapi");
    let seen = only(&up);
    assert_eq!(seen.header("x-key").as_deref(), Some(KEY), "{seen:#?}");
    assert_eq!(seen.query(), vec![]);
}

const CHALLENGE: &str = r#"Digest realm="r", nonce="n", qop="auth", algorithm=MD5"#;

#[test]
fn digest_auth_answers_the_challenge_with_a_correct_md5_response() {
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        md5_hex(b"The quick brown fox jumps over the lazy dog"),
        "9e107d9d372bb6826bd81d3542a419d6"
    );
    assert_eq!(
        md5_hex(
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
        ),
        "57edf4a22be3c955ac49da2e2107b67a"
    );
    let up = Upstream::start(|seen| {
        if seen.header("authorization").is_none() {
            Reply::status_json(401, json!({"error": "unauthorized"}))
                .header("www-authenticate", CHALLENGE)
        } else {
            Reply::json(json!({"ok": true}))
        }
    });
    let n = start_auth(&up);
    let r = client().get(format!("{}/digest", n.url())).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"ok": true}));
    let seen = up.seen();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    assert!(seen[0].header("authorization").is_none());
    assert_eq!(seen[1].target, seen[0].target);
    assert_eq!(seen[1].target, "/digest/who?q=a+b");
    let header = seen[1].header("authorization").unwrap();
    let f = digest_fields(&header);
    let get = |k: &str| -> String {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no `{k}` in {header}"))
    };
    assert_eq!(get("username"), USER);
    assert_eq!(get("realm"), "r");
    assert_eq!(get("nonce"), "n");
    assert_eq!(get("qop"), "auth");
    assert_eq!(get("uri"), seen[1].target);
    let (nc, cnonce) = (get("nc"), get("cnonce"));
    assert_eq!(nc.len(), 8, "{header}");
    assert!(!cnonce.is_empty());
    let ha1 = md5_hex(format!("{USER}:r:{PASS}").as_bytes());
    let ha2 = md5_hex(format!("GET:{}", seen[1].target).as_bytes());
    let expected = md5_hex(format!("{ha1}:n:{nc}:{cnonce}:auth:{ha2}").as_bytes());
    assert_eq!(get("response"), expected, "{header}");
    assert!(!header.contains(PASS));
}

#[test]
fn digest_auth_refused_twice_passes_the_401_through_after_one_retry() {
    let up = Upstream::start(|_| {
        Reply::status_json(401, json!({"error": "unauthorized"}))
            .header("www-authenticate", CHALLENGE)
    });
    let n = start_auth(&up);
    let r = client().get(format!("{}/digest", n.url())).send().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().unwrap(), json!({"error": "unauthorized"}));
    let seen = up.seen();
    assert_eq!(seen.len(), 2, "one retry, no loop: {seen:#?}");
    assert!(
        seen[1]
            .header("authorization")
            .unwrap()
            .starts_with("Digest ")
    );
}

#[test]
fn digest_auth_without_qop_uses_the_rfc_2069_response_and_echoes_opaque() {
    let up = Upstream::start(|seen| {
        if seen.header("authorization").is_none() {
            Reply::status_json(401, json!({})).header(
                "www-authenticate",
                r#"Digest realm="r2", nonce="n2", opaque="o2""#,
            )
        } else {
            Reply::json(json!({"ok": true}))
        }
    });
    let n = start_auth(&up);
    get_ok(&n, "/digest");
    let seen = up.seen();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    let header = seen[1].header("authorization").unwrap();
    let f = digest_fields(&header);
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("opaque").as_deref(), Some("o2"), "{header}");
    assert_eq!(get("qop"), None, "{header}");
    let ha1 = md5_hex(format!("{USER}:r2:{PASS}").as_bytes());
    let ha2 = md5_hex(format!("GET:{}", seen[1].target).as_bytes());
    assert_eq!(
        get("response"),
        Some(md5_hex(format!("{ha1}:n2:{ha2}").as_bytes())),
        "{header}"
    );
}

#[test]
fn a_bearer_401_passes_through_without_a_retry() {
    let up = Upstream::start(|_| Reply::status_json(401, json!({"error": "invalid_token"})));
    let n = start_auth(&up);
    let r = client().get(format!("{}/bearer", n.url())).send().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"error": "invalid_token"})
    );
    assert_eq!(up.seen().len(), 1);
}

// ---------------------------------------------------------------------------------------
// Exposed inputs

fn start_inputs(up: &Upstream) -> Naftiko {
    start(INPUTS, "req-in-rest", &[("req-in", up.url())], &[])
}

#[test]
fn valid_inputs_are_typed_before_they_reach_the_upstream() {
    let up = ok_upstream();
    let n = start_inputs(&up);
    let r = client()
        .get(format!(
            "{}/search?limit=5&ratio=0.5&active=true&code=ABC",
            n.url()
        ))
        .header("x-tenant", "t-42")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let seen = only(&up);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.header("x-tenant").as_deref(), Some("t-42"));
    let body = body_json(&seen);
    assert_eq!(
        body,
        json!({"limit": 5, "ratio": 0.5, "active": true, "code": "ABC"})
    );
    assert!(body["limit"].is_i64(), "{body}");
}

#[test]
fn absent_optional_inputs_are_not_sent() {
    let up = ok_upstream();
    let n = start_inputs(&up);
    let r = client()
        .get(format!("{}/search?limit=1", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = only(&up);
    assert_eq!(body_json(&seen), json!({"limit": 1}));
    assert!(seen.header("x-tenant").is_none());
}

#[test]
fn invalid_inputs_are_a_400_naming_them_and_nothing_is_sent() {
    let up = ok_upstream();
    let n = start_inputs(&up);
    for (query, name) in [
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("limit=", "limit"),
        ("ratio=half", "ratio"),
        ("active=yes", "active"),
        ("code=abcd", "code"),
        ("code=ABCD", "code"),
    ] {
        let r = client()
            .get(format!("{}/search?{query}", n.url()))
            .send()
            .unwrap();
        let problem = assert_bad_param(r, name);
        assert_eq!(
            problem["invalid-params"][0]["in"], "query",
            "{query}: {problem}"
        );
    }
    let r = client()
        .get(format!("{}/search", n.url()))
        .header("x-tenant", "tenant-1")
        .send()
        .unwrap();
    let problem = assert_bad_param(r, "x-tenant");
    assert_eq!(problem["invalid-params"][0]["in"], "header", "{problem}");
    assert!(up.seen().is_empty(), "{:#?}", up.seen());
}

#[test]
fn a_typed_path_variable_is_validated() {
    let up = ok_upstream();
    let n = start_inputs(&up);
    let r = client()
        .get(format!("{}/items/abc", n.url()))
        .send()
        .unwrap();
    let problem = assert_bad_param(r, "id");
    assert_eq!(problem["invalid-params"][0]["in"], "path", "{problem}");
    assert!(up.seen().is_empty());
    let r = client()
        .get(format!("{}/items/12", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(only(&up).target, "/items/12");
}

// ---------------------------------------------------------------------------------------
// Outputs

fn start_outputs(up: &Upstream) -> Naftiko {
    start(OUTPUTS, "req-out-rest", &[("req-out", up.url())], &[])
}

#[test]
fn nested_properties_and_items_map_relative_to_their_parent() {
    let up = Upstream::start(|_| {
        Reply::json(json!({
            "data": {
                "user": {"id": "17", "profile": {"name": "Ada"}, "address": {"city": "Paris", "zip": "75001"}},
                "tags": [{"name": "a", "x": 1}, {"name": "b"}],
                "ids": ["1", 2, "3.5"]
            },
            "noise": true
        }))
    });
    let n = start_outputs(&up);
    let r = client().get(format!("{}/nested", n.url())).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: Value = r.json().unwrap();
    assert_eq!(
        body,
        json!({
            "id": 17,
            "name": "Ada",
            "owner": {"city": "Paris"},
            "ids": [1, 2, 3.5],
            "tags": [{"label": "a"}, {"label": "b"}]
        })
    );
}

#[test]
fn one_unnamed_whole_document_output_returns_the_upstream_body_as_is() {
    let doc = json!({"any": [1, {"x": null}], "s": "t", "n": 1.5});
    let d = doc.clone();
    let up = Upstream::start(move |_| Reply::json(d.clone()));
    let n = start_outputs(&up);
    for path in ["/whole", "/passthrough"] {
        let r = client().get(format!("{}{path}", n.url())).send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.json::<Value>().unwrap(), doc, "{path}");
    }
}

#[test]
fn named_outputs_make_an_object() {
    let up = Upstream::start(|_| Reply::json(json!({"id": 5, "meta": {"title": "T"}, "junk": 1})));
    let n = start_outputs(&up);
    let r = client().get(format!("{}/named", n.url())).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"id": 5, "title": "T"}));
}

#[test]
fn an_integer_output_is_coerced_losslessly_from_a_string() {
    let up = Upstream::start(|_| Reply::json(json!({"count": "42"})));
    let n = start_outputs(&up);
    let r = client().get(format!("{}/counted", n.url())).send().unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().unwrap();
    assert_eq!(body, json!({"count": 42}));
    assert!(body["count"].is_i64());
}

#[test]
fn an_output_that_cannot_be_coerced_is_a_502_naming_it() {
    let up = Upstream::start(|_| Reply::json(json!({"count": "abc"})));
    let n = start_outputs(&up);
    let r = client().get(format!("{}/counted", n.url())).send().unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["output"], "count", "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("count"),
        "{problem}"
    );
    assert!(
        !problem.to_string().contains("abc"),
        "the value is not echoed: {problem}"
    );
}

#[test]
fn an_upstream_201_with_outputs_stays_201() {
    let up = Upstream::start(|_| Reply::status_json(201, json!({"id": "n-1", "x": 2})));
    let n = start_outputs(&up);
    let r = client()
        .post(format!("{}/created", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().unwrap(), json!({"id": "n-1"}));
    assert_eq!(only(&up).method, "POST");
}

#[test]
fn an_upstream_204_without_outputs_stays_204() {
    let up = Upstream::start(|_| Reply::raw(204, "application/json", ""));
    let n = start_outputs(&up);
    let r = client()
        .delete(format!("{}/plain", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.text().unwrap(), "");
    assert_eq!(only(&up).method, "DELETE");
}

#[test]
fn an_upstream_4xx_passes_through_unshaped() {
    let up = Upstream::start(|_| Reply::status_json(404, json!({"error": "no such thing"})));
    let n = start_outputs(&up);
    let r = client().get(format!("{}/named", n.url())).send().unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"error": "no such thing"})
    );
}

#[test]
fn an_upstream_500_is_a_502_with_the_upstream_status() {
    let up = Upstream::start(|_| Reply::status_json(500, json!({"error": "internal detail"})));
    let n = start_outputs(&up);
    let r = client().get(format!("{}/named", n.url())).send().unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["upstreamStatus"], 500, "{problem}");
    assert_eq!(problem["upstream"], "req-out", "{problem}");
    assert!(
        !problem.to_string().contains("internal detail"),
        "{problem}"
    );
}

#[test]
fn a_non_json_upstream_body_with_outputs_is_a_502() {
    let up =
        Upstream::start(|_| Reply::raw(200, "text/html", "<html><body>maintenance</body></html>"));
    let n = start_outputs(&up);
    let r = client().get(format!("{}/named", n.url())).send().unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["upstream"], "req-out", "{problem}");
    assert_eq!(
        problem["type"], "urn:naftiko:problem:upstream-invalid-body",
        "{problem}"
    );
}

#[test]
fn a_mock_operation_answers_its_static_outputs_without_any_upstream() {
    let up = ok_upstream();
    let n = start_outputs(&up);
    let r = client()
        .get(format!("{}/mock?who=Ada", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: Value = r.json().unwrap();
    assert_eq!(
        body,
        json!({
            "greeting": "Hello Ada",
            "status": "ok",
            "version": 3,
            // Object and array mocks without a path answer their properties.
            "vessel": {"imo": "IMO-1", "crew": [{"role": "captain"}]}
        })
    );
    assert!(up.seen().is_empty());
}

#[test]
fn the_request_fixtures_validate_without_errors() {
    for path in [RESOLUTION, LOCATIONS, BODIES, AUTH, INPUTS, OUTPUTS] {
        let run = common::naftiko(&["validate", path]);
        run.assert_no_panic();
        assert_eq!(run.code(), 0, "{path}\n{run}");
        assert!(run.stdout.contains("0 errors"), "{path}\n{run}");
    }
}
