//! The steps of a simple JSONPath query, read from its canonical text: the member names,
//! indices and wildcards it descends through, up to the first selection this reader does
//! not follow (descendants `..`, filters, slices, lists of selectors, escaped names).
//!
//! A caller uses them to know which parts of a document a query can reach (the engine
//! parses only those parts of an upstream answer); evaluation stays `serde_json_path`'s.

/// One step of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStep<'q> {
    /// `.name`, `['name']`: one member of an object.
    Member(&'q str),
    /// `[3]`, `[-1]`: one element of an array.
    Index,
    /// `.*`, `[*]`: every member of an object or element of an array.
    Wildcard,
}

/// The steps of `query` (canonical RFC 9535 text starting with `$`), and whether they are
/// all of it: `false` when reading stopped at a selection it does not follow, which may
/// then reach anything below the last step read.
pub fn steps(query: &str) -> (Vec<PathStep<'_>>, bool) {
    let mut out = Vec::new();
    let Some(mut rest) = query.trim().strip_prefix('$') else {
        return (out, false);
    };
    while !rest.is_empty() {
        let Some((step, after)) = step(rest) else {
            return (out, false);
        };
        out.push(step);
        rest = after;
    }
    (out, true)
}

/// The first step of `text` and what follows it; `None` when it is not a simple step.
fn step(text: &str) -> Option<(PathStep<'_>, &str)> {
    if let Some(after) = text.strip_prefix('.') {
        if after.starts_with('.') {
            return None;
        }
        if let Some(after) = after.strip_prefix('*') {
            return Some((PathStep::Wildcard, after));
        }
        let end = after.find(['.', '[']).unwrap_or(after.len());
        let name = &after[..end];
        return shorthand(name).then_some((PathStep::Member(name), &after[end..]));
    }
    let inner = text.strip_prefix('[')?;
    let close = inner.find(']')?;
    let selector = &inner[..close];
    let after = &inner[close + 1..];
    if selector == "*" {
        return Some((PathStep::Wildcard, after));
    }
    let digits = selector.strip_prefix('-').unwrap_or(selector);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some((PathStep::Index, after));
    }
    for quote in ['\'', '"'] {
        if let Some(name) = selector
            .strip_prefix(quote)
            .and_then(|s| s.strip_suffix(quote))
            && !name.contains(['\\', '\'', '"', ']'])
            && !name.chars().any(char::is_control)
        {
            return Some((PathStep::Member(name), after));
        }
    }
    None
}

/// An RFC 9535 member-name shorthand: a letter, `_` or non-ASCII character, then those or
/// digits.
fn shorthand(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;
    use PathStep::*;

    #[test]
    fn simple_queries_are_read_to_their_end() {
        assert_eq!(steps("$"), (vec![], true));
        assert_eq!(
            steps("$.item.owner.login"),
            (vec![Member("item"), Member("owner"), Member("login")], true)
        );
        assert_eq!(
            steps("$.related[*].id"),
            (vec![Member("related"), Wildcard, Member("id")], true)
        );
        assert_eq!(
            steps("$['get-ship'].a[0].*[\"b c\"][-2]"),
            (
                vec![
                    Member("get-ship"),
                    Member("a"),
                    Index,
                    Wildcard,
                    Member("b c"),
                    Index
                ],
                true
            )
        );
    }

    #[test]
    fn other_selections_stop_the_reading() {
        assert_eq!(steps("$.a..b"), (vec![Member("a")], false));
        assert_eq!(steps("$.a[?@.x == 1].b"), (vec![Member("a")], false));
        assert_eq!(steps("$.a[1:3]"), (vec![Member("a")], false));
        assert_eq!(steps("$.a[0,1]"), (vec![Member("a")], false));
        assert_eq!(steps("$['a\\'b']"), (vec![], false));
        assert_eq!(steps("$['a]b']"), (vec![], false));
        assert_eq!(steps("@.a"), (vec![], false));
    }
}
