//! HTML answers as JSON, with the reference engine's table contract (jsoup there,
//! html5ever's WHATWG parser here, which recovers from any markup as browsers do):
//!
//! `{"tables": [[{header: cell, …}, …], …], "text": "…"}`
//!
//! - `tables`: the document's `<table>`s in document order, or, with `outputSchema` (a CSS
//!   selector), the selected elements that are tables and the tables inside the others.
//!   A table's headers are the `<th>` of `thead tr:first-child`, else of `tr:first-child`;
//!   its rows are the `<tr>` of `<tbody>` (else every `<tr>`) that contain no `<th>` and at
//!   least one `<td>`; each row is an object from the headers to the text of its `<td>`s, in
//!   order (a missing cell is `""`, an extra one dropped). A table whose headers are all
//!   blank is skipped. Every value is a string.
//! - `text` (naftiko's addition): the text of the `<body>` (or of the selected elements,
//!   one per line), as jsoup's `text()` gives it: whitespace runs collapsed to one space, a
//!   space where a block element or `<br>` breaks the line, `<script>`/`<style>`/
//!   `<template>` left out, trimmed.
//!
//! Nothing is fetched or executed; the tree is walked without recursion; markup nested
//! deeper than [`sink::MAX_DEPTH`] elements, or that builds far more elements than its size
//! explains, is refused ([`sink`]).

mod sink;

use std::sync::LazyLock;

use ego_tree::iter::Edge;
use scraper::{ElementRef, Node, Selector};
use serde_json::{Map, Value};

/// The selectors the table contract uses, parsed once.
struct Selectors {
    table: Selector,
    head_cells: Selector,
    first_row_cells: Selector,
    body_rows: Selector,
    rows: Selector,
    th: Selector,
    td: Selector,
    body: Selector,
}

static SELECTORS: LazyLock<Option<Selectors>> = LazyLock::new(|| {
    let s = |css| Selector::parse(css).ok();
    Some(Selectors {
        table: s("table")?,
        head_cells: s("thead tr:first-child th")?,
        first_row_cells: s("tr:first-child th")?,
        body_rows: s("tbody tr")?,
        rows: s("tr")?,
        th: s("th")?,
        td: s("td")?,
        body: s("body")?,
    })
});

/// `body` (UTF-8 HTML) as `{"tables", "text"}`, scoped by `selector` when given.
pub(super) fn to_json(body: &[u8], selector: Option<&Selector>) -> Result<Value, String> {
    let text = super::values::utf8(body, "HTML")?;
    let Some(css) = SELECTORS.as_ref() else {
        return Err("the HTML reader's selectors did not compile".to_owned());
    };
    let document = sink::parse(text)?;
    let scopes: Vec<ElementRef<'_>> = match selector {
        Some(s) => document.select(s).collect(),
        None => vec![document.root_element()],
    };
    let tables: Vec<Value> = tables(&scopes, selector.is_some(), css)
        .into_iter()
        .filter_map(|t| read_table(t, css))
        .collect();
    let text_scopes: Vec<ElementRef<'_>> = match selector {
        Some(_) => scopes,
        None => document
            .select(&css.body)
            .next()
            .map_or_else(|| vec![document.root_element()], |b| vec![b]),
    };
    let text: Vec<String> = text_scopes
        .into_iter()
        .map(text_of)
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = Map::new();
    out.insert("tables".to_owned(), Value::Array(tables));
    out.insert("text".to_owned(), Value::String(text.join("\n")));
    Ok(Value::Object(out))
}

/// The tables to read: the scopes that are tables (when a selector chose them) and the
/// tables inside the others, each once, in order.
fn tables<'a>(scopes: &[ElementRef<'a>], selected: bool, css: &Selectors) -> Vec<ElementRef<'a>> {
    let mut found: Vec<ElementRef<'a>> = Vec::new();
    for scope in scopes {
        if selected && scope.value().name() == "table" {
            found.push(*scope);
        } else {
            found.extend(scope.select(&css.table));
        }
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|t| seen.insert(t.id()));
    found
}

/// One table as an array of row objects, `None` when its headers are all blank.
fn read_table(table: ElementRef<'_>, css: &Selectors) -> Option<Value> {
    let mut header_cells: Vec<ElementRef<'_>> = table.select(&css.head_cells).collect();
    if header_cells.is_empty() {
        header_cells = table.select(&css.first_row_cells).collect();
    }
    let headers: Vec<String> = header_cells.into_iter().map(text_of).collect();
    let mut rows: Vec<ElementRef<'_>> = table.select(&css.body_rows).collect();
    if rows.is_empty() {
        rows = table.select(&css.rows).collect();
    }
    let rows = rows
        .into_iter()
        .filter(|row| row.select(&css.th).next().is_none())
        .map(|row| row.select(&css.td).map(text_of).collect::<Vec<_>>())
        .filter(|cells| !cells.is_empty())
        .collect();
    super::values::table(&headers, rows)
}

/// Elements whose content is not text.
fn hidden(name: &str) -> bool {
    matches!(name, "script" | "style" | "template" | "noscript" | "head")
}

/// Elements that break a line of text (jsoup's block tags, and `<br>`).
fn breaks(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "br"
            | "caption"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

/// An element's normalised text (jsoup's `text()`), walked without recursion.
fn text_of(element: ElementRef<'_>) -> String {
    let mut out = String::new();
    let mut hidden_depth = 0usize;
    for edge in element.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) if hidden(e.name()) => hidden_depth += 1,
                Node::Element(e) if hidden_depth == 0 && breaks(e.name()) => space(&mut out),
                Node::Text(t) if hidden_depth == 0 => push_text(&mut out, t),
                _ => {}
            },
            Edge::Close(node) => match node.value() {
                Node::Element(e) if hidden(e.name()) => {
                    hidden_depth = hidden_depth.saturating_sub(1);
                }
                Node::Element(e) if hidden_depth == 0 && breaks(e.name()) => space(&mut out),
                _ => {}
            },
        }
    }
    let end = out.trim_end().len();
    out.truncate(end);
    out
}

/// One space, unless the text is empty or ends with one.
fn space(out: &mut String) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
}

/// `text` with its whitespace runs collapsed into one space.
fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_whitespace() {
            space(out);
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn convert(html: &str, selector: Option<&str>) -> Value {
        let selector = selector.and_then(|s| Selector::parse(s).ok());
        to_json(html.as_bytes(), selector.as_ref()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn tables_follow_the_reference_contract() {
        let html = "<table>\n<thead><tr><th>Name</th><th> Price </th><th>Stock</th></tr></thead>\n<tbody><tr><td>Widget</td><td>$42</td><td>150</td></tr><tr><td>Gad<b>get</b></td><td>$99</td></tr></tbody></table>";
        assert_eq!(
            convert(html, None)["tables"],
            json!([[
                {"Name": "Widget", "Price": "$42", "Stock": "150"},
                {"Name": "Gadget", "Price": "$99", "Stock": ""}
            ]])
        );
        // No thead: the first row's th; rows with a th are headers, not data.
        let html = "<table><tr><th>Name</th><th>Price</th></tr><tr><th>Widget</th><td>$42</td></tr><tr><td>Gadget</td><td>$99</td></tr></table><table><tr><td>no headers</td></tr></table>";
        assert_eq!(
            convert(html, None)["tables"],
            json!([[{"Name": "Gadget", "Price": "$99"}]])
        );
    }

    #[test]
    fn a_selector_scopes_tables_and_text() {
        let html = r#"<div><table class="ignored"><tr><th>Name</th></tr><tr><td>Ignored</td></tr></table>
            <section class="kept"><p>Some   <i>intro</i><br>text</p><table class="products"><tr><th>Name</th><th>Stock</th></tr><tr><td>Kept</td><td>42</td></tr></table></section></div>"#;
        let v = convert(html, Some("table.products"));
        assert_eq!(v["tables"], json!([[{"Name": "Kept", "Stock": "42"}]]));
        let v = convert(html, Some("section.kept"));
        assert_eq!(v["tables"], json!([[{"Name": "Kept", "Stock": "42"}]]));
        assert_eq!(v["text"], json!("Some intro text Name Stock Kept 42"));
        let v = convert("<title>t</title><script>x()</script><p>a\n b</p>", None);
        assert_eq!(v, json!({"tables": [], "text": "a b"}));
    }

    #[test]
    fn any_markup_parses_and_only_bad_bytes_fail() {
        assert!(to_json(b"<table><tr><td>unclosed", None).is_ok());
        assert!(to_json(&b"<div>".repeat(200), None).is_ok());
        let deep = to_json(&b"<div>".repeat(100_000), None);
        assert!(deep.is_err_and(|e| e.contains("nested deeper")));
        assert!(to_json(b"<p>\xff</p>", None).is_err());
    }
}
