//! The Agent Skills catalog end to end: `naftiko run` started as a user would, with
//! `--expose skill` on the seed and with an `exposes: type: skill` fixture; a real HTTP
//! client (and a raw socket for paths a client would normalize), downloads unpacked with
//! Python's `zipfile`.

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::Scratch;
use common::serve::{Naftiko, Reply, Upstream, client};
use serde_json::{Value, json};

const SEED: &str = "capabilities/oauth2-tokens.yaml";
const FIXTURE: &str = "tests/fixtures/run/skill-catalog.yaml";
const FILES: &str = "tests/fixtures/run/skill-files";

fn get(url: &str) -> reqwest::blocking::Response {
    client().get(url).send().unwrap()
}

fn get_json(url: &str) -> Value {
    let r = get(url);
    assert_eq!(r.status(), 200, "{url}");
    assert_eq!(r.headers()["content-type"], "application/json", "{url}");
    r.json().unwrap()
}

/// Asserts a problem+json answer with this status.
fn assert_problem(r: reqwest::blocking::Response, status: u16) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().unwrap();
    assert_eq!(body["status"], status, "{body}");
    body
}

/// Sends `GET target` as written (no client-side path normalization); returns the status
/// line and the whole answer.
fn raw_get(addr: SocketAddr, target: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

/// Unpacks a zip with Python's `zipfile` into `dir`; returns its entry names.
fn unzip(bytes: &[u8], dir: &Path) -> Vec<String> {
    let archive = dir.join("download.zip");
    std::fs::write(&archive, bytes).unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nz.extractall(sys.argv[2])\nprint('\\n'.join(z.namelist()))",
        ])
        .arg(&archive)
        .arg(dir.join("out"))
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The front matter of a SKILL.md as `(key, raw value)` lines, and the body after it.
fn front_matter(md: &str) -> (Vec<(String, String)>, String) {
    let rest = md
        .strip_prefix("---\n")
        .expect("front matter opens the file");
    let (head, body) = rest.split_once("\n---\n").expect("front matter closes");
    let pairs = head
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (pairs, body.to_owned())
}

/// A front matter string value (double-quoted: JSON string syntax is valid YAML).
fn fm_string(pairs: &[(String, String)], key: &str) -> String {
    let raw = &pairs
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no `{key}` in the front matter"))
        .1;
    serde_json::from_str(raw)
        .unwrap_or_else(|e| panic!("`{key}: {raw}` is not a quoted string: {e}"))
}

/// The JSON body of the `curl … -d '…'` command documented after `curl_line`.
fn documented_body(md: &str, curl_line: &str) -> Value {
    let after = &md[md.find(curl_line).expect("the curl line")..];
    let start = after.find("-d '").expect("a -d body") + 4;
    let end = after[start..].find('\'').unwrap() + start;
    serde_json::from_str(&after[start..end]).unwrap()
}

fn seed_description() -> String {
    let text = std::fs::read_to_string(common::root().join(SEED)).unwrap();
    // The folded description of the seed, unfolded (two lines, one space between).
    let start = text.find("description: '").unwrap() + "description: '".len();
    let end = text[start..].find("'\n").unwrap() + start;
    text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn expose_skill_on_the_seed_serves_a_catalog_and_a_loadable_download() {
    let upstream = Upstream::start(|_| {
        Reply::json(json!({"access_token": "eyJ.skill.token", "expires_in": 60}))
    });
    let rest_port = common::free_port();
    let listen = format!("oauth2-tokens-rest=127.0.0.1:{rest_port}");
    let base = format!("oauth2-tokens={}", upstream.url());
    let n = Naftiko::start(
        &[
            SEED,
            "--base-uri",
            &base,
            "--listen",
            &listen,
            "--expose",
            "skill=127.0.0.1:0",
        ],
        &[],
    );
    let skills = format!("http://{}", n.listener("naftiko-skills"));
    let name = "vectara-oauth-2-0-token-api-tokens";
    let description = seed_description();

    let catalog = get_json(&format!("{skills}/skills"));
    assert_eq!(
        catalog,
        json!({"count": 1, "skills": [{"name": name, "description": description, "tools": ["getoauthtoken"]}]})
    );

    let detail = get_json(&format!("{skills}/skills/{name}"));
    assert_eq!(detail["name"], name);
    let tool = &detail["tools"][0];
    assert_eq!(tool["name"], "getoauthtoken");
    assert_eq!(tool["type"], "derived");
    assert_eq!(
        tool["invocationRef"],
        json!({"targetNamespace": "oauth2-tokens-rest", "action": "getoauthtoken", "mode": "rest"})
    );
    for input in ["grant_type", "client_id", "client_secret"] {
        assert_eq!(
            tool["inputSchema"]["properties"][input]["type"], "string",
            "{tool}"
        );
    }

    let r = get(&format!("{skills}/skills/{name}/download"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert_eq!(
        r.headers()["content-disposition"],
        format!("attachment; filename=\"{name}.zip\"").as_str()
    );
    let bytes = r.bytes().unwrap();
    let scratch = Scratch::new("skill-seed");
    let names = unzip(&bytes, scratch.path());
    assert_eq!(names, vec![format!("{name}/"), format!("{name}/SKILL.md")]);
    let md =
        std::fs::read_to_string(scratch.path().join("out").join(name).join("SKILL.md")).unwrap();

    let (pairs, body) = front_matter(&md);
    assert_eq!(fm_string(&pairs, "name"), name);
    assert_eq!(fm_string(&pairs, "description"), description);
    assert!(body.contains(&format!("# {name}")), "{md}");
    assert!(body.contains("## When to use"), "{md}");
    assert!(body.contains("### getoauthtoken"), "{md}");
    for input in ["grant_type", "client_id", "client_secret"] {
        assert!(
            body.contains(&format!("| `{input}` | string | yes |")),
            "{md}"
        );
    }
    let curl = format!("curl -X POST 'http://127.0.0.1:{rest_port}/v1/oauth2/token'");
    assert!(body.contains(&curl), "{md}");
    assert!(body.contains("| `access_token` | string |"), "{md}");
    assert!(body.contains("| `expires_in` | integer |"), "{md}");

    // The same file is served on its own, and listed as the skill's only file.
    let r = get(&format!("{skills}/skills/{name}/SKILL.md"));
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    assert_eq!(r.text().unwrap(), md);
    let contents = get_json(&format!("{skills}/skills/{name}/contents"));
    assert_eq!(
        contents,
        json!({"name": name, "files": [{"path": "SKILL.md", "size": md.len(), "type": "text/markdown"}]})
    );
    assert_problem(
        get(&format!("{skills}/skills/{name}/contents/README.md")),
        404,
    );

    // The documented call works as written, placeholders filled in.
    let mut doc_body = documented_body(&md, &curl);
    assert_eq!(
        doc_body,
        json!({"grant_type": "<grant_type>", "client_id": "<client_id>", "client_secret": "<client_secret>"})
    );
    doc_body["grant_type"] = json!("client_credentials");
    doc_body["client_id"] = json!("id-1");
    doc_body["client_secret"] = json!("s3cr3t");
    let r = client()
        .post(format!("http://127.0.0.1:{rest_port}/v1/oauth2/token"))
        .json(&doc_body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"access_token": "eyJ.skill.token", "expires_in": 60})
    );
    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    let mut form = seen[0].form();
    form.sort();
    assert_eq!(
        form,
        [
            ("client_id", "id-1"),
            ("client_secret", "s3cr3t"),
            ("grant_type", "client_credentials")
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
}

#[test]
fn the_skill_fixture_is_valid() {
    for args in [
        &["validate", FIXTURE][..],
        &["validate", "--strict", FIXTURE],
    ] {
        let run = common::naftiko(args);
        run.assert_no_panic();
        assert_eq!(run.code(), 0, "{run}");
        assert!(run.diagnostic_lines().is_empty(), "{run}");
        assert!(run.stdout.contains("0 errors, 0 warnings"), "{run}");
    }
}

/// Starts the fixture (or a copy of it at `file`) with the REST and MCP siblings on
/// known ports; returns the process, the skill catalog URL and the two ports.
fn start_fixture(file: &str) -> (Naftiko, String, u16, u16) {
    let (rest, mcp) = (common::free_port(), common::free_port());
    let l_rest = format!("skill-catalog-rest=127.0.0.1:{rest}");
    let l_mcp = format!("skill-catalog-mcp=127.0.0.1:{mcp}");
    let n = Naftiko::start(
        &[
            file,
            "--listen",
            &l_rest,
            "--listen",
            &l_mcp,
            "--listen",
            "skill-catalog-skills=127.0.0.1:0",
        ],
        &[],
    );
    let url = format!("http://{}", n.listener("skill-catalog-skills"));
    (n, url, rest, mcp)
}

#[test]
fn a_skill_exposes_block_serves_catalog_detail_contents_files_and_download() {
    let (n, url, rest, mcp) = start_fixture(FIXTURE);
    let skill = format!("{url}/skills/notes-helper");
    let description = r#"Create and search notes: a REST call, an MCP tool and a "tidy" guide."#;

    assert_eq!(
        get_json(&format!("{url}/skills")),
        json!({"count": 1, "skills": [{
            "name": "notes-helper",
            "description": description,
            "license": "Apache-2.0",
            "tools": ["create-note", "search-notes", "tidy-notes"],
        }]})
    );

    let detail = get_json(&skill);
    assert_eq!(detail["name"], "notes-helper");
    assert_eq!(detail["license"], "Apache-2.0");
    assert_eq!(
        detail["compatibility"],
        "Needs the notes REST and MCP services on this machine."
    );
    assert_eq!(detail["allowed-tools"], "Bash(curl:*)");
    assert_eq!(detail["argument-hint"], "[folder] [title]");
    assert_eq!(detail["user-invocable"], true);
    assert_eq!(detail["disable-model-invocation"], false);
    assert_eq!(
        detail["metadata"],
        json!({"author": "naftiko tests", "category": "notes: demo"})
    );
    let tools = detail["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 3);
    assert_eq!(tools[0]["type"], "derived");
    assert_eq!(
        tools[0]["invocationRef"],
        json!({"targetNamespace": "skill-catalog-rest", "action": "create-note", "mode": "rest"})
    );
    let props = tools[0]["inputSchema"]["properties"].as_object().unwrap();
    assert_eq!(
        props.keys().map(String::as_str).collect::<Vec<_>>(),
        ["folder", "title", "pinned"]
    );
    assert_eq!(
        tools[0]["outputSchema"]["properties"]["id"]["type"],
        "string"
    );
    assert_eq!(
        tools[1]["invocationRef"],
        json!({"targetNamespace": "skill-catalog-mcp", "action": "search-notes", "mode": "mcp"})
    );
    assert_eq!(
        tools[1]["inputSchema"]["properties"]["limit"]["type"],
        "integer"
    );
    assert_eq!(
        tools[2],
        json!({"name": "tidy-notes", "description": "How to tidy a folder of notes.", "type": "instruction", "instruction": "docs/guide.md"})
    );

    // The generated SKILL.md: front matter, sections, how to call each tool.
    let r = get(&format!("{skill}/SKILL.md"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/markdown; charset=utf-8");
    let md = r.text().unwrap();
    let (pairs, body) = front_matter(&md);
    assert_eq!(fm_string(&pairs, "name"), "notes-helper");
    assert_eq!(fm_string(&pairs, "description"), description);
    assert_eq!(fm_string(&pairs, "license"), "Apache-2.0");
    assert_eq!(fm_string(&pairs, "allowed-tools"), "Bash(curl:*)");
    assert_eq!(fm_string(&pairs, "argument-hint"), "[folder] [title]");
    assert!(md.contains("\nuser-invocable: true\n"), "{md}");
    assert!(md.contains("\ndisable-model-invocation: false\n"), "{md}");
    assert!(
        md.contains(
            "metadata:\n  \"author\": \"naftiko tests\"\n  \"category\": \"notes: demo\"\n"
        ),
        "{md}"
    );
    for section in [
        "# notes-helper",
        "## When to use",
        "## Tools",
        "### create-note",
        "### search-notes",
        "### tidy-notes",
    ] {
        assert!(body.contains(&format!("\n{section}\n")), "{section}\n{md}");
    }
    assert!(body.contains("| `folder` | string | yes |"), "{md}");
    assert!(body.contains("| `pinned` | boolean |"), "{md}");
    let curl = format!("curl -X POST 'http://127.0.0.1:{rest}/notes/{{folder}}'");
    assert!(body.contains(&curl), "{md}");
    assert_eq!(
        documented_body(&md, &curl),
        json!({"title": "<title>", "pinned": false})
    );
    assert!(
        body.contains(&format!("`http://127.0.0.1:{mcp}/mcp`")),
        "{md}"
    );
    assert!(
        body.contains(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search-notes","arguments":{"query":"<query>","limit":0}}}"#),
        "{md}"
    );
    assert!(
        body.contains("| `limit` | integer | no | Most notes returned. |"),
        "{md}"
    );
    assert!(body.contains("| `count` | number |"), "{md}");
    assert!(body.contains("[docs/guide.md](docs/guide.md)"), "{md}");

    // Contents: SKILL.md (generated) and every file of the location, sorted.
    let readme = std::fs::read_to_string(common::root().join(FILES).join("README.md")).unwrap();
    let guide = std::fs::read_to_string(common::root().join(FILES).join("docs/guide.md")).unwrap();
    assert_eq!(
        get_json(&format!("{skill}/contents")),
        json!({"name": "notes-helper", "files": [
            {"path": "README.md", "size": readme.len(), "type": "text/markdown"},
            {"path": "SKILL.md", "size": md.len(), "type": "text/markdown"},
            {"path": "docs/guide.md", "size": guide.len(), "type": "text/markdown"},
        ]})
    );
    let r = get(&format!("{skill}/contents/docs/guide.md"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/markdown; charset=utf-8");
    assert_eq!(r.text().unwrap(), guide);
    assert_eq!(
        get(&format!("{skill}/contents/SKILL.md")).text().unwrap(),
        md
    );
    assert_eq!(
        get(&format!("{skill}/contents/README.md")).text().unwrap(),
        readme
    );

    // Download: one folder an agent can load as is.
    let r = get(&format!("{skill}/download"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"notes-helper.zip\""
    );
    let scratch = Scratch::new("skill-fixture");
    let names = unzip(&r.bytes().unwrap(), scratch.path());
    assert_eq!(
        names,
        [
            "notes-helper/",
            "notes-helper/README.md",
            "notes-helper/SKILL.md",
            "notes-helper/docs/",
            "notes-helper/docs/guide.md",
        ]
    );
    let out = scratch.path().join("out/notes-helper");
    assert_eq!(std::fs::read_to_string(out.join("SKILL.md")).unwrap(), md);
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).unwrap(),
        readme
    );
    assert_eq!(
        std::fs::read_to_string(out.join("docs/guide.md")).unwrap(),
        guide
    );

    // Unsafe paths never reach a file outside the location.
    let p = assert_problem(get(&format!("{skill}/contents/..%2F..%2Fsecret")), 400);
    assert_eq!(p["type"], "urn:naftiko:problem:invalid-path");
    assert_problem(
        get(&format!(
            "{skill}/contents/docs/..%2F..%2Fskill-catalog.yaml"
        )),
        400,
    );
    assert_problem(get(&format!("{skill}/contents/a%20b.md")), 400);
    // A client normalizes `a/../../x` and `%2e%2e` away (and gets a 404); sent as written,
    // they are refused.
    assert_problem(get(&format!("{skill}/contents/a/../../x")), 404);
    let addr = n.listener("skill-catalog-skills");
    for target in [
        "/skills/notes-helper/contents/a/../../x",
        "/skills/notes-helper/contents/../../skill-catalog.yaml",
        "/skills/notes-helper/contents/docs//guide.md",
        "/skills/notes-helper/contents/%2e%2e/skill-catalog.yaml",
        "/skills/notes-helper/contents/%2E%2E%2Fskill-catalog.yaml",
    ] {
        let (status, answer) = raw_get(addr, target);
        assert_eq!(status, 400, "{target}\n{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(!answer.contains("naftiko: 1.0.0"), "{answer}");
    }
    assert_problem(get(&format!("{skill}/contents/docs")), 404);
    assert_problem(get(&format!("{skill}/contents/missing.md")), 404);

    // Unknown skills and endpoints, other methods.
    let p = assert_problem(get(&format!("{url}/skills/nope")), 404);
    assert_eq!(p["type"], "urn:naftiko:problem:not-found");
    for tail in ["SKILL.md", "contents", "contents/README.md", "download"] {
        assert_problem(get(&format!("{url}/skills/nope/{tail}")), 404);
    }
    assert_problem(get(&format!("{url}/nothing")), 404);
    let r = client().post(format!("{url}/skills")).send().unwrap();
    assert_eq!(r.headers()["allow"], "GET, HEAD");
    assert_problem(r, 405);
    let r = client().head(format!("{skill}/download")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_location_are_refused_and_an_own_skill_md_wins() {
    let scratch = Scratch::new("skill-links");
    let yaml = std::fs::read_to_string(common::root().join(FIXTURE)).unwrap();
    let file = scratch.write("skill-catalog.yaml", &yaml);
    scratch.write("secret.txt", "do not serve me\n");
    scratch.write("skill-files/docs/guide.md", "# Guide\n");
    let own = "---\nname: notes-helper\ndescription: Hand-written.\n---\n\n# Own\n";
    scratch.write("skill-files/SKILL.md", own);
    scratch.write("skill-files/odd name.md", "not listed\n");
    let files = scratch.path().join("skill-files");
    std::os::unix::fs::symlink("../secret.txt", files.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink("..", files.join("up")).unwrap();
    std::os::unix::fs::symlink("docs/guide.md", files.join("inner.md")).unwrap();

    let (_n, url, _, _) = start_fixture(file.to_str().unwrap());
    let skill = format!("{url}/skills/notes-helper");
    assert_problem(get(&format!("{skill}/contents/leak.txt")), 400);
    assert_problem(get(&format!("{skill}/contents/up/secret.txt")), 400);
    assert_problem(get(&format!("{skill}/contents/up/skill-catalog.yaml")), 400);
    assert_eq!(
        get(&format!("{skill}/contents/inner.md")).text().unwrap(),
        "# Guide\n"
    );

    // The skill's own SKILL.md is served, listed once and archived as is.
    assert_eq!(get(&format!("{skill}/SKILL.md")).text().unwrap(), own);
    assert_eq!(
        get(&format!("{skill}/contents/SKILL.md")).text().unwrap(),
        own
    );
    let contents = get_json(&format!("{skill}/contents"));
    let paths: Vec<&str> = contents["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["SKILL.md", "docs/guide.md", "inner.md"]);
    let r = get(&format!("{skill}/download"));
    assert_eq!(r.status(), 200);
    let dir = Scratch::new("skill-links-zip");
    let names = unzip(&r.bytes().unwrap(), dir.path());
    assert_eq!(
        names,
        [
            "notes-helper/",
            "notes-helper/SKILL.md",
            "notes-helper/docs/",
            "notes-helper/docs/guide.md",
            "notes-helper/inner.md",
        ]
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/notes-helper/SKILL.md")).unwrap(),
        own
    );
}

#[test]
fn a_missing_location_directory_is_a_404_but_skill_md_is_still_generated() {
    let scratch = Scratch::new("skill-missing");
    let yaml = std::fs::read_to_string(common::root().join(FIXTURE)).unwrap();
    let file = scratch.write("skill-catalog.yaml", &yaml);
    let (_n, url, _, _) = start_fixture(file.to_str().unwrap());
    let skill = format!("{url}/skills/notes-helper");
    let r = get(&format!("{skill}/SKILL.md"));
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("### tidy-notes"));
    for tail in ["contents", "contents/README.md", "download"] {
        let p = assert_problem(get(&format!("{skill}/{tail}")), 404);
        assert!(
            !p["detail"]
                .as_str()
                .unwrap()
                .contains(scratch.path().to_str().unwrap()),
            "{p}"
        );
    }
}
