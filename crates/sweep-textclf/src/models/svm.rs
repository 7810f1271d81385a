use super::linear::{LinearModel, ProbaKind};
use super::{ClassWeight, FitInfo, ModelError, check_positive};
use rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use sweep_features::CsrMatrix;

/// Linear SVM with the squared hinge loss and L2 penalty, one-vs-rest, solved in the dual
/// by coordinate descent with shrinking (liblinear's `L2R_L2LOSS_SVC_DUAL`, which is what
/// scikit-learn's `LinearSVC` runs). As in liblinear, the intercept is a constant feature
/// of value 1 and is regularised with the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinearSvmConfig {
    pub c: f64,
    pub max_iter: usize,
    /// Stop when the spread of projected gradients is at most this.
    pub tol: f64,
    pub class_weight: ClassWeight,
    /// Seed of the coordinate order.
    pub seed: u64,
}

impl Default for LinearSvmConfig {
    fn default() -> Self {
        LinearSvmConfig {
            c: 1.0,
            max_iter: 1000,
            tol: 1e-4,
            class_weight: ClassWeight::None,
            seed: 0,
        }
    }
}

pub(super) fn fit(
    cfg: &LinearSvmConfig,
    x: &CsrMatrix,
    y: &[usize],
    classes: &[String],
    stop: &AtomicBool,
) -> Result<(LinearModel, FitInfo), ModelError> {
    check_positive("c", cfg.c)?;
    check_positive("tol", cfg.tol)?;
    let cw = cfg.class_weight.resolve(y, classes)?;
    let k = classes.len();
    let d = x.n_cols;
    // Squared norms of the rows (plus the bias feature), computed once.
    let sq: Vec<f64> = (0..x.n_rows)
        .map(|i| {
            x.row(i)
                .1
                .iter()
                .map(|v| (*v as f64) * (*v as f64))
                .sum::<f64>()
                + 1.0
        })
        .collect();
    let targets: Vec<usize> = if k == 2 { vec![1] } else { (0..k).collect() };
    let fits: Vec<(Vec<f64>, f64, usize, bool)> = targets
        .par_iter()
        .map(|&class| {
            let signs: Vec<f64> = y
                .iter()
                .map(|&c| if c == class { 1.0 } else { -1.0 })
                .collect();
            // Per-sample C: class weight of the sample's own class, as liblinear.
            let cs: Vec<f64> = y.iter().map(|&c| cfg.c * cw[c]).collect();
            solve_dual(x, &signs, &cs, &sq, cfg, cfg.seed ^ class as u64, stop)
        })
        .collect();
    if stop.load(Ordering::Relaxed) {
        return Err(ModelError::Stopped);
    }
    let mut weights = Vec::with_capacity(targets.len() * d);
    let mut intercepts = Vec::with_capacity(targets.len());
    let mut iterations = 0;
    let mut converged = true;
    for (w, b, it, conv) in fits {
        weights.extend(w);
        intercepts.push(b);
        iterations = iterations.max(it);
        converged &= conv;
    }
    Ok((
        LinearModel {
            classes: classes.to_vec(),
            n_features: d,
            columns: None,
            weights,
            intercepts,
            proba: ProbaKind::None,
        },
        FitInfo {
            iterations,
            evaluations: 0,
            converged,
        },
    ))
}

/// Dual coordinate descent for one binary problem with labels `signs` (±1).
fn solve_dual(
    x: &CsrMatrix,
    signs: &[f64],
    cs: &[f64],
    sq: &[f64],
    cfg: &LinearSvmConfig,
    seed: u64,
    stop: &AtomicBool,
) -> (Vec<f64>, f64, usize, bool) {
    let (eps, max_iter) = (cfg.tol, cfg.max_iter);
    let n = x.n_rows;
    let mut w = vec![0.0; x.n_cols];
    let mut bias = 0.0;
    let mut alpha = vec![0.0; n];
    let diag: Vec<f64> = cs.iter().map(|c| 0.5 / c).collect();
    let qd: Vec<f64> = sq.iter().zip(&diag).map(|(s, d)| s + d).collect();
    let mut index: Vec<usize> = (0..n).collect();
    let mut active = n;
    // Upper bound of the projected gradient for shrinking (with the squared hinge, alpha
    // has no upper bound, so only the lower side shrinks).
    let mut pg_max_old = f64::INFINITY;
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let mut iter = 0;
    let mut converged = false;
    while iter < max_iter && !stop.load(Ordering::Relaxed) {
        let mut pg_max_new = f64::NEG_INFINITY;
        let mut pg_min_new = f64::INFINITY;
        for i in 0..active {
            let j = i + (rng.next_u64() % (active - i) as u64) as usize;
            index.swap(i, j);
        }
        let mut s = 0;
        while s < active {
            let i = index[s];
            let yi = signs[i];
            let (cols, vals) = x.row(i);
            let mut dotp = bias;
            for (&j, &v) in cols.iter().zip(vals) {
                dotp += w[j as usize] * v as f64;
            }
            let g = yi * dotp - 1.0 + diag[i] * alpha[i];
            let mut pg = 0.0;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g < 0.0 {
                    pg = g;
                }
            } else {
                pg = g;
            }
            pg_max_new = pg_max_new.max(pg);
            pg_min_new = pg_min_new.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (alpha[i] - g / qd[i]).max(0.0);
                let delta = (alpha[i] - old) * yi;
                for (&j, &v) in cols.iter().zip(vals) {
                    w[j as usize] += delta * v as f64;
                }
                bias += delta;
            }
            s += 1;
        }
        iter += 1;
        if pg_max_new - pg_min_new <= eps {
            if active == n {
                converged = true;
                break;
            }
            active = n;
            pg_max_old = f64::INFINITY;
            continue;
        }
        pg_max_old = if pg_max_new <= 0.0 {
            f64::INFINITY
        } else {
            pg_max_new
        };
    }
    (w, bias, iter, converged)
}
