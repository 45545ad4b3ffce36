//! "Did you mean": the known name closest to a misspelled one (optimal string alignment
//! distance: insertions, deletions, substitutions and swaps of neighbours), used for keys
//! the reader does not know and for names that references cannot resolve.

/// The candidate closest to `name`, when it is close enough to be a misspelling: one edit
/// per six characters, at least one (`outputParamters` is `outputParameters`, while
/// `outputParameters` is not `inputParameters`); case, `-` and `_` differences alone always
/// count as close.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let folded = fold(name);
    let limit = (name.chars().count() / 6).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            let d = if fold(c) == folded {
                0
            } else {
                distance(name, c)
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Lower case without `-` and `_`.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Optimal string alignment distance between `a` and `b`.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn misspellings_find_the_intended_name_and_strangers_find_none() {
        let keys = ["outputParameters", "inputParameters", "operations", "name"];
        assert_eq!(closest("outputParamters", keys), Some("outputParameters"));
        assert_eq!(closest("inputparameters", keys), Some("inputParameters"));
        assert_eq!(closest("nmae", keys), Some("name"));
        assert_eq!(closest("xyz", keys), None);
        assert_eq!(closest("outputParameters", ["inputParameters"]), None);
        assert_eq!(closest("related", ["created"]), None);
        assert_eq!(
            closest("getoauthtokn", ["getoauthtoken", "other"]),
            Some("getoauthtoken")
        );
        assert_eq!(closest("get-thing", ["get_thing"]), Some("get_thing"));
    }
}
