//! A fastText-style classifier (Joulin et al. 2016, "Bag of Tricks for Efficient Text
//! Classification"): each text is the average of the embeddings of its features (words,
//! word n-grams, character n-grams: whatever the vectorizer produces, weighted by their
//! values), and a linear layer with a softmax maps that average to the classes. Trained as
//! fastText trains: plain SGD, one example at a time, a learning rate decaying linearly to
//! zero over the whole run, and sparse updates (only the embeddings of the example's
//! features change), so a step costs `O(features · dim + classes · dim)` however large the
//! vocabulary. Every text also has an end-of-text token (fastText's `</s>`), one embedding
//! shared by all texts that acts as a learned prior. Examples are shuffled every epoch by
//! the seed, so runs are reproducible. With `threads` above one, the threads train one
//! model without locks (Hogwild!, as fastText's threads do): faster on several cores, not
//! reproducible bit for bit.

use super::{ClassWeight, FitInfo, ModelError, check_positive, softmax_rows};
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use sweep_features::CsrMatrix;

/// Settings of `model.kind: fasttext` (fastText's `supervised` defaults, but for the
/// shuffled epochs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FastTextConfig {
    /// Size of the embeddings (fastText's `dim`).
    pub dim: usize,
    /// Learning rate at the start; it decays linearly to 0 (fastText's `lr`).
    pub lr: f64,
    /// Passes over the training set (fastText's `epoch`).
    pub epochs: usize,
    pub class_weight: ClassWeight,
    pub seed: u64,
    /// Training threads (fastText's `thread`). One trains reproducibly; more train one
    /// model together without locks (Hogwild!), faster on several cores but not bit for
    /// bit the same from run to run.
    pub threads: usize,
}

impl Default for FastTextConfig {
    fn default() -> Self {
        FastTextConfig {
            dim: 100,
            lr: 0.1,
            epochs: 5,
            class_weight: ClassWeight::None,
            seed: 0,
            threads: 1,
        }
    }
}

/// A fitted fastText-style model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FastTextModel {
    pub classes: Vec<String>,
    pub dim: usize,
    /// The feature columns that have an embedding (those seen in training), ascending.
    pub columns: Vec<u32>,
    /// The embeddings, one row of `dim` per entry of `columns`, then the end-of-text
    /// token's.
    #[serde(with = "floats")]
    pub input: Vec<f32>,
    /// The output layer, one row of `dim` per class.
    #[serde(with = "floats")]
    pub output: Vec<f32>,
}

/// Examples between two looks at the stop flag.
const STOP_EVERY: usize = 1024;

/// Most training threads a config may ask for.
const MAX_THREADS: usize = 256;

pub(super) fn fit(
    cfg: &FastTextConfig,
    x: &CsrMatrix,
    y: &[usize],
    classes: &[String],
    stop: &AtomicBool,
) -> Result<(FastTextModel, FitInfo), ModelError> {
    let problems = problems(cfg);
    if let Some(p) = problems.into_iter().next() {
        return Err(p);
    }
    let class_weights = cfg.class_weight.resolve(y, classes)?;
    let (k, dim) = (classes.len(), cfg.dim);
    // Only the columns the training set uses get an embedding.
    let mut columns: Vec<u32> = x.indices.clone();
    columns.sort_unstable();
    columns.dedup();
    let local: Vec<u32> = x
        .indices
        .iter()
        .map(|j| columns.binary_search(j).unwrap_or_default() as u32)
        .collect();
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(cfg.seed);
    // fastText's initialisation: embeddings uniform in ±1/dim, the output layer zero.
    let bound = 1.0 / dim as f64;
    let eos = columns.len();
    let mut input: Vec<f32> = (0..(eos + 1) * dim)
        .map(|_| ((uniform(&mut rng) * 2.0 - 1.0) * bound) as f32)
        .collect();
    let mut output = vec![0f32; k * dim];
    let n = x.n_rows;
    let data = Data {
        x,
        local: &local,
        y,
        class_weights: &class_weights,
        k,
        dim,
        lr: cfg.lr,
        total: (cfg.epochs * n) as f64,
    };
    let seen = if cfg.threads <= 1 {
        let mut order: Vec<usize> = (0..n).collect();
        let mut step = Step::new(k, dim);
        let mut seen = 0usize;
        for _ in 0..cfg.epochs {
            shuffle(&mut order, &mut rng);
            for &row in &order {
                if seen.is_multiple_of(STOP_EVERY) && stop.load(Ordering::Relaxed) {
                    return Err(ModelError::Stopped);
                }
                step.take(&data, row, seen, &mut input[..], &mut output[..]);
                seen += 1;
            }
        }
        seen
    } else {
        hogwild(&data, cfg, &mut rng, &mut input, &mut output, stop)?
    };
    let model = FastTextModel {
        classes: classes.to_vec(),
        dim,
        columns,
        input,
        output,
    };
    let info = FitInfo {
        iterations: cfg.epochs,
        evaluations: seen,
        converged: true,
    };
    Ok((model, info))
}

/// What every step reads: the training set and the schedule.
struct Data<'a> {
    x: &'a CsrMatrix,
    /// Each entry's embedding row (its column among those the training set uses).
    local: &'a [u32],
    y: &'a [usize],
    class_weights: &'a [f64],
    k: usize,
    dim: usize,
    lr: f64,
    /// Examples in the whole run (epochs × rows): the rate reaches 0 there.
    total: f64,
}

/// One training thread's buffers.
struct Step {
    hidden: Vec<f32>,
    grad: Vec<f32>,
    scores: Vec<f64>,
}

impl Step {
    fn new(k: usize, dim: usize) -> Step {
        Step {
            hidden: vec![0f32; dim],
            grad: vec![0f32; dim],
            scores: vec![0f64; k],
        }
    }

    /// One SGD step on example `row`, the `seen`-th of the run (the rate decays with it).
    fn take<I: Weights + ?Sized, O: Weights + ?Sized>(
        &mut self,
        data: &Data,
        row: usize,
        seen: usize,
        input: &mut I,
        output: &mut O,
    ) {
        let (k, dim) = (data.k, data.dim);
        let lr = data.lr * (1.0 - seen as f64 / data.total).max(0.0);
        let (start, end) = (data.x.indptr[row], data.x.indptr[row + 1]);
        let (cols, values) = (&data.local[start..end], &data.x.data[start..end]);
        let norm = average(input, dim, cols, values, &mut self.hidden);
        for (c, s) in self.scores.iter_mut().enumerate() {
            *s = output.dot(c * dim, &self.hidden);
        }
        softmax_rows(&mut self.scores, k);
        // Gradient step on the log loss: output rows move towards the hidden vector, the
        // hidden vector's gradient (through the output rows before their step) is shared
        // among the example's embeddings by their weights.
        self.grad.iter_mut().for_each(|g| *g = 0.0);
        let weight = data.class_weights[data.y[row]];
        for (c, p) in self.scores.iter().enumerate() {
            let target = if c == data.y[row] { 1.0 } else { 0.0 };
            let alpha = (lr * weight * (target - p)) as f32;
            output.output_step(c * dim, alpha, &self.hidden, &mut self.grad);
        }
        for (row, v) in rows_of(cols, values, input.len() / dim - 1) {
            input.add_scaled(row * dim, v / norm, &self.grad);
        }
    }
}

/// The weights a step reads and writes, a row of `dim` at a time from `start`: plain
/// floats for one thread, or [`Shared`] atomics for hogwild threads.
trait Weights {
    fn len(&self) -> usize;
    /// `out += w · row`.
    fn add_row_to(&self, start: usize, w: f32, out: &mut [f32]);
    /// `row · x`.
    fn dot(&self, start: usize, x: &[f32]) -> f64;
    /// An output row's step: `grad += alpha · row` (the row before its step), then
    /// `row += alpha · hidden`.
    fn output_step(&mut self, start: usize, alpha: f32, hidden: &[f32], grad: &mut [f32]);
    /// `row += w · x`.
    fn add_scaled(&mut self, start: usize, w: f32, x: &[f32]);
}

impl Weights for [f32] {
    fn len(&self) -> usize {
        <[f32]>::len(self)
    }
    fn add_row_to(&self, start: usize, w: f32, out: &mut [f32]) {
        let row = &self[start..start + out.len()];
        for (h, e) in out.iter_mut().zip(row) {
            *h += w * e;
        }
    }
    fn dot(&self, start: usize, x: &[f32]) -> f64 {
        dot(&self[start..start + x.len()], x)
    }
    fn output_step(&mut self, start: usize, alpha: f32, hidden: &[f32], grad: &mut [f32]) {
        let out = &mut self[start..start + hidden.len()];
        for ((g, o), h) in grad.iter_mut().zip(out.iter_mut()).zip(hidden) {
            *g += alpha * *o;
            *o += alpha * h;
        }
    }
    fn add_scaled(&mut self, start: usize, w: f32, x: &[f32]) {
        let row = &mut self[start..start + x.len()];
        for (e, g) in row.iter_mut().zip(x) {
            *e += w * g;
        }
    }
}

/// Weights shared by hogwild threads: each float's bits in an atomic, read and written
/// with relaxed ordering. Threads' updates of one row may interleave and one may overwrite
/// another's (Hogwild!, as fastText's threads train), but every access is defined.
struct Shared<'a>(&'a [AtomicU32]);

impl Shared<'_> {
    fn get(&self, i: usize) -> f32 {
        f32::from_bits(self.0[i].load(Ordering::Relaxed))
    }
    fn set(&self, i: usize, v: f32) {
        self.0[i].store(v.to_bits(), Ordering::Relaxed);
    }
}

impl Weights for Shared<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn add_row_to(&self, start: usize, w: f32, out: &mut [f32]) {
        for (j, h) in out.iter_mut().enumerate() {
            *h += w * self.get(start + j);
        }
    }
    fn dot(&self, start: usize, x: &[f32]) -> f64 {
        x.iter()
            .enumerate()
            .map(|(j, v)| f64::from(self.get(start + j) * v))
            .sum()
    }
    fn output_step(&mut self, start: usize, alpha: f32, hidden: &[f32], grad: &mut [f32]) {
        for (j, (g, h)) in grad.iter_mut().zip(hidden).enumerate() {
            let o = self.get(start + j);
            *g += alpha * o;
            self.set(start + j, o + alpha * h);
        }
    }
    fn add_scaled(&mut self, start: usize, w: f32, x: &[f32]) {
        for (j, g) in x.iter().enumerate() {
            let e = self.get(start + j);
            self.set(start + j, e + w * g);
        }
    }
}

/// `threads` threads train one model without locks (Hogwild!, as fastText does): the
/// examples, shuffled once by the seed, are cut into one contiguous part per thread, each
/// thread shuffles its part every epoch with a generator of its own, and the rate decays
/// with the examples all threads have seen. Not reproducible bit for bit: which thread's
/// update lands first varies from run to run. Returns the examples seen.
fn hogwild(
    data: &Data,
    cfg: &FastTextConfig,
    rng: &mut rand_pcg::Pcg64Mcg,
    input: &mut [f32],
    output: &mut [f32],
    stop: &AtomicBool,
) -> Result<usize, ModelError> {
    let n = data.x.n_rows;
    let mut order: Vec<usize> = (0..n).collect();
    shuffle(&mut order, rng);
    let atomics =
        |v: &[f32]| -> Vec<AtomicU32> { v.iter().map(|f| AtomicU32::new(f.to_bits())).collect() };
    let (shared_in, shared_out) = (atomics(input), atomics(output));
    let seen = AtomicUsize::new(0);
    let threads = cfg.threads.min(n.max(1));
    let stopped = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let part = order[t * n / threads..(t + 1) * n / threads].to_vec();
                let (shared_in, shared_out, seen) = (&shared_in, &shared_out, &seen);
                let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(
                    cfg.seed ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                );
                s.spawn(move || {
                    let mut part = part;
                    let mut step = Step::new(data.k, data.dim);
                    let (mut input, mut output) = (Shared(shared_in), Shared(shared_out));
                    let mut mine = 0usize;
                    for _ in 0..cfg.epochs {
                        shuffle(&mut part, &mut rng);
                        for &row in &part {
                            if mine.is_multiple_of(STOP_EVERY) && stop.load(Ordering::Relaxed) {
                                return true;
                            }
                            mine += 1;
                            let at = seen.fetch_add(1, Ordering::Relaxed);
                            step.take(data, row, at, &mut input, &mut output);
                        }
                    }
                    false
                })
            })
            .collect();
        // A thread that panicked left the weights as they were; count it as stopped.
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or(true))
            .fold(false, |a, b| a | b)
    });
    if stopped {
        return Err(ModelError::Stopped);
    }
    for (v, a) in input.iter_mut().zip(&shared_in) {
        *v = f32::from_bits(a.load(Ordering::Relaxed));
    }
    for (v, a) in output.iter_mut().zip(&shared_out) {
        *v = f32::from_bits(a.load(Ordering::Relaxed));
    }
    Ok(seen.into_inner())
}

/// A uniform draw in `[0, 1)` from the model's generator.
fn uniform(rng: &mut rand_pcg::Pcg64Mcg) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// Fisher–Yates with the model's generator.
fn shuffle(order: &mut [usize], rng: &mut rand_pcg::Pcg64Mcg) {
    for i in (1..order.len()).rev() {
        let j = (uniform(rng) * (i + 1) as f64) as usize;
        order.swap(i, j.min(i));
    }
}

/// Settings out of range.
pub(super) fn problems(cfg: &FastTextConfig) -> Vec<ModelError> {
    let mut out: Vec<ModelError> = check_positive("lr", cfg.lr).err().into_iter().collect();
    if cfg.dim == 0 {
        out.push(ModelError::InvalidParam {
            param: "dim",
            message: "must be at least 1".into(),
        });
    }
    if cfg.epochs == 0 {
        out.push(ModelError::InvalidParam {
            param: "epochs",
            message: "must be at least 1".into(),
        });
    }
    if !(1..=MAX_THREADS).contains(&cfg.threads) {
        out.push(ModelError::InvalidParam {
            param: "threads",
            message: format!("must be from 1 to {MAX_THREADS}"),
        });
    }
    out
}

/// The weighted average of the embedding rows `cols` (weights `values`) and of the
/// end-of-text row (the last one, weight 1), into `hidden`; returns the weights' sum.
fn average<W: Weights + ?Sized>(
    input: &W,
    dim: usize,
    cols: &[u32],
    values: &[f32],
    hidden: &mut [f32],
) -> f32 {
    let norm = values.iter().filter(|v| **v > 0.0).sum::<f32>() + 1.0;
    hidden.iter_mut().for_each(|h| *h = 0.0);
    for (row, v) in rows_of(cols, values, input.len() / dim - 1) {
        input.add_row_to(row * dim, v / norm, hidden);
    }
    norm
}

/// An example's embedding rows with a positive weight, then the end-of-text row `eos`
/// (weight 1): `(row, weight)`.
fn rows_of<'a>(
    cols: &'a [u32],
    values: &'a [f32],
    eos: usize,
) -> impl Iterator<Item = (usize, f32)> + 'a {
    let example = cols.iter().map(|&c| c as usize).zip(values.iter().copied());
    example.chain([(eos, 1.0)]).filter(|(_, v)| *v > 0.0)
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum()
}

impl FastTextModel {
    /// The class scores (before the softmax), `n_rows × n_classes` row-major; a text with
    /// no known feature scores what the end-of-text token alone gives (the learned prior).
    pub fn decision(&self, x: &CsrMatrix) -> Vec<f64> {
        let (k, dim) = (self.classes.len(), self.dim);
        let mut out = vec![0.0; x.n_rows * k];
        let mut hidden = vec![0f32; dim];
        let (mut cols, mut values) = (Vec::new(), Vec::new());
        for i in 0..x.n_rows {
            let (idx, data) = x.row(i);
            cols.clear();
            values.clear();
            for (j, v) in idx.iter().zip(data) {
                if let Ok(at) = self.columns.binary_search(j) {
                    cols.push(at as u32);
                    values.push(*v);
                }
            }
            average(&self.input[..], dim, &cols, &values, &mut hidden);
            for c in 0..k {
                out[i * k + c] = dot(&self.output[c * dim..(c + 1) * dim], &hidden);
            }
        }
        out
    }

    /// Class probabilities (the softmax of [`FastTextModel::decision`]).
    pub fn predict_proba(&self, x: &CsrMatrix) -> Vec<f64> {
        let mut p = self.decision(x);
        softmax_rows(&mut p, self.classes.len());
        p
    }
}

/// `f32` arrays saved as base64 of their little-endian bytes: exact, and a quarter the
/// size of JSON numbers (a model holds millions of them).
mod floats {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)?;
        if !bytes.len().is_multiple_of(4) {
            return Err(serde::de::Error::custom(
                "float array: length not a multiple of 4",
            ));
        }
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two classes told apart by which of two words a text has, plus a shared word.
    fn separable() -> (CsrMatrix, Vec<usize>, Vec<String>) {
        let mut x = CsrMatrix::empty(3);
        let mut y = Vec::new();
        for i in 0..40 {
            let class = i % 2;
            x.push_row([(class as u32, 1.0), (2, 1.0)]);
            y.push(class);
        }
        (x, y, vec!["a".into(), "b".into()])
    }

    /// One thread and hogwild threads (three; and more threads than examples, one example
    /// each) all learn the task: every example is seen `epochs` times in all, and the rate
    /// decays over all threads' examples.
    #[test]
    fn a_tiny_model_learns_a_separable_task_with_one_thread_or_many() {
        let (x, y, classes) = separable();
        for threads in [1, 3, 64] {
            let cfg = FastTextConfig {
                dim: 4,
                lr: 0.5,
                epochs: 20,
                threads,
                ..Default::default()
            };
            let (m, info) = fit(&cfg, &x, &y, &classes, &AtomicBool::new(false)).unwrap();
            assert_eq!((info.iterations, info.evaluations), (20, 20 * 40));
            let p = m.predict_proba(&x);
            for (i, &c) in y.iter().enumerate() {
                assert!(
                    p[i * 2 + c] > 0.9,
                    "{threads} threads, row {i}: {:?}",
                    &p[i * 2..i * 2 + 2]
                );
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_model_and_another_seed_another() {
        let (x, y, classes) = separable();
        let stop = AtomicBool::new(false);
        let cfg = FastTextConfig {
            dim: 3,
            ..Default::default()
        };
        let (a, _) = fit(&cfg, &x, &y, &classes, &stop).unwrap();
        let (b, _) = fit(&cfg, &x, &y, &classes, &stop).unwrap();
        assert_eq!(a.input, b.input);
        assert_eq!(a.output, b.output);
        let other = FastTextConfig { seed: 1, ..cfg };
        let (c, _) = fit(&other, &x, &y, &classes, &stop).unwrap();
        assert_ne!(a.input, c.input);
    }

    /// Two steps on one example, against the updates written out by hand. The example has
    /// two features of weights 1 and 3, and the end-of-text token of weight 1. Step 1 (lr):
    /// the output layer is zero, so the softmax is uniform, output row c becomes
    /// lr·(target − 1/2)·h, and the embeddings do not move. Step 2 (lr/2, the schedule
    /// halfway): the softmax of those rows, and the hidden gradient (through the rows
    /// before their step) shared by the three embeddings by their weights, 1/5, 3/5, 1/5.
    #[test]
    fn two_steps_match_the_hand_computed_updates() {
        let mut x = CsrMatrix::empty(2);
        x.push_row([(0u32, 1.0f32), (1, 3.0)]);
        let classes = vec!["a".to_string(), "b".to_string()];
        let cfg = FastTextConfig {
            dim: 2,
            lr: 0.4,
            epochs: 2,
            seed: 7,
            ..Default::default()
        };
        let (m, _) = fit(&cfg, &x, &[1], &classes, &AtomicBool::new(false)).unwrap();
        // The initial embeddings, drawn as `fit` draws them (one row: no shuffle draws).
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let mut u = || (rng.next_u64() >> 11) as f64 / 9_007_199_254_740_992.0;
        let e: Vec<f64> = (0..6)
            .map(|_| f64::from(((u() * 2.0 - 1.0) * 0.5) as f32))
            .collect();
        let h = [
            (e[0] + 3.0 * e[2] + e[4]) / 5.0,
            (e[1] + 3.0 * e[3] + e[5]) / 5.0,
        ];
        // Step 1.
        let a1 = [0.4 * (0.0 - 0.5), 0.4 * (1.0 - 0.5)];
        let o1 = [a1[0] * h[0], a1[0] * h[1], a1[1] * h[0], a1[1] * h[1]];
        // Step 2.
        let s = [o1[0] * h[0] + o1[1] * h[1], o1[2] * h[0] + o1[3] * h[1]];
        let z = s[0].exp() + s[1].exp();
        let p = [s[0].exp() / z, s[1].exp() / z];
        let a2 = [0.2 * (0.0 - p[0]), 0.2 * (1.0 - p[1])];
        let g = [a2[0] * o1[0] + a2[1] * o1[2], a2[0] * o1[1] + a2[1] * o1[3]];
        let o2 = [
            o1[0] + a2[0] * h[0],
            o1[1] + a2[0] * h[1],
            o1[2] + a2[1] * h[0],
            o1[3] + a2[1] * h[1],
        ];
        let e2 = [
            e[0] + 0.2 * g[0],
            e[1] + 0.2 * g[1],
            e[2] + 0.6 * g[0],
            e[3] + 0.6 * g[1],
            e[4] + 0.2 * g[0],
            e[5] + 0.2 * g[1],
        ];
        for (got, want) in m.output.iter().zip(o2) {
            assert!(
                (f64::from(*got) - want).abs() < 1e-6,
                "{:?} vs {o2:?}",
                m.output
            );
        }
        for (got, want) in m.input.iter().zip(e2) {
            assert!(
                (f64::from(*got) - want).abs() < 1e-6,
                "{:?} vs {e2:?}",
                m.input
            );
        }
        assert!(
            g.iter().any(|v| v.abs() > 1e-6),
            "step 2 moved the embeddings"
        );
    }

    #[test]
    fn unknown_features_score_the_prior_and_the_model_saves_exactly() {
        let (x, y, classes) = separable();
        let (m, _) = fit(
            &FastTextConfig {
                dim: 3,
                ..Default::default()
            },
            &x,
            &y,
            &classes,
            &AtomicBool::new(false),
        )
        .unwrap();
        // A text of unseen features scores what an empty text does: the end-of-text
        // token's prior.
        let mut unseen = CsrMatrix::empty(10);
        unseen.push_row([(9u32, 1.0f32)]);
        let mut empty = CsrMatrix::empty(10);
        empty.push_row(std::iter::empty());
        assert_eq!(m.decision(&unseen), m.decision(&empty));
        assert_eq!(m.input.len(), (m.columns.len() + 1) * m.dim);
        let text = serde_json::to_string(&m).unwrap();
        let back: FastTextModel = serde_json::from_str(&text).unwrap();
        assert_eq!(back.input, m.input);
        assert_eq!(back.output, m.output);
        assert_eq!(back.decision(&x), m.decision(&x));
    }

    #[test]
    fn settings_out_of_range_are_named() {
        let cfg = FastTextConfig {
            dim: 0,
            lr: -1.0,
            epochs: 0,
            threads: 0,
            ..Default::default()
        };
        let names: Vec<String> = problems(&cfg).iter().map(|p| p.to_string()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(names.iter().any(|n| n.contains("lr")));
        assert!(names.iter().any(|n| n.contains("dim")));
        assert!(names.iter().any(|n| n.contains("epochs")));
        assert!(names.iter().any(|n| n.contains("threads")));
    }

    /// A raised stop flag ends every thread's training.
    #[test]
    fn hogwild_threads_stop_when_asked() {
        let (x, y, classes) = separable();
        let cfg = FastTextConfig {
            threads: 2,
            ..Default::default()
        };
        let got = fit(&cfg, &x, &y, &classes, &AtomicBool::new(true));
        assert!(matches!(got, Err(ModelError::Stopped)), "{got:?}");
    }
}
