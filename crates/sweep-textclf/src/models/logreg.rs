use super::linear::{LinearModel, ProbaKind};
use super::{ClassWeight, FitInfo, ModelError, check_positive, lbfgs};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::AtomicBool;

/// Correction pairs kept by L-BFGS (scipy's default, which scikit-learn uses).
const LBFGS_MEMORY: usize = 10;
use sweep_features::CsrMatrix;

/// L2-regularised logistic regression: multinomial for more than two classes, a single
/// sigmoid for two (as scikit-learn's `LogisticRegression` with lbfgs). The objective is
/// `mean_i(w_i · loss_i) + ||W||² / (2·C·Σw)`; the intercept is not penalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogisticRegressionConfig {
    /// Inverse regularisation strength.
    pub c: f64,
    pub max_iter: usize,
    /// Stop when the largest gradient component is at most this.
    pub tol: f64,
    pub class_weight: ClassWeight,
    pub fit_intercept: bool,
}

impl Default for LogisticRegressionConfig {
    fn default() -> Self {
        LogisticRegressionConfig {
            c: 1.0,
            max_iter: 1000,
            tol: 1e-4,
            class_weight: ClassWeight::None,
            fit_intercept: true,
        }
    }
}

pub(super) fn fit(
    cfg: &LogisticRegressionConfig,
    x: &CsrMatrix,
    y: &[usize],
    classes: &[String],
    stop: &AtomicBool,
) -> Result<(LinearModel, FitInfo), ModelError> {
    check_positive("c", cfg.c)?;
    check_positive("tol", cfg.tol)?;
    let cw = cfg.class_weight.resolve(y, classes)?;
    let sw: Vec<f64> = y.iter().map(|&c| cw[c]).collect();
    let sw_sum: f64 = sw.iter().sum();
    let k = classes.len();
    let d = x.n_cols;
    let v = if k == 2 { 1 } else { k };
    let reg = 1.0 / (cfg.c * sw_sum);
    // Feature-major layout while solving: the `v` weights of feature j are contiguous
    // (`params[j·v + c]`), so each non-zero touches one short run of memory.
    let mut params = vec![0.0; v * d + v];
    let n = x.n_rows;
    let parts = (rayon::current_num_threads() * 2).max(1);
    let chunk = n.div_ceil(parts).max(256);
    let chunks: Vec<(usize, usize)> = (0..n)
        .step_by(chunk)
        .map(|s| (s, (s + chunk).min(n)))
        .collect();
    let fit_intercept = cfg.fit_intercept;
    // One gradient buffer per chunk, reused across evaluations (no page faults per call).
    let mut buffers: Vec<(f64, Vec<f64>)> =
        chunks.iter().map(|_| (0.0, vec![0.0; v * d + v])).collect();
    let objective = |p: &[f64], grad: &mut [f64]| -> f64 {
        let (w, b) = p.split_at(v * d);
        let data = Batch {
            x,
            y,
            sw: &sw,
            w,
            b,
            d,
        };
        buffers
            .par_iter_mut()
            .zip(chunks.par_iter())
            .for_each(|((loss, g), &(start, end))| {
                g.iter_mut().for_each(|x| *x = 0.0);
                *loss = match v {
                    1 => data.binary(start, end, g),
                    3 => data.multinomial::<3>(start, end, g),
                    4 => data.multinomial::<4>(start, end, g),
                    5 => data.multinomial::<5>(start, end, g),
                    6 => data.multinomial::<6>(start, end, g),
                    7 => data.multinomial::<7>(start, end, g),
                    8 => data.multinomial::<8>(start, end, g),
                    _ => data.multinomial_any(v, start, end, g),
                };
            });
        let partials = &buffers;
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut loss = 0.0;
        for (l, g) in partials {
            loss += *l;
            for (a, b) in grad.iter_mut().zip(g) {
                *a += b;
            }
        }
        loss /= sw_sum;
        grad.iter_mut().for_each(|g| *g /= sw_sum);
        let penalty = lbfgs::dot(w, w);
        for (gj, wj) in grad[..v * d].iter_mut().zip(w) {
            *gj += reg * wj;
        }
        if !fit_intercept {
            grad[v * d..].iter_mut().for_each(|g| *g = 0.0);
        }
        loss + 0.5 * reg * penalty
    };
    let result = lbfgs::minimize(
        &mut params,
        objective,
        cfg.tol,
        cfg.max_iter,
        LBFGS_MEMORY,
        stop,
    );
    if result.stopped {
        return Err(ModelError::Stopped);
    }
    let intercepts = params.split_off(v * d);
    // Back to the class-major layout of `LinearModel`.
    let mut weights = vec![0.0; v * d];
    for j in 0..d {
        for c in 0..v {
            weights[c * d + j] = params[j * v + c];
        }
    }
    let params = weights;
    Ok((
        LinearModel {
            classes: classes.to_vec(),
            n_features: d,
            columns: None,
            weights: params,
            intercepts,
            proba: if v == 1 {
                ProbaKind::Sigmoid
            } else {
                ProbaKind::Softmax
            },
        },
        FitInfo {
            iterations: result.iterations,
            evaluations: result.evaluations,
            converged: result.converged,
        },
    ))
}

/// What one evaluation of the objective reads.
struct Batch<'a> {
    x: &'a CsrMatrix,
    y: &'a [usize],
    sw: &'a [f64],
    /// Feature-major weights: the weights of feature j are `w[j·v..(j+1)·v]`.
    w: &'a [f64],
    b: &'a [f64],
    d: usize,
}

impl Batch<'_> {
    /// Binary logistic loss of rows `start..end`; adds the gradient into `g`.
    fn binary(&self, start: usize, end: usize, g: &mut [f64]) -> f64 {
        let mut loss = 0.0;
        for i in start..end {
            let (cols, vals) = self.x.row(i);
            let mut s = self.b[0];
            for (&j, &val) in cols.iter().zip(vals) {
                s += self.w[j as usize] * val as f64;
            }
            let yi = if self.y[i] == 1 { 1.0 } else { -1.0 };
            let m = yi * s;
            // log(1 + exp(-m)) and sigmoid(-m) from one exponential, stably.
            let e = (-m.abs()).exp();
            loss += self.sw[i] * ((-m).max(0.0) + e.ln_1p());
            let sig = if m > 0.0 {
                e / (1.0 + e)
            } else {
                1.0 / (1.0 + e)
            };
            let c = self.sw[i] * -yi * sig;
            for (&j, &val) in cols.iter().zip(vals) {
                g[j as usize] += c * val as f64;
            }
            g[self.d] += c;
        }
        loss
    }

    /// Multinomial loss with `V` classes (a compile-time count, so the per-feature loops
    /// over classes unroll).
    fn multinomial<const V: usize>(&self, start: usize, end: usize, g: &mut [f64]) -> f64 {
        let mut loss = 0.0;
        let (gw, gb) = g.split_at_mut(V * self.d);
        for i in start..end {
            let (cols, vals) = self.x.row(i);
            let mut z = [0.0; V];
            z.copy_from_slice(&self.b[..V]);
            for (&j, &val) in cols.iter().zip(vals) {
                let j = j as usize * V;
                let wj: &[f64; V] = match self.w.get(j..j + V).and_then(|s| s.try_into().ok()) {
                    Some(a) => a,
                    None => continue,
                };
                let val = val as f64;
                for c in 0..V {
                    z[c] += wj[c] * val;
                }
            }
            softmax_coef(&mut z, self.y[i], self.sw[i], &mut loss);
            let coef = z;
            for (&j, &val) in cols.iter().zip(vals) {
                let j = j as usize * V;
                let Some(gj) = gw.get_mut(j..j + V) else {
                    continue;
                };
                let val = val as f64;
                for c in 0..V {
                    gj[c] += coef[c] * val;
                }
            }
            for c in 0..V {
                gb[c] += coef[c];
            }
        }
        loss
    }

    /// Multinomial loss for any number of classes.
    fn multinomial_any(&self, v: usize, start: usize, end: usize, g: &mut [f64]) -> f64 {
        let mut loss = 0.0;
        let (gw, gb) = g.split_at_mut(v * self.d);
        let mut z = vec![0.0; v];
        for i in start..end {
            let (cols, vals) = self.x.row(i);
            z.copy_from_slice(&self.b[..v]);
            for (&j, &val) in cols.iter().zip(vals) {
                let wj = &self.w[j as usize * v..j as usize * v + v];
                for (zc, wc) in z.iter_mut().zip(wj) {
                    *zc += wc * val as f64;
                }
            }
            softmax_coef(&mut z, self.y[i], self.sw[i], &mut loss);
            let coef = &z;
            for (&j, &val) in cols.iter().zip(vals) {
                let gj = &mut gw[j as usize * v..j as usize * v + v];
                for (gc, cc) in gj.iter_mut().zip(coef.iter()) {
                    *gc += cc * val as f64;
                }
            }
            for (gc, cc) in gb.iter_mut().zip(coef.iter()) {
                *gc += cc;
            }
        }
        loss
    }
}

/// Turns the scores `z` of one row into the gradient coefficients `w·(p − onehot(y))`, in
/// place, and adds the row's weighted cross-entropy to `loss`.
fn softmax_coef(zs: &mut [f64], y: usize, weight: f64, loss: &mut f64) {
    let max = zs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let zy = zs[y];
    let mut sum = 0.0;
    for zc in zs.iter_mut() {
        *zc = (*zc - max).exp();
        sum += *zc;
    }
    *loss += weight * (max + sum.ln() - zy);
    let scale = weight / sum;
    for zc in zs.iter_mut() {
        *zc *= scale;
    }
    zs[y] -= weight;
}
