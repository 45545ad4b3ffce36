//! The control port's page for people, `GET /`: the status document (`status.rs`) rendered
//! as one small HTML page on the server. No JavaScript at all, inline CSS only, and a
//! `<meta http-equiv="refresh">` that reloads it every 5 seconds. Every value is escaped
//! (`html.rs`): labels, paths and names come from capability files, and counts from
//! requests.

use serde_json::Value;

use crate::html::{escape, table};

/// The page's style: readable tables, status colours, nothing fetched.
const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}\
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #ccc}\
h3{font-size:1em;margin:1em 0 .3em}table{border-collapse:collapse;margin:.2em 0 .8em;background:#fff}\
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#eee}td.none{color:#777;font-style:italic}.up{color:#176b2c}.down,.bad{color:#a61b1b}\
.meta{color:#555}";

/// The whole page for the status document `doc`.
pub fn render(doc: &Value) -> String {
    let mut out = String::with_capacity(8 * 1024);
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"5\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>naftiko status</title><style>",
    );
    out.push_str(STYLE);
    out.push_str("</style></head>\n<body>\n");
    header(&mut out, doc);
    capabilities(&mut out, doc);
    reload(&mut out, doc);
    listeners(&mut out, doc);
    operations(&mut out, doc);
    upstreams(&mut out, doc);
    out.push_str("</body></html>\n");
    out
}

/// A value as text: strings as they are, numbers and booleans written, arrays joined with
/// commas, `—` for nothing.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        Value::Array(items) if items.is_empty() => "—".to_owned(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The items of an array member (none when it is missing or not an array).
fn items<'v>(doc: &'v Value, key: &str) -> &'v [Value] {
    doc.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `2 d 3 h 4 min 5 s`, leaving out the leading zero units.
fn uptime(seconds: f64) -> String {
    let total = if seconds.is_finite() && seconds > 0.0 {
        seconds as u64
    } else {
        0
    };
    let parts = [
        (total / 86_400, "d"),
        (total / 3600 % 24, "h"),
        (total / 60 % 60, "min"),
        (total % 60, "s"),
    ];
    let first = parts.iter().position(|(n, _)| *n > 0).unwrap_or(3);
    parts[first..]
        .iter()
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn header(out: &mut String, doc: &Value) {
    let up = doc.get("status").and_then(Value::as_str) == Some("UP");
    let version = text(doc.get("version").unwrap_or(&Value::Null));
    let seconds = doc
        .get("uptimeSeconds")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    out.push_str(&format!(
        "<header><h1>naftiko {}</h1><p class=\"meta\"><strong class=\"{}\">{}</strong> · up {}</p></header>\n",
        escape(&version),
        if up { "up" } else { "down" },
        if up { "UP" } else { "DOWN" },
        escape(&uptime(seconds)),
    ));
}

fn capabilities(out: &mut String, doc: &Value) {
    out.push_str("<section id=\"capabilities\"><h2>Capabilities</h2>\n");
    let rows = items(doc, "capabilities").iter().map(|c| {
        ["file", "label", "naftiko", "consumes"]
            .iter()
            .map(|k| text(c.get(*k).unwrap_or(&Value::Null)))
            .collect()
    });
    table(
        out,
        &["File", "Label", "Format version", "Consumes"],
        rows,
        "no capability",
    );
    out.push_str("</section>\n");
}

/// The `reload` object: `generation N, no reload` before the first reload (no `outcome`),
/// else the generation, when and how the last one ended.
fn reload(out: &mut String, doc: &Value) {
    out.push_str("<section id=\"reload\"><h2>Last reload</h2>\n");
    let reload = doc.get("reload").filter(|r| r.is_object());
    match reload.filter(|r| r.get("outcome").is_some()) {
        None => {
            let generation = reload
                .and_then(|r| r.get("generation"))
                .unwrap_or(&Value::Null);
            let generation = if generation.is_null() {
                "1".to_owned()
            } else {
                text(generation)
            };
            out.push_str(&format!(
                "<p>generation {}, no reload</p>\n",
                escape(&generation)
            ));
        }
        Some(r) => {
            let field = |k: &str| text(r.get(k).unwrap_or(&Value::Null));
            let failed = r.get("outcome").and_then(Value::as_str) != Some("ok");
            let mut line = format!(
                "generation {}, reloaded at {}: {}",
                field("generation"),
                field("at"),
                field("outcome")
            );
            if let Some(e) = r.get("error").filter(|e| !e.is_null()) {
                line.push_str(&format!(" — {}", text(e)));
            }
            out.push_str(&format!(
                "<p class=\"{}\">{}</p>\n",
                if failed { "bad" } else { "up" },
                escape(&line)
            ));
        }
    }
    out.push_str("</section>\n");
}

fn listeners(out: &mut String, doc: &Value) {
    out.push_str("<section id=\"listeners\"><h2>Listeners</h2>\n");
    let all = items(doc, "listeners");
    let field = |l: &Value, k: &str| text(l.get(k).unwrap_or(&Value::Null));
    let rows = all.iter().map(|l| {
        vec![
            field(l, "kind"),
            field(l, "namespaces"),
            field(l, "address"),
        ]
    });
    table(out, &["Kind", "Namespaces", "Address"], rows, "no listener");
    for l in all {
        let title = format!(
            "{} {} at {}",
            field(l, "kind"),
            field(l, "namespaces"),
            field(l, "address")
        );
        out.push_str(&format!("<h3>{}</h3>\n", escape(&title)));
        let rows = items(l, "serves").iter().map(|e| {
            ["namespace", "kind", "name", "target", "auth"]
                .iter()
                .map(|k| field(e, k))
                .collect()
        });
        table(
            out,
            &["Namespace", "Kind", "Name", "Calls", "Authentication"],
            rows,
            "nothing",
        );
    }
    out.push_str("</section>\n");
}

/// The statuses of a count, `200 ×3, 502 ×1`, `0` written as `no answer`.
fn statuses(counts: &Value) -> String {
    let Some(map) = counts.get("statuses").and_then(Value::as_object) else {
        return "—".to_owned();
    };
    if map.is_empty() {
        return "—".to_owned();
    }
    map.iter()
        .map(|(status, n)| format!("{} ×{}", status_text(status), text(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn status_text(status: &str) -> String {
    if status == "0" {
        "no answer".to_owned()
    } else {
        status.to_owned()
    }
}

/// The count columns: requests, errors, statuses, last status, last error.
fn count_cells(c: &Value) -> Vec<String> {
    let field = |k: &str| text(c.get(k).unwrap_or(&Value::Null));
    vec![
        field("requests"),
        field("errors"),
        statuses(c),
        status_text(&field("lastStatus")),
        field("lastError"),
    ]
}

fn operations(out: &mut String, doc: &Value) {
    out.push_str("<section id=\"operations\"><h2>Requests per operation</h2>\n");
    let rows = items(doc, "operations").iter().map(|o| {
        let mut row = vec![
            text(o.get("adapter").unwrap_or(&Value::Null)),
            text(o.get("operation").unwrap_or(&Value::Null)),
        ];
        row.extend(count_cells(o));
        row
    });
    table(
        out,
        &[
            "Adapter",
            "Operation",
            "Requests",
            "Errors",
            "Statuses",
            "Last status",
            "Last error",
        ],
        rows,
        "no operation",
    );
    out.push_str("</section>\n");
}

fn upstreams(out: &mut String, doc: &Value) {
    out.push_str("<section id=\"upstreams\"><h2>Upstream health</h2>\n");
    let rows = items(doc, "upstreams").iter().map(|u| {
        let mut row = vec![text(u.get("namespace").unwrap_or(&Value::Null))];
        row.extend(count_cells(u));
        row
    });
    table(
        out,
        &[
            "Consumed API",
            "Calls",
            "Errors",
            "Statuses",
            "Last status",
            "Last error",
        ],
        rows,
        "no consumed API",
    );
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "status": "UP",
            "version": "0.1.0",
            "uptimeSeconds": 3725.4,
            "capabilities": [{"file": "a.yaml", "label": "<script>alert('x')</script>",
                              "naftiko": "1.0.0-alpha2", "consumes": ["up\"stream"]}],
            "listeners": [{"kind": "rest", "namespaces": ["api"], "address": "127.0.0.1:1",
                "serves": [{"namespace": "api", "kind": "route", "name": "GET /x/<b>",
                            "target": "up.get", "auth": "bearer"}]}],
            "operations": [{"adapter": "rest", "operation": "GET /x/<b>", "requests": 3,
                "errors": 1, "statuses": {"200": 2, "502": 1}, "lastStatus": 502,
                "lastError": "upstream-error"}],
            "upstreams": [{"namespace": "up\"stream", "requests": 1, "errors": 1,
                "statuses": {"0": 1}, "lastStatus": 0, "lastError": "upstream-unreachable"}],
        })
    }

    #[test]
    fn the_page_shows_every_section_escaped_and_without_scripts() {
        let page = render(&doc());
        assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
        assert!(
            page.contains("<meta http-equiv=\"refresh\" content=\"5\">"),
            "{page}"
        );
        assert!(!page.contains("<script"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
            "{page}"
        );
        assert!(page.contains("GET /x/&lt;b&gt;"), "{page}");
        assert!(page.contains("up&quot;stream"), "{page}");
        assert!(page.contains("<td>bearer</td>"), "{page}");
        assert!(page.contains("200 ×2, 502 ×1"), "{page}");
        assert!(
            page.contains("<td>no answer ×1</td><td>no answer</td>"),
            "{page}"
        );
        assert!(page.contains("up 1 h 2 min 5 s"), "{page}");
        assert!(page.contains("generation 1, no reload"), "{page}");
    }

    #[test]
    fn a_reload_is_shown_with_its_outcome_and_error_escaped() {
        let mut d = doc();
        d["reload"] = json!({"generation": 3, "at": "2026-01-02T03:04:05Z",
                             "outcome": "failed", "error": "a.yaml: <bad> key"});
        let page = render(&d);
        assert!(
            page.contains(
                "<p class=\"bad\">generation 3, reloaded at 2026-01-02T03:04:05Z: failed — a.yaml: &lt;bad&gt; key</p>"
            ),
            "{page}"
        );
        assert!(!page.contains("no reload"), "{page}");
        d["reload"] = json!({"generation": 2, "at": "2026-01-02T03:04:05Z", "outcome": "ok"});
        assert!(render(&d).contains("<p class=\"up\">generation 2"));
    }

    #[test]
    fn a_document_missing_members_still_renders() {
        let page = render(&json!({}));
        assert!(page.contains("DOWN"), "{page}");
        assert!(page.contains("no capability"), "{page}");
        assert!(page.contains("up 0 s"), "{page}");
        assert_eq!(uptime(f64::NAN), "0 s");
        assert_eq!(uptime(90_061.0), "1 d 1 h 1 min 1 s");
    }
}
