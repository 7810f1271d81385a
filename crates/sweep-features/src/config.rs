//! Vectorizer settings, named and defaulted as scikit-learn's
//! `CountVectorizer` / `TfidfVectorizer` / `HashingVectorizer`.

use serde::{Deserialize, Serialize};

use crate::error::{FeaturesError, Result};

/// The default `token_pattern`: runs of two or more word characters.
pub const DEFAULT_TOKEN_PATTERN: &str = r"(?u)\b\w\w+\b";

/// Which vectorizer: raw counts, TF-IDF, or the stateless hashing trick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VectorizerKind {
    /// `CountVectorizer`: term counts (or 0/1 with `binary`).
    Count,
    /// `TfidfVectorizer`: counts × idf, row-normalised.
    #[default]
    Tfidf,
    /// `HashingVectorizer`: signed feature hashing into `n_features` columns; no fitting.
    Hashing,
}

/// What the features are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalyzerKind {
    /// Word n-grams of the tokens matched by `token_pattern`.
    #[default]
    Word,
    /// Character n-grams over the whole (whitespace-normalised) text.
    Char,
    /// Character n-grams inside words, padded with one space on each side.
    CharWb,
}

/// Row normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// Unit Euclidean length.
    L2,
    /// Unit sum of absolute values.
    L1,
    /// No normalisation.
    None,
}

/// A document-frequency bound: an absolute number of documents (integer) or a fraction of
/// the training documents (float in [0, 1]), exactly as scikit-learn's `min_df` / `max_df`
/// (`2` means two documents, `2.0` is invalid, `1.0` means all documents).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DocFreq {
    /// A number of documents (≥ 1).
    Count(u64),
    /// A fraction of the documents, in [0, 1].
    Fraction(f64),
}

impl<'de> Deserialize<'de> for DocFreq {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DocFreq;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer number of documents or a float fraction in [0, 1]")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<DocFreq, E> {
                Ok(DocFreq::Count(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<DocFreq, E> {
                u64::try_from(v)
                    .map(DocFreq::Count)
                    .map_err(|_| E::custom(format!("a document count must be >= 1, got {v}")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<DocFreq, E> {
                Ok(DocFreq::Fraction(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl DocFreq {
    /// The bound in documents for a corpus of `n_docs` (a float, compared as sklearn does:
    /// `max_df * n_docs` is not rounded).
    pub fn doc_count(self, n_docs: usize) -> f64 {
        match self {
            DocFreq::Count(c) => c as f64,
            DocFreq::Fraction(f) => f * n_docs as f64,
        }
    }

    fn validate(self, field: &'static str) -> Result<()> {
        match self {
            DocFreq::Count(0) => Err(FeaturesError::InvalidConfig {
                field,
                reason: "an integer document count must be >= 1 (use 0.0 for a fraction)".into(),
            }),
            DocFreq::Fraction(f) if !(0.0..=1.0).contains(&f) => {
                Err(FeaturesError::InvalidConfig {
                    field,
                    reason: format!(
                        "a fraction must be in [0, 1], got {f} (use an integer for a document count)"
                    ),
                })
            }
            _ => Ok(()),
        }
    }
}

/// Settings of a text vectorizer. Field names and defaults follow scikit-learn; settings
/// that a kind does not have are ignored for it (`min_df`, `max_df`, `max_features`,
/// `sublinear_tf`, `smooth_idf`, `use_idf` for `hashing`; `n_features`, `alternate_sign`
/// for `count`/`tfidf`; the idf settings for `count`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VectorizerConfig {
    /// `count`, `tfidf` (default) or `hashing`.
    pub kind: VectorizerKind,
    /// `word` (default), `char` or `char_wb`.
    pub analyzer: AnalyzerKind,
    /// Smallest n-gram length (default 1).
    pub ngram_min: usize,
    /// Largest n-gram length (default 1).
    pub ngram_max: usize,
    /// Lowercase with Python's `str.lower()` semantics before tokenizing (default true).
    pub lowercase: bool,
    /// Token regex for the `word` analyzer, Python syntax (default `(?u)\b\w\w+\b`).
    pub token_pattern: String,
    /// Drop terms in fewer documents (default 1).
    pub min_df: DocFreq,
    /// Drop terms in more documents (default 1.0 = keep all).
    pub max_df: DocFreq,
    /// Keep only the most frequent terms by corpus count (default: all).
    pub max_features: Option<usize>,
    /// Use 0/1 instead of counts (default false).
    pub binary: bool,
    /// TF-IDF: replace tf by 1 + ln(tf) (default false).
    pub sublinear_tf: bool,
    /// TF-IDF: idf = ln((1 + n) / (1 + df)) + 1 (default true) instead of ln(n / df) + 1.
    pub smooth_idf: bool,
    /// TF-IDF: multiply by idf (default true).
    pub use_idf: bool,
    /// Row normalisation; absent means the kind's default (`l2` for tfidf and hashing,
    /// `none` for count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub norm: Option<Norm>,
    /// Hashing: number of columns (default 2^20).
    pub n_features: usize,
    /// Hashing: sign each feature by its hash to cancel collisions (default true).
    pub alternate_sign: bool,
}

/// Alias under the name used by the text-classification settings.
pub type TextConfig = VectorizerConfig;

impl Default for VectorizerConfig {
    fn default() -> Self {
        VectorizerConfig {
            kind: VectorizerKind::Tfidf,
            analyzer: AnalyzerKind::Word,
            ngram_min: 1,
            ngram_max: 1,
            lowercase: true,
            token_pattern: DEFAULT_TOKEN_PATTERN.to_string(),
            min_df: DocFreq::Count(1),
            max_df: DocFreq::Fraction(1.0),
            max_features: None,
            binary: false,
            sublinear_tf: false,
            smooth_idf: true,
            use_idf: true,
            norm: None,
            n_features: 1 << 20,
            alternate_sign: true,
        }
    }
}

impl VectorizerConfig {
    /// `TfidfVectorizer()` defaults.
    pub fn tfidf() -> Self {
        Self::default()
    }

    /// `CountVectorizer()` defaults.
    pub fn count() -> Self {
        VectorizerConfig {
            kind: VectorizerKind::Count,
            ..Self::default()
        }
    }

    /// `HashingVectorizer()` defaults.
    pub fn hashing() -> Self {
        VectorizerConfig {
            kind: VectorizerKind::Hashing,
            ..Self::default()
        }
    }

    /// Sets `ngram_min`, `ngram_max` (sklearn's `ngram_range`).
    pub fn with_ngram_range(mut self, min: usize, max: usize) -> Self {
        self.ngram_min = min;
        self.ngram_max = max;
        self
    }

    /// The normalisation in effect: `norm`, or the kind's default.
    pub fn effective_norm(&self) -> Norm {
        match (self.norm, self.kind) {
            (Some(n), _) => n,
            (None, VectorizerKind::Count) => Norm::None,
            (None, VectorizerKind::Tfidf | VectorizerKind::Hashing) => Norm::L2,
        }
    }

    /// Checks ranges and consistency (the token pattern is checked when compiled).
    pub fn validate(&self) -> Result<()> {
        if self.ngram_min == 0 {
            return Err(FeaturesError::InvalidConfig {
                field: "ngram_min",
                reason: "must be >= 1".into(),
            });
        }
        if self.ngram_min > self.ngram_max {
            return Err(FeaturesError::InvalidConfig {
                field: "ngram_max",
                reason: format!(
                    "ngram_min ({}) is larger than ngram_max ({})",
                    self.ngram_min, self.ngram_max
                ),
            });
        }
        match self.kind {
            VectorizerKind::Hashing => {
                if self.n_features == 0 || self.n_features > i32::MAX as usize {
                    return Err(FeaturesError::InvalidConfig {
                        field: "n_features",
                        reason: format!("must be in [1, 2^31 - 1], got {}", self.n_features),
                    });
                }
            }
            VectorizerKind::Count | VectorizerKind::Tfidf => {
                self.min_df.validate("min_df")?;
                self.max_df.validate("max_df")?;
                if self.max_features == Some(0) {
                    return Err(FeaturesError::InvalidConfig {
                        field: "max_features",
                        reason: "must be >= 1 (omit it to keep all terms)".into(),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_serde() {
        let c: VectorizerConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, VectorizerConfig::default());
        assert_eq!(c.effective_norm(), Norm::L2);
        assert_eq!(VectorizerConfig::count().effective_norm(), Norm::None);

        let c: VectorizerConfig = serde_json::from_str(
            r#"{"kind":"count","analyzer":"char_wb","ngram_min":2,"ngram_max":4,
                "min_df":2,"max_df":0.9,"norm":"l1","max_features":100}"#,
        )
        .unwrap();
        assert_eq!(c.kind, VectorizerKind::Count);
        assert_eq!(c.analyzer, AnalyzerKind::CharWb);
        assert_eq!(c.min_df, DocFreq::Count(2));
        assert_eq!(c.max_df, DocFreq::Fraction(0.9));
        assert_eq!(c.effective_norm(), Norm::L1);
        let back: VectorizerConfig =
            serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);

        let err = serde_json::from_str::<VectorizerConfig>(r#"{"min_df":"2"}"#).unwrap_err();
        assert!(
            err.to_string().contains("integer number of documents"),
            "{err}"
        );
        assert!(serde_json::from_str::<VectorizerConfig>(r#"{"min_df":-1}"#).is_err());
        let c: VectorizerConfig = serde_json::from_str(r#"{"max_df":1.0,"norm":"none"}"#).unwrap();
        assert_eq!(c.max_df, DocFreq::Fraction(1.0));
        assert_eq!(c.effective_norm(), Norm::None);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        assert!(serde_json::from_str::<VectorizerConfig>(r#"{"ngram_rang":[1,2]}"#).is_err());
        assert!(serde_json::from_str::<VectorizerConfig>(r#"{"kind":"bm25"}"#).is_err());
        assert!(serde_json::from_str::<VectorizerConfig>(r#"{"norm":"max"}"#).is_err());
        let bad = [
            r#"{"ngram_min":0}"#,
            r#"{"ngram_min":3,"ngram_max":2}"#,
            r#"{"min_df":0}"#,
            r#"{"max_df":1.5}"#,
            r#"{"min_df":-0.1}"#,
            r#"{"max_features":0}"#,
            r#"{"kind":"hashing","n_features":0}"#,
        ];
        for s in bad {
            let c: VectorizerConfig = serde_json::from_str(s).unwrap();
            assert!(c.validate().is_err(), "{s}");
        }
    }
}
