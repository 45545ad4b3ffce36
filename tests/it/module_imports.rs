//! No module imports one that imports it back: inside each crate of the workspace
//! (`crates/*/src`, and the binary in `src/`), the modules that name one another form no
//! loop, of any length. The test fails listing every loop (each strongly connected group of
//! modules), with one example reference, `file:line`, per edge. There is no allowlist: a
//! loop is fixed by moving what both sides need into the module that owns it.
//!
//! # Modules
//!
//! Every `.rs` file below a `src` directory is a module: `lib.rs`/`main.rs` is the crate
//! root (shown as `crate`), `a.rs` and `a/mod.rs` are `a`, `a/b.rs` is `a::b`. An inline
//! `mod name { ... }` is a module of its own, `file_module::name`. Items under
//! `#[cfg(test)]` are skipped (the `#[cfg(test)] mod tests { ... }` of a file, test-only
//! helpers and functions), and so are the files of `#[cfg(test)] mod name;` declarations:
//! test code may reach back into the module it tests.
//!
//! # What is an edge
//!
//! Module `m` imports module `t` when `m`'s code (not its comments, strings or test items)
//! names `t` or an item of `t`:
//!
//! - a `use` of `crate::...`, `super::...`, `self::...` or of a child module, groups
//!   included (`use crate::{a, b::{c, D}};`, over as many lines as it takes);
//! - a path in code starting with `crate::`, `super::`, `self::`, a child module's name, or
//!   a name the module imported with `use` (`use crate::rules;` then `rules::check(..)`).
//!
//! A path is attributed to the longest prefix that is a module of the crate: `crate::a::b::X`
//! is an edge to `a::b` when `a::b` is a module, else to `a`. When the named item is one the
//! module imported with `use` (`pub use` or not), the edge goes on to where that `use` leads:
//! `crate::Runtime`, with `pub use runtime::Runtime;` in `lib.rs`, is an edge to `runtime`,
//! and `super::Scope`, with `use crate::workspace::Scope;` in the parent, is an edge to
//! `workspace`. Otherwise the edge goes to the module named, which defines the item; for
//! the crate root only when the root file does define it (`crate::EXIT_OK`, a `const` of
//! `main.rs`, is an edge to the root): a root item neither defined in the root file nor
//! brought in by a `use` there (a `#[macro_export]` macro) gives no edge. A module naming
//! itself is no edge.
//!
//! Not edges: `mod child;` declarations (declaring a submodule is not importing it), and
//! re-exports (`pub use`, any visibility) of a module's own descendants, the usual
//! `pub use child::Thing;`. Everything else counts, including a parent that calls into its
//! child (`child::f()`) or privately `use`s it while the child uses the parent's items
//! through `super::` — the loop the rule forbids; the fix is to move what both need into a
//! module of its own.
//!
//! This is a tokenizer, not a Rust parser: comments, string/char literals and lifetimes are
//! recognised, macros are not expanded (paths inside macro invocations are read as tokens),
//! and `#[cfg(test)]` means exactly that attribute.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A token of Rust source, as much of it as paths need.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
    /// A string, char or number literal, or a lifetime: never part of a path.
    Lit,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits Rust source into tokens, dropping comments and reducing literals to [`Tok::Lit`].
fn lex(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let n = chars.len();
    let at = |i: usize| chars.get(i).copied();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < n {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == Some('/') {
            while i < n && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            let mut depth = 0;
            while i < n {
                if chars[i] == '/' && at(i + 1) == Some('*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if is_ident_start(c) {
            let mut j = i;
            while j < n && is_ident_continue(chars[j]) {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            let mut k = j;
            while at(k) == Some('#') {
                k += 1;
            }
            let hashes = k - j;
            if matches!(word.as_str(), "r" | "br" | "cr") && at(k) == Some('"') {
                // A raw string: ends at `"` followed by as many `#` as it opened with.
                let start_line = line;
                k += 1;
                while k < n {
                    if chars[k] == '\n' {
                        line += 1;
                    }
                    if chars[k] == '"' && (1..=hashes).all(|h| at(k + h) == Some('#')) {
                        k += 1 + hashes;
                        break;
                    }
                    k += 1;
                }
                out.push(Token {
                    tok: Tok::Lit,
                    line: start_line,
                });
                i = k;
            } else if word == "r" && hashes == 1 && at(k).is_some_and(is_ident_start) {
                // A raw identifier, `r#type`.
                let mut e = k;
                while e < n && is_ident_continue(chars[e]) {
                    e += 1;
                }
                out.push(Token {
                    tok: Tok::Ident(chars[k..e].iter().collect()),
                    line,
                });
                i = e;
            } else if matches!(word.as_str(), "b" | "c") && at(j) == Some('"')
                || word == "b" && at(j) == Some('\'')
            {
                // A byte or C string, or a byte: the literal itself comes next.
                i = j;
            } else {
                out.push(Token {
                    tok: Tok::Ident(word),
                    line,
                });
                i = j;
            }
        } else if c == '"' {
            let start_line = line;
            i += 1;
            while i < n && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if at(i) == Some('\n') {
                    line += 1;
                }
                i += 1;
            }
            i += 1;
            out.push(Token {
                tok: Tok::Lit,
                line: start_line,
            });
        } else if c == '\'' {
            if at(i + 1) == Some('\\') {
                // An escaped char: `'\n'`, `'\''`, `'\u{2028}'`.
                let mut k = i + 3;
                while k < n && chars[k] != '\'' {
                    k += 1;
                }
                i = k + 1;
            } else if at(i + 2) == Some('\'') {
                i += 3;
            } else {
                // A lifetime or a loop label.
                i += 1;
                while i < n && is_ident_continue(chars[i]) {
                    i += 1;
                }
            }
            out.push(Token {
                tok: Tok::Lit,
                line,
            });
        } else if c.is_ascii_digit() {
            while i < n
                && (is_ident_continue(chars[i])
                    || chars[i] == '.' && at(i + 1).is_some_and(|d| d.is_ascii_digit()))
            {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Lit,
                line,
            });
        } else if c == ':' && at(i + 1) == Some(':') {
            out.push(Token {
                tok: Tok::Sep,
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(c),
                line,
            });
            i += 1;
        }
    }
    out
}

/// One path named by a module: in a `use` or in code.
#[derive(Debug, Clone)]
struct Reference {
    /// The module whose code holds it.
    module: String,
    segments: Vec<String>,
    line: usize,
    /// A `pub use` (of any visibility).
    reexport: bool,
}

/// What the checker knows of one module.
#[derive(Debug, Default)]
struct Module {
    /// Source file, relative to the workspace.
    file: String,
    /// Names of the items it defines (a superset: nested items count too).
    defines: HashSet<String>,
    /// Names its `use` declarations bring in, and the path each stands for.
    imports: HashMap<String, Vec<String>>,
}

/// One crate: its modules and the references between them.
#[derive(Debug, Default)]
struct Crate {
    modules: BTreeMap<String, Module>,
    references: Vec<(String, Reference)>,
    /// Modules declared `#[cfg(test)] mod name;`: test code, not checked.
    test_modules: BTreeSet<String>,
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else {
        format!("{base}::{name}")
    }
}

fn parent(module: &str) -> Option<&str> {
    if module.is_empty() {
        None
    } else {
        Some(module.rsplit_once("::").map_or("", |(p, _)| p))
    }
}

/// The module of a file, from its path below `src`: `lib.rs` → ``, `a/mod.rs` → `a`,
/// `a/b.rs` → `a::b`.
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.strip_suffix(".rs").unwrap_or(&file);
    if !(parts.is_empty() && matches!(stem, "lib" | "main") || stem == "mod") {
        parts.push(stem.to_string());
    }
    parts.join("::")
}

fn ident(toks: &[Token], i: usize) -> Option<&str> {
    match toks.get(i).map(|t| &t.tok) {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

fn is(toks: &[Token], i: usize, tok: &Tok) -> bool {
    toks.get(i).is_some_and(|t| &t.tok == tok)
}

/// The index just past the attribute opening at `i` (`#[...]` or `#![...]`), and whether it
/// is `cfg(test)`.
fn attribute(toks: &[Token], i: usize) -> Option<(usize, bool)> {
    let open = if is(toks, i + 1, &Tok::Punct('!')) {
        i + 2
    } else {
        i + 1
    };
    if !is(toks, i, &Tok::Punct('#')) || !is(toks, open, &Tok::Punct('[')) {
        return None;
    }
    let mut depth = 0usize;
    let mut j = open;
    while j < toks.len() {
        match toks[j].tok {
            Tok::Punct('[') => depth += 1,
            Tok::Punct(']') => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        j += 1;
    }
    let inner = &toks[(open + 1).min(j)..j];
    let cfg_test = inner.len() == 4
        && ident(inner, 0) == Some("cfg")
        && is(inner, 1, &Tok::Punct('('))
        && ident(inner, 2) == Some("test")
        && is(inner, 3, &Tok::Punct(')'));
    Some((j + 1, cfg_test))
}

/// The index just past the item starting at `i`: after its `;`, or after its outermost
/// `{ ... }` block.
fn skip_item(toks: &[Token], mut i: usize) -> usize {
    let mut depth = 0i32;
    while i < toks.len() {
        match toks[i].tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']') => depth -= 1,
            // The end of the block that holds the item (an attribute on a tail expression).
            Tok::Punct('}') if depth <= 0 => return i,
            Tok::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            Tok::Punct(';') if depth <= 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// Reads the use tree starting at `i`, adding each full path (with its last line and the
/// name it binds) to `out`; returns the index after the tree.
fn use_tree(
    toks: &[Token],
    mut i: usize,
    mut segments: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>, usize)>,
) -> usize {
    if is(toks, i, &Tok::Sep) {
        // `::name`: an external crate.
        segments.push("::".to_string());
        i += 1;
    }
    let mut line = toks.get(i).map_or(0, |t| t.line);
    loop {
        match toks.get(i).map(|t| &t.tok) {
            Some(Tok::Ident(s)) => {
                segments.push(s.clone());
                line = toks[i].line;
                i += 1;
                if is(toks, i, &Tok::Sep) {
                    i += 1;
                    continue;
                }
                if segments.len() > 1 && segments.last().is_some_and(|s| s == "self") {
                    segments.pop();
                }
                let mut name = segments.last().cloned();
                if ident(toks, i) == Some("as") {
                    name = ident(toks, i + 1).map(str::to_string);
                    i += 2;
                }
                out.push((segments, name, line));
                return i;
            }
            Some(Tok::Punct('*')) => {
                out.push((segments, None, line));
                return i + 1;
            }
            Some(Tok::Punct('{')) => {
                i += 1;
                loop {
                    match toks.get(i).map(|t| &t.tok) {
                        None => return i,
                        Some(Tok::Punct('}')) => return i + 1,
                        Some(Tok::Punct(',')) => i += 1,
                        Some(_) => {
                            let next = use_tree(toks, i, segments.clone(), out);
                            i = if next > i { next } else { i + 1 };
                        }
                    }
                }
            }
            _ => return i,
        }
    }
}

/// Whether the path starting at `i` is the one of a `pub(in path)` visibility.
fn in_visibility(toks: &[Token], i: usize) -> bool {
    i > 1 && ident(toks, i - 1) == Some("in") && is(toks, i - 2, &Tok::Punct('('))
}

/// Whether the `use` at `i` is a re-export: `pub use`, `pub(crate) use`, `pub(in a) use`.
fn is_reexport(toks: &[Token], i: usize) -> bool {
    if i == 0 {
        return false;
    }
    if ident(toks, i - 1) == Some("pub") {
        return true;
    }
    if !is(toks, i - 1, &Tok::Punct(')')) {
        return false;
    }
    let mut j = i - 1;
    while j > 0 && !is(toks, j, &Tok::Punct('(')) {
        j -= 1;
    }
    j > 0 && ident(toks, j - 1) == Some("pub")
}

/// Records the modules, definitions, imports and references of one file of `krate`.
fn scan_file(krate: &mut Crate, file: &str, module: &str, src: &str) {
    let toks = lex(src);
    krate.modules.entry(module.to_string()).or_default().file = file.to_string();
    // Inline modules open here: (module, brace depth outside it).
    let mut stack: Vec<(String, usize)> = vec![(module.to_string(), 0)];
    let mut depth = 0usize;
    let mut cfg_test = false;
    let mut i = 0;
    while i < toks.len() {
        let current = stack.last().map_or(module, |(m, _)| m.as_str()).to_string();
        if let Some((next, is_test)) = attribute(&toks, i) {
            if is_test && is(&toks, i + 1, &Tok::Punct('!')) && stack.len() == 1 && depth == 0 {
                return; // `#![cfg(test)]`: the whole file is test code.
            }
            cfg_test |= is_test;
            i = next;
            continue;
        }
        if cfg_test {
            cfg_test = false;
            // `#[cfg(test)] mod name;`: that file is test code.
            let mut j = i;
            if ident(&toks, j) == Some("pub") {
                j += 1;
                if is(&toks, j, &Tok::Punct('(')) {
                    while j < toks.len() && !is(&toks, j, &Tok::Punct(')')) {
                        j += 1;
                    }
                    j += 1;
                }
            }
            if ident(&toks, j) == Some("mod")
                && is(&toks, j + 2, &Tok::Punct(';'))
                && let Some(name) = ident(&toks, j + 1)
            {
                krate.test_modules.insert(join(&current, name));
            }
            i = skip_item(&toks, i);
            continue;
        }
        let prev = i.checked_sub(1).map(|p| &toks[p].tok);
        let prev_is = |t: &Tok| prev == Some(t);
        match &toks[i].tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if stack.len() > 1 && stack.last().is_some_and(|(_, d)| *d == depth) {
                    stack.pop();
                }
            }
            Tok::Ident(w) if w == "mod" => {
                if let Some(name) = ident(&toks, i + 1) {
                    if is(&toks, i + 2, &Tok::Punct('{')) {
                        let inner = join(&current, name);
                        krate.modules.entry(inner.clone()).or_default().file = file.to_string();
                        stack.push((inner, depth));
                    }
                    i += 2;
                    continue;
                }
            }
            Tok::Ident(w) if w == "use" && !prev_is(&Tok::Sep) => {
                let reexport = is_reexport(&toks, i);
                let mut paths = Vec::new();
                let mut j = use_tree(&toks, i + 1, Vec::new(), &mut paths);
                while j < toks.len() && !is(&toks, j, &Tok::Punct(';')) {
                    j += 1;
                }
                let m = krate.modules.entry(current.clone()).or_default();
                for (segments, name, line) in paths {
                    if let Some(name) = name.filter(|n| n != "_") {
                        m.imports.insert(name, segments.clone());
                    }
                    krate.references.push((
                        file.to_string(),
                        Reference {
                            module: current.clone(),
                            segments,
                            line,
                            reexport,
                        },
                    ));
                }
                i = j + 1;
                continue;
            }
            Tok::Ident(w) if w == "macro_rules" && is(&toks, i + 1, &Tok::Punct('!')) => {
                if let Some(name) = ident(&toks, i + 2) {
                    let m = krate.modules.entry(current.clone()).or_default();
                    m.defines.insert(name.to_string());
                }
            }
            Tok::Ident(w)
                if matches!(
                    w.as_str(),
                    "fn" | "struct" | "enum" | "union" | "trait" | "type" | "const" | "static"
                ) =>
            {
                let mut j = i + 1;
                if ident(&toks, j) == Some("mut") {
                    j += 1;
                }
                if let Some(name) = ident(&toks, j).filter(|n| !matches!(*n, "fn" | "_")) {
                    let m = krate.modules.entry(current.clone()).or_default();
                    m.defines.insert(name.to_string());
                }
            }
            Tok::Ident(w)
                if is(&toks, i + 1, &Tok::Sep)
                    && !prev_is(&Tok::Sep)
                    && !prev_is(&Tok::Punct('$'))
                    && !in_visibility(&toks, i) =>
            {
                let line = toks[i].line;
                let mut segments = vec![w.clone()];
                let mut j = i + 1;
                while is(&toks, j, &Tok::Sep) {
                    match ident(&toks, j + 1) {
                        Some(s) => segments.push(s.to_string()),
                        None => break,
                    }
                    j += 2;
                }
                krate.references.push((
                    file.to_string(),
                    Reference {
                        module: current.clone(),
                        segments,
                        line,
                        reexport: false,
                    },
                ));
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

impl Crate {
    fn known(&self, module: &str) -> bool {
        self.modules.contains_key(module)
    }

    /// The module a path named in `context` leads to, if it is a module of this crate.
    fn resolve(&self, context: &str, segments: &[String], hops: usize) -> Option<String> {
        let first = segments.first()?;
        let (mut base, rest) = match first.as_str() {
            "crate" => (String::new(), &segments[1..]),
            "self" => (context.to_string(), &segments[1..]),
            "super" => {
                let mut base = context;
                let mut k = 0;
                while segments.get(k).is_some_and(|s| s == "super") {
                    base = parent(base)?;
                    k += 1;
                }
                (base.to_string(), &segments[k..])
            }
            name if self.known(&join(context, name)) => (context.to_string(), segments),
            name => {
                // A name the module imported: `use crate::rules;` then `rules::f()`.
                let target = self.modules.get(context)?.imports.get(name)?;
                if hops > 8 || target.len() == 1 && target[0] == *name {
                    return None;
                }
                let mut path = target.clone();
                path.extend_from_slice(&segments[1..]);
                return self.resolve(context, &path, hops + 1);
            }
        };
        let mut k = 0;
        while let Some(seg) = rest.get(k) {
            let next = join(&base, seg);
            if !self.known(&next) {
                break;
            }
            base = next;
            k += 1;
        }
        let Some(item) = rest.get(k) else {
            return Some(base);
        };
        let module = self.modules.get(&base)?;
        if module.defines.contains(item) {
            return Some(base);
        }
        let through = match module.imports.get(item) {
            Some(target) if hops <= 8 => {
                let mut path = target.clone();
                path.extend_from_slice(&rest[k + 1..]);
                self.resolve(&base, &path, hops + 1)
            }
            _ => None,
        };
        match through {
            Some(t) => Some(t),
            None if base.is_empty() => None,
            None => Some(base),
        }
    }

    fn is_test_code(&self, module: &str) -> bool {
        self.test_modules
            .iter()
            .any(|t| module == t || module.starts_with(&format!("{t}::")))
    }

    /// Edges between distinct modules, each with its first example (`file:line`, path).
    fn edges(&self) -> BTreeMap<(String, String), String> {
        let mut edges = BTreeMap::new();
        for (file, r) in &self.references {
            if self.is_test_code(&r.module) {
                continue;
            }
            let Some(target) = self.resolve(&r.module, &r.segments, 0) else {
                continue;
            };
            let descendant = r.module.is_empty() || target.starts_with(&format!("{}::", r.module));
            if target == r.module || r.reexport && descendant || self.is_test_code(&target) {
                continue;
            }
            edges
                .entry((r.module.clone(), target))
                .or_insert_with(|| format!("{file}:{}  {}", r.line, r.segments.join("::")));
        }
        edges
    }
}

/// Strongly connected groups of more than one module (Tarjan's algorithm).
fn cycles(edges: &BTreeMap<(String, String), String>) -> Vec<Vec<String>> {
    let mut nodes: BTreeSet<&str> = BTreeSet::new();
    let mut next: HashMap<&str, Vec<&str>> = HashMap::new();
    for (a, b) in edges.keys() {
        nodes.insert(a);
        nodes.insert(b);
        next.entry(a).or_default().push(b);
    }
    struct Tarjan<'a> {
        next: HashMap<&'a str, Vec<&'a str>>,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: HashSet<&'a str>,
        groups: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.next.get(v).cloned().unwrap_or_default() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.groups.push(group);
                }
            }
        }
    }
    let mut t = Tarjan {
        next,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: HashSet::new(),
        groups: Vec::new(),
    };
    for v in nodes {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.groups.sort();
    t.groups
}

fn show(module: &str) -> &str {
    if module.is_empty() { "crate" } else { module }
}

/// One shortest loop through the first module of `group`, for the report.
fn example_loop(group: &[String], edges: &BTreeMap<(String, String), String>) -> Vec<String> {
    let Some(start) = group.first() else {
        return Vec::new();
    };
    let mut came_from: HashMap<&str, &str> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start.as_str()]);
    while let Some(v) = queue.pop_front() {
        for (a, b) in edges.keys() {
            if a != v || !group.contains(b) {
                continue;
            }
            if b == start {
                let mut back = Vec::new();
                let mut at = v;
                while at != start {
                    back.push(at.to_string());
                    at = came_from.get(at).copied().unwrap_or(start);
                }
                back.reverse();
                let mut path = vec![start.clone()];
                path.extend(back);
                path.push(start.clone());
                return path;
            }
            if !came_from.contains_key(b.as_str()) {
                came_from.insert(b, v);
                queue.push_back(b);
            }
        }
    }
    Vec::new()
}

/// The report of one crate's loops; empty when there are none.
fn report(name: &str, krate: &Crate) -> String {
    let edges = krate.edges();
    let mut out = String::new();
    for group in cycles(&edges) {
        let members: Vec<&str> = group.iter().map(|m| show(m)).collect();
        let _ = writeln!(
            out,
            "{name}: {} modules import one another: {}",
            group.len(),
            members.join(", ")
        );
        let path = example_loop(&group, &edges);
        let path: Vec<&str> = path.iter().map(|m| show(m)).collect();
        let _ = writeln!(out, "  e.g. {}", path.join(" -> "));
        for ((a, b), example) in &edges {
            if group.contains(a) && group.contains(b) {
                let _ = writeln!(out, "  {} -> {}: {example}", show(a), show(b));
            }
        }
    }
    out
}

/// Builds a crate from `(path below src, source)` pairs.
fn analyze<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>, shown_dir: &str) -> Crate {
    let mut krate = Crate::default();
    for (rel, src) in files {
        let module = module_of(Path::new(rel));
        scan_file(&mut krate, &format!("{shown_dir}{rel}"), &module, src);
    }
    krate
}

/// Every crate of the workspace: its `src` directory, relative to the workspace root.
fn workspace_crates() -> Vec<(String, Crate)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec!["src".to_string()];
    let mut members: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    members.sort();
    for m in members {
        if m.join("src").is_dir()
            && let Some(name) = m.file_name()
        {
            dirs.push(format!("crates/{}/src", name.to_string_lossy()));
        }
    }
    let mut crates = Vec::new();
    for dir in dirs {
        let src_dir = root.join(&dir);
        assert!(
            !(src_dir.join("lib.rs").is_file() && src_dir.join("main.rs").is_file()),
            "{dir}: both lib.rs and main.rs: teach tests/module_imports.rs about two crates in one src"
        );
        let mut paths = Vec::new();
        crate::common::files_with_extension(&src_dir, &["rs"], &mut paths);
        let mut sources = Vec::new();
        for p in &paths {
            let text =
                std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let rel = p.strip_prefix(&src_dir).unwrap_or(p);
            sources.push((rel.to_string_lossy().replace('\\', "/"), text));
        }
        let krate = analyze(
            sources.iter().map(|(r, t)| (r.as_str(), t.as_str())),
            &format!("{dir}/"),
        );
        let name = dir.trim_end_matches("/src").to_string();
        crates.push((name, krate));
    }
    crates
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let crates = workspace_crates();
    // The checker must have seen the workspace, or it would pass for nothing.
    let names: Vec<&str> = crates.iter().map(|(n, _)| n.as_str()).collect();
    for expected in ["src", "crates/naftiko-spec", "crates/naftiko-validate"] {
        assert!(
            names.contains(&expected),
            "{expected} not found among {names:?}"
        );
    }
    for (name, krate) in &crates {
        assert!(!krate.modules.is_empty(), "{name}: no modules read");
    }
    let total_edges: usize = crates.iter().map(|(_, k)| k.edges().len()).sum();
    assert!(
        total_edges > 20,
        "only {total_edges} edges between modules found"
    );

    let mut out = String::new();
    for (name, krate) in &crates {
        out.push_str(&report(name, krate));
    }
    assert!(
        out.is_empty(),
        "modules that import one that imports them back (move what both need into a module \
         of its own; see tests/module_imports.rs for what counts as an import):\n\n{out}"
    );
}

fn loops_of(files: &[(&str, &str)]) -> Vec<Vec<String>> {
    cycles(&analyze(files.iter().copied(), "").edges())
}

#[test]
fn a_multi_line_use_group_is_read_whole() {
    let files = [
        ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
        (
            "a.rs",
            "use crate::{\n    c::Gamma,\n    b::{\n        self,\n        Beta as B,\n    },\n};\npub fn alpha() {}\n",
        ),
        ("b.rs", "pub struct Beta;\nfn f() { crate::a::alpha() }\n"),
        ("c.rs", "pub struct Gamma;\n"),
    ];
    assert_eq!(
        loops_of(&files),
        vec![vec!["a".to_string(), "b".to_string()]]
    );
    let krate = analyze(files.iter().copied(), "");
    let edges = krate.edges();
    assert!(edges.contains_key(&("a".to_string(), "c".to_string())));
    assert!(edges[&("a".to_string(), "b".to_string())].starts_with("a.rs:4 "));
}

#[test]
fn comments_strings_and_test_code_are_not_imports() {
    let files = [
        ("lib.rs", "mod a;\nmod b;\n"),
        ("b.rs", "use crate::a::A;\npub fn g() {}\n"),
        (
            "a.rs",
            r####"
pub struct A;
// use crate::b::g;
/* crate::b::g(); /* nested */ crate::b::g(); */
/// [`crate::b::g`]
const S: &str = "crate::b::g";
const R: &str = r#"crate::b::g " still "#;
const C: char = '"';
fn f<'a>(x: &'a str) -> &'a str { let _ = b"crate::b"; x }
#[cfg(test)]
fn only_in_tests() { crate::b::g() }
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::b::g;
}
"####,
        ),
    ];
    assert!(loops_of(&files).is_empty(), "{:?}", loops_of(&files));
}

#[test]
fn reexports_of_children_are_not_imports_but_calls_into_them_are() {
    let parent = "mod units;\npub use units::Unit;\npub(crate) fn helper() {}\n";
    let child = "use super::helper;\npub struct Unit;\n";
    let files = [
        ("lib.rs", "pub mod rules;\n"),
        ("rules/mod.rs", parent),
        ("rules/units.rs", child),
    ];
    assert!(loops_of(&files).is_empty());
    let calls = format!("{parent}fn check() {{ units::count(); }}\n");
    let files = [
        ("lib.rs", "pub mod rules;\n"),
        ("rules/mod.rs", calls.as_str()),
        ("rules/units.rs", child),
    ];
    assert_eq!(
        loops_of(&files),
        vec![vec!["rules".to_string(), "rules::units".to_string()]]
    );
}

#[test]
fn root_items_lead_to_the_module_that_defines_them() {
    // `crate::Runtime` is re-exported from `runtime`: an edge to `runtime`, not the root.
    let files = [
        (
            "lib.rs",
            "mod build;\nmod runtime;\npub use runtime::Runtime;\n",
        ),
        ("build.rs", "use crate::Runtime;\npub fn build() {}\n"),
        (
            "runtime.rs",
            "pub struct Runtime;\nfn f() { crate::build::build() }\n",
        ),
    ];
    assert_eq!(
        loops_of(&files),
        vec![vec!["build".to_string(), "runtime".to_string()]]
    );
    // An item defined in the root is the root's: `main` ↔ `run`.
    let files = [
        (
            "main.rs",
            "mod run;\nconst EXIT_OK: u8 = 0;\nfn main() { run::run(); }\n",
        ),
        ("run.rs", "use crate::EXIT_OK;\npub fn run() {}\n"),
    ];
    assert_eq!(
        loops_of(&files),
        vec![vec![String::new(), "run".to_string()]]
    );
    // A parent's private import, used by a child through `super::`, leads on to its source.
    let files = [
        ("lib.rs", "mod rules;\nmod workspace;\n"),
        ("rules/mod.rs", "mod refs;\nuse crate::workspace::Scope;\n"),
        ("rules/refs.rs", "use super::Scope;\n"),
        (
            "workspace.rs",
            "pub struct Scope;\nfn f() { crate::rules::refs::g() }\n",
        ),
    ];
    assert_eq!(
        loops_of(&files),
        vec![vec!["rules::refs".to_string(), "workspace".to_string()]]
    );
}

#[test]
fn file_paths_map_to_modules() {
    assert_eq!(module_of(Path::new("lib.rs")), "");
    assert_eq!(module_of(Path::new("main.rs")), "");
    assert_eq!(module_of(Path::new("a.rs")), "a");
    assert_eq!(module_of(Path::new("a/mod.rs")), "a");
    assert_eq!(module_of(Path::new("a/b.rs")), "a::b");
    assert_eq!(module_of(Path::new("a/lib.rs")), "a::lib");
}

#[test]
fn inline_modules_and_test_files_are_modules_of_their_own() {
    let files = [
        (
            "h1.rs",
            "#[cfg(test)]\nmod tests;\npub fn now() { date::append() }\nmod date {\n    pub fn append() { super::helper() }\n}\nfn helper() { if true { #[cfg(test)] crate::other::x() } }\n",
        ),
        ("h1/tests.rs", "use crate::h1::now;\n"),
        ("lib.rs", "mod h1;\nmod other;\n"),
        ("other.rs", "pub fn x() { crate::h1::now() }\n"),
    ];
    assert_eq!(
        loops_of(&files),
        vec![vec!["h1".to_string(), "h1::date".to_string()]]
    );
}
