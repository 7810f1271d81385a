//! Text features compatible with scikit-learn's `feature_extraction.text`: the tokenizer,
//! word and character n-grams, count and TF-IDF vectorizers, the hashing vectorizer, and
//! the sparse CSR matrix they produce. Pure: no I/O.
//!
//! ```
//! use sweep_features::{Vectorizer, VectorizerConfig, DocFreq};
//!
//! // TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
//! let config = VectorizerConfig {
//!     min_df: DocFreq::Count(2),
//!     sublinear_tf: true,
//!     ..VectorizerConfig::tfidf().with_ngram_range(1, 2)
//! };
//! let docs = ["the cat sat", "the cat ran", "a dog ran"];
//! let (vectorizer, x) = Vectorizer::fit_transform(&config, &docs)?;
//! assert_eq!(vectorizer.feature_names(), ["cat", "ran", "the", "the cat"]);
//! assert_eq!((x.n_rows, x.n_cols), (3, 4));
//! let y = vectorizer.transform(&["the dog"]);
//! assert_eq!(y.row(0).0, [2]);
//! # Ok::<(), sweep_features::FeaturesError>(())
//! ```
//!
//! # Compatibility with scikit-learn
//!
//! Same settings give the same vocabulary, column order, and values (computed in `f64`
//! as scikit-learn does, stored as `f32`), checked on the benchmark datasets. Known
//! differences:
//! - Python's Unicode tables: lowercasing (`str.lower()`), `\w` and `\s` follow the
//!   tables generated from Python 3.11 / Unicode 14 ([`unicode::UNICODE_VERSION`]); a
//!   Python with a newer Unicode differs on characters added since. The final-sigma rule
//!   uses Rust's character properties (same rule; differs only for new characters).
//! - `max_features` keeps the most frequent terms and breaks ties at the cut-off by term
//!   (ascending). scikit-learn uses NumPy's unstable `argsort`, whose choice among tied
//!   terms depends on NumPy's SIMD sort and the CPU, so it is not reproducible.
//! - Custom `token_pattern`s run on `fancy-regex` with `\w`, `\W`, `\s`, `\S`, `\b`,
//!   `\B` rewritten to Python's meaning. Python-only syntax beyond that (e.g. `$`
//!   matching before a final newline, the `(?a)`/`(?L)` flags) is not translated; after
//!   an empty match at a position, a non-empty match preferred later at the same position
//!   is skipped. The default pattern (and `\b\w+\b`-like ones) use an exact scanner.
//! - Stop words, accent stripping, custom preprocessors/tokenizers and a fixed
//!   `vocabulary` argument are not supported (see [`Vectorizer::from_vocabulary`] for a
//!   known vocabulary).
//!
//! # Parallelism
//!
//! Work is split into chunks of documents chosen from the text sizes only, processed
//! with rayon (the caller's pool); the output does not depend on the number of threads.

mod analyze;
mod config;
mod error;
mod interner;
pub mod murmur;
mod sparse;
pub mod unicode;
mod unicode_tables;
mod vectorizer;

pub use analyze::Analyzer;
pub use config::{
    AnalyzerKind, DEFAULT_TOKEN_PATTERN, DocFreq, Norm, TextConfig, VectorizerConfig,
    VectorizerKind,
};
pub use error::{FeaturesError, Result};
pub use murmur::murmurhash3_32;
pub use sparse::CsrMatrix;
pub use vectorizer::Vectorizer;
