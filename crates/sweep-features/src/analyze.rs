//! Turning a document into features, as scikit-learn's `build_analyzer()`: Python-style
//! lowercasing, then word n-grams of the `token_pattern` tokens (`_word_ngrams`), or
//! character n-grams (`_char_ngrams`, `_char_wb_ngrams`).
//!
//! Features are handed to a callback as `&str` borrowed from reused buffers, so the hot
//! path allocates nothing per token.

use std::sync::OnceLock;

use fancy_regex::Regex;

use crate::config::{AnalyzerKind, VectorizerConfig};
use crate::error::{FeaturesError, Result};
use crate::unicode::{is_ascii_word_byte, is_space_char, is_word_char, lower_into};
use crate::unicode_tables::{PY_SPACE, PY_WORD_RANGES};

/// How tokens are found for the `word` analyzer.
#[derive(Debug, Clone)]
enum Tokenizer {
    /// `\b\w{k}\w*\b` (the default pattern has k = 2): maximal runs of Python word
    /// characters of at least `min_chars` characters, found by a hand-written scanner.
    Runs { min_chars: usize },
    /// Any other pattern, translated for `fancy-regex` (see [`translate_pattern`]).
    /// With one capturing group the group is the token (Python `findall`).
    Regex { re: Regex, group: bool },
}

/// A compiled analyzer: what sklearn's `build_analyzer()` returns for the same settings.
#[derive(Debug, Clone)]
pub struct Analyzer {
    kind: AnalyzerKind,
    lowercase: bool,
    ngram_min: usize,
    ngram_max: usize,
    tokenizer: Option<Tokenizer>,
}

/// Reusable buffers for [`Analyzer::for_each_feature`].
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    lowered: String,
    spans: Vec<(usize, usize)>,
    buf: String,
    offs: Vec<usize>,
    norm: String,
}

impl Analyzer {
    /// Compiles the analyzer of `config` (validating it).
    pub fn new(config: &VectorizerConfig) -> Result<Self> {
        config.validate()?;
        let tokenizer = match config.analyzer {
            AnalyzerKind::Word => Some(compile_tokenizer(&config.token_pattern)?),
            AnalyzerKind::Char | AnalyzerKind::CharWb => None,
        };
        Ok(Analyzer {
            kind: config.analyzer,
            lowercase: config.lowercase,
            ngram_min: config.ngram_min,
            ngram_max: config.ngram_max,
            tokenizer,
        })
    }

    /// The features of `doc`, in sklearn's order (as `build_analyzer()(doc)`).
    pub fn analyze(&self, doc: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut scratch = Scratch::default();
        self.for_each_feature(doc, &mut scratch, &mut |f| out.push(f.to_string()));
        out
    }

    /// Calls `f` on every feature of `doc` (with repetitions). The order is sklearn's
    /// for the character analyzers; for word n-grams it groups by start position
    /// instead of by n, which does not change any count.
    pub(crate) fn for_each_feature(
        &self,
        doc: &str,
        scratch: &mut Scratch,
        f: &mut impl FnMut(&str),
    ) {
        let Scratch {
            lowered,
            spans,
            buf,
            offs,
            norm,
        } = scratch;
        let text: &str = if self.lowercase {
            lowered.clear();
            lower_into(doc, lowered);
            lowered
        } else {
            doc
        };
        match self.kind {
            AnalyzerKind::Word => {
                spans.clear();
                match &self.tokenizer {
                    Some(Tokenizer::Runs { min_chars }) => word_runs(text, *min_chars, spans),
                    Some(Tokenizer::Regex { re, group }) => regex_tokens(re, *group, text, spans),
                    None => {}
                }
                self.word_ngrams(text, spans, buf, f);
            }
            AnalyzerKind::Char => {
                normalize_whitespace(text, norm);
                char_ngrams(norm, self.ngram_min, self.ngram_max, offs, f);
            }
            AnalyzerKind::CharWb => {
                normalize_whitespace(text, norm);
                let (min_n, max_n) = (self.ngram_min, self.ngram_max);
                for word in norm.split(is_space_char).filter(|w| !w.is_empty()) {
                    buf.clear();
                    buf.push(' ');
                    buf.push_str(word);
                    buf.push(' ');
                    char_wb_ngrams(buf, min_n, max_n, offs, f);
                }
            }
        }
    }

    /// `_word_ngrams`: the n-grams for n in [min, max] of the token sequence, joined by
    /// one space.
    fn word_ngrams(
        &self,
        text: &str,
        spans: &[(usize, usize)],
        buf: &mut String,
        f: &mut impl FnMut(&str),
    ) {
        let (min_n, max_n) = (self.ngram_min, self.ngram_max);
        if max_n == 1 {
            for &(a, b) in spans {
                f(&text[a..b]);
            }
            return;
        }
        let n_tok = spans.len();
        for i in 0..n_tok {
            let last = n_tok.min(i + max_n);
            if i + min_n > n_tok {
                break;
            }
            buf.clear();
            for (k, &(a, b)) in spans[i..last].iter().enumerate() {
                if k > 0 {
                    buf.push(' ');
                }
                buf.push_str(&text[a..b]);
                if k + 1 >= min_n {
                    f(buf);
                }
            }
        }
    }
}

/// Compiles `token_pattern`, recognising the `\b\w…\w+\b` family for the fast scanner.
fn compile_tokenizer(pattern: &str) -> Result<Tokenizer> {
    if let Some(min_chars) = runs_pattern(pattern) {
        return Ok(Tokenizer::Runs { min_chars });
    }
    let translated = translate_pattern(pattern);
    let re = Regex::new(&translated).map_err(|e| FeaturesError::TokenPattern {
        pattern: pattern.to_string(),
        source: Box::new(e),
    })?;
    // captures_len counts the implicit whole-match group.
    let groups = re.captures_len() - 1;
    if groups > 1 {
        return Err(FeaturesError::InvalidConfig {
            field: "token_pattern",
            reason: format!("{groups} capturing groups; at most one may capture the token"),
        });
    }
    Ok(Tokenizer::Regex {
        re,
        group: groups == 1,
    })
}

/// `Some(k)` when `pattern` is `(?u)\b` + k × `\w` (the last with `+`) + `\b`, e.g. the
/// default `(?u)\b\w\w+\b` (k = 2) or `\b\w+\b` (k = 1). Those match exactly the maximal
/// runs of Python word characters with at least k characters.
fn runs_pattern(pattern: &str) -> Option<usize> {
    let p = pattern.strip_prefix("(?u)").unwrap_or(pattern);
    let body = p.strip_prefix(r"\b")?.strip_suffix(r"\b")?;
    let body = body.strip_suffix('+')?;
    let mut k = 0;
    let mut rest = body;
    while let Some(r) = rest.strip_prefix(r"\w") {
        k += 1;
        rest = r;
    }
    (rest.is_empty() && k >= 1).then_some(k)
}

/// Rewrites a Python `re` pattern for `fancy-regex` so that the Unicode-dependent
/// escapes keep Python's meaning: `\w`, `\W`, `\s`, `\S` become explicit classes with
/// Python's membership (the `regex` crate's `\w` includes combining marks, Python's
/// does not), `\b` / `\B` become lookarounds on that `\w`, and `\Z` becomes `\z`.
/// Inside brackets, `\b` is a backspace and `[`, `&`, `~` are literals, as in Python.
fn translate_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 64);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            let Some(e) = chars.next() else {
                out.push('\\');
                break;
            };
            match (e, in_class) {
                ('w', _) => out.push_str(class_word(false)),
                ('W', _) => out.push_str(class_word(true)),
                ('s', _) => out.push_str(class_space(false)),
                ('S', _) => out.push_str(class_space(true)),
                ('b', false) => out.push_str(word_boundary(false)),
                ('B', false) => out.push_str(word_boundary(true)),
                ('b', true) => out.push_str(r"\x08"),
                ('Z', false) => out.push_str(r"\z"),
                (e, _) => {
                    out.push('\\');
                    out.push(e);
                }
            }
            continue;
        }
        if in_class {
            match c {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
            continue;
        }
        out.push(c);
        if c == '[' {
            in_class = true;
            if chars.peek() == Some(&'^') {
                chars.next();
                out.push('^');
            }
            // A `]` right after `[` or `[^` is a literal in Python.
            if chars.peek() == Some(&']') {
                chars.next();
                out.push_str(r"\]");
            }
        }
    }
    out
}

/// Python's `\b` (`negate`: `\B`) as lookarounds on Python's `\w`.
fn word_boundary(negate: bool) -> &'static str {
    static POS: OnceLock<String> = OnceLock::new();
    static NEG: OnceLock<String> = OnceLock::new();
    let cell = if negate { &NEG } else { &POS };
    cell.get_or_init(|| {
        let w = class_word(false);
        if negate {
            format!("(?:(?<={w})(?={w})|(?<!{w})(?!{w}))")
        } else {
            format!("(?:(?<!{w})(?={w})|(?<={w})(?!{w}))")
        }
    })
}

fn class_from_ranges(ranges: impl Iterator<Item = (u32, u32)>, negate: bool) -> String {
    use std::fmt::Write;
    let mut s = String::from(if negate { "[^" } else { "[" });
    for (a, b) in ranges {
        // Writing to a String cannot fail.
        let _ = if a == b {
            write!(s, "\\x{{{a:X}}}")
        } else {
            write!(s, "\\x{{{a:X}}}-\\x{{{b:X}}}")
        };
    }
    s.push(']');
    s
}

fn class_word(negate: bool) -> &'static str {
    static POS: OnceLock<String> = OnceLock::new();
    static NEG: OnceLock<String> = OnceLock::new();
    let cell = if negate { &NEG } else { &POS };
    cell.get_or_init(|| class_from_ranges(PY_WORD_RANGES.iter().copied(), negate))
}

fn class_space(negate: bool) -> &'static str {
    static POS: OnceLock<String> = OnceLock::new();
    static NEG: OnceLock<String> = OnceLock::new();
    let cell = if negate { &NEG } else { &POS };
    cell.get_or_init(|| class_from_ranges(PY_SPACE.iter().map(|&c| (c, c)), negate))
}

/// Maximal runs of Python `\w` characters with at least `min_chars` characters.
fn word_runs(text: &str, min_chars: usize, spans: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    // Length in bytes of the char at `i` if it is a word char, else None (or 0 at end).
    let word_at = |i: usize| -> (bool, usize) {
        let b = bytes[i];
        if b < 128 {
            (is_ascii_word_byte(b), 1)
        } else {
            match text[i..].chars().next() {
                Some(c) => (is_word_char(c), c.len_utf8()),
                None => (false, 1),
            }
        }
    };
    while i < n {
        let (is_word, len) = word_at(i);
        if !is_word {
            i += len;
            continue;
        }
        let start = i;
        let mut count = 1;
        i += len;
        while i < n {
            let b = bytes[i];
            if b < 128 {
                if is_ascii_word_byte(b) {
                    i += 1;
                    count += 1;
                    continue;
                }
                break;
            }
            let (w, l) = word_at(i);
            if !w {
                break;
            }
            i += l;
            count += 1;
        }
        if count >= min_chars {
            spans.push((start, i));
        }
    }
}

/// Python `findall`: whole matches, or group 1 (empty when it did not take part) when
/// the pattern has one group. As Python 3.7+, an empty match may directly follow a
/// match; after an empty match the search resumes one character later. A match that
/// fails at run time (backtracking limit) ends the document's tokens.
fn regex_tokens(re: &Regex, group: bool, text: &str, spans: &mut Vec<(usize, usize)>) {
    let mut pos = 0;
    let mut last_empty_at: Option<usize> = None;
    while pos <= text.len() {
        // (whole match, token)
        let found = if group {
            match re.captures_from_pos(text, pos) {
                Ok(Some(caps)) => caps.get(0).map(|m| {
                    let token = caps.get(1).map_or((0, 0), |g| (g.start(), g.end()));
                    ((m.start(), m.end()), token)
                }),
                _ => None,
            }
        } else {
            match re.find_from_pos(text, pos) {
                Ok(Some(m)) => Some(((m.start(), m.end()), (m.start(), m.end()))),
                _ => None,
            }
        };
        let Some(((start, end), token)) = found else {
            break;
        };
        if start == end && last_empty_at == Some(start) {
            // The same empty match again: move on by one character.
            match text[pos..].chars().next() {
                Some(ch) => pos += ch.len_utf8(),
                None => break,
            }
            continue;
        }
        spans.push(token);
        if start == end {
            last_empty_at = Some(end);
        } else {
            last_empty_at = None;
        }
        pos = end;
    }
}

/// `re.sub(r"\s\s+", " ", text)`: runs of two or more whitespace characters become one
/// space; a single whitespace character is kept as it is.
fn normalize_whitespace(text: &str, out: &mut String) {
    out.clear();
    let mut run_start: Option<usize> = None;
    let mut run_len = 0;
    for (i, c) in text.char_indices() {
        if is_space_char(c) {
            if run_start.is_none() {
                run_start = Some(i);
            }
            run_len += 1;
            continue;
        }
        if let Some(s) = run_start.take() {
            flush_space_run(text, s, i, run_len, out);
            run_len = 0;
        }
        out.push(c);
    }
    if let Some(s) = run_start {
        flush_space_run(text, s, text.len(), run_len, out);
    }
}

fn flush_space_run(text: &str, start: usize, end: usize, run_len: usize, out: &mut String) {
    if run_len >= 2 {
        out.push(' ');
    } else {
        out.push_str(&text[start..end]);
    }
}

/// Byte offsets of every char start of `s`, plus `s.len()`.
fn char_offsets(s: &str, offs: &mut Vec<usize>) {
    offs.clear();
    offs.extend(s.char_indices().map(|(i, _)| i));
    offs.push(s.len());
}

/// `_char_ngrams`: every substring of n characters, n in [min, max].
fn char_ngrams(
    text: &str,
    min_n: usize,
    max_n: usize,
    offs: &mut Vec<usize>,
    f: &mut impl FnMut(&str),
) {
    if text.is_ascii() {
        let len = text.len();
        for n in min_n..=max_n.min(len) {
            for i in 0..=len - n {
                f(&text[i..i + n]);
            }
        }
        return;
    }
    char_offsets(text, offs);
    let len = offs.len() - 1;
    for n in min_n..=max_n.min(len) {
        for i in 0..=len - n {
            f(&text[offs[i]..offs[i + n]]);
        }
    }
}

/// `_char_wb_ngrams` for one padded word `w` (" word "): n-grams for n in [min, max];
/// a word shorter than n yields itself once and ends the loop, as sklearn.
fn char_wb_ngrams(
    w: &str,
    min_n: usize,
    max_n: usize,
    offs: &mut Vec<usize>,
    f: &mut impl FnMut(&str),
) {
    char_offsets(w, offs);
    let w_len = offs.len() - 1;
    for n in min_n..=max_n {
        let mut offset = 0;
        f(&w[offs[0]..offs[n.min(w_len)]]);
        while offset + n < w_len {
            offset += 1;
            f(&w[offs[offset]..offs[offset + n]]);
        }
        if offset == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_run_patterns() {
        assert_eq!(runs_pattern(r"(?u)\b\w\w+\b"), Some(2));
        assert_eq!(runs_pattern(r"\b\w+\b"), Some(1));
        assert_eq!(runs_pattern(r"(?u)\b\w\w\w+\b"), Some(3));
        assert_eq!(runs_pattern(r"\b\w\w\b"), None);
        assert_eq!(runs_pattern(r"\w+"), None);
    }
}
