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
//! Compatibility notes (see `README` section of each module for details):
//! - Lowercasing, `\w` and `\s` follow Python 3.11 / Unicode 14 (tables generated from
//!   Python, [`unicode::UNICODE_VERSION`]); the default token pattern is matched by an
//!   exact scanner. Other token patterns run on the `regex` crate with Python's `\w`,
//!   `\W`, `\s`, `\S`, but `\b` keeps the `regex` crate's word definition.
//! - `max_features` breaks ties in corpus frequency by term (ascending). scikit-learn
//!   uses NumPy's unstable `argsort`, so its choice among terms tied at the cut-off
//!   depends on NumPy's sort implementation (and the CPU).
//! - Values are computed in `f64` as scikit-learn does and stored as `f32`.

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
