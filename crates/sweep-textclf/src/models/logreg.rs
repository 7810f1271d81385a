use super::linear::{LinearModel, ProbaKind, sigmoid};
use super::{ClassWeight, FitInfo, ModelError, check_positive, lbfgs};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

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
        buffers
            .par_iter_mut()
            .zip(chunks.par_iter())
            .for_each(|((loss, g), &(start, end))| {
                g.iter_mut().for_each(|x| *x = 0.0);
                *loss = 0.0;
                let mut z = vec![0.0; v];
                let mut coef = vec![0.0; v];
                for i in start..end {
                    let (cols, vals) = x.row(i);
                    z.copy_from_slice(b);
                    for (&j, &val) in cols.iter().zip(vals) {
                        let wj = &w[j as usize * v..j as usize * v + v];
                        let val = val as f64;
                        for (zc, wc) in z.iter_mut().zip(wj) {
                            *zc += wc * val;
                        }
                    }
                    let wi = sw[i];
                    if v == 1 {
                        let yi = if y[i] == 1 { 1.0 } else { -1.0 };
                        let m = yi * z[0];
                        // log(1 + exp(-m)), stably.
                        *loss += wi
                            * if m > 0.0 {
                                (-m).exp().ln_1p()
                            } else {
                                -m + m.exp().ln_1p()
                            };
                        coef[0] = wi * -yi * sigmoid(-m);
                    } else {
                        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let mut sum = 0.0;
                        for (cc, zc) in coef.iter_mut().zip(&z) {
                            *cc = (zc - max).exp();
                            sum += *cc;
                        }
                        *loss += wi * (max + sum.ln() - z[y[i]]);
                        let scale = wi / sum;
                        for cc in coef.iter_mut() {
                            *cc *= scale;
                        }
                        coef[y[i]] -= wi;
                    }
                    for (&j, &val) in cols.iter().zip(vals) {
                        let gj = &mut g[j as usize * v..j as usize * v + v];
                        let val = val as f64;
                        for (gc, cc) in gj.iter_mut().zip(&coef) {
                            *gc += cc * val;
                        }
                    }
                    for (gb, cc) in g[v * d..].iter_mut().zip(&coef) {
                        *gb += cc;
                    }
                }
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
    let result = lbfgs::minimize(&mut params, objective, cfg.tol, cfg.max_iter, LBFGS_MEMORY);
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
