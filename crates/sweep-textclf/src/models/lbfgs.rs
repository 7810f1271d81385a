//! Limited-memory BFGS for smooth convex objectives (the logistic regression solver).

use std::sync::atomic::{AtomicBool, Ordering};

/// Outcome of a minimisation.
pub struct LbfgsResult {
    pub iterations: usize,
    /// Objective evaluations, line searches included.
    pub evaluations: usize,
    pub converged: bool,
    /// The stop flag was seen set: the result is unfinished.
    pub stopped: bool,
}

/// Minimises `f` from `x` in place. `f(x, grad)` returns the objective and writes the
/// gradient. Stops when the largest gradient component is ≤ `gtol` (scikit-learn's `tol`
/// for lbfgs), when the objective stops decreasing relative to its size, or after
/// `max_iter` iterations, or (`stopped`) when `stop` is seen set at an iteration's start.
pub fn minimize(
    x: &mut [f64],
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    gtol: f64,
    max_iter: usize,
    memory: usize,
    stop: &AtomicBool,
) -> LbfgsResult {
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut fx = f(x, &mut g);
    let mut evals = 1usize;
    let mut s_hist: Vec<Vec<f64>> = Vec::with_capacity(memory);
    let mut y_hist: Vec<Vec<f64>> = Vec::with_capacity(memory);
    let mut rho: Vec<f64> = Vec::with_capacity(memory);
    let mut d = vec![0.0; n];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let mut alpha = vec![0.0; memory];
    for iter in 0..max_iter {
        if max_abs(&g) <= gtol {
            return LbfgsResult {
                iterations: iter,
                evaluations: evals,
                converged: true,
                stopped: false,
            };
        }
        if stop.load(Ordering::Relaxed) {
            return LbfgsResult {
                iterations: iter,
                evaluations: evals,
                converged: false,
                stopped: true,
            };
        }
        // Two-loop recursion: d = -H g.
        d.copy_from_slice(&g);
        for k in (0..s_hist.len()).rev() {
            alpha[k] = rho[k] * dot(&s_hist[k], &d);
            axpy(-alpha[k], &y_hist[k], &mut d);
        }
        if let (Some(s), Some(y)) = (s_hist.last(), y_hist.last()) {
            let gamma = dot(s, y) / dot(y, y);
            d.iter_mut().for_each(|v| *v *= gamma);
        } else {
            // First step: a unit-length move along the steepest descent.
            let norm = dot(&g, &g).sqrt().max(1e-12);
            d.iter_mut().for_each(|v| *v /= norm);
        }
        for k in 0..s_hist.len() {
            let beta = rho[k] * dot(&y_hist[k], &d);
            axpy(alpha[k] - beta, &s_hist[k], &mut d);
        }
        d.iter_mut().for_each(|v| *v = -*v);
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            rho.clear();
            for (di, gi) in d.iter_mut().zip(&g) {
                *di = -gi;
            }
            slope = -dot(&g, &g);
        }
        // Backtracking line search with the Armijo condition.
        let mut step = 1.0;
        let mut accepted = false;
        let mut f_new = fx;
        for _ in 0..40 {
            for i in 0..n {
                x_new[i] = x[i] + step * d[i];
            }
            f_new = f(&x_new, &mut g_new);
            evals += 1;
            if f_new.is_finite() && f_new <= fx + 1e-4 * step * slope {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            return LbfgsResult {
                iterations: iter,
                evaluations: evals,
                converged: max_abs(&g) <= gtol * 10.0,
                stopped: false,
            };
        }
        // Reuse the oldest pair's buffers once the memory is full.
        let (mut s, mut y) = if s_hist.len() == memory {
            rho.remove(0);
            (s_hist.remove(0), y_hist.remove(0))
        } else {
            (vec![0.0; n], vec![0.0; n])
        };
        for i in 0..n {
            s[i] = x_new[i] - x[i];
            y[i] = g_new[i] - g[i];
        }
        let sy = dot(&s, &y);
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        let f_old = fx;
        fx = f_new;
        if sy > 1e-12 {
            s_hist.push(s);
            y_hist.push(y);
            rho.push(1.0 / sy);
        }
        // scipy's ftol criterion with scikit-learn's setting (64 machine epsilons).
        if (f_old - fx) <= 64.0 * f64::EPSILON * f_old.abs().max(fx.abs()).max(1.0) {
            return LbfgsResult {
                iterations: iter + 1,
                evaluations: evals,
                converged: true,
                stopped: false,
            };
        }
    }
    LbfgsResult {
        iterations: max_iter,
        evaluations: evals,
        converged: max_abs(&g) <= gtol,
        stopped: false,
    }
}

/// Dot product: [`sweep_core::num::dot`] (eight independent accumulators), over the cores
/// for long vectors.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    if a.len() >= PAR_MIN {
        use rayon::prelude::*;
        return a
            .par_chunks(PAR_MIN / 2)
            .zip(b.par_chunks(PAR_MIN / 2))
            .map(|(x, y)| sweep_core::num::dot(x, y))
            .sum();
    }
    sweep_core::num::dot(a, b)
}

/// Vectors at least this long are split over the cores.
const PAR_MIN: usize = 1 << 16;

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    fn serial(a: f64, x: &[f64], y: &mut [f64]) {
        for (yi, xi) in y.iter_mut().zip(x) {
            *yi += a * xi;
        }
    }
    if x.len() >= PAR_MIN {
        use rayon::prelude::*;
        y.par_chunks_mut(PAR_MIN / 2)
            .zip(x.par_chunks(PAR_MIN / 2))
            .for_each(|(yc, xc)| serial(a, xc, yc));
    } else {
        serial(a, x, y);
    }
}

fn max_abs(v: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = v.chunks_exact(8);
    let tail = chunks
        .remainder()
        .iter()
        .fold(0.0f64, |m, x| m.max(x.abs()));
    for c in chunks {
        for k in 0..8 {
            acc[k] = acc[k].max(c[k].abs());
        }
    }
    acc.iter().fold(tail, |m, x| m.max(*x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_a_badly_scaled_quadratic() {
        // f = sum_i c_i (x_i - i)^2 with condition number 1e4.
        let c: Vec<f64> = (0..20).map(|i| 10f64.powf(i as f64 / 5.0)).collect();
        let mut x = vec![0.0; 20];
        let r = minimize(
            &mut x,
            |x, g| {
                let mut f = 0.0;
                for i in 0..20 {
                    let d = x[i] - i as f64;
                    f += c[i] * d * d;
                    g[i] = 2.0 * c[i] * d;
                }
                f
            },
            1e-8,
            1000,
            10,
            &AtomicBool::new(false),
        );
        assert!(r.converged);
        for (i, xi) in x.iter().enumerate() {
            assert!((xi - i as f64).abs() < 1e-5, "x[{i}] = {xi}");
        }
    }
}
