//! Rendering diagnostics: the last step of `naftiko validate`, turning the collected
//! [`Diagnostic`]s into text for people (`human`, with the source line and a caret under
//! the problem), for programs (`json`), for code scanning (`sarif`, SARIF 2.1.0) and for
//! GitHub Actions logs (`github`, workflow annotation commands).
//!
//! Rendering never fails and never panics: positions outside the file, degenerate spans
//! and missing source text are clamped or skipped. The caller decides the order of the
//! diagnostics (this module keeps the order it is given).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use naftiko_spec::diag::{Diagnostic, Severity, rule_info};
use naftiko_spec::span::Span;
use serde_json::{Map, Value, json};

/// Output formats of `naftiko validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: `FILE:LINE:COLUMN: severity[rule]: message`, the source line with a
    /// caret under the span, the hint, and a summary line at the end.
    Human,
    /// One pretty-printed JSON document with every diagnostic and a summary.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other static-analysis tools.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…::message`), one line each.
    Github,
}

impl Format {
    /// Every format, in the order they are documented.
    pub const ALL: [Format; 4] = [Format::Human, Format::Json, Format::Sarif, Format::Github];

    /// The name used on the command line (`human`, `json`, `sarif`, `github`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
        }
    }

    /// The format with the given command-line name (case-insensitive), if any.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where renderers find a file's text (to show the source line).
pub trait Sources: Sync {
    /// The full text of the file at `path` (as written in the diagnostics' locations), or
    /// `None` when it is not available; the snippet is then left out.
    fn text(&self, path: &Path) -> Option<&str>;
}

impl<S: BuildHasher + Sync> Sources for HashMap<PathBuf, Arc<str>, S> {
    fn text(&self, path: &Path) -> Option<&str> {
        self.get(path).map(|t| &**t)
    }
}

impl<S: BuildHasher + Sync> Sources for HashMap<PathBuf, String, S> {
    fn text(&self, path: &Path) -> Option<&str> {
        self.get(path).map(String::as_str)
    }
}

impl Sources for BTreeMap<PathBuf, Arc<str>> {
    fn text(&self, path: &Path) -> Option<&str> {
        self.get(path).map(|t| &**t)
    }
}

impl Sources for BTreeMap<PathBuf, String> {
    fn text(&self, path: &Path) -> Option<&str> {
        self.get(path).map(String::as_str)
    }
}

impl<T: Sources + ?Sized> Sources for &T {
    fn text(&self, path: &Path) -> Option<&str> {
        (**self).text(path)
    }
}

/// A [`Sources`] without any text: human output then shows no snippets.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSources;

impl Sources for NoSources {
    fn text(&self, _path: &Path) -> Option<&str> {
        None
    }
}

/// Settings for [`render`].
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Use ANSI colours (human format only). When false, the output has no escape codes.
    pub color: bool,
    /// How many files were checked, for the summary (human and JSON formats).
    pub files_checked: usize,
    /// The tool version written into SARIF output.
    pub tool_version: &'static str,
    /// Paths given that could not be used (missing, unreadable, no capability files), for
    /// the summary (human: counted; JSON: listed).
    pub path_errors: Vec<String>,
}

impl Default for RenderOptions {
    /// No colour, no files, and this crate's version.
    fn default() -> Self {
        RenderOptions {
            color: false,
            files_checked: 0,
            path_errors: Vec::new(),
            tool_version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Renders `diags` (in the order given) in `format`.
///
/// The result always ends with a newline. `sources` supplies file texts for the human
/// format's source snippets; the other formats do not read it. [`write`] produces the
/// same text without holding all of it in memory.
pub fn render(
    format: Format,
    diags: &[Diagnostic],
    sources: &dyn Sources,
    options: &RenderOptions,
) -> String {
    let mut out = Vec::new();
    // Writing to a `Vec` cannot fail, and every format writes UTF-8 only.
    let _ = write(format, diags, sources, options, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Writes what [`render`] returns to `out` as it is produced: a corpus-sized report is
/// several megabytes, which would otherwise be built (and paged in) before the first byte
/// is written.
///
/// # Errors
///
/// Only `out`'s own errors (a closed pipe, a full disk).
pub fn write(
    format: Format,
    diags: &[Diagnostic],
    sources: &dyn Sources,
    options: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => write_human(diags, sources, options, out),
        Format::Json => write_json(diags, options, out),
        Format::Sarif => write_sarif(diags, options, out),
        Format::Github => write_github(diags, out),
    }
}

/// The closing line of the human output, e.g. `checked 3 files: 2 errors, 5 warnings`.
///
/// Infos are mentioned only when there are some (`…, 1 info`).
pub fn summary_line(diags: &[Diagnostic], files_checked: usize) -> String {
    summary_with_paths(diags, files_checked, 0)
}

/// [`summary_line`] with the paths that could not be used counted after the files
/// (`checked 1 file (1 path not usable): …`).
fn summary_with_paths(diags: &[Diagnostic], files_checked: usize, bad_paths: usize) -> String {
    let counts = Counts::of(diags);
    let paths = if bad_paths > 0 {
        format!(" ({} not usable)", plural(bad_paths, "path", "paths"))
    } else {
        String::new()
    };
    let mut line = format!(
        "checked {}{paths}: {}, {}",
        plural(files_checked, "file", "files"),
        plural(counts.errors, "error", "errors"),
        plural(counts.warnings, "warning", "warnings"),
    );
    if counts.infos > 0 {
        line.push_str(", ");
        line.push_str(&plural(counts.infos, "info", "infos"));
    }
    line
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// How many diagnostics of each severity.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    errors: usize,
    warnings: usize,
    infos: usize,
}

impl Counts {
    fn of(diags: &[Diagnostic]) -> Self {
        let mut c = Counts::default();
        for d in diags {
            match d.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Info => c.infos += 1,
            }
        }
        c
    }
}

/// A span made safe for output: 1-based lines and columns, and the end never before the
/// start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

impl Region {
    fn of(span: &Span) -> Self {
        let start_line = span.start.line.max(1);
        let start_column = span.start.column.max(1);
        let mut end_line = span.end.line;
        let mut end_column = span.end.column.max(1);
        if (end_line, end_column) < (start_line, start_column) {
            end_line = start_line;
            end_column = start_column;
        }
        Region {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Human

const ANSI_RESET: &str = "\x1b[0m";
const ANSI_BOLD: &str = "\x1b[1m";

fn severity_ansi(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "\x1b[1m\x1b[91m",
        Severity::Warning => "\x1b[1m\x1b[33m",
        Severity::Info => "\x1b[1m\x1b[94m",
    }
}

fn write_human(
    diags: &[Diagnostic],
    sources: &dyn Sources,
    options: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // Snippet rendering is a large share of a big report's cost, and each diagnostic is
    // rendered on its own: render parts on the available cores, keeping the order, a few
    // parts at a time so that the text held at once stays small.
    let parts: Vec<&[Diagnostic]> = diags.chunks(256).collect();
    for window in parts.chunks(8) {
        // A part (256 diagnostics) is worth a thread of its own.
        for part in crate::parallel::par_map(window, 1, |part| {
            render_human_part(part, sources, options.color)
        }) {
            out.write_all(part.as_bytes())?;
        }
    }
    writeln!(
        out,
        "{}",
        summary_with_paths(diags, options.files_checked, options.path_errors.len())
    )
}

/// The human text of some diagnostics, each followed by a blank line.
fn render_human_part(diags: &[Diagnostic], sources: &dyn Sources, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    let mut file = FileCache::default();
    for d in diags {
        file.switch(&d.loc.file, sources);
        let line = file.line(d.loc.span.start.line);
        human_diagnostic(&mut out, d, &file.shown, line, &renderer, color);
        out.push('\n');
    }
    out
}

fn human_diagnostic(
    out: &mut String,
    d: &Diagnostic,
    file: &str,
    line: Option<&str>,
    renderer: &Renderer,
    color: bool,
) {
    let region = Region::of(&d.loc.span);
    let severity = d.severity.as_str();
    if color {
        let sev = severity_ansi(d.severity);
        let _ = writeln!(
            out,
            "{ANSI_BOLD}{file}:{}:{}:{ANSI_RESET} {sev}{severity}[{}]{ANSI_RESET}{ANSI_BOLD}: {}{ANSI_RESET}",
            region.start_line, region.start_column, d.rule, d.message
        );
    } else {
        let _ = writeln!(
            out,
            "{file}:{}:{}: {severity}[{}]: {}",
            region.start_line, region.start_column, d.rule, d.message
        );
    }

    let snippet = line.map(|line| (line, underline_range(line, &d.loc.span)));
    match snippet {
        Some((line, range)) => {
            if !color
                && plain_snippet(
                    out,
                    line,
                    range.clone(),
                    region.start_line,
                    d.hint.as_deref(),
                )
            {
                return;
            }
            out.push_str(&annotated_snippet(
                renderer,
                d.severity,
                line,
                range,
                region.start_line,
                d.hint.as_deref(),
            ));
        }
        None => {
            if let Some(hint) = &d.hint {
                if color {
                    let _ = writeln!(
                        out,
                        "  {ANSI_BOLD}={ANSI_RESET} {ANSI_BOLD}help{ANSI_RESET}: {hint}"
                    );
                } else {
                    let _ = writeln!(out, "  = help: {hint}");
                }
            }
        }
    }
}

/// The snippet under a diagnostic's first line, rendered by `annotate-snippets`.
fn annotated_snippet(
    renderer: &Renderer,
    severity: Severity,
    line: &str,
    range: std::ops::Range<usize>,
    line_no: u32,
    hint: Option<&str>,
) -> String {
    let level = match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    };
    let mut group = Group::with_level(level).element(
        Snippet::source(line)
            .line_start(line_no as usize)
            .annotation(AnnotationKind::Primary.span(range)),
    );
    if let Some(hint) = hint {
        group = group.element(Level::HELP.message(hint));
    }
    let rendered = renderer.render(&[group]);
    let mut out = rendered.trim_end_matches('\n').to_string();
    out.push('\n');
    out
}

/// The plain (uncoloured) snippet for the common case, written directly: the same text
/// `annotate-snippets` renders (a test compares the two), at a small fraction of its
/// cost, which matters for reports with thousands of diagnostics.
///
/// Appends it to `out` and returns true only when the case is simple: a line of printable
/// ASCII without tabs and at most 120 characters, a non-empty underline, and a one-line
/// hint, if any (otherwise render with `annotate-snippets`).
fn plain_snippet(
    out: &mut String,
    line: &str,
    range: std::ops::Range<usize>,
    line_no: u32,
    hint: Option<&str>,
) -> bool {
    const MAX_LINE: usize = 120;
    let simple_line = line.len() <= MAX_LINE && line.bytes().all(|b| (b' '..=b'~').contains(&b));
    let simple_hint = hint.is_none_or(|h| !h.contains(['\n', '\r', '\t']));
    if !simple_line || !simple_hint || range.is_empty() || range.end > line.len() {
        return false;
    }
    let repeat = |out: &mut String, c: char, n: usize| out.extend(std::iter::repeat_n(c, n));
    let width = line_no.checked_ilog10().unwrap_or(0) as usize + 1;
    repeat(out, ' ', width);
    out.push_str(" |\n");
    let _ = writeln!(out, "{line_no} | {line}");
    repeat(out, ' ', width);
    out.push_str(" | ");
    repeat(out, ' ', range.start);
    repeat(out, '^', range.end - range.start);
    out.push('\n');
    if let Some(hint) = hint {
        repeat(out, ' ', width);
        out.push_str(" |\n");
        repeat(out, ' ', width);
        out.push_str(" = help: ");
        out.push_str(hint);
        out.push('\n');
    }
    true
}

/// The file of the diagnostics being rendered: its text, its name as shown, and where
/// each of its lines starts. Diagnostics come sorted by file, so each file's text is
/// looked up, its name converted and its lines indexed once, not once per diagnostic.
#[derive(Default)]
struct FileCache<'s> {
    file: Option<Arc<Path>>,
    text: Option<&'s str>,
    /// The path as shown in the first line of each diagnostic.
    shown: String,
    starts: Vec<usize>,
}

impl<'s> FileCache<'s> {
    /// Makes `file` the current file, unless it already is.
    fn switch(&mut self, file: &Arc<Path>, sources: &'s dyn Sources) {
        let same = self
            .file
            .as_ref()
            .is_some_and(|f| Arc::ptr_eq(f, file) || **f == **file);
        if same {
            return;
        }
        self.file = Some(file.clone());
        self.text = sources.text(file);
        self.shown.clear();
        let _ = write!(self.shown, "{}", file.display());
        self.starts.clear();
        if let Some(text) = self.text {
            self.starts.push(0);
            self.starts
                .extend(text.match_indices('\n').map(|(i, _)| i + 1));
            self.starts.retain(|&start| start < text.len());
        }
    }

    /// The text of 1-based line `line` of the current file (without its line break, as
    /// [`str::lines`] gives it), if the file has it.
    fn line(&self, line: u32) -> Option<&'s str> {
        let text = self.text?;
        let index = usize::try_from(line.checked_sub(1)?).ok()?;
        let start = *self.starts.get(index)?;
        let rest = text.get(start..)?;
        let line = rest.split('\n').next().unwrap_or(rest);
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// The byte offset of 1-based character column `column` in `line`, clamped to the line.
fn byte_offset(line: &str, column: u32) -> usize {
    let chars = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
    line.char_indices()
        .nth(chars)
        .map_or(line.len(), |(offset, _)| offset)
}

/// The byte range of `line` to underline for `span` (whose start is on this line).
///
/// A span that ends on the same line is underlined as is; a span that is empty, reversed
/// or runs over several lines is underlined from its start to the end of the line's text
/// (trailing blanks left out). The range is always within the line and on character
/// boundaries.
fn underline_range(line: &str, span: &Span) -> std::ops::Range<usize> {
    let start = byte_offset(line, span.start.column);
    let end = if span.end.line == span.start.line && span.end.column > span.start.column {
        byte_offset(line, span.end.column)
    } else {
        line.trim_end().len().max(start)
    };
    start..end.max(start)
}

// ---------------------------------------------------------------------------------------
// JSON

fn write_json(
    diags: &[Diagnostic],
    options: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    /// One diagnostic as the JSON format writes it (borrowed, written straight out).
    #[derive(serde::Serialize)]
    struct JsonDiagnostic<'a> {
        file: std::borrow::Cow<'a, str>,
        line: u32,
        column: u32,
        end_line: u32,
        end_column: u32,
        pointer: &'a naftiko_spec::span::Pointer,
        severity: &'static str,
        rule: &'a str,
        message: &'a str,
        hint: Option<&'a str>,
        deviation: bool,
    }
    #[derive(serde::Serialize)]
    struct Summary {
        errors: usize,
        warnings: usize,
        infos: usize,
    }
    /// The diagnostics, converted one at a time as they are written.
    struct Diagnostics<'a>(&'a [Diagnostic]);
    impl serde::Serialize for Diagnostics<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq(self.0.iter().map(|d| {
                let r = Region::of(&d.loc.span);
                JsonDiagnostic {
                    file: d.loc.file.to_string_lossy(),
                    line: r.start_line,
                    column: r.start_column,
                    end_line: r.end_line,
                    end_column: r.end_column,
                    pointer: &d.loc.pointer,
                    severity: d.severity.as_str(),
                    rule: d.rule,
                    message: &d.message,
                    hint: d.hint.as_deref(),
                    deviation: d.deviation,
                }
            }))
        }
    }
    #[derive(serde::Serialize)]
    struct JsonReport<'a> {
        version: u32,
        files_checked: usize,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        path_errors: &'a [String],
        summary: Summary,
        diagnostics: Diagnostics<'a>,
    }
    let counts = Counts::of(diags);
    let report = JsonReport {
        version: 1,
        files_checked: options.files_checked,
        path_errors: &options.path_errors,
        summary: Summary {
            errors: counts.errors,
            warnings: counts.warnings,
            infos: counts.infos,
        },
        diagnostics: Diagnostics(diags),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    out.write_all(b"\n")
}

// ---------------------------------------------------------------------------------------
// SARIF

/// The SARIF `level` for a severity.
fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path with forward slashes, as written (relative paths stay relative).
fn slash_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.into_owned()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// A relative URI reference for a path: forward slashes, and every byte that may not
/// appear in a URI path (or that would read as a scheme, `:`) percent-encoded.
fn path_uri(path: &Path) -> String {
    let text = slash_path(path);
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn write_sarif(
    diags: &[Diagnostic],
    options: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // One rule entry per rule id that appears, in order of first appearance.
    let mut rule_ids: Vec<&'static str> = Vec::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::with_capacity(diags.len());
    for d in diags {
        let index = match rule_ids.iter().position(|id| *id == d.rule) {
            Some(i) => i,
            None => {
                let info = rule_info(d.rule);
                let summary = info.map_or(d.rule, |i| i.summary);
                let default_level = sarif_level(info.map_or(d.severity, |i| i.severity));
                rules.push(json!({
                    "id": d.rule,
                    "shortDescription": { "text": summary },
                    "defaultConfiguration": { "level": default_level },
                }));
                rule_ids.push(d.rule);
                rule_ids.len() - 1
            }
        };
        let r = Region::of(&d.loc.span);
        let text = match &d.hint {
            Some(hint) => format!("{}\nhint: {hint}", d.message),
            None => d.message.clone(),
        };
        let mut result = Map::new();
        result.insert("ruleId".into(), json!(d.rule));
        result.insert("ruleIndex".into(), json!(index));
        result.insert("level".into(), json!(sarif_level(d.severity)));
        result.insert("message".into(), json!({ "text": text }));
        result.insert(
            "locations".into(),
            json!([{
                "physicalLocation": {
                    "artifactLocation": { "uri": path_uri(&d.loc.file) },
                    "region": {
                        "startLine": r.start_line,
                        "startColumn": r.start_column,
                        "endLine": r.end_line,
                        "endColumn": r.end_column,
                    },
                },
            }]),
        );
        if d.deviation {
            result.insert("properties".into(), json!({ "deviation": true }));
        }
        results.push(Value::Object(result));
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "naftiko",
                    "version": options.tool_version,
                    "informationUri": "https://naftiko.io",
                    "rules": rules,
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

// ---------------------------------------------------------------------------------------
// GitHub workflow commands

/// Escapes a workflow command's message: `%`, CR and LF.
fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a workflow command's property value: as [`escape_data`], plus `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn write_github(diags: &[Diagnostic], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for d in diags {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let r = Region::of(&d.loc.span);
        let message = match &d.hint {
            Some(hint) => format!("{} — hint: {hint}", d.message),
            None => d.message.clone(),
        };
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&slash_path(&d.loc.file)),
            r.start_line,
            r.start_column,
            r.end_line,
            r.end_column,
            escape_property(d.rule),
            escape_data(&message),
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct plain renderer writes exactly what `annotate-snippets` writes, for every
    /// case it accepts (and it declines the others).
    #[test]
    fn plain_snippet_matches_annotate_snippets() {
        let lines = [
            "naftiko: \"1.0.0-alpha1\"",
            "  - name: x",
            "        type: string   ",
            "a",
            "key: value with `backticks` and {{braces}} and | pipes ^",
            &"x".repeat(120),
            &"y".repeat(121),
            "tab\there",
            "ünïcödé: yes",
            "",
            "   ",
        ];
        let hints = [
            None,
            Some("write `naftiko: 1.0.0-alpha2`"),
            Some(""),
            Some("two\nlines"),
        ];
        let renderer = Renderer::plain();
        let mut compared = 0;
        for line in lines {
            for line_no in [1, 9, 10, 99, 100, 12345] {
                for start in [0, 1, 5, 10] {
                    for len in [0, 1, 4, 200] {
                        let end = (start + len).min(line.len());
                        if start > line.len() {
                            continue;
                        }
                        for hint in hints {
                            let mut fast = String::new();
                            if plain_snippet(&mut fast, line, start..end, line_no, hint) {
                                let slow = annotated_snippet(
                                    &renderer,
                                    Severity::Warning,
                                    line,
                                    start..end,
                                    line_no,
                                    hint,
                                );
                                assert_eq!(
                                    fast, slow,
                                    "line {line:?} {start}..{end} hint {hint:?}"
                                );
                                compared += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(compared > 300, "only {compared} cases took the fast path");
        let mut out = String::new();
        assert!(!plain_snippet(&mut out, "tab\there", 0..3, 1, None));
        assert!(!plain_snippet(&mut out, "ünï", 0..2, 1, None));
        assert!(!plain_snippet(&mut out, "abc", 1..1, 1, None));
        assert!(out.is_empty(), "a declined case wrote {out:?}");
    }
    use naftiko_spec::diag::rule;
    use naftiko_spec::span::{Loc, Pos};

    const FILE: &str = "capabilities/oauth2-tokens.yaml";
    const TEXT: &str = "naftiko: 1.0.0-alpha2\n\
                        info:\n  \
                          label: Tökéns ünd Grüße\n\
                        capability:\n  \
                          consumes:\n    \
                            - in: form\n";

    fn span(sl: u32, sc: u32, el: u32, ec: u32) -> Span {
        Span {
            start: Pos {
                line: sl,
                column: sc,
            },
            end: Pos {
                line: el,
                column: ec,
            },
        }
    }

    fn loc(file: &str, span: Span, pointer: &str) -> Loc {
        Loc {
            file: Arc::from(Path::new(file)),
            span,
            pointer: naftiko_spec::span::Pointer::from(pointer),
        }
    }

    fn sources() -> HashMap<PathBuf, Arc<str>> {
        let mut map = HashMap::new();
        map.insert(PathBuf::from(FILE), Arc::from(TEXT));
        map
    }

    fn opts(color: bool) -> RenderOptions {
        RenderOptions {
            color,
            files_checked: 3,
            tool_version: "9.9.9",
            path_errors: Vec::new(),
        }
    }

    /// A warning on line 6 (`in: form`), with a hint.
    fn dialect() -> Diagnostic {
        Diagnostic::deviation(
            rule::DIALECT_PARAM_LOCATION,
            loc(FILE, span(6, 11, 6, 15), "/capability/consumes/0/in"),
            "`in: form` is community dialect",
        )
        .with_hint("use `in: body`")
    }

    /// An error on the non-ASCII line 3, under `ünd`.
    fn non_ascii() -> Diagnostic {
        Diagnostic::error(
            rule::INVALID_VALUE,
            loc(FILE, span(3, 17, 3, 20), "/info/label"),
            "bad label",
        )
    }

    fn info() -> Diagnostic {
        Diagnostic::new(
            Severity::Info,
            rule::NAFTIKO_INFO_TAGS,
            loc(FILE, span(2, 1, 2, 5), "/info"),
            "add tags",
        )
    }

    /// The column (in characters) of the first `^` on the line after the one holding
    /// `source`, relative to where `source` starts; and how many carets there are.
    fn caret_under(rendered: &str, source: &str) -> (usize, usize) {
        let lines: Vec<&str> = rendered.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.ends_with(source))
            .expect("source line shown");
        let source_start = lines[i].chars().count() - source.chars().count();
        let caret_line = lines[i + 1];
        let caret = caret_line.chars().position(|c| c == '^').expect("caret");
        let count = caret_line.chars().filter(|c| *c == '^').count();
        (caret - source_start, count)
    }

    #[test]
    fn human_first_line_snippet_and_hint() {
        let out = render(Format::Human, &[dialect()], &sources(), &opts(false));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "capabilities/oauth2-tokens.yaml:6:11: warning[dialect-param-location]: \
             `in: form` is community dialect"
        );
        assert!(out.contains("6 |     - in: form"), "{out}");
        // Column 11 is the `f` of `form`, 10 characters into the line.
        assert_eq!(caret_under(&out, "    - in: form"), (10, 4), "{out}");
        assert!(out.contains("= help: use `in: body`"), "{out}");
        assert_eq!(
            lines.last().copied(),
            Some("checked 3 files: 0 errors, 1 warning")
        );
        assert!(out.ends_with('\n'));
    }

    #[test]
    fn human_non_ascii_columns_are_characters() {
        let out = render(Format::Human, &[non_ascii()], &sources(), &opts(false));
        assert!(
            out.starts_with(
                "capabilities/oauth2-tokens.yaml:3:17: error[invalid-value]: bad label\n"
            ),
            "{out}"
        );
        let source = "  label: Tökéns ünd Grüße";
        // Column 17 is `ü` (16 characters in); the span is `ünd`.
        assert_eq!(caret_under(&out, source), (16, 3), "{out}");
    }

    #[test]
    fn human_blank_line_between_and_order_kept() {
        let diags = [non_ascii(), dialect(), info()];
        let out = render(Format::Human, &diags, &sources(), &opts(false));
        let firsts: Vec<&str> = out
            .lines()
            .filter(|l| l.starts_with("capabilities/"))
            .collect();
        assert_eq!(firsts.len(), 3);
        assert!(firsts[0].contains("error[invalid-value]"));
        assert!(firsts[1].contains("warning[dialect-param-location]"));
        assert!(firsts[2].contains("info[naftiko-info-tags]"));
        let blocks: Vec<&str> = out.split("\n\n").collect();
        assert_eq!(blocks.len(), 4, "{out}");
        assert!(blocks[3].starts_with("checked 3 files: 1 error, 1 warning, 1 info"));
    }

    #[test]
    fn human_color_switch() {
        let diags = [non_ascii(), dialect()];
        let plain = render(Format::Human, &diags, &sources(), &opts(false));
        assert!(!plain.contains('\x1b'), "{plain}");
        let colored = render(Format::Human, &diags, &sources(), &opts(true));
        assert!(colored.contains("\x1b["));
        // Every format is free of escapes when colour is off.
        for format in Format::ALL {
            let out = render(format, &diags, &sources(), &opts(false));
            assert!(!out.contains('\x1b'), "{format}: {out}");
        }
    }

    #[test]
    fn human_degenerate_spans_and_missing_text_do_not_panic() {
        let odd = [
            span(0, 0, 0, 0),
            span(6, 11, 6, 11),
            span(6, 11, 5, 2),
            span(6, 200, 6, 300),
            span(3, 17, 5, 1),
            span(3, 20, 3, 17),
            span(99, 1, 99, 2),
            span(u32::MAX, u32::MAX, u32::MAX, u32::MAX),
            span(1, 1, 0, 0),
        ];
        for s in odd {
            let d = Diagnostic::error(rule::YAML_SYNTAX, loc(FILE, s, ""), "odd").with_hint("h");
            for format in Format::ALL {
                let _ = render(format, std::slice::from_ref(&d), &sources(), &opts(false));
                let _ = render(format, std::slice::from_ref(&d), &sources(), &opts(true));
            }
        }

        // An empty span underlines from its start to the end of the line's text.
        let d = Diagnostic::error(rule::YAML_SYNTAX, loc(FILE, span(6, 7, 6, 7), ""), "m");
        let out = render(Format::Human, &[d], &sources(), &opts(false));
        assert_eq!(caret_under(&out, "    - in: form"), (6, 8), "{out}");

        // A multi-line span underlines the rest of the first line.
        let d = Diagnostic::error(rule::YAML_SYNTAX, loc(FILE, span(3, 17, 5, 1), ""), "m");
        let out = render(Format::Human, &[d], &sources(), &opts(false));
        assert_eq!(
            caret_under(&out, "  label: Tökéns ünd Grüße"),
            (16, 9),
            "{out}"
        );

        // No text for the file: first line and hint, no snippet.
        let d = Diagnostic::error(
            rule::FILE_UNREADABLE,
            loc("gone.yaml", span(0, 0, 0, 0), ""),
            "cannot read",
        )
        .with_hint("check the path");
        let out = render(Format::Human, &[d], &NoSources, &opts(false));
        assert_eq!(
            out,
            "gone.yaml:1:1: error[file-unreadable]: cannot read\n  = help: check the path\n\n\
             checked 3 files: 1 error, 0 warnings\n"
        );

        // A line past the end of the file: no snippet either.
        let d = Diagnostic::error(rule::YAML_SYNTAX, loc(FILE, span(99, 1, 99, 2), ""), "m");
        let out = render(Format::Human, &[d], &sources(), &opts(false));
        assert!(!out.contains('^'), "{out}");
    }

    #[test]
    fn byte_offsets_clamp() {
        assert_eq!(byte_offset("aé b", 0), 0);
        assert_eq!(byte_offset("aé b", 1), 0);
        assert_eq!(byte_offset("aé b", 3), 3);
        assert_eq!(byte_offset("aé b", 50), 5);
        assert_eq!(underline_range("", &span(1, 5, 1, 9)), 0..0);
        assert_eq!(underline_range("ab  ", &span(1, 4, 1, 2)), 3..3);
    }

    #[test]
    fn json_document() {
        let diags = [dialect(), non_ascii(), info()];
        let out = render(Format::Json, &diags, &sources(), &opts(false));
        assert!(out.ends_with("}\n"));
        assert!(out.contains("\n  \"version\": 1"), "pretty-printed: {out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["files_checked"], 3);
        assert_eq!(
            v["summary"],
            json!({"errors": 1, "warnings": 1, "infos": 1})
        );
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["version", "files_checked", "summary", "diagnostics"]);
        let d0 = &v["diagnostics"][0];
        assert_eq!(
            *d0,
            json!({
                "file": FILE,
                "line": 6,
                "column": 11,
                "end_line": 6,
                "end_column": 15,
                "pointer": "/capability/consumes/0/in",
                "severity": "warning",
                "rule": "dialect-param-location",
                "message": "`in: form` is community dialect",
                "hint": "use `in: body`",
                "deviation": true,
            })
        );
        assert_eq!(v["diagnostics"][1]["hint"], Value::Null);
        assert_eq!(v["diagnostics"][1]["deviation"], false);
        assert_eq!(v["diagnostics"][2]["severity"], "info");

        let empty = render(Format::Json, &[], &NoSources, &RenderOptions::default());
        let v: Value = serde_json::from_str(&empty).unwrap();
        assert_eq!(v["diagnostics"], json!([]));
    }

    #[test]
    fn sarif_document() {
        let degenerate = Diagnostic::error(
            rule::INVALID_VALUE,
            loc("dir with space/ä.yaml", span(4, 7, 2, 1), "/x"),
            "again",
        );
        let diags = [dialect(), non_ascii(), info(), degenerate];
        let out = render(Format::Sarif, &diags, &sources(), &opts(false));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(
            v["$schema"],
            "https://json.schemastore.org/sarif-2.1.0.json"
        );
        let runs = v["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1);
        let driver = &runs[0]["tool"]["driver"];
        assert_eq!(driver["name"], "naftiko");
        assert_eq!(driver["version"], "9.9.9");
        assert_eq!(driver["informationUri"], "https://naftiko.io");

        let rules = driver["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            [
                "dialect-param-location",
                "invalid-value",
                "naftiko-info-tags"
            ]
        );
        assert_eq!(
            rules[0]["shortDescription"]["text"],
            rule_info("dialect-param-location").unwrap().summary
        );
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "warning");
        assert_eq!(rules[1]["defaultConfiguration"]["level"], "error");
        assert_eq!(rules[2]["defaultConfiguration"]["level"], "note");

        let results = runs[0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 4);
        let levels: Vec<&str> = results
            .iter()
            .map(|r| r["level"].as_str().unwrap())
            .collect();
        assert_eq!(levels, ["warning", "error", "note", "error"]);
        let indexes: Vec<u64> = results
            .iter()
            .map(|r| r["ruleIndex"].as_u64().unwrap())
            .collect();
        assert_eq!(indexes, [0, 1, 2, 1]);
        assert_eq!(results[3]["ruleId"], "invalid-value");
        assert_eq!(
            results[0]["message"]["text"],
            "`in: form` is community dialect\nhint: use `in: body`"
        );
        assert_eq!(results[1]["message"]["text"], "bad label");

        let loc0 = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(loc0["artifactLocation"]["uri"], FILE);
        assert_eq!(
            loc0["region"],
            json!({"startLine": 6, "startColumn": 11, "endLine": 6, "endColumn": 15})
        );
        let loc3 = &results[3]["locations"][0]["physicalLocation"];
        assert_eq!(
            loc3["artifactLocation"]["uri"],
            "dir%20with%20space/%C3%A4.yaml"
        );
        // The reversed span is fixed up so that the end is not before the start.
        assert_eq!(
            loc3["region"],
            json!({"startLine": 4, "startColumn": 7, "endLine": 4, "endColumn": 7})
        );
    }

    #[test]
    fn github_annotations_and_escaping() {
        let tricky = Diagnostic::error(
            rule::YAML_SYNTAX,
            loc("a,b:c%.yaml", span(2, 3, 4, 5), ""),
            "100% bad\r\nvalue: x, y",
        )
        .with_hint("fix it");
        let diags = [dialect(), info(), tricky];
        let out = render(Format::Github, &diags, &NoSources, &opts(false));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0],
            "::warning file=capabilities/oauth2-tokens.yaml,line=6,col=11,endLine=6,endColumn=15,\
             title=dialect-param-location::`in: form` is community dialect — hint: use `in: body`"
        );
        assert!(lines[1].starts_with("::notice file="), "{}", lines[1]);
        assert_eq!(
            lines[2],
            "::error file=a%2Cb%3Ac%25.yaml,line=2,col=3,endLine=4,endColumn=5,\
             title=yaml-syntax::100%25 bad%0D%0Avalue: x, y — hint: fix it"
        );
        assert!(out.ends_with('\n'));
    }

    #[test]
    fn escaping_helpers() {
        assert_eq!(escape_data("a%b\nc\rd:e,f"), "a%25b%0Ac%0Dd:e,f");
        assert_eq!(escape_property("a%b\nc\rd:e,f"), "a%25b%0Ac%0Dd%3Ae%2Cf");
    }

    #[test]
    fn summary_pluralisation() {
        assert_eq!(
            summary_line(&[], 0),
            "checked 0 files: 0 errors, 0 warnings"
        );
        assert_eq!(summary_line(&[], 1), "checked 1 file: 0 errors, 0 warnings");
        assert_eq!(
            summary_line(&[non_ascii(), dialect()], 1),
            "checked 1 file: 1 error, 1 warning"
        );
        assert_eq!(
            summary_line(
                &[
                    non_ascii(),
                    non_ascii(),
                    dialect(),
                    dialect(),
                    info(),
                    info()
                ],
                3
            ),
            "checked 3 files: 2 errors, 2 warnings, 2 infos"
        );
    }

    #[test]
    fn format_names() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("SARIF"), Some(Format::Sarif));
        assert_eq!(Format::from_name("xml"), None);
        assert_eq!(Format::Github.to_string(), "github");
    }
}
