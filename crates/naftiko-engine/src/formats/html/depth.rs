//! The nesting bound of HTML answers. html5ever's tree builder looks along its stack of
//! open elements for many start tags (is there a `<p>` in scope to close?), so a body of
//! nested tags costs its length times its depth: 100,000 nested `<div>`s (500 KB) take
//! minutes. Browsers cap the depth (Blink at 512); here a linear scan of the tags, modelled
//! on the parser, refuses a body that would nest deeper than [`MAX_DEPTH`] elements before
//! html5ever sees it:
//!
//! - an element opens on its start tag and closes on the end tag of its name, which also
//!   closes the elements opened inside it (an end tag of no open element is ignored);
//! - void elements (`<br>`), elements whose end tag is optional or that a start tag of
//!   their kind closes (`<p>`, `<li>`, `<td>`, `<a>`, `<h1>`…) are not counted: they do not
//!   nest in the parsed tree;
//! - `/>` closes an element only inside `<svg>` or `<math>` (as in the parser);
//! - comments, doctypes and the text of `<script>`, `<style>`, `<textarea>`, `<title>`… are
//!   skipped.

use std::collections::HashMap;

/// Deepest element nesting accepted (XML answers have the same bound).
pub(super) const MAX_DEPTH: usize = 256;

/// Refuses `text` when its elements would nest deeper than [`MAX_DEPTH`].
pub(super) fn check(text: &str) -> Result<(), String> {
    let mut scan = Scan::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = find(bytes, b"<", i) {
        i = scan.tag(bytes, at)?;
    }
    Ok(())
}

/// The elements the scan has open.
#[derive(Default)]
struct Scan {
    open: Vec<String>,
    counts: HashMap<String, usize>,
}

impl Scan {
    /// Reads the markup at `at` (a `<`), returning where the scan goes on.
    fn tag(&mut self, bytes: &[u8], at: usize) -> Result<usize, String> {
        let rest = &bytes[at..];
        if rest.starts_with(b"<!--") {
            return Ok(find(bytes, b"-->", at + 4).map_or(bytes.len(), |e| e + 3));
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            return Ok(find(bytes, b">", at).map_or(bytes.len(), |e| e + 1));
        }
        let closing = rest.starts_with(b"</");
        let name_at = at + if closing { 2 } else { 1 };
        if !bytes.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            return Ok(at + 1);
        }
        let name_end = bytes[name_at..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
            .map_or(bytes.len(), |n| name_at + n);
        let name = String::from_utf8_lossy(&bytes[name_at..name_end]).to_ascii_lowercase();
        let (end, self_closing) = tag_end(bytes, name_end);
        if closing {
            self.close(&name);
            return Ok(end);
        }
        if name == "plaintext" {
            return Ok(bytes.len());
        }
        if raw_text(&name) {
            return Ok(raw_text_end(bytes, end, &name));
        }
        if !nests(&name) || (self_closing && self.in_foreign_content()) {
            return Ok(end);
        }
        *self.counts.entry(name.clone()).or_default() += 1;
        self.open.push(name);
        if self.open.len() > MAX_DEPTH {
            return Err(format!("HTML nested deeper than {MAX_DEPTH} elements"));
        }
        Ok(end)
    }

    /// An end tag: closes the innermost open element of that name and those inside it.
    fn close(&mut self, name: &str) {
        if self.counts.get(name).is_none_or(|n| *n == 0) {
            return;
        }
        while let Some(top) = self.open.pop() {
            if let Some(n) = self.counts.get_mut(&top) {
                *n = n.saturating_sub(1);
            }
            if top == name {
                return;
            }
        }
    }

    fn in_foreign_content(&self) -> bool {
        ["svg", "math"]
            .iter()
            .any(|f| self.counts.get(*f).is_some_and(|n| *n > 0))
    }
}

/// Where a tag whose name ends at `from` ends (after its `>`, quoted attribute values
/// skipped), and whether it ends with `/>`.
fn tag_end(bytes: &[u8], from: usize) -> (usize, bool) {
    let mut quote: Option<u8> = None;
    let mut after_equals = false;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'>' => return (i + 1, i > from && bytes[i - 1] == b'/'),
            None if (b == b'"' || b == b'\'') && after_equals => quote = Some(b),
            None => {}
        }
        if !b.is_ascii_whitespace() {
            after_equals = b == b'=';
        }
    }
    (bytes.len(), false)
}

/// Elements whose content is text up to their end tag.
fn raw_text(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "textarea"
            | "title"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
    )
}

/// Where the text of a raw-text element `name` that starts at `from` ends: after its end
/// tag (matched without regard to case), or at the end of the body.
fn raw_text_end(bytes: &[u8], from: usize, name: &str) -> usize {
    let mut i = from;
    while let Some(at) = find(bytes, b"</", i) {
        let name_at = at + 2;
        let candidate = bytes.get(name_at..name_at + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return tag_end(bytes, name_at + name.len()).0;
        }
        i = name_at;
    }
    bytes.len()
}

/// False for elements that do not nest in the parsed tree: void elements, and those a
/// start tag of their kind (or their parent's end) closes.
fn nests(name: &str) -> bool {
    !matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "image"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "html"
            | "head"
            | "body"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "rb"
            | "rt"
            | "rtc"
            | "rp"
            | "option"
            | "optgroup"
            | "colgroup"
            | "caption"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "a"
            | "button"
            | "form"
            | "nobr"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
    )
}

/// The first `needle` in `bytes` at or after `from`.
fn find(bytes: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_pass() {
        let page = r#"<!DOCTYPE html><html><head><title><div></title><script>if (a < b) { x = "<div><div>"; }</script></head>
            <body><!-- <div> --><div class="a>b"><p>one<p>two<ul><li>x<li>y</ul><br><img src=x.png/>
            <svg><path d="M0"/><path/></svg><table><tr><td>1<td>2</table></div></body></html>"#;
        assert_eq!(check(page), Ok(()));
        let li = "<ul>".to_owned() + &"<li>item".repeat(10_000) + "</ul>";
        assert_eq!(check(&li), Ok(()));
        let closed = "<div><span>x</div>".repeat(10_000);
        assert_eq!(
            check(&closed),
            Ok(()),
            "closing an element closes those inside it"
        );
        let nested = "<div>".repeat(MAX_DEPTH);
        assert_eq!(check(&nested), Ok(()));
    }

    #[test]
    fn deep_nesting_is_refused() {
        assert!(check(&"<div>".repeat(MAX_DEPTH + 1)).is_err());
        assert!(
            check(&"<div/>".repeat(MAX_DEPTH + 1)).is_err(),
            "/> closes nothing in HTML"
        );
        assert!(check(&"<table><tr><td>".repeat(MAX_DEPTH + 1)).is_err());
        assert!(check(&"<b>".repeat(MAX_DEPTH + 1)).is_err());
    }
}
