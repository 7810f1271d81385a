//! Texts into token ids: lower-cased words and punctuation marks, a vocabulary built from the
//! training split, truncation and padding to a fixed length.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The id of padding.
pub const PAD: i64 = 0;
/// The id of a token the vocabulary does not have.
pub const UNK: i64 = 1;

/// Settings of the vocabulary (`vocab:` of the config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VocabConfig {
    /// Tokens seen fewer times than this in the training split are unknown.
    pub min_freq: usize,
    /// At most this many tokens (the most frequent), besides padding and unknown.
    pub max_size: Option<usize>,
    /// Texts are cut to this many tokens (and padded to the longest in a batch's data).
    pub max_length: usize,
}

impl Default for VocabConfig {
    fn default() -> Self {
        VocabConfig {
            min_freq: 1,
            max_size: None,
            max_length: 64,
        }
    }
}

/// Lower-cased runs of word characters, and every other non-space character alone.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if !c.is_whitespace() {
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Token ↔ id (ids 0 and 1 are padding and unknown).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vocabulary {
    /// The tokens by id, from 2 on.
    pub tokens: Vec<String>,
    pub max_length: usize,
    #[serde(skip)]
    index: HashMap<String, i64>,
}

impl Vocabulary {
    /// The vocabulary of `texts`: tokens by decreasing count (ties in order of first
    /// appearance), those below `min_freq` left out, at most `max_size`.
    pub fn build(texts: &[String], cfg: &VocabConfig) -> Vocabulary {
        let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
        for text in texts {
            for t in tokenize(text) {
                let next = counts.len();
                counts.entry(t).or_insert((0, next)).0 += 1;
            }
        }
        let mut kept: Vec<(String, (usize, usize))> = counts
            .into_iter()
            .filter(|(_, (n, _))| *n >= cfg.min_freq.max(1))
            .collect();
        kept.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
        if let Some(max) = cfg.max_size {
            kept.truncate(max);
        }
        Vocabulary {
            tokens: kept.into_iter().map(|(t, _)| t).collect(),
            max_length: cfg.max_length.max(1),
            index: HashMap::new(),
        }
        .indexed()
    }

    /// Rebuilds the lookup table (after deserializing).
    pub fn indexed(mut self) -> Vocabulary {
        self.index = self
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as i64 + 2))
            .collect();
        self
    }

    /// Ids including padding and unknown.
    pub fn len(&self) -> usize {
        self.tokens.len() + 2
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The ids of `text`, cut to `max_length`; never empty (an empty text is one unknown).
    pub fn encode(&self, text: &str) -> Vec<i64> {
        let mut ids: Vec<i64> = tokenize(text)
            .iter()
            .take(self.max_length)
            .map(|t| self.index.get(t).copied().unwrap_or(UNK))
            .collect();
        if ids.is_empty() {
            ids.push(UNK);
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_lowercased_words_and_punctuation() {
        assert_eq!(
            tokenize("Who's the CEO?  It's_me!"),
            ["who", "'", "s", "the", "ceo", "?", "it", "'", "s_me", "!"]
        );
    }

    #[test]
    fn the_vocabulary_orders_by_count_drops_rare_tokens_and_encodes_with_unknowns() {
        let texts = vec!["b a a c".to_string(), "a b d".to_string()];
        let v = Vocabulary::build(
            &texts,
            &VocabConfig {
                min_freq: 2,
                max_size: None,
                max_length: 3,
            },
        );
        assert_eq!(v.tokens, ["a", "b"]);
        assert_eq!(v.len(), 4);
        // "c" and "d" are rare: unknown; cut to 3 tokens.
        assert_eq!(v.encode("a c b a"), vec![2, UNK, 3]);
        assert_eq!(v.encode(""), vec![UNK]);
        let capped = Vocabulary::build(
            &texts,
            &VocabConfig {
                max_size: Some(1),
                ..VocabConfig::default()
            },
        );
        assert_eq!(capped.tokens, ["a"]);
        let back: Vocabulary = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(back.indexed().encode("b a"), vec![3, 2]);
    }
}
