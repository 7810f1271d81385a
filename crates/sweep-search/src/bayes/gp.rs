//! A Gaussian process with a Matérn 5/2 kernel, one length scale per coordinate (ARD),
//! fitted by maximum a posteriori: log marginal likelihood plus log-normal priors on the
//! length scales, the signal variance and the noise variance, maximised with Nelder–Mead
//! in log space from two starts.
//!
//! Categorical coordinates enter the distance as `[a != b] / l²` (a Hamming kernel under
//! the Matérn shape); the others as `((a - b) / l)²`. Targets are standardised by the
//! caller.

/// Bounds of the log parameters: length scales, signal variance, noise variance.
const LN_LS: (f64, f64) = (-4.6, 3.0); // 0.01 .. 20
const LN_SIGNAL: (f64, f64) = (-4.6, 2.3); // 0.01 .. 10
const LN_NOISE: (f64, f64) = (-16.1, 0.0); // 1e-7 .. 1
/// Priors (mean, sd) of the log parameters.
const PRIOR_LS: (f64, f64) = (-0.7, 1.0); // median length scale 0.5
const PRIOR_SIGNAL: (f64, f64) = (0.0, 1.0);
const PRIOR_NOISE: (f64, f64) = (-9.2, 2.0); // median 1e-4
/// Added to the diagonal for numerical stability.
const JITTER: f64 = 1e-8;
const SQRT5: f64 = 2.236_067_977_499_79;

#[derive(Debug, Clone)]
pub(crate) struct Hyper {
    /// Inverse squared length scales.
    pub inv_ls2: Vec<f64>,
    pub signal: f64,
    pub noise: f64,
}

impl Hyper {
    fn from_theta(theta: &[f64]) -> Hyper {
        let d = theta.len() - 2;
        Hyper {
            inv_ls2: theta[..d].iter().map(|l| (-2.0 * l).exp()).collect(),
            signal: theta[d].exp(),
            noise: theta[d + 1].exp(),
        }
    }
}

/// Squared scaled distance between two points.
#[inline]
fn dist2(a: &[f64], b: &[f64], inv_ls2: &[f64], cat: &[bool]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        let diff = if cat[i] {
            if a[i] == b[i] { 0.0 } else { 1.0 }
        } else {
            let t = a[i] - b[i];
            t * t
        };
        s += diff * inv_ls2[i];
    }
    s
}

#[inline]
fn matern52(r2: f64, signal: f64) -> f64 {
    let r = r2.sqrt();
    signal * (1.0 + SQRT5 * r + 5.0 / 3.0 * r2) * (-SQRT5 * r).exp()
}

/// In-place lower Cholesky factor of a row-major `n × n` matrix; `false` if not positive
/// definite.
fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut s = a[j * n + j];
        for k in 0..j {
            s -= a[j * n + k] * a[j * n + k];
        }
        if s <= 0.0 || !s.is_finite() {
            return false;
        }
        let l = s.sqrt();
        a[j * n + j] = l;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            let (ri, rj) = (i * n, j * n);
            for k in 0..j {
                s -= a[ri + k] * a[rj + k];
            }
            a[i * n + j] = s / l;
        }
    }
    true
}

/// Solves `L v = b` in place (forward substitution).
fn solve_lower(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        let row = &l[i * n..i * n + i];
        for (k, lk) in row.iter().enumerate() {
            s -= lk * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solves `Lᵀ v = b` in place (back substitution).
fn solve_upper_t(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// A fitted process, ready to predict.
pub(crate) struct Gp {
    x: Vec<Vec<f64>>,
    cat: Vec<bool>,
    hyper: Hyper,
    chol: Vec<f64>,
    alpha: Vec<f64>,
}

/// The factor of `K + noise·I` and `K⁻¹ y`, with the log marginal likelihood.
fn factor(x: &[Vec<f64>], y: &[f64], cat: &[bool], h: &Hyper) -> Option<(Vec<f64>, Vec<f64>, f64)> {
    let n = x.len();
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..i {
            let v = matern52(dist2(&x[i], &x[j], &h.inv_ls2, cat), h.signal);
            k[i * n + j] = v;
            k[j * n + i] = v;
        }
        k[i * n + i] = h.signal + h.noise + JITTER;
    }
    if !cholesky(&mut k, n) {
        return None;
    }
    let mut alpha = y.to_vec();
    solve_lower(&k, n, &mut alpha);
    let fit: f64 = alpha.iter().map(|a| a * a).sum();
    let logdet: f64 = (0..n).map(|i| k[i * n + i].ln()).sum();
    let lml = -0.5 * fit - logdet - 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln();
    solve_upper_t(&k, n, &mut alpha);
    Some((k, alpha, lml))
}

fn log_prior(theta: &[f64]) -> f64 {
    let d = theta.len() - 2;
    let g = |x: f64, (m, s): (f64, f64)| -0.5 * ((x - m) / s).powi(2);
    theta[..d].iter().map(|&l| g(l, PRIOR_LS)).sum::<f64>()
        + g(theta[d], PRIOR_SIGNAL)
        + g(theta[d + 1], PRIOR_NOISE)
}

fn clamp_theta(theta: &mut [f64]) {
    let d = theta.len() - 2;
    for l in &mut theta[..d] {
        *l = l.clamp(LN_LS.0, LN_LS.1);
    }
    theta[d] = theta[d].clamp(LN_SIGNAL.0, LN_SIGNAL.1);
    theta[d + 1] = theta[d + 1].clamp(LN_NOISE.0, LN_NOISE.1);
}

/// Minimises `f` with Nelder–Mead from `start` (initial step `step`), at most `max_evals`
/// evaluations.
fn nelder_mead(
    f: &mut dyn FnMut(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    max_evals: usize,
) -> (Vec<f64>, f64) {
    let p = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(p + 1);
    simplex.push((start.to_vec(), f(start)));
    for i in 0..p {
        let mut v = start.to_vec();
        v[i] += step;
        let fv = f(&v);
        simplex.push((v, fv));
    }
    let mut evals = p + 1;
    let cmp = |a: &(Vec<f64>, f64), b: &(Vec<f64>, f64)| a.1.total_cmp(&b.1);
    while evals < max_evals {
        simplex.sort_by(cmp);
        if (simplex[p].1 - simplex[0].1).abs() < 1e-7 {
            break;
        }
        let mut centroid = vec![0.0; p];
        for (v, _) in &simplex[..p] {
            for (c, x) in centroid.iter_mut().zip(v) {
                *c += x / p as f64;
            }
        }
        let along = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[p].0)
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let xr = along(-1.0);
        let fr = f(&xr);
        evals += 1;
        if fr < simplex[0].1 {
            let xe = along(-2.0);
            let fe = f(&xe);
            evals += 1;
            simplex[p] = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < simplex[p - 1].1 {
            simplex[p] = (xr, fr);
        } else {
            let xc = if fr < simplex[p].1 {
                along(-0.5)
            } else {
                along(0.5)
            };
            let fc = f(&xc);
            evals += 1;
            if fc < fr.min(simplex[p].1) {
                simplex[p] = (xc, fc);
            } else {
                let best = simplex[0].0.clone();
                for (v, fv) in simplex.iter_mut().skip(1) {
                    for (x, b) in v.iter_mut().zip(&best) {
                        *x = b + 0.5 * (*x - b);
                    }
                    *fv = f(v);
                    evals += 1;
                }
            }
        }
    }
    simplex.sort_by(cmp);
    simplex.swap_remove(0)
}

impl Gp {
    /// Fits the hyperparameters on `(x, y)` (MAP), then conditions on `(x_post, y_post)`
    /// (the same points plus any pending ones with their lie). `None` if no factorisation
    /// succeeded (which jitter makes practically impossible).
    pub fn fit(
        x: &[Vec<f64>],
        y: &[f64],
        x_post: Vec<Vec<f64>>,
        y_post: &[f64],
        cat: Vec<bool>,
        max_evals: usize,
    ) -> Option<Gp> {
        let d = cat.len();
        let mut objective = |theta: &[f64]| -> f64 {
            let mut t = theta.to_vec();
            clamp_theta(&mut t);
            // A penalty for leaving the box keeps the simplex inside it.
            let out: f64 = theta.iter().zip(&t).map(|(a, b)| (a - b).powi(2)).sum();
            match factor(x, y, &cat, &Hyper::from_theta(&t)) {
                Some((_, _, lml)) => -(lml + log_prior(&t)) + 10.0 * out,
                None => f64::INFINITY,
            }
        };
        let mut best: Option<(Vec<f64>, f64)> = None;
        let mu = PRIOR_LS.0;
        let starts: [(f64, f64); 2] = [(mu - 0.7, PRIOR_NOISE.0), (mu + 0.7, -4.6)];
        for (ls, noise) in starts {
            let mut start = vec![ls; d];
            start.push(0.0);
            start.push(noise);
            let (t, v) = nelder_mead(&mut objective, &start, 0.7, max_evals / 2);
            if best.as_ref().is_none_or(|b| v < b.1) {
                best = Some((t, v));
            }
        }
        let mut theta = best.map(|b| b.0)?;
        clamp_theta(&mut theta);
        let hyper = Hyper::from_theta(&theta);
        let (chol, alpha, _) = factor(&x_post, y_post, &cat, &hyper)?;
        Some(Gp {
            x: x_post,
            cat,
            hyper,
            chol,
            alpha,
        })
    }

    /// Posterior mean and variance of the latent function at `z`; `buf` is scratch space.
    pub fn predict(&self, z: &[f64], buf: &mut Vec<f64>) -> (f64, f64) {
        let n = self.x.len();
        buf.clear();
        buf.extend(self.x.iter().map(|xi| {
            matern52(
                dist2(xi, z, &self.hyper.inv_ls2, &self.cat),
                self.hyper.signal,
            )
        }));
        let mean: f64 = buf.iter().zip(&self.alpha).map(|(k, a)| k * a).sum();
        solve_lower(&self.chol, n, buf);
        let explained: f64 = buf.iter().map(|v| v * v).sum();
        (mean, (self.hyper.signal - explained).max(1e-12))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves() {
        // A = [[4, 2], [2, 3]], b = [2, 1] → x = [0.5, 0].
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        assert!(cholesky(&mut a, 2));
        let mut b = vec![2.0, 1.0];
        solve_lower(&a, 2, &mut b);
        solve_upper_t(&a, 2, &mut b);
        assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12, "{b:?}");
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert!(!cholesky(&mut singular, 2));
    }

    #[test]
    fn gp_interpolates_and_is_uncertain_far_away() {
        let x: Vec<Vec<f64>> = (0..8).map(|i| vec![f64::from(i) / 7.0]).collect();
        let y: Vec<f64> = x.iter().map(|v| (6.0 * v[0]).sin()).collect();
        let gp = Gp::fit(&x, &y, x.clone(), &y, vec![false], 200);
        assert!(gp.is_some());
        let Some(gp) = gp else { return };
        let mut buf = Vec::new();
        let (m, v) = gp.predict(&[3.0 / 7.0], &mut buf);
        assert!((m - y[3]).abs() < 0.05, "{m} vs {}", y[3]);
        let (_, far) = gp.predict(&[5.0], &mut buf);
        assert!(far > 10.0 * v, "{far} vs {v}");
    }
}
