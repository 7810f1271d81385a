//! "Did you mean" suggestions by edit distance.

/// Levenshtein distance between two strings, by characters, ignoring ASCII case.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word` within edit distance 2 (1 for words shorter than five
/// characters, so that short words get no far-fetched suggestion).
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let len = word.chars().count();
    let max = if len < 5 { 1 } else { 2 };
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= max && *d < len)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// " (did you mean `x`?)" or nothing.
pub(crate) fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("methd", "method"), 1);
        assert_eq!(edit_distance("vales", "values"), 1);
        assert_eq!(edit_distance("Method", "method"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn closest_stays_within_two_edits() {
        let keys = ["method", "metric", "parameters"];
        assert_eq!(closest("methd", &keys), Some("method"));
        assert_eq!(closest("metrc", &keys), Some("metric"));
        assert_eq!(closest("paramters", &keys), Some("parameters"));
        assert_eq!(closest("zzzzzz", &keys), None);
        assert_eq!(closest("c", &["a", "b"]), None);
        assert_eq!(closest("foo", &["job"]), None);
        assert_eq!(closest("sed", &["seed"]), Some("seed"));
        assert_eq!(did_you_mean("methd", &keys), "; did you mean `method`?");
        assert_eq!(did_you_mean("xyz", &keys), "");
    }
}
