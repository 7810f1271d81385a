//! Count, TF-IDF and hashing vectorizers with scikit-learn's semantics.
//!
//! Work is split into chunks of documents whose boundaries depend only on the documents
//! (never on the thread count); rayon processes the chunks in parallel. Fitting interns
//! each chunk's n-grams in a chunk-local arena, merges the chunk vocabularies in chunk
//! order, prunes by document frequency, and sorts the surviving terms (sklearn's column
//! order). Every output row is computed from that row's counts alone, so the matrix does
//! not depend on the chunking or on the number of threads.

use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analyze::{Analyzer, Scratch};
use crate::config::{Norm, VectorizerConfig, VectorizerKind};
use crate::error::{FeaturesError, Result};
use crate::interner::Interner;
use crate::murmur::murmurhash3_32;
use crate::sparse::CsrMatrix;

/// Column of a dropped term.
const DROPPED: u32 = u32::MAX;

/// A fitted vectorizer: the settings, the vocabulary (sorted terms; a term's column is
/// its position) and, for TF-IDF, the idf of each column. A hashing vectorizer has no
/// vocabulary. Serializes as `{config, vocabulary, idf}` and checks that on reload.
#[derive(Clone)]
pub struct Vectorizer {
    config: VectorizerConfig,
    analyzer: Analyzer,
    vocabulary: Vec<String>,
    idf: Option<Vec<f64>>,
    /// Term → column (ids equal columns).
    lookup: Interner,
}

impl std::fmt::Debug for Vectorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vectorizer")
            .field("config", &self.config)
            .field("n_features", &self.n_features())
            .field(
                "first_terms",
                &&self.vocabulary[..self.vocabulary.len().min(5)],
            )
            .finish_non_exhaustive()
    }
}

/// How row values are computed from counts.
#[derive(Debug, Clone, Copy)]
struct Weighting<'a> {
    binary: bool,
    sublinear_tf: bool,
    idf: Option<&'a [f64]>,
    norm: Norm,
}

/// The counts of one chunk of training documents.
struct ChunkCounts {
    terms: Interner,
    /// Documents of this chunk containing each local term.
    df: Vec<u32>,
    /// Row `d` is `entries[doc_ptr[d]..doc_ptr[d + 1]]`: (local term, count).
    doc_ptr: Vec<usize>,
    entries: Vec<(u32, u32)>,
    /// Local terms of each merge shard, in local order.
    shards: Vec<Vec<u32>>,
    /// Local term → merged id (filled by [`MergedVocab::merge`]).
    global: Vec<u32>,
}

/// Number of merge shards (fixed: the merged ids must not depend on the thread count).
const SHARD_BITS: u32 = 4;
const N_SHARDS: usize = 1 << SHARD_BITS;

#[inline]
fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARD_BITS)) as usize
}

/// The union of the chunk vocabularies, partitioned by hash into shards merged in
/// parallel. Merged id = `offsets[shard] + position in the shard`.
struct MergedVocab {
    shards: Vec<Shard>,
    offsets: Vec<u32>,
}

struct Shard {
    terms: Interner,
    df: Vec<u64>,
}

impl MergedVocab {
    /// Merges the chunks' terms (chunk order, then local order, within each shard) and
    /// records each chunk's local → merged ids in `ChunkCounts::global`.
    fn merge(chunks: &mut [ChunkCounts]) -> MergedVocab {
        let per_shard: Vec<(Shard, Vec<Vec<u32>>)> = (0..N_SHARDS)
            .into_par_iter()
            .map(|s| {
                let n: usize = chunks.iter().map(|c| c.shards[s].len()).sum();
                let mut shard = Shard {
                    terms: Interner::with_capacity(n / 2 + 16, 0),
                    df: Vec::with_capacity(n / 2 + 16),
                };
                let mut ids = Vec::with_capacity(chunks.len());
                for c in chunks.iter() {
                    let mut chunk_ids = Vec::with_capacity(c.shards[s].len());
                    for &id in &c.shards[s] {
                        let (g, new) = shard
                            .terms
                            .intern_hashed(c.terms.get(id), c.terms.hash_of(id));
                        if new {
                            shard.df.push(0);
                        }
                        shard.df[g as usize] += u64::from(c.df[id as usize]);
                        chunk_ids.push(g);
                    }
                    ids.push(chunk_ids);
                }
                (shard, ids)
            })
            .collect();
        let mut offsets = Vec::with_capacity(N_SHARDS);
        let mut at = 0u32;
        for (shard, _) in &per_shard {
            offsets.push(at);
            at += shard.terms.len() as u32;
        }
        chunks.par_iter_mut().enumerate().for_each(|(ci, c)| {
            let mut global = vec![0u32; c.terms.len()];
            for (s, (_, ids)) in per_shard.iter().enumerate() {
                for (&id, &g) in c.shards[s].iter().zip(&ids[ci]) {
                    global[id as usize] = offsets[s] + g;
                }
            }
            c.global = global;
        });
        MergedVocab {
            shards: per_shard.into_iter().map(|(s, _)| s).collect(),
            offsets,
        }
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.terms.len()).sum()
    }

    #[inline]
    fn locate(&self, g: u32) -> (&Shard, u32) {
        let s = self.offsets.partition_point(|&o| o <= g) - 1;
        (&self.shards[s], g - self.offsets[s])
    }

    #[inline]
    fn term(&self, g: u32) -> &str {
        let (shard, i) = self.locate(g);
        shard.terms.get(i)
    }

    #[inline]
    fn hash_of(&self, g: u32) -> u64 {
        let (shard, i) = self.locate(g);
        shard.terms.hash_of(i)
    }

    #[inline]
    fn df(&self, g: u32) -> u64 {
        let (shard, i) = self.locate(g);
        shard.df[i as usize]
    }

    /// Total count of each merged term over the corpus (1 per document with `binary`).
    fn term_counts(&self, chunks: &[ChunkCounts], binary: bool) -> Vec<u64> {
        let mut tf = vec![0u64; self.len()];
        for c in chunks {
            for &(id, n) in &c.entries {
                tf[c.global[id as usize] as usize] += if binary { 1 } else { u64::from(n) };
            }
        }
        tf
    }
}

/// Sorts merged ids by their term (code point order, as Python's `sorted`). Compares
/// an 8-byte big-endian prefix first, then the whole term on a tie.
fn sort_by_term(ids: &mut Vec<u32>, merged: &MergedVocab) {
    let mut keyed: Vec<(u64, u32)> = ids
        .par_iter()
        .map(|&g| {
            let t = merged.term(g).as_bytes();
            let mut p = [0u8; 8];
            let n = t.len().min(8);
            p[..n].copy_from_slice(&t[..n]);
            (u64::from_be_bytes(p), g)
        })
        .collect();
    keyed.par_sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| merged.term(a.1).cmp(merged.term(b.1)))
    });
    ids.clear();
    ids.extend(keyed.into_iter().map(|(_, g)| g));
}

/// Rows of one chunk, ready to append to the output matrix.
#[derive(Default)]
struct RowBlock {
    row_nnz: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f32>,
}

impl Vectorizer {
    /// Learns the vocabulary (and idf) of `docs`. For `hashing` there is nothing to
    /// learn: this only checks the settings.
    pub fn fit<S: AsRef<str> + Sync>(config: &VectorizerConfig, docs: &[S]) -> Result<Self> {
        Self::fit_impl(config, docs, false).map(|(v, _)| v)
    }

    /// [`Vectorizer::fit`] and [`Vectorizer::transform`] of the same documents, sharing
    /// the tokenization (sklearn's `fit_transform`).
    pub fn fit_transform<S: AsRef<str> + Sync>(
        config: &VectorizerConfig,
        docs: &[S],
    ) -> Result<(Self, CsrMatrix)> {
        let (v, m) = Self::fit_impl(config, docs, true)?;
        match m {
            Some(m) => Ok((v, m)),
            None => {
                let m = v.transform(docs);
                Ok((v, m))
            }
        }
    }

    /// A vectorizer from a known vocabulary (sorted, unique terms; column = position) and,
    /// for TF-IDF with `use_idf`, one idf per term. This is also how a saved vectorizer is
    /// checked on reload.
    pub fn from_vocabulary(
        config: VectorizerConfig,
        vocabulary: Vec<String>,
        idf: Option<Vec<f64>>,
    ) -> Result<Self> {
        let analyzer = Analyzer::new(&config)?;
        let bad = |m: String| Err(FeaturesError::InvalidState(m));
        match config.kind {
            VectorizerKind::Hashing => {
                if !vocabulary.is_empty() || idf.is_some() {
                    return bad("a hashing vectorizer has no vocabulary or idf".into());
                }
            }
            VectorizerKind::Count | VectorizerKind::Tfidf => {
                if vocabulary.is_empty() {
                    return bad("empty vocabulary".into());
                }
                if let Some(i) = vocabulary.windows(2).position(|w| w[0] >= w[1]) {
                    return bad(format!(
                        "vocabulary is not sorted and unique at position {}: {:?} >= {:?}",
                        i + 1,
                        vocabulary[i],
                        vocabulary[i + 1]
                    ));
                }
                if vocabulary.len() > DROPPED as usize {
                    return bad(format!(
                        "vocabulary of {} terms is too large",
                        vocabulary.len()
                    ));
                }
                let wants_idf = config.kind == VectorizerKind::Tfidf && config.use_idf;
                match (&idf, wants_idf) {
                    (None, false) => {}
                    (Some(v), true) if v.len() == vocabulary.len() => {
                        if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                            return bad(format!("idf value {x} is not finite"));
                        }
                    }
                    (Some(v), true) => {
                        return bad(format!(
                            "{} idf values for {} terms",
                            v.len(),
                            vocabulary.len()
                        ));
                    }
                    (None, true) => return bad("tfidf with use_idf needs idf values".into()),
                    (Some(_), false) => return bad("idf values given but not used".into()),
                }
            }
        }
        let bytes = vocabulary.iter().map(String::len).sum();
        let mut lookup = Interner::with_capacity(vocabulary.len(), bytes);
        for term in &vocabulary {
            lookup.intern(term);
        }
        Ok(Vectorizer {
            config,
            analyzer,
            vocabulary,
            idf,
            lookup,
        })
    }

    /// The settings.
    pub fn config(&self) -> &VectorizerConfig {
        &self.config
    }

    /// The analyzer (features of one document, as sklearn's `build_analyzer()`).
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The terms in column order (sklearn's `get_feature_names_out()`); empty for hashing.
    pub fn feature_names(&self) -> &[String] {
        &self.vocabulary
    }

    /// The column of `term` (sklearn's `vocabulary_[term]`).
    pub fn column(&self, term: &str) -> Option<u32> {
        if self.vocabulary.is_empty() {
            return None;
        }
        self.lookup.find(term)
    }

    /// The idf of each column (TF-IDF with `use_idf` only).
    pub fn idf(&self) -> Option<&[f64]> {
        self.idf.as_deref()
    }

    /// Number of output columns.
    pub fn n_features(&self) -> usize {
        match self.config.kind {
            VectorizerKind::Hashing => self.config.n_features,
            VectorizerKind::Count | VectorizerKind::Tfidf => self.vocabulary.len(),
        }
    }

    /// The feature matrix of `docs`: one row per document, `n_features()` columns;
    /// terms outside the vocabulary are ignored.
    pub fn transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> CsrMatrix {
        let chunks = chunk_ranges(docs);
        let blocks: Vec<RowBlock> = match self.config.kind {
            VectorizerKind::Hashing => chunks
                .into_par_iter()
                .map(|r| self.hash_block(&docs[r]))
                .collect(),
            VectorizerKind::Count | VectorizerKind::Tfidf => chunks
                .into_par_iter()
                .map(|r| self.vocab_block(&docs[r]))
                .collect(),
        };
        assemble(self.n_features(), blocks)
    }

    fn weighting(&self) -> Weighting<'_> {
        let tfidf = self.config.kind == VectorizerKind::Tfidf;
        Weighting {
            binary: self.config.binary,
            sublinear_tf: tfidf && self.config.sublinear_tf,
            idf: if tfidf { self.idf.as_deref() } else { None },
            norm: self.config.effective_norm(),
        }
    }

    fn fit_impl<S: AsRef<str> + Sync>(
        config: &VectorizerConfig,
        docs: &[S],
        with_matrix: bool,
    ) -> Result<(Self, Option<CsrMatrix>)> {
        let analyzer = Analyzer::new(config)?;
        if config.kind == VectorizerKind::Hashing {
            let v = Self::from_vocabulary(config.clone(), Vec::new(), None)?;
            return Ok((v, None));
        }
        let chunks: Vec<ChunkCounts> = chunk_ranges(docs)
            .into_par_iter()
            .map(|r| count_chunk(&analyzer, &docs[r]))
            .collect();
        let mut chunks = chunks;
        let merged = MergedVocab::merge(&mut chunks);
        if merged.len() == 0 {
            return Err(FeaturesError::EmptyVocabulary);
        }

        // Prune by document frequency, as `_limit_features`.
        let n_docs = docs.len();
        let max_doc_count = config.max_df.doc_count(n_docs);
        let min_doc_count = config.min_df.doc_count(n_docs);
        if max_doc_count < min_doc_count {
            return Err(FeaturesError::MaxDfBelowMinDf {
                max_doc_count,
                min_doc_count,
                n_docs,
            });
        }
        let mut kept: Vec<u32> = merged
            .shards
            .par_iter()
            .zip(merged.offsets.par_iter())
            .flat_map_iter(|(shard, &off)| {
                shard.df.iter().enumerate().filter_map(move |(i, &d)| {
                    let d = d as f64;
                    (d <= max_doc_count && d >= min_doc_count).then_some(off + i as u32)
                })
            })
            .collect();
        if let Some(limit) = config.max_features
            && kept.len() > limit
        {
            // Most frequent by total count (document count with `binary`, as sklearn
            // sums the binarised matrix); ties by term.
            let tf = merged.term_counts(&chunks, config.binary);
            kept.par_sort_unstable_by(|&a, &b| {
                tf[b as usize]
                    .cmp(&tf[a as usize])
                    .then_with(|| merged.term(a).cmp(merged.term(b)))
            });
            kept.truncate(limit);
        }
        if kept.is_empty() {
            return Err(FeaturesError::NoTermsRemain);
        }
        sort_by_term(&mut kept, &merged);

        let idf = (config.kind == VectorizerKind::Tfidf && config.use_idf).then(|| {
            let smooth = f64::from(u8::from(config.smooth_idf));
            let n = n_docs as f64 + smooth;
            kept.par_iter()
                .map(|&g| (n / (merged.df(g) as f64 + smooth)).ln() + 1.0)
                .collect::<Vec<f64>>()
        });
        let vocabulary: Vec<String> = kept
            .par_iter()
            .map(|&g| merged.term(g).to_string())
            .collect();
        let mut lookup = Interner::with_capacity(kept.len(), 0);
        for &g in &kept {
            lookup.push_unique(merged.term(g), merged.hash_of(g));
        }
        let v = Vectorizer {
            config: config.clone(),
            analyzer,
            vocabulary,
            idf,
            lookup,
        };
        if !with_matrix {
            return Ok((v, None));
        }

        let mut col_of = vec![DROPPED; merged.len()];
        for (col, &g) in kept.iter().enumerate() {
            col_of[g as usize] = col as u32;
        }
        drop(merged);
        let w = v.weighting();
        let blocks: Vec<RowBlock> = chunks
            .into_par_iter()
            .map(|c| {
                // Local term → column, so the loop below touches chunk-sized arrays only.
                let local_col: Vec<u32> = c.global.iter().map(|&g| col_of[g as usize]).collect();
                let mut block = RowBlock::with_capacity(c.doc_ptr.len(), c.entries.len());
                let mut row: Vec<(u32, f64)> = Vec::new();
                for d in c.doc_ptr.windows(2) {
                    row.clear();
                    for &(id, n) in &c.entries[d[0]..d[1]] {
                        let col = local_col[id as usize];
                        if col != DROPPED {
                            row.push((col, f64::from(n)));
                        }
                    }
                    row.sort_unstable_by_key(|&(col, _)| col);
                    block.push(&mut row, w);
                }
                block
            })
            .collect();
        let matrix = assemble(v.n_features(), blocks);
        Ok((v, Some(matrix)))
    }

    /// Rows of `docs` against the fitted vocabulary.
    fn vocab_block<S: AsRef<str>>(&self, docs: &[S]) -> RowBlock {
        let w = self.weighting();
        let mut block = RowBlock::default();
        let mut scratch = Scratch::default();
        let mut cols: Vec<u32> = Vec::new();
        let mut row: Vec<(u32, f64)> = Vec::new();
        for doc in docs {
            cols.clear();
            self.analyzer
                .for_each_feature(doc.as_ref(), &mut scratch, &mut |f| {
                    if let Some(c) = self.lookup.find(f) {
                        cols.push(c);
                    }
                });
            cols.sort_unstable();
            row.clear();
            for &c in &cols {
                match row.last_mut() {
                    Some((last, n)) if *last == c => *n += 1.0,
                    _ => row.push((c, 1.0)),
                }
            }
            block.push(&mut row, w);
        }
        block
    }

    /// Rows of `docs` by the hashing trick, as sklearn's `FeatureHasher`.
    fn hash_block<S: AsRef<str>>(&self, docs: &[S]) -> RowBlock {
        let w = self.weighting();
        let n_features = self.config.n_features as i64;
        let alternate = self.config.alternate_sign;
        let mut block = RowBlock::default();
        let mut scratch = Scratch::default();
        let mut hashed: Vec<(u32, f64)> = Vec::new();
        let mut row: Vec<(u32, f64)> = Vec::new();
        for doc in docs {
            hashed.clear();
            self.analyzer
                .for_each_feature(doc.as_ref(), &mut scratch, &mut |f| {
                    let h = murmurhash3_32(f.as_bytes(), 0);
                    let index = if h == i32::MIN {
                        // sklearn's definition of abs(-2^31) % n_features.
                        (i64::from(i32::MAX) - (n_features - 1)) % n_features
                    } else {
                        i64::from(h.unsigned_abs()) % n_features
                    };
                    let value = if alternate && h < 0 { -1.0 } else { 1.0 };
                    // index < n_features <= i32::MAX.
                    hashed.push((index as u32, value));
                });
            hashed.sort_unstable_by_key(|&(c, _)| c);
            // Sum duplicates; like scipy's `sum_duplicates`, a sum of zero stays stored.
            row.clear();
            for &(c, v) in &hashed {
                match row.last_mut() {
                    Some((last, s)) if *last == c => *s += v,
                    _ => row.push((c, v)),
                }
            }
            block.push(&mut row, w);
        }
        block
    }
}

/// `1 + ln(n)` for small counts (most counts are 1).
const SUBLINEAR_TABLE_LEN: usize = 64;

fn sublinear(n: f64) -> f64 {
    static TABLE: std::sync::OnceLock<[f64; SUBLINEAR_TABLE_LEN]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| std::array::from_fn(|i| (i as f64).ln() + 1.0));
    let i = n as usize;
    if i < SUBLINEAR_TABLE_LEN && i as f64 == n {
        t[i]
    } else {
        n.ln() + 1.0
    }
}

impl RowBlock {
    fn with_capacity(rows: usize, nnz: usize) -> Self {
        RowBlock {
            row_nnz: Vec::with_capacity(rows),
            indices: Vec::with_capacity(nnz),
            data: Vec::with_capacity(nnz),
        }
    }

    /// Appends one row given as (column, count) sorted by column, applying `w`.
    fn push(&mut self, row: &mut [(u32, f64)], w: Weighting<'_>) {
        if w.binary {
            for e in row.iter_mut() {
                e.1 = 1.0;
            }
        }
        if w.sublinear_tf {
            for e in row.iter_mut() {
                e.1 = sublinear(e.1);
            }
        }
        if let Some(idf) = w.idf {
            for e in row.iter_mut() {
                e.1 *= idf[e.0 as usize];
            }
        }
        let norm = match w.norm {
            Norm::L2 => row.iter().map(|e| e.1 * e.1).sum::<f64>().sqrt(),
            Norm::L1 => row.iter().map(|e| e.1.abs()).sum::<f64>(),
            Norm::None => 0.0,
        };
        self.row_nnz.push(row.len());
        for &(c, v) in row.iter() {
            self.indices.push(c);
            // sklearn divides by the norm (rows of norm 0 stay as they are).
            self.data.push(if norm > 0.0 { v / norm } else { v } as f32);
        }
    }
}

/// Concatenates row blocks in order.
fn assemble(n_cols: usize, blocks: Vec<RowBlock>) -> CsrMatrix {
    let nnz: usize = blocks.iter().map(|b| b.indices.len()).sum();
    let n_rows: usize = blocks.iter().map(|b| b.row_nnz.len()).sum();
    let mut m = CsrMatrix {
        n_rows,
        n_cols,
        indptr: Vec::with_capacity(n_rows + 1),
        indices: Vec::with_capacity(nnz),
        data: Vec::with_capacity(nnz),
    };
    m.indptr.push(0);
    let mut at = 0;
    for b in blocks {
        for n in b.row_nnz {
            at += n;
            m.indptr.push(at);
        }
        m.indices.extend_from_slice(&b.indices);
        m.data.extend_from_slice(&b.data);
    }
    m
}

/// Splits `docs` into consecutive chunks of roughly equal text size (about 16 chunks
/// for a large corpus). Depends only on the documents, not on the thread count.
fn chunk_ranges<S: AsRef<str>>(docs: &[S]) -> Vec<Range<usize>> {
    const OVERHEAD: usize = 32;
    let total: usize = docs.iter().map(|d| d.as_ref().len() + OVERHEAD).sum();
    let target = (total / 16).clamp(64 << 10, 4 << 20);
    let mut out = Vec::new();
    let (mut start, mut acc) = (0, 0);
    for (i, d) in docs.iter().enumerate() {
        acc += d.as_ref().len() + OVERHEAD;
        if acc >= target {
            out.push(start..i + 1);
            start = i + 1;
            acc = 0;
        }
    }
    if start < docs.len() || out.is_empty() {
        out.push(start..docs.len());
    }
    out
}

/// Interns and counts the features of one chunk of documents.
fn count_chunk<S: AsRef<str>>(analyzer: &Analyzer, docs: &[S]) -> ChunkCounts {
    /// Per local term: the last document it was seen in, its entry there, its df.
    #[derive(Clone, Copy)]
    struct TermState {
        last_doc: u32,
        slot: u32,
        df: u32,
    }
    let bytes: usize = docs.iter().map(|d| d.as_ref().len()).sum();
    let mut terms = Interner::with_capacity(bytes / 4 + 16, bytes);
    let mut state: Vec<TermState> = Vec::with_capacity(bytes / 4 + 16);
    let mut doc_ptr = Vec::with_capacity(docs.len() + 1);
    let mut entries: Vec<(u32, u32)> = Vec::with_capacity(bytes / 3 + 16);
    let mut scratch = Scratch::default();
    doc_ptr.push(0);
    for (d, doc) in docs.iter().enumerate() {
        let d = d as u32;
        analyzer.for_each_feature(doc.as_ref(), &mut scratch, &mut |f| {
            let (id, new) = terms.intern(f);
            if new {
                state.push(TermState {
                    last_doc: d,
                    slot: entries.len() as u32,
                    df: 1,
                });
                entries.push((id, 1));
                return;
            }
            let st = &mut state[id as usize];
            if st.last_doc == d {
                entries[st.slot as usize].1 += 1;
            } else {
                st.last_doc = d;
                st.slot = entries.len() as u32;
                st.df += 1;
                entries.push((id, 1));
            }
        });
        doc_ptr.push(entries.len());
    }
    let df: Vec<u32> = state.iter().map(|s| s.df).collect();
    let mut shards: Vec<Vec<u32>> = vec![Vec::new(); N_SHARDS];
    for id in 0..terms.len() as u32 {
        shards[shard_of(terms.hash_of(id))].push(id);
    }
    ChunkCounts {
        terms,
        df,
        doc_ptr,
        entries,
        shards,
        global: Vec::new(),
    }
}

#[derive(Serialize)]
struct StateRef<'a> {
    config: &'a VectorizerConfig,
    vocabulary: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    idf: Option<&'a [f64]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    config: VectorizerConfig,
    #[serde(default)]
    vocabulary: Vec<String>,
    #[serde(default)]
    idf: Option<Vec<f64>>,
}

impl Serialize for Vectorizer {
    fn serialize<Ser: serde::Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        StateRef {
            config: &self.config,
            vocabulary: &self.vocabulary,
            idf: self.idf.as_deref(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Vectorizer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let st = State::deserialize(d)?;
        Vectorizer::from_vocabulary(st.config, st.vocabulary, st.idf)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_all_docs() {
        let docs: Vec<String> = (0..10_000)
            .map(|i| format!("doc {i} ").repeat(20))
            .collect();
        let r = chunk_ranges(&docs);
        assert!(r.len() > 4);
        assert_eq!(r[0].start, 0);
        assert_eq!(r.last().map(|r| r.end), Some(docs.len()));
        assert!(r.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(chunk_ranges::<&str>(&[]), vec![0..0]);
    }
}
