use super::linear::{LinearModel, ProbaKind};
use super::{ClassWeight, FitInfo, ModelError, check_positive};
use rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use sweep_features::CsrMatrix;

/// The loss of the SGD classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SgdLoss {
    /// Logistic loss (`log_loss`): gives probabilities.
    #[default]
    #[serde(alias = "log_loss")]
    Log,
    /// Hinge loss: a linear SVM.
    Hinge,
}

/// Linear classifier trained by plain SGD with an L2 penalty, one-vs-rest, as
/// scikit-learn's `SGDClassifier` (learning rate `optimal`: `1 / (alpha · (t0 + t))`,
/// shuffling every epoch, stopping when the epoch loss has not improved by `tol · n` for
/// `n_iter_no_change` epochs). One class per core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SgdConfig {
    pub loss: SgdLoss,
    /// Regularisation strength.
    pub alpha: f64,
    pub max_iter: usize,
    pub tol: f64,
    pub n_iter_no_change: usize,
    pub class_weight: ClassWeight,
    pub seed: u64,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            loss: SgdLoss::Log,
            alpha: 1e-4,
            max_iter: 1000,
            tol: 1e-3,
            n_iter_no_change: 5,
            class_weight: ClassWeight::None,
            seed: 0,
        }
    }
}

/// One binary problem's result: non-zero weights, intercept, epochs, convergence.
type BinaryFit = (Vec<(u32, f64)>, f64, usize, bool);

/// scikit-learn's intercept decay for sparse input.
const INTERCEPT_DECAY: f64 = 0.01;

pub(super) fn fit(
    cfg: &SgdConfig,
    x: &CsrMatrix,
    y: &[usize],
    classes: &[String],
    stop: &AtomicBool,
) -> Result<(LinearModel, FitInfo), ModelError> {
    check_positive("alpha", cfg.alpha)?;
    let cw = cfg.class_weight.resolve(y, classes)?;
    let k = classes.len();
    let targets: Vec<usize> = if k == 2 { vec![1] } else { (0..k).collect() };
    // Hashing spreads a few hundred thousand used columns over 2^20: train on the used
    // columns only, so the weights being updated stay in cache, then map back.
    let n_features = x.n_cols;
    let (compact, used) = compact_columns(x);
    let x = &compact;
    let fits: Vec<BinaryFit> = targets
        .par_iter()
        .map(|&class| {
            let signs: Vec<f64> = y
                .iter()
                .map(|&c| if c == class { 1.0 } else { -1.0 })
                .collect();
            let weights: Vec<f64> = y.iter().map(|&c| cw[c]).collect();
            plain_sgd(
                cfg,
                x,
                &signs,
                &weights,
                cfg.seed.wrapping_add(class as u64),
                stop,
            )
        })
        .collect();
    if stop.load(Ordering::Relaxed) {
        return Err(ModelError::Stopped);
    }
    let d = used.len();
    let mut weights = vec![0.0; targets.len() * d];
    let mut intercepts = Vec::new();
    let mut iterations = 0;
    let mut converged = true;
    for (c, (w, b, it, conv)) in fits.into_iter().enumerate() {
        for (j, value) in w {
            weights[c * d + j as usize] = value;
        }
        intercepts.push(b);
        iterations = iterations.max(it);
        converged &= conv;
    }
    let proba = match cfg.loss {
        SgdLoss::Log => ProbaKind::OvrSigmoid,
        SgdLoss::Hinge => ProbaKind::None,
    };
    Ok((
        LinearModel {
            classes: classes.to_vec(),
            n_features,
            columns: Some(used),
            weights,
            intercepts,
            proba,
        },
        FitInfo {
            iterations,
            evaluations: 0,
            converged,
        },
    ))
}

fn loss_and_dloss(loss: SgdLoss, p: f64, y: f64) -> (f64, f64) {
    let z = p * y;
    match loss {
        SgdLoss::Log => {
            if z > 18.0 {
                ((-z).exp(), -y * (-z).exp())
            } else if z < -18.0 {
                (-z, -y)
            } else {
                // One exponential for both: e = exp(-z).
                let e = (-z).exp();
                (e.ln_1p(), -y * e / (1.0 + e))
            }
        }
        SgdLoss::Hinge => {
            if z <= 1.0 {
                (1.0 - z, -y)
            } else {
                (0.0, 0.0)
            }
        }
    }
}

fn plain_sgd(
    cfg: &SgdConfig,
    x: &CsrMatrix,
    y: &[f64],
    sample_weight: &[f64],
    seed: u64,
    stop: &AtomicBool,
) -> BinaryFit {
    let n = x.n_rows;
    let alpha = cfg.alpha;
    let mut v = vec![0.0; x.n_cols];
    // Hashing features make `v` wide and mostly untouched: remember which entries an update
    // reached, so that the end of the fit touches only those.
    let mut touched = vec![false; x.n_cols];
    let mut wscale = 1.0f64;
    let mut intercept = 0.0;
    let typw = (1.0 / alpha.sqrt()).sqrt();
    let initial_eta0 = typw / loss_and_dloss(cfg.loss, -typw, 1.0).1.max(1.0);
    let optimal_init = 1.0 / (initial_eta0 * alpha);
    let mut t = 1.0f64;
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let mut best_loss = f64::INFINITY;
    let mut no_improvement = 0;
    let mut epochs = 0;
    let mut converged = false;
    for _ in 0..cfg.max_iter {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        epochs += 1;
        for i in (1..n).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let mut sumloss = 0.0;
        for &i in &order {
            let (cols, vals) = x.row(i);
            let mut dotp = 0.0;
            for (&j, &val) in cols.iter().zip(vals) {
                dotp += v[j as usize] * val as f64;
            }
            let p = dotp * wscale + intercept;
            let eta = 1.0 / (alpha * (optimal_init + t - 1.0));
            let (l, dl) = loss_and_dloss(cfg.loss, p, y[i]);
            sumloss += l;
            let update = -eta * dl.clamp(-1e12, 1e12) * sample_weight[i];
            wscale *= (1.0 - eta * alpha).max(0.0);
            if wscale < 1e-9 {
                for (w, t) in v.iter_mut().zip(&touched) {
                    if *t {
                        *w *= wscale;
                    }
                }
                wscale = 1.0;
            }
            if update != 0.0 {
                let step = update / wscale;
                for (&j, &val) in cols.iter().zip(vals) {
                    v[j as usize] += step * val as f64;
                    touched[j as usize] = true;
                }
                intercept += update * INTERCEPT_DECAY;
            }
            t += 1.0;
        }
        if sumloss > best_loss - cfg.tol * n as f64 {
            no_improvement += 1;
        } else {
            no_improvement = 0;
        }
        best_loss = best_loss.min(sumloss);
        if no_improvement >= cfg.n_iter_no_change {
            converged = true;
            break;
        }
    }
    let entries: Vec<(u32, f64)> = touched
        .iter()
        .enumerate()
        .filter(|(_, t)| **t)
        .map(|(j, _)| (j as u32, v[j] * wscale))
        .collect();
    (entries, intercept, epochs, converged)
}

/// The columns of `x` that hold a value, renumbered densely in ascending order (so each
/// row stays sorted): returns the compact matrix and, for each new column, the original.
fn compact_columns(x: &CsrMatrix) -> (CsrMatrix, Vec<u32>) {
    let words = x.n_cols.div_ceil(64);
    let mut seen = vec![0u64; words];
    for &j in &x.indices {
        seen[j as usize / 64] |= 1 << (j % 64);
    }
    // rank[w] = number of used columns before word w.
    let mut rank = Vec::with_capacity(words);
    let mut used = Vec::new();
    for (w, bits) in seen.iter().enumerate() {
        rank.push(used.len() as u32);
        let mut b = *bits;
        while b != 0 {
            used.push((w * 64) as u32 + b.trailing_zeros());
            b &= b - 1;
        }
    }
    let indices = x
        .indices
        .iter()
        .map(|&j| {
            let (w, bit) = (j as usize / 64, j % 64);
            rank[w] + (seen[w] & ((1u64 << bit) - 1)).count_ones()
        })
        .collect();
    let compact = CsrMatrix {
        n_rows: x.n_rows,
        n_cols: used.len(),
        indptr: x.indptr.clone(),
        indices,
        data: x.data.clone(),
    };
    (compact, used)
}
