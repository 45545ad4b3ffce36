//! The control port's page for people (`GET /`), looked at in a real browser: headless
//! Chromium (the Debian `chromium` package; `.ci/run` installs it) takes a screenshot and
//! dumps the DOM of the page of a running `naftiko` that has served some requests, some of
//! them failing. The page must show the capability, the listeners, what each serves with
//! its authentication, the counts of the requests made and the upstream's health; the
//! fixture's label, which is HTML, must show as text; no secret may appear. Without
//! Chromium the test is skipped ([`common::skip_or_fail`]: it fails under CI).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common;
use common::serve::{Naftiko, Reply, Upstream, client};

const FIXTURE: &str = "tests/fixtures/run/status-page.yaml";
/// The fixture's label, as it must read on the page.
const LABEL: &str =
    r#"Fleet <img src=x onerror="document.title=1"> & 'quoted' <b>bold</b> </td></table>"#;
const TOKEN: &str = "page-t0ken-8c1d2e";
const UPSTREAM_TOKEN: &str = "upstream-s3cret-40f7aa";

/// Chromium on PATH, or `None` after [`common::skip_or_fail`].
fn chromium() -> Option<PathBuf> {
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for name in ["chromium", "chromium-browser"] {
        if let Some(found) = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()) {
            return Some(found);
        }
    }
    common::skip_or_fail("chromium is not installed (apt-get install chromium; .ci/run does)");
    None
}

/// Runs headless Chromium on `url` with `args` added, its profile and HOME in `profile`.
fn browse(chromium: &Path, profile: &Path, args: &[&str], url: &str) -> common::Run {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .arg(url)
    .env("HOME", profile);
    let run = common::run_command(&mut cmd, Duration::from_secs(90), "chromium");
    assert_eq!(run.code(), 0, "{run}");
    run
}

/// Text as the page shows it: character references the DOM serializer writes, decoded.
fn decode(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// The text of `html` without its tags.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        rest = rest[open..].split_once('>').map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    decode(&out)
}

/// Every table row of the dumped DOM, as the text of its cells.
fn rows(dom: &str) -> Vec<Vec<String>> {
    dom.split("<tr>")
        .skip(1)
        .map(|row| {
            let row = row.split("</tr>").next().unwrap_or("");
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let inner = cell.split_once('>').map_or("", |(_, c)| c);
                    text_of(inner.split("</td>").next().unwrap_or(""))
                })
                .collect::<Vec<String>>()
        })
        .filter(|cells| !cells.is_empty())
        .collect()
}

/// Asserts that `rows` has a row that starts with `start`.
fn assert_row(rows: &[Vec<String>], start: &[&str]) {
    assert!(
        rows.iter()
            .any(|r| r.len() >= start.len() && r.iter().zip(start).all(|(a, b)| a == b)),
        "no row starting {start:?} in\n{rows:#?}"
    );
}

fn start(up: &Upstream) -> Naftiko {
    let base = format!("fleet-api={}/api", up.url());
    start_file(FIXTURE, &["--base-uri", &base, "--control", "127.0.0.1:0"])
}

/// `file` with its three blocks on free ports, the bound tokens set, and `extra` flags.
fn start_file(file: &str, extra: &[&str]) -> Naftiko {
    let mut args = vec![
        file,
        "--listen",
        "fleet-rest=127.0.0.1:0",
        "--listen",
        "fleet-admin=127.0.0.1:0",
        "--listen",
        "fleet-mcp=127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    Naftiko::start(
        &args,
        &[
            ("PAGE_TOKEN", TOKEN),
            ("PAGE_UPSTREAM_TOKEN", UPSTREAM_TOKEN),
        ],
    )
}

/// The requests the page must count: on `GET /ships/{imo}` two failing (the upstream
/// answers 500) then three answered; on the guarded route one refused and one answered; one
/// MCP tool call; one path no route matches.
fn traffic(n: &Naftiko) {
    let c = client();
    let rest = n.url_of("fleet-rest");
    for imo in ["1", "1", "9074729", "9074729", "9074729"] {
        let r = c.get(format!("{rest}/ships/{imo}")).send().unwrap();
        let expected = if imo == "1" { 502 } else { 200 };
        assert_eq!(r.status(), expected, "{}", r.text().unwrap());
    }
    let admin = format!("{rest}/admin/ships/9074729");
    assert_eq!(c.get(&admin).send().unwrap().status(), 401);
    let r = c.get(&admin).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.get(format!("{rest}/nowhere")).send().unwrap().status(),
        404
    );
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "get-ship", "arguments": {"imo": "9074729"}}});
    let r = c
        .post(format!("{}/mcp", n.url_of("fleet-mcp")))
        .header("accept", "application/json, text/event-stream")
        .json(&call)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!r.text().unwrap().contains("\"isError\":true"));
}

#[test]
fn chromium_shows_the_status_page_with_counts_and_the_label_as_text() {
    let Some(chromium) = chromium() else { return };
    let up = Upstream::start(|s| {
        if s.path().ends_with("/ships/1") {
            Reply::status_json(500, json!({"error": "boom"}))
        } else {
            Reply::json(json!({"name": "Ever Given"}))
        }
    });
    let n = start(&up);
    traffic(&n);
    // The upstream token is really in use: the page must not show it.
    let seen = up.seen();
    assert_eq!(seen.len(), 7);
    assert_eq!(
        seen[0].header("authorization").as_deref(),
        Some(format!("Bearer {UPSTREAM_TOKEN}").as_str())
    );

    let page = format!("{}/", n.url_of("control"));
    let profile = common::Scratch::new("chromium");
    let shot = profile.path().join("page.png");
    browse(
        &chromium,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
        ],
        &page,
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 10_000, "a blank page? {} bytes", png.len());
    let size = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    assert_eq!((size(16), size(20)), (1280, 2000), "the IHDR size");

    let dom = browse(&chromium, profile.path(), &["--dump-dom"], &page).stdout;
    assert_page(&dom, &n);
    let status: Value = client()
        .get(format!("{}/status", n.url_of("control")))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_status(&status);
    for secret in [TOKEN, UPSTREAM_TOKEN] {
        assert!(!dom.contains(secret), "`{secret}` on the page:\n{dom}");
        assert!(
            !status.to_string().contains(secret),
            "`{secret}` in /status"
        );
    }
    let (code, _) = n.stop();
    assert_eq!(code, 0);
}

/// What the browser shows: the label as text (no element made of it), every listener and
/// what it serves with its authentication, and the counts of [`traffic`].
fn assert_page(dom: &str, n: &Naftiko) {
    assert!(dom.contains("<title>naftiko status</title>"), "{dom}");
    assert!(!dom.contains("<img") && !dom.contains("<b>"), "{dom}");
    assert!(!dom.contains("<script"), "{dom}");
    let text = text_of(dom);
    assert!(text.contains(LABEL), "{text}");
    assert!(text.contains("generation 1, no reload"), "{text}");
    let rows = rows(dom);
    assert_row(&rows, &[FIXTURE, LABEL, "1.0.0-alpha2", "fleet-api"]);
    let rest = n.listener("fleet-rest").to_string();
    assert_row(&rows, &["rest", "fleet-rest, fleet-admin", &rest]);
    assert_row(
        &rows,
        &["mcp", "fleet-mcp", &n.listener("fleet-mcp").to_string()],
    );
    assert_row(
        &rows,
        &["control", "control", &n.listener("control").to_string()],
    );
    let call = "fleet-api.get-ship";
    assert_row(
        &rows,
        &["fleet-rest", "route", "GET /ships/{imo}", call, "none"],
    );
    assert_row(
        &rows,
        &[
            "fleet-admin",
            "route",
            "GET /admin/ships/{imo}",
            call,
            "bearer",
        ],
    );
    assert_row(&rows, &["fleet-mcp", "tool", "get-ship", call, "none"]);
    assert_row(&rows, &["control", "endpoint", "GET /", "—", "none"]);
    // Adapter, operation, requests, errors, statuses, last status, last error.
    assert_row(
        &rows,
        &[
            "rest",
            "GET /ships/{imo}",
            "5",
            "2",
            "200 ×3, 502 ×2",
            "200",
            "upstream-error",
        ],
    );
    assert_row(
        &rows,
        &[
            "rest",
            "GET /admin/ships/{imo}",
            "2",
            "1",
            "200 ×1, 401 ×1",
            "200",
            "unauthorized",
        ],
    );
    assert_row(&rows, &["mcp", "get-ship", "1", "0", "200 ×1", "200", "—"]);
    assert_row(&rows, &["rest", "-", "1", "1", "404 ×1", "404"]);
    // Consumed API, calls, errors, statuses, last status, last error.
    assert_row(
        &rows,
        &[
            "fleet-api",
            "7",
            "2",
            "200 ×5, 500 ×2",
            "200",
            "upstream-error",
        ],
    );
}

/// `/status` says the same as the page, in JSON.
fn assert_status(status: &Value) {
    let ops = status["operations"].as_array().unwrap();
    let ships = ops
        .iter()
        .find(|o| o["operation"] == "GET /ships/{imo}")
        .unwrap();
    assert_eq!(
        *ships,
        json!({"adapter": "rest", "operation": "GET /ships/{imo}", "requests": 5, "errors": 2,
               "statuses": {"200": 3, "502": 2}, "lastStatus": 200, "lastError": "upstream-error"})
    );
    assert_eq!(
        status["upstreams"],
        json!([{"namespace": "fleet-api", "requests": 7, "errors": 2,
                "statuses": {"200": 5, "500": 2}, "lastStatus": 200, "lastError": "upstream-error"}])
    );
    let serves = &status["listeners"][0]["serves"];
    assert_eq!(serves[1]["name"], "GET /admin/ships/{imo}", "{status}");
    assert_eq!(serves[1]["auth"], "bearer", "{status}");
    assert_eq!(status["capabilities"][0]["label"], LABEL);
    assert_eq!(status["capabilities"][0]["consumes"], json!(["fleet-api"]));
    assert_eq!(status["reload"], json!({"generation": 1}), "{status}");
}

/// With the fixture's control block (and no `--control`), its bearer authentication guards
/// the page like every other control endpoint; `HEAD /` answers the page's head.
#[test]
fn the_page_is_guarded_by_the_control_blocks_authentication_and_answers_head() {
    let port = common::free_port();
    let dir = common::Scratch::new("status-page");
    let text = std::fs::read_to_string(common::root().join(FIXTURE))
        .unwrap()
        .replace("port: 9100", &format!("port: {port}"));
    let path = dir.write("status-page.yaml", text);
    let n = start_file(path.to_str().unwrap(), &[]);
    let page = format!("http://127.0.0.1:{port}/");
    let c = client();
    assert_eq!(c.get(&page).send().unwrap().status(), 401);
    let wrong = c.get(&page).bearer_auth("wrong-token").send().unwrap();
    assert_eq!(wrong.status(), 401);
    let r = c.get(&page).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    let body = r.text().unwrap();
    assert!(
        !body.contains(TOKEN) && !body.contains(UPSTREAM_TOKEN),
        "{body}"
    );
    let rows = rows(&body);
    assert_row(&rows, &["control", "endpoint", "GET /", "—", "bearer"]);
    assert_row(
        &rows,
        &["control", "endpoint", "GET /status", "—", "bearer"],
    );
    let head = c.head(&page).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(head.bytes().unwrap().len(), 0);
    let (code, _) = n.stop();
    assert_eq!(code, 0);
}
