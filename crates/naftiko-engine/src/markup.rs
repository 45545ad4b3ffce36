//! Text made safe inside XML and HTML (element content and quoted attribute values): the
//! one escaping rule the engine's XML request bodies and the control port's HTML page use.

use std::borrow::Cow;

/// `text` with `&`, `<`, `>`, `"` and `'` written as character references (`&#39;` for the
/// apostrophe: valid in XML and in HTML); borrowed when there is nothing to escape.
pub fn escape_markup(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_special_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            escape_markup("</a><b x='1'>&\"é"),
            "&lt;/a&gt;&lt;b x=&#39;1&#39;&gt;&amp;&quot;é"
        );
        assert!(matches!(escape_markup("plain"), Cow::Borrowed("plain")));
    }
}
