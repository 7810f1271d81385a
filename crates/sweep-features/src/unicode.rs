//! Python's view of Unicode, as scikit-learn's vectorizers see it through `str.lower()`,
//! `str.split()` and the `re` classes `\w` / `\s`.
//!
//! Rust's `char` methods follow a newer Unicode version and partly different definitions
//! (Rust's `\w` in `regex` includes combining marks, Python's does not; Rust's
//! `is_whitespace` excludes U+001C..U+001F, Python's `isspace` includes them), so the
//! tables used here are generated from Python itself
//! (`tools/gen_unicode_tables.py`, Unicode [`UNICODE_VERSION`]).
//!
//! Known residual difference: the final-sigma rule of `str.lower()` (Σ → ς at the end of
//! a word) uses Rust's `Cased`/`Case_Ignorable` properties, which only differ from
//! Python's for characters assigned after Unicode [`UNICODE_VERSION`].

pub use crate::unicode_tables::UNICODE_VERSION;
use crate::unicode_tables::{PY_LOWER, PY_SPACE, PY_WORD_RANGES};

/// ASCII word characters for Python `\w`: `[0-9A-Za-z_]`.
const ASCII_WORD: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'_';
        i += 1;
    }
    t
};

/// Whether Python's `re` `\w` (str pattern, Unicode) matches `c`.
#[inline]
pub fn is_word_char(c: char) -> bool {
    let cp = c as u32;
    if cp < 128 {
        return ASCII_WORD[cp as usize];
    }
    PY_WORD_RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Whether `b` is an ASCII byte matched by Python `\w`.
#[inline]
pub(crate) fn is_ascii_word_byte(b: u8) -> bool {
    b < 128 && ASCII_WORD[b as usize]
}

/// Whether Python's `str.isspace()` (= `re` `\s`, = what `str.split()` splits on) holds.
#[inline]
pub fn is_space_char(c: char) -> bool {
    match c {
        '\t'..='\r' | '\u{1c}'..='\u{20}' => true,
        _ if (c as u32) < 0x85 => false,
        _ => PY_SPACE.binary_search(&(c as u32)).is_ok(),
    }
}

/// Python's `str.lower()` of one non-final-sigma character, pushed onto `out`.
#[inline]
fn push_lower_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if c == '\u{130}' {
        // LATIN CAPITAL LETTER I WITH DOT ABOVE → "i̇" (two code points), as Python.
        out.push('i');
        out.push('\u{307}');
        return;
    }
    let cp = c as u32;
    match PY_LOWER.binary_search_by_key(&cp, |&(from, _)| from) {
        Ok(i) => out.push(char::from_u32(PY_LOWER[i].1).unwrap_or(c)),
        Err(_) => out.push(c),
    }
}

/// Appends Python's `s.lower()` to `out`.
pub fn lower_into(s: &str, out: &mut String) {
    if s.is_ascii() {
        let start = out.len();
        out.push_str(s);
        // Safe on a `String`: ASCII lowercasing keeps UTF-8 valid.
        out[start..].make_ascii_lowercase();
        return;
    }
    out.reserve(s.len());
    if !s.contains('Σ') {
        for c in s.chars() {
            push_lower_char(c, out);
        }
        return;
    }
    // Final sigma depends on context: take Rust's decision for each 'Σ' (same rule as
    // CPython's `handle_capital_sigma`) by walking Rust's lowercase alongside; every
    // other character maps context-free, so it consumes `to_lowercase().count()` chars.
    let rust = s.to_lowercase();
    let mut it = rust.chars();
    for c in s.chars() {
        if c == 'Σ' {
            match it.next() {
                Some(l) => out.push(l),
                None => out.push('σ'),
            }
        } else {
            for _ in c.to_lowercase() {
                it.next();
            }
            push_lower_char(c, out);
        }
    }
}

/// Python's `s.lower()`.
pub fn lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    lower_into(s, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_chars_follow_python() {
        for c in ['a', 'Z', '0', '_', 'é', 'ß', 'ж', '中', '²', '½', 'Ⅻ', '٣'] {
            assert!(is_word_char(c), "{c:?}");
        }
        // Combining marks, connector punctuation other than '_', and symbols are not
        // `\w` in Python (they are in Rust's `regex` `\w`).
        for c in [' ', '-', '\u{301}', '\u{94d}', '‿', '€', '\u{200d}', '\''] {
            assert!(!is_word_char(c), "{c:?}");
        }
    }

    #[test]
    fn spaces_follow_python() {
        for c in [
            '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{1c}', '\u{1f}', ' ', '\u{85}',
        ] {
            assert!(is_space_char(c), "{c:?}");
        }
        for c in ['\u{a0}', '\u{2009}', '\u{3000}'] {
            assert!(is_space_char(c), "{c:?}");
        }
        for c in ['a', '\u{0}', '\u{200b}', '\u{feff}', '\u{180e}'] {
            assert!(!is_space_char(c), "{c:?}");
        }
    }

    #[test]
    fn lower_follows_python() {
        // Expected values: Python 3.11 str.lower().
        assert_eq!(lower("Hello WORLD"), "hello world");
        assert_eq!(lower("ÀÉÎÕÜ Straße"), "àéîõü straße");
        assert_eq!(lower("İstanbul"), "i\u{307}stanbul");
        assert_eq!(lower("ΟΔΟΣ ΣΟΦΟΣ"), "οδος σοφος");
        assert_eq!(lower("Σ"), "σ");
        assert_eq!(lower("ΑΣ."), "ας.");
        assert_eq!(lower("ǅ ǈ Ⅻ Ⓐ"), "ǆ ǉ ⅻ ⓐ");
        // Unicode 16 letters that Python 3.11 (Unicode 14) leaves alone.
        assert_eq!(lower("\u{a7cb}\u{10d50}"), "\u{a7cb}\u{10d50}");
    }
}
