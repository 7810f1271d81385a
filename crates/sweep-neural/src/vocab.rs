//! Texts into token ids: lower-cased words and punctuation marks with a vocabulary built
//! from the training split, or subwords (BPE or WordPiece, trained on the training split
//! with Hugging Face's `tokenizers`); truncation to a fixed length.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tokenizers::models::TrainerWrapper;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::models::wordpiece::{WordPiece, WordPieceTrainerBuilder};
use tokenizers::normalizers::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::{AddedToken, Tokenizer};

/// The id of padding.
pub const PAD: i64 = 0;
/// The id of a token the vocabulary does not have.
pub const UNK: i64 = 1;

/// How texts become tokens (`vocab.tokenizer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenizerKind {
    /// Lower-cased words and punctuation marks.
    #[default]
    Words,
    /// Byte-pair encoding trained on the training split.
    Bpe,
    /// WordPiece trained on the training split.
    Wordpiece,
}

/// Settings of the vocabulary (`vocab:` of the config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VocabConfig {
    pub tokenizer: TokenizerKind,
    /// Tokens (words) or pairs to merge (subwords) seen fewer times than this in the
    /// training split are left out.
    pub min_freq: usize,
    /// Words: at most this many tokens (the most frequent), besides padding and unknown.
    pub max_size: Option<usize>,
    /// Subwords: the size of the vocabulary to train, padding and unknown included.
    pub vocab_size: usize,
    /// Texts are cut to this many tokens (and padded to the longest in a batch).
    pub max_length: usize,
}

impl Default for VocabConfig {
    fn default() -> Self {
        VocabConfig {
            tokenizer: TokenizerKind::Words,
            min_freq: 1,
            max_size: None,
            vocab_size: 8000,
            max_length: 64,
        }
    }
}

impl VocabConfig {
    /// Every setting out of range: `(setting, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.max_length == 0 {
            out.push(("max_length", "must be at least 1".into()));
        }
        if self.tokenizer == TokenizerKind::Words {
            return out;
        }
        if self.max_size.is_some() {
            out.push((
                "max_size",
                "is the word vocabulary's: subwords have `vocab_size`".into(),
            ));
        }
        if self.vocab_size < 3 {
            out.push((
                "vocab_size",
                format!("must be at least 3, got {}", self.vocab_size),
            ));
        }
        out
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
    /// Words: the tokens by id, from 2 on (empty with subwords).
    pub tokens: Vec<String>,
    pub max_length: usize,
    /// Subwords: the trained tokenizer (Hugging Face `tokenizer.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subword: Option<String>,
    #[serde(skip)]
    index: HashMap<String, i64>,
    #[serde(skip)]
    tokenizer: Option<Box<Tokenizer>>,
}

impl Vocabulary {
    /// The vocabulary of `texts`: words by decreasing count (ties in order of first
    /// appearance), those below `min_freq` left out, at most `max_size`; or a subword
    /// tokenizer trained on them. Fails only when training a subword tokenizer fails.
    pub fn build(texts: &[String], cfg: &VocabConfig) -> Result<Vocabulary, String> {
        match cfg.tokenizer {
            TokenizerKind::Words => Ok(Vocabulary::words(texts, cfg)),
            kind => Vocabulary::subwords(texts, cfg, kind),
        }
    }

    fn subwords(
        texts: &[String],
        cfg: &VocabConfig,
        kind: TokenizerKind,
    ) -> Result<Vocabulary, String> {
        let special = vec![
            AddedToken::from("[PAD]", true),
            AddedToken::from("[UNK]", true),
        ];
        let fail = |e: tokenizers::Error| format!("training the {kind:?} tokenizer: {e}");
        let min_frequency = cfg.min_freq.max(1) as u64;
        let (mut tokenizer, mut trainer) = match kind {
            TokenizerKind::Wordpiece => (
                Tokenizer::new(
                    WordPiece::builder()
                        .unk_token("[UNK]".into())
                        .build()
                        .map_err(fail)?,
                ),
                TrainerWrapper::WordPieceTrainer(
                    WordPieceTrainerBuilder::default()
                        .vocab_size(cfg.vocab_size)
                        .min_frequency(min_frequency)
                        .special_tokens(special)
                        .show_progress(false)
                        .build(),
                ),
            ),
            _ => (
                Tokenizer::new(
                    BPE::builder()
                        .unk_token("[UNK]".into())
                        .build()
                        .map_err(fail)?,
                ),
                TrainerWrapper::BpeTrainer(
                    BpeTrainerBuilder::default()
                        .vocab_size(cfg.vocab_size)
                        .min_frequency(min_frequency)
                        .special_tokens(special)
                        .show_progress(false)
                        .build(),
                ),
            ),
        };
        tokenizer
            .with_normalizer(Some(BertNormalizer::new(true, true, None, true)))
            .map_err(fail)?;
        tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
        tokenizer
            .train(&mut trainer, texts.iter().map(String::as_str))
            .map_err(fail)?;
        if tokenizer.token_to_id("[PAD]") != Some(PAD as u32)
            || tokenizer.token_to_id("[UNK]") != Some(UNK as u32)
        {
            return Err(format!(
                "the trained {kind:?} tokenizer does not give [PAD] and [UNK] ids 0 and 1"
            ));
        }
        let json = tokenizer.to_string(false).map_err(fail)?;
        Vocabulary {
            tokens: Vec::new(),
            max_length: cfg.max_length.max(1),
            subword: Some(json),
            index: HashMap::new(),
            tokenizer: None,
        }
        .indexed()
    }

    fn words(texts: &[String], cfg: &VocabConfig) -> Vocabulary {
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
            subword: None,
            index: HashMap::new(),
            tokenizer: None,
        }
        .index_words()
    }

    fn index_words(mut self) -> Vocabulary {
        self.index = self
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as i64 + 2))
            .collect();
        self
    }

    /// Rebuilds the lookup table or the tokenizer (after deserializing).
    pub fn indexed(self) -> Result<Vocabulary, String> {
        let Some(json) = &self.subword else {
            return Ok(self.index_words());
        };
        let tokenizer: Tokenizer = json
            .parse()
            .map_err(|e| format!("reading the subword tokenizer: {e}"))?;
        Ok(Vocabulary {
            tokenizer: Some(Box::new(tokenizer)),
            ..self
        })
    }

    /// Ids including padding and unknown.
    pub fn len(&self) -> usize {
        match &self.tokenizer {
            Some(t) => t.get_vocab_size(true),
            None => self.tokens.len() + 2,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() <= 2
    }

    /// The ids of `text`, cut to `max_length`; never empty (an empty text is one unknown).
    pub fn encode(&self, text: &str) -> Vec<i64> {
        let mut ids: Vec<i64> = match &self.tokenizer {
            Some(t) => t
                .encode(text, false)
                .map(|e| {
                    e.get_ids()
                        .iter()
                        .take(self.max_length)
                        .map(|&id| i64::from(id))
                        .collect()
                })
                .unwrap_or_default(),
            None => tokenize(text)
                .iter()
                .take(self.max_length)
                .map(|t| self.index.get(t).copied().unwrap_or(UNK))
                .collect(),
        };
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
                max_length: 3,
                ..VocabConfig::default()
            },
        )
        .unwrap();
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
        )
        .unwrap();
        assert_eq!(capped.tokens, ["a"]);
        let back: Vocabulary = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(back.indexed().unwrap().encode("b a"), vec![3, 2]);
    }

    /// BPE and WordPiece trained on the texts: padding and unknown at 0 and 1, a word never
    /// seen split into known pieces, the same ids after saving and loading, truncation.
    #[test]
    fn subword_tokenizers_are_trained_on_the_texts_and_load_back() {
        let texts: Vec<String> = (0..50)
            .map(|i| format!("the refunding of invoices number {i} and unrefunded charges"))
            .collect();
        for tokenizer in [TokenizerKind::Bpe, TokenizerKind::Wordpiece] {
            let cfg = VocabConfig {
                tokenizer,
                vocab_size: 120,
                max_length: 6,
                ..VocabConfig::default()
            };
            let v = Vocabulary::build(&texts, &cfg).unwrap();
            assert!(v.len() > 2 && v.len() <= 120, "{tokenizer:?}: {}", v.len());
            let ids = v.encode("Refunded INVOICES");
            assert!(ids.len() >= 2, "{tokenizer:?}: {ids:?}");
            assert!(
                ids.iter().all(|&i| i >= 2 && (i as usize) < v.len()),
                "{ids:?}"
            );
            assert_eq!(v.encode("refunded invoices"), ids, "lower-cased");
            assert_eq!(v.encode(&"the ".repeat(20)).len(), 6, "cut to max_length");
            assert_eq!(v.encode(""), vec![UNK]);
            let json = serde_json::to_string(&v).unwrap();
            let back: Vocabulary = serde_json::from_str(&json).unwrap();
            assert_eq!(back.indexed().unwrap().encode("Refunded INVOICES"), ids);
        }
        let bad = VocabConfig {
            tokenizer: TokenizerKind::Bpe,
            vocab_size: 2,
            max_size: Some(10),
            ..VocabConfig::default()
        };
        let keys: Vec<&str> = bad.problems().iter().map(|p| p.0).collect();
        assert_eq!(keys, ["max_size", "vocab_size"]);
    }
}
