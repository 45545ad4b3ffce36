//! Markdown answers as JSON, with the reference engine's contract (commonmark-java with GFM
//! tables there, pulldown-cmark with GFM tables here):
//!
//! `{"frontMatter": {…}, "tables": [[{header: cell, …}, …], …], "sections": [{"heading", "level", "content"}, …]}`
//!
//! - `frontMatter`: the YAML mapping between a first line `---` and the next line `---`
//!   (read as [`super::yaml`] reads bodies); `{}` without one, or when it is not a mapping;
//! - `tables`: the document's top-level GFM tables, with the table contract HTML uses
//!   (`super::values::table`): header cell texts as keys, every value a string;
//! - `sections`: one per top-level heading: its text, its level (1–6) and `content`, the
//!   text of the top-level blocks up to the next heading (tables left out), one line per
//!   block. Text is what a reader sees: emphasis, links and inline code give their text,
//!   a soft break a space, a hard break a line break; raw HTML is left out. Within a block,
//!   nested blocks (list items, quoted paragraphs, code blocks) are one line each.
//!   `outputSchema` filters sections by heading (`body_schema::SectionFilter`).
//!
//! The parser is a pull parser (no tree, no recursion): any nesting is safe.

use naftiko_validate::body_schema::SectionFilter;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde_json::{Map, Value};

/// `body` (UTF-8 markdown) as `{"frontMatter", "tables", "sections"}`.
pub(super) fn to_json(body: &[u8], filter: Option<&SectionFilter>) -> Result<Value, String> {
    let text = super::values::utf8(body, "markdown")?.replace("\r\n", "\n");
    let (front, body) = split_front_matter(&text);
    let front_matter = match front.map(str::trim).filter(|f| !f.is_empty()) {
        Some(yaml) => match super::yaml::text_to_json(yaml) {
            Ok(Value::Object(m)) => Value::Object(m),
            Ok(_) => Value::Object(Map::new()),
            Err(e) => return Err(format!("the markdown front matter is {e}")),
        },
        None => Value::Object(Map::new()),
    };
    let mut reader = Reader {
        filter,
        ..Reader::default()
    };
    for event in Parser::new_ext(body, Options::ENABLE_TABLES) {
        reader.event(event);
    }
    reader.close_section();
    let mut out = Map::new();
    out.insert("frontMatter".to_owned(), front_matter);
    out.insert("tables".to_owned(), Value::Array(reader.tables));
    out.insert("sections".to_owned(), Value::Array(reader.sections));
    Ok(Value::Object(out))
}

/// The front matter (between a first line `---` and the next line `---`) and the rest.
fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    let Some(rest) = text.strip_prefix("---\n") else {
        return (None, text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line == "---\n" || line == "---" {
            return (Some(&rest[..offset]), &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    (None, text)
}

/// What the top-level block being read is.
#[derive(Default)]
enum Top {
    #[default]
    Other,
    Heading(u8),
    Table(TableBuild),
}

/// A top-level table being read.
#[derive(Default)]
struct TableBuild {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    row: Vec<String>,
    in_head: bool,
}

/// A section being read: its heading, level and the text of its blocks.
struct Section {
    heading: String,
    level: u8,
    blocks: Vec<String>,
}

/// The state of one read: open tags, the top-level block and its text, what is done.
#[derive(Default)]
struct Reader<'f> {
    filter: Option<&'f SectionFilter>,
    depth: usize,
    top: Top,
    text: String,
    section: Option<Section>,
    tables: Vec<Value>,
    sections: Vec<Value>,
}

impl Reader<'_> {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(&tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) | Event::Code(t) => self.text.push_str(&t),
            Event::SoftBreak => self.text.push(' '),
            Event::HardBreak => self.text.push('\n'),
            // Raw HTML, rules and what the options leave off carry no text.
            _ => {}
        }
    }

    fn start(&mut self, tag: &Tag<'_>) {
        if self.depth == 0 {
            self.text.clear();
            self.top = match tag {
                Tag::Heading { level, .. } => Top::Heading(*level as u8),
                Tag::Table(_) => Top::Table(TableBuild::default()),
                _ => Top::Other,
            };
        } else if let Top::Table(t) = &mut self.top {
            match tag {
                Tag::TableHead => t.in_head = true,
                Tag::TableRow => t.row.clear(),
                Tag::TableCell => self.text.clear(),
                _ => {}
            }
        } else if is_block(tag) {
            self.line_break();
        }
        self.depth += 1;
    }

    fn end(&mut self, tag: TagEnd) {
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 {
            self.finish_top();
        } else if let Top::Table(t) = &mut self.top {
            match tag {
                TagEnd::TableCell => {
                    let cell = self.text.trim().to_owned();
                    if t.in_head {
                        t.headers.push(cell);
                    } else {
                        t.row.push(cell);
                    }
                }
                TagEnd::TableHead => t.in_head = false,
                TagEnd::TableRow => t.rows.push(std::mem::take(&mut t.row)),
                _ => {}
            }
        } else if is_block_end(tag) {
            self.line_break();
        }
    }

    /// A nested block starts or ends: its text goes on a line of its own.
    fn line_break(&mut self) {
        let end = self.text.trim_end_matches(' ').len();
        self.text.truncate(end);
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// A top-level block ended: a heading opens a section, a table is kept, any other
    /// block's text goes to the open section.
    fn finish_top(&mut self) {
        let text = self.text.trim().to_owned();
        match std::mem::take(&mut self.top) {
            Top::Heading(level) => {
                self.close_section();
                self.section = Some(Section {
                    heading: text,
                    level,
                    blocks: Vec::new(),
                });
            }
            Top::Table(t) => {
                if let Some(table) = super::values::table(&t.headers, t.rows) {
                    self.tables.push(table);
                }
            }
            Top::Other => {
                if let Some(s) = &mut self.section
                    && !text.is_empty()
                {
                    s.blocks.push(text);
                }
            }
        }
        self.text.clear();
    }

    /// Keeps the open section, when the filter does.
    fn close_section(&mut self) {
        let Some(s) = self.section.take() else {
            return;
        };
        if self.filter.is_some_and(|f| !f.keeps(s.level, &s.heading)) {
            return;
        }
        let mut section = Map::new();
        section.insert("heading".to_owned(), Value::String(s.heading));
        section.insert("level".to_owned(), Value::from(s.level));
        section.insert("content".to_owned(), Value::String(s.blocks.join("\n")));
        self.sections.push(Value::Object(section));
    }
}

/// Block-level tags (inline ones, such as emphasis and links, run on in their line).
fn is_block(tag: &Tag<'_>) -> bool {
    !matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn is_block_end(tag: TagEnd) -> bool {
    !matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn front_matter_tables_and_sections() {
        let md = "---\r\ntitle: Release Notes\r\nversion: 2.1.0\r\n---\r\n\r\n## Overview\r\nThis **release** introduces [new features](https://example.com).\r\n\r\n| Feature | Status |\r\n|---------|--------|\r\n| Search  | GA     |\r\n| `Code` |\r\n\r\n- one\r\n- two\r\n\r\n```\r\nlet x = 1;\r\n```\r\n# Next\r\nsoft\r\nbreak <b>html</b>\r\n";
        assert_eq!(
            to_json(md.as_bytes(), None),
            Ok(json!({
                "frontMatter": {"title": "Release Notes", "version": "2.1.0"},
                "tables": [[{"Feature": "Search", "Status": "GA"}, {"Feature": "Code", "Status": ""}]],
                "sections": [
                    {"heading": "Overview", "level": 2, "content": "This release introduces new features.\none\ntwo\nlet x = 1;"},
                    {"heading": "Next", "level": 1, "content": "soft break html"}
                ]
            }))
        );
    }

    #[test]
    fn sections_are_filtered_by_heading() {
        let md = b"## Overview\nGeneral.\n\n## API Reference\nDetails.\n\n### API Usage\nHow.\n";
        let names = |f: &str| {
            let v = to_json(md, Some(&SectionFilter::parse(f))).unwrap_or_default();
            v["sections"]
                .as_array()
                .map(|s| s.iter().map(|s| s["heading"].clone()).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(
            names("API"),
            vec![json!("API Reference"), json!("API Usage")]
        );
        assert_eq!(names("## API"), vec![json!("API Reference")]);
        assert_eq!(
            names(""),
            vec![
                json!("Overview"),
                json!("API Reference"),
                json!("API Usage")
            ]
        );
    }

    #[test]
    fn no_front_matter_a_scalar_one_and_a_broken_one() {
        let v = to_json(b"| A |\n|---|\n| 1 |\n", None);
        assert_eq!(
            v,
            Ok(json!({"frontMatter": {}, "tables": [[{"A": "1"}]], "sections": []}))
        );
        assert_eq!(
            to_json(b"---\njust text\n---\n", None).map(|v| v["frontMatter"].clone()),
            Ok(json!({}))
        );
        assert_eq!(
            to_json(b"---\n---\nbody", None).map(|v| v["frontMatter"].clone()),
            Ok(json!({}))
        );
        assert!(to_json(b"---\na: [1\n---\n", None).is_err());
        assert!(to_json(&b">".repeat(50_000), None).is_ok());
    }
}
