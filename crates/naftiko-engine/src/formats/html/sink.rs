//! html5ever, bounded. The WHATWG tree construction html5ever follows has two costs a
//! hostile body can blow up:
//!
//! - **depth**: the tree builder looks along its stack of open elements for many start tags
//!   (is there a `<p>` in scope to close?), so nested tags cost their count times their
//!   depth: 100,000 nested `<div>`s (500 KB) take minutes. Browsers cap the depth (Blink at
//!   512).
//! - **elements made again**: formatting elements (`<b>`, `<font>`…) left open when their
//!   parent closes are made again before the next text, in every block: 200 open
//!   `<b id=…>` then `</p><p>x` repeated build 22 elements per byte of body.
//!
//! So the body is fed to the parser in slices of [`SLICE`] bytes through [`Bounded`], a
//! tree sink around scraper's that counts the elements created and the depth at which each
//! is attached; after each slice, a tree deeper than [`MAX_DEPTH`] or with more elements
//! than [`element_budget`] stops the parse. What one slice can add before the check is
//! bounded by its size.

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use ego_tree::NodeId;
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName};
use scraper::{Html, HtmlTreeSink};

/// Deepest element nesting accepted (XML answers have the same bound).
pub(super) const MAX_DEPTH: u32 = 256;
/// Bytes fed to the parser between two checks of the bounds.
const SLICE: usize = 4096;

/// Most elements a body of `len` bytes may build: one per 8 bytes (ordinary pages build one
/// per 30 or more), and at least 200,000.
pub(super) fn element_budget(len: usize) -> usize {
    (len / 8).max(200_000)
}

/// Parses `text` as an HTML document within the bounds.
pub(super) fn parse(text: &str) -> Result<Html, String> {
    let counts = Rc::new(Counts::default());
    let sink = Bounded {
        inner: HtmlTreeSink::new(Html::new_document()),
        counts: counts.clone(),
        depths: RefCell::new(HashMap::new()),
    };
    let budget = element_budget(text.len());
    let mut parser = html5ever::parse_document(sink, html5ever::ParseOpts::default());
    for slice in slices(text) {
        parser.process(StrTendril::from_slice(slice));
        if counts.deepest.get() > MAX_DEPTH {
            return Err(format!("HTML nested deeper than {MAX_DEPTH} elements"));
        }
        if counts.elements.get() > budget {
            return Err(format!(
                "HTML that builds more than {budget} elements (formatting elements made again in every block?)"
            ));
        }
    }
    Ok(parser.finish())
}

/// `text` in slices of about [`SLICE`] bytes, cut between characters.
fn slices(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = SLICE.min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (slice, tail) = rest.split_at(end);
        rest = tail;
        Some(slice)
    })
}

/// What the sink has counted, read between slices.
#[derive(Default)]
struct Counts {
    elements: Cell<usize>,
    deepest: Cell<u32>,
}

/// scraper's tree sink, counting elements and depths.
struct Bounded {
    inner: HtmlTreeSink,
    counts: Rc<Counts>,
    /// The depth each node was attached at (the document is 0).
    depths: RefCell<HashMap<NodeId, u32>>,
}

impl Bounded {
    fn depth(&self, node: NodeId) -> u32 {
        self.depths.borrow().get(&node).copied().unwrap_or(0)
    }

    /// Records that `child` is attached at `depth`.
    fn attach(&self, child: &NodeOrText<NodeId>, depth: u32) {
        if let NodeOrText::AppendNode(id) = child {
            self.depths.borrow_mut().insert(*id, depth);
            if depth > self.counts.deepest.get() {
                self.counts.deepest.set(depth);
            }
        }
    }

    fn has_parent(&self, node: NodeId) -> bool {
        self.inner
            .0
            .borrow()
            .tree
            .get(node)
            .is_some_and(|n| n.parent().is_some())
    }
}

impl TreeSink for Bounded {
    type Output = Html;
    type Handle = NodeId;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Html {
        self.inner.finish()
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg);
    }

    fn get_document(&self) -> NodeId {
        self.inner.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Ref<'a, QualName> {
        self.inner.elem_name(target)
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        self.counts.elements.set(self.counts.elements.get() + 1);
        self.inner.create_element(name, attrs, flags)
    }

    fn create_comment(&self, text: StrTendril) -> NodeId {
        self.inner.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> NodeId {
        self.inner.create_pi(target, data)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        self.attach(&child, self.depth(*parent) + 1);
        self.inner.append(parent, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        // As scraper's sink does, through this sink's own methods (which count).
        if self.has_parent(*element) {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id);
    }

    fn mark_script_already_started(&self, node: &NodeId) {
        self.inner.mark_script_already_started(node);
    }

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        self.inner.get_template_contents(target)
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        self.inner.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        self.attach(&new_node, self.depth(*sibling));
        self.inner.append_before_sibling(sibling, new_node);
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs);
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.inner.remove_from_parent(target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        // The children move one level down or up, with their subtrees; their recorded
        // depths are kept (the adoption agency moves a bounded number per end tag).
        self.inner.reparent_children(node, new_parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_and_sloppy_pages_parse() {
        let page = "<!DOCTYPE html><p>one<p>two<ul><li>x<li>y</ul><b><i>mis</b>nested</i><table><tr><td>1<td>2</table>";
        assert!(parse(page).is_ok());
        let sloppy = "<font><b><i>".to_owned() + &"<p>text</p>".repeat(20_000);
        assert!(parse(&sloppy).is_ok());
        let nested = "<div>".repeat(200) + "x";
        assert!(parse(&nested).is_ok());
        assert!(
            parse(&"é".repeat(5000)).is_ok(),
            "slices cut between characters"
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let e = parse(&"<div>".repeat(100_000));
        assert!(e.is_err_and(|m| m.contains("nested deeper")));
        assert!(parse(&"<span>".repeat(300)).is_err());
    }

    #[test]
    fn formatting_elements_made_again_in_every_block_are_bounded() {
        let mut body = String::from("<p>");
        for i in 0..200 {
            body.push_str(&format!("<b id={i}>"));
        }
        // Unbounded, html5ever builds 404,205 nodes from these 18 KB.
        body.push_str(&"</p><p>x".repeat(2_000));
        let e = parse(&body);
        assert!(e.is_err_and(|m| m.contains("elements")));
    }
}
