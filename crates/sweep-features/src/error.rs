//! Errors of this crate.

/// What can go wrong when configuring, fitting or reloading a vectorizer.
#[derive(Debug, thiserror::Error)]
pub enum FeaturesError {
    /// A setting is out of range or inconsistent with another.
    #[error("invalid vectorizer setting `{field}`: {reason}")]
    InvalidConfig {
        /// The setting's name as written in a config.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `token_pattern` is not a valid regular expression.
    #[error("invalid token_pattern {pattern:?}: {source}")]
    TokenPattern {
        /// The pattern as given.
        pattern: String,
        /// The regex compiler's message.
        #[source]
        source: Box<fancy_regex::Error>,
    },
    /// The training documents produced no term at all.
    #[error("empty vocabulary: the training documents contain no terms")]
    EmptyVocabulary,
    /// `max_df` resolves to fewer documents than `min_df` for this corpus.
    #[error(
        "max_df corresponds to fewer documents than min_df ({max_doc_count} < {min_doc_count} of {n_docs} documents)"
    )]
    MaxDfBelowMinDf {
        /// `max_df` in documents.
        max_doc_count: f64,
        /// `min_df` in documents.
        min_doc_count: f64,
        /// Training documents.
        n_docs: usize,
    },
    /// Every term was removed by `min_df` / `max_df`.
    #[error("after pruning, no terms remain; try a lower min_df or a higher max_df")]
    NoTermsRemain,
    /// A saved vectorizer is inconsistent (e.g. unsorted vocabulary, idf length).
    #[error("invalid saved vectorizer: {0}")]
    InvalidState(String),
}

/// Result with [`FeaturesError`].
pub type Result<T, E = FeaturesError> = std::result::Result<T, E>;
