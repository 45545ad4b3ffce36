//! HTML text for the control port's page: [`escape`], the one escaping function, and
//! [`table`], which escapes every cell it writes, so that nothing from a capability file or
//! a request is ever read as markup.

use std::borrow::Cow;

/// `text` safe as element content and as a quoted attribute value: `&`, `<`, `>`, `"` and
/// `'` become character references (the engine's one rule for markup).
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    naftiko_engine::escape_markup(text)
}

/// Appends a `<table>` with a header row of `headers` and one row per item of `rows`, every
/// cell escaped; `empty` (escaped too) in one wide cell when there is no row.
pub(crate) fn table<R>(out: &mut String, headers: &[&str], rows: R, empty: &str)
where
    R: IntoIterator<Item = Vec<String>>,
{
    out.push_str("<table><thead><tr>");
    for h in headers {
        out.push_str("<th>");
        out.push_str(&escape(h));
        out.push_str("</th>");
    }
    out.push_str("</tr></thead><tbody>");
    let mut any = false;
    for row in rows {
        any = true;
        out.push_str("<tr>");
        for cell in row {
            out.push_str("<td>");
            out.push_str(&escape(&cell));
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    if !any {
        out.push_str(&format!(
            "<tr><td colspan=\"{}\" class=\"none\">{}</td></tr>",
            headers.len(),
            escape(empty)
        ));
    }
    out.push_str("</tbody></table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped_and_plain_text_is_borrowed() {
        assert_eq!(
            escape(r#"<script>alert("x")</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
        );
        assert_eq!(
            escape("a' onmouseover='x' & b"),
            "a&#39; onmouseover=&#39;x&#39; &amp; b"
        );
        assert_eq!(escape("&lt;"), "&amp;lt;");
        assert!(matches!(escape("Tokens — ünïcode"), Cow::Borrowed(_)));
        assert_eq!(escape(""), "");
    }

    #[test]
    fn tables_escape_every_cell_and_say_when_they_are_empty() {
        let mut out = String::new();
        table(
            &mut out,
            &["<h>"],
            vec![vec!["<img src=x onerror=alert(1)>".to_owned()]],
            "",
        );
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("&lt;img src=x onerror=alert(1)&gt;"), "{out}");
        assert!(out.contains("<th>&lt;h&gt;</th>"), "{out}");
        let mut out = String::new();
        table(
            &mut out,
            &["a", "b"],
            Vec::<Vec<String>>::new(),
            "none <yet>",
        );
        assert!(
            out.contains("<td colspan=\"2\" class=\"none\">none &lt;yet&gt;</td>"),
            "{out}"
        );
    }
}
