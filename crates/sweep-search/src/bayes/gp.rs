//! A Gaussian process with a Matérn 5/2 kernel, one length scale per coordinate (ARD),
//! fitted by maximum a posteriori: log marginal likelihood plus log-normal priors on the
//! length scales, the signal variance and the noise variance, maximised with Nelder–Mead
//! in log space from two starts.
//!
//! Categorical coordinates enter the distance as `[a != b] / l²` (a Hamming kernel under
//! the Matérn shape); the others as `((a - b) / l)²`. Targets are standardised by the
//! caller.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use sweep_core::num::dot;

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
/// Fits a [`FitMemo`] remembers.
const MEMO_SIZE: usize = 8;

/// The last few hyperparameter fits, keyed by everything a fit reads: suggestions that
/// differ only by pending runs (a batch, parallel workers) share one fit. Owned by
/// whoever drives a search; a hit and a miss give the same result.
#[derive(Debug, Clone, Default)]
pub struct FitMemo {
    fits: VecDeque<(u64, Hyper)>,
}

impl FitMemo {
    /// The fit remembered under `key`.
    pub(crate) fn get(&self, key: u64) -> Option<Hyper> {
        self.fits
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, h)| h.clone())
    }

    /// Remembers `hyper` under `key`, forgetting the oldest fit when full.
    pub(crate) fn put(&mut self, key: u64, hyper: Hyper) {
        if self.fits.len() >= MEMO_SIZE {
            self.fits.pop_front();
        }
        self.fits.push_back((key, hyper));
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Hyper {
    /// Inverse squared length scales.
    pub inv_ls2: Vec<f64>,
    pub signal: f64,
    pub noise: f64,
}

impl Hyper {
    /// The log-space parameters [`Hyper::from_theta`] reads.
    fn theta(&self) -> Vec<f64> {
        let mut t: Vec<f64> = self.inv_ls2.iter().map(|w| -0.5 * w.ln()).collect();
        t.push(self.signal.ln());
        t.push(self.noise.ln());
        t
    }

    fn from_theta(theta: &[f64]) -> Hyper {
        let d = theta.len() - 2;
        Hyper {
            inv_ls2: theta[..d].iter().map(|l| (-2.0 * l).exp()).collect(),
            signal: theta[d].exp(),
            noise: theta[d + 1].exp(),
        }
    }
}

/// The per-coordinate squared distances of every pair `j < i` of a point set, computed
/// once for all the hyperparameter evaluations of a fit: a categorical coordinate
/// contributes `[a != b]`, the others `(a - b)²`. Stored coordinate by coordinate (`d` rows
/// of one value per pair, pairs in the order of the kernel matrix's lower triangle, row by
/// row) so that weighting them by the length scales runs along contiguous memory.
struct Pairs {
    n: usize,
    diff: Vec<Vec<f64>>,
}

impl Pairs {
    fn new(x: &[Vec<f64>], cat: &[bool]) -> Pairs {
        let n = x.len();
        let count = n * n.saturating_sub(1) / 2;
        let diff = cat
            .iter()
            .enumerate()
            .map(|(k, &c)| {
                let mut row = Vec::with_capacity(count);
                for i in 0..n {
                    for j in 0..i {
                        let (a, b) = (x[i][k], x[j][k]);
                        row.push(if c {
                            f64::from(u8::from(a != b))
                        } else {
                            (a - b) * (a - b)
                        });
                    }
                }
                row
            })
            .collect();
        Pairs { n, diff }
    }
}

/// The Matérn 5/2 kernel of each squared scaled distance in `r2`, in place.
#[inline]
fn matern52(r2: &mut [f64], signal: f64) {
    for v in r2 {
        let r = v.sqrt();
        *v = signal * (1.0 + SQRT5 * r + 5.0 / 3.0 * *v) * exp_neg(SQRT5 * r);
    }
}

/// `e^(-x)` for `x ≥ 0`, to a relative error below 1e-14: the kernel's only
/// transcendental, evaluated for every pair of points. Unlike a call into libm it is
/// branch-free arithmetic that the compiler inlines and vectorises over a row of the
/// kernel. `2^-k · p(r)` with `x = k ln 2 + r`, `|r| ≤ ln 2 / 2` and `p` the degree-12
/// Taylor polynomial of `e^(-r)` (evaluated by Estrin's scheme, a shallow tree rather than
/// a chain of twelve steps); 0 below the smallest normal number.
#[inline]
fn exp_neg(x: f64) -> f64 {
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const C: [f64; 13] = [
        1.0,
        -1.0,
        1.0 / 2.0,
        -1.0 / 6.0,
        1.0 / 24.0,
        -1.0 / 120.0,
        1.0 / 720.0,
        -1.0 / 5_040.0,
        1.0 / 40_320.0,
        -1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        -1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
    ];
    // 1.5·2⁵²: adding it rounds a value below 2⁵¹ to the nearest integer, which then sits
    // in the low bits of the sum (no float-to-int conversion, so the loop vectorises).
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let x = x.clamp(0.0, 708.0);
    let t = x * std::f64::consts::LOG2_E + ROUND;
    let kf = t - ROUND;
    let k = t.to_bits() & 0x7ff;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let p01 = C[0] + C[1] * r;
    let p23 = C[2] + C[3] * r;
    let p45 = C[4] + C[5] * r;
    let p67 = C[6] + C[7] * r;
    let p89 = C[8] + C[9] * r;
    let p1011 = C[10] + C[11] * r;
    let p = (p01 + r2 * p23) + r4 * (p45 + r2 * p67) + r8 * ((p89 + r2 * p1011) + r4 * C[12]);
    // 2^-k as a float: 0 ≤ k ≤ 1022 here (x ≤ 708), so the exponent field stays normal.
    let scale = f64::from_bits((1023 - k) << 52);
    if x >= 708.0 { 0.0 } else { p * scale }
}

/// In-place lower Cholesky factor of a row-major `n × n` matrix (only the lower triangle
/// is read); `false` if not positive definite.
fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let rj = j * n;
        let s = a[rj + j] - dot(&a[rj..rj + j], &a[rj..rj + j]);
        if s <= 0.0 || !s.is_finite() {
            return false;
        }
        let l = s.sqrt();
        a[rj + j] = l;
        let inv = 1.0 / l;
        for i in j + 1..n {
            let ri = i * n;
            let s = a[ri + j] - dot(&a[ri..ri + j], &a[rj..rj + j]);
            a[ri + j] = s * inv;
        }
    }
    true
}

/// Solves `L v = b` in place (forward substitution).
fn solve_lower(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let s = b[i] - dot(&l[i * n..i * n + i], &b[..i]);
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
    /// For each continuous coordinate: its index, the square root of its inverse squared
    /// length scale, and the conditioning points' values scaled by it.
    cont: Vec<(usize, f64, Vec<f64>)>,
    /// For each categorical coordinate: its index, its inverse squared length scale, and
    /// the conditioning points' values.
    cats: Vec<(usize, f64, Vec<f64>)>,
    signal: f64,
    chol: Vec<f64>,
    alpha: Vec<f64>,
}

/// Factors `K + noise·I` of the point set `p` under `h` into `k` (lower Cholesky) and
/// solves `K⁻¹ y` into `alpha`; returns the log marginal likelihood, or `None` if the matrix
/// is not positive definite.
fn factor(p: &Pairs, y: &[f64], h: &Hyper, k: &mut Vec<f64>, alpha: &mut Vec<f64>) -> Option<f64> {
    let n = p.n;
    let mut r2 = vec![0.0; n * n.saturating_sub(1) / 2];
    for (row, &w) in p.diff.iter().zip(&h.inv_ls2) {
        for (r, v) in r2.iter_mut().zip(row) {
            *r += w * v;
        }
    }
    matern52(&mut r2, h.signal);
    k.clear();
    k.resize(n * n, 0.0);
    let mut start = 0;
    for i in 0..n {
        k[i * n..i * n + i].copy_from_slice(&r2[start..start + i]);
        start += i;
        k[i * n + i] = h.signal + h.noise + JITTER;
    }
    if !cholesky(k, n) {
        return None;
    }
    alpha.clear();
    alpha.extend_from_slice(y);
    solve_lower(k, n, alpha);
    let fit: f64 = alpha.iter().map(|a| a * a).sum();
    let logdet: f64 = (0..n).map(|i| k[i * n + i].ln()).sum();
    let lml = -0.5 * fit - logdet - 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln();
    solve_upper_t(k, n, alpha);
    Some(lml)
}

/// The negative log posterior of the hyperparameters `theta` (log space) on `(pairs, y)`,
/// what the fits minimise; a penalty for leaving the box keeps the simplex inside it.
fn map_objective<'a>(pairs: &'a Pairs, y: &'a [f64]) -> impl FnMut(&[f64]) -> f64 + 'a {
    let (mut k, mut alpha) = (Vec::new(), Vec::new());
    move |theta: &[f64]| -> f64 {
        let mut t = theta.to_vec();
        clamp_theta(&mut t);
        let out: f64 = theta.iter().zip(&t).map(|(a, b)| (a - b).powi(2)).sum();
        match factor(pairs, y, &Hyper::from_theta(&t), &mut k, &mut alpha) {
            Some(lml) => -(lml + log_prior(&t)) + 10.0 * out,
            None => f64::INFINITY,
        }
    }
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
    /// Fits the hyperparameters on `(x, y)`: the maximum a posteriori from two
    /// Nelder–Mead starts, `max_evals` evaluations in all. `None` if no factorisation
    /// succeeded (which jitter makes practically impossible).
    pub fn fit_hyper(x: &[Vec<f64>], y: &[f64], cat: &[bool], max_evals: usize) -> Option<Hyper> {
        let d = cat.len();
        let pairs = Pairs::new(x, cat);
        let mut objective = map_objective(&pairs, y);
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
        Some(Hyper::from_theta(&theta))
    }

    /// The maximum a posteriori from one Nelder–Mead start at `start` (a fit of nearly the
    /// same points), `max_evals` evaluations: a refit that moves from where the last one
    /// ended instead of searching from the priors. `None` if no factorisation succeeded.
    pub fn fit_hyper_from(
        x: &[Vec<f64>],
        y: &[f64],
        cat: &[bool],
        start: &Hyper,
        max_evals: usize,
    ) -> Option<Hyper> {
        let pairs = Pairs::new(x, cat);
        let mut objective = map_objective(&pairs, y);
        let (mut theta, v) = nelder_mead(&mut objective, &start.theta(), 0.3, max_evals);
        if !v.is_finite() {
            return None;
        }
        clamp_theta(&mut theta);
        Some(Hyper::from_theta(&theta))
    }

    /// [`Gp::fit_hyper`] through `memo`, keyed by everything the fit depends on: the
    /// result is the same, hit or miss.
    pub fn fit_hyper_cached(
        memo: &mut FitMemo,
        x: &[Vec<f64>],
        y: &[f64],
        cat: &[bool],
        max_evals: usize,
    ) -> Option<Hyper> {
        let mut h = DefaultHasher::new();
        for xi in x {
            xi.iter().for_each(|v| v.to_bits().hash(&mut h));
        }
        y.iter().for_each(|v| v.to_bits().hash(&mut h));
        cat.hash(&mut h);
        max_evals.hash(&mut h);
        let key = h.finish();
        if let Some(hyper) = memo.get(key) {
            return Some(hyper);
        }
        let hyper = Gp::fit_hyper(x, y, cat, max_evals)?;
        memo.put(key, hyper.clone());
        Some(hyper)
    }

    /// The posterior given `(x_post, y_post)` under `hyper`; `None` if the kernel matrix
    /// cannot be factored.
    pub fn condition(
        hyper: &Hyper,
        x_post: &[Vec<f64>],
        y_post: &[f64],
        cat: &[bool],
    ) -> Option<Gp> {
        let (mut chol, mut alpha) = (Vec::new(), Vec::new());
        factor(
            &Pairs::new(x_post, cat),
            y_post,
            hyper,
            &mut chol,
            &mut alpha,
        )?;
        let mut cont = Vec::new();
        let mut cats = Vec::new();
        for (i, (&c, &w)) in cat.iter().zip(&hyper.inv_ls2).enumerate() {
            if c {
                cats.push((i, w, x_post.iter().map(|x| x[i]).collect()));
            } else {
                let s = w.sqrt();
                cont.push((i, s, x_post.iter().map(|x| x[i] * s).collect()));
            }
        }
        Some(Gp {
            cont,
            cats,
            signal: hyper.signal,
            chol,
            alpha,
        })
    }

    /// `k(x_i, z)` for every conditioning point `x_i`, into `row` (one value per point).
    fn kernel_row(&self, z: &[f64], row: &mut [f64]) {
        row.iter_mut().for_each(|v| *v = 0.0);
        for (j, s, xs) in &self.cont {
            let zj = z[*j] * s;
            for (r, x) in row.iter_mut().zip(xs) {
                *r += (x - zj) * (x - zj);
            }
        }
        for (j, w, xs) in &self.cats {
            for (r, x) in row.iter_mut().zip(xs) {
                if *x != z[*j] {
                    *r += w;
                }
            }
        }
        matern52(row, self.signal);
    }

    /// Posterior mean of the latent function at `z`, without the variance's triangular
    /// solve: what a search of the mean alone needs. `row` is scratch space.
    pub fn mean(&self, z: &[f64], row: &mut Vec<f64>) -> f64 {
        row.resize(self.alpha.len(), 0.0);
        self.kernel_row(z, row);
        dot(row, &self.alpha)
    }

    /// Posterior mean and variance of the latent function at each of `zs`, into `out`.
    /// Candidates are scored together so that the triangular solve runs across them (one
    /// vectorisable update per pair of conditioning points) rather than once per candidate.
    pub fn predict_batch(&self, zs: &[&[f64]], out: &mut Vec<(f64, f64)>) {
        let (n, m) = (self.alpha.len(), zs.len());
        out.clear();
        if m == 0 {
            return;
        }
        // kt[i·m + c] = k(x_i, z_c), computed a candidate at a time along the points.
        let mut kt = vec![0.0; n * m];
        let mut r2 = vec![0.0; n];
        for (c, z) in zs.iter().enumerate() {
            self.kernel_row(z, &mut r2);
            for (i, v) in r2.iter().enumerate() {
                kt[i * m + c] = *v;
            }
        }
        let mut mean = vec![0.0; m];
        for (i, &a) in self.alpha.iter().enumerate() {
            for (mc, k) in mean.iter_mut().zip(&kt[i * m..(i + 1) * m]) {
                *mc += a * k;
            }
        }
        // Forward substitution L V = Kᵀ: for one candidate, dot products along the rows of
        // L; for several, row by row with every candidate at once.
        if m == 1 {
            solve_lower(&self.chol, n, &mut kt);
        }
        for i in (0..n).filter(|_| m > 1) {
            let (done, rest) = kt.split_at_mut(i * m);
            let row = &mut rest[..m];
            let li = &self.chol[i * n..i * n + i];
            // Four rows of the solved part per pass over `row` (a quarter of the loads and
            // stores of one row at a time), subtracted in the same order: the same bits.
            let quads = i / 4 * 4;
            for k in (0..quads).step_by(4) {
                let (l0, l1, l2, l3) = (li[k], li[k + 1], li[k + 2], li[k + 3]);
                let v = &done[k * m..(k + 4) * m];
                let (v0, v) = v.split_at(m);
                let (v1, v) = v.split_at(m);
                let (v2, v3) = v.split_at(m);
                for (c, r) in row.iter_mut().enumerate() {
                    *r = (((*r - l0 * v0[c]) - l1 * v1[c]) - l2 * v2[c]) - l3 * v3[c];
                }
            }
            for k in quads..i {
                let l = li[k];
                for (r, v) in row.iter_mut().zip(&done[k * m..(k + 1) * m]) {
                    *r -= l * v;
                }
            }
            let d = self.chol[i * n + i];
            row.iter_mut().for_each(|r| *r /= d);
        }
        let mut explained = vec![0.0; m];
        for i in 0..n {
            for (e, v) in explained.iter_mut().zip(&kt[i * m..(i + 1) * m]) {
                *e += v * v;
            }
        }
        out.extend(
            mean.into_iter()
                .zip(explained)
                .map(|(mu, e)| (mu, (self.signal - e).max(1e-12))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_neg_matches_libm() {
        let mut worst: f64 = 0.0;
        for i in 0..=700_000 {
            let x = f64::from(i) * 0.001;
            let (fast, exact) = (exp_neg(x), (-x).exp());
            worst = worst.max((fast - exact).abs() / exact);
        }
        assert!(worst < 1e-14, "relative error {worst:e}");
        assert_eq!(exp_neg(0.0), 1.0);
        assert_eq!(exp_neg(800.0), 0.0);
        assert_eq!(exp_neg(f64::INFINITY), 0.0);
    }

    #[test]
    fn a_remembered_fit_equals_a_fresh_one() {
        let x: Vec<Vec<f64>> = (0..10).map(|i| vec![f64::from(i) / 9.0, 0.5]).collect();
        let y: Vec<f64> = x.iter().map(|v| (5.0 * v[0]).cos()).collect();
        let fresh = Gp::fit_hyper(&x, &y, &[false, false], 80);
        let mut memo = FitMemo::default();
        for _ in 0..2 {
            let cached = Gp::fit_hyper_cached(&mut memo, &x, &y, &[false, false], 80);
            let (Some(a), Some(b)) = (&fresh, &cached) else {
                panic!("no fit: {fresh:?} {cached:?}");
            };
            assert_eq!(
                (&a.inv_ls2, a.signal, a.noise),
                (&b.inv_ls2, b.signal, b.noise)
            );
        }
        // Another categorical mask is another fit.
        let other = Gp::fit_hyper_cached(&mut memo, &x, &y, &[false, true], 80);
        assert!(other.is_some());
        assert_eq!(memo.fits.len(), 2, "one fit per distinct input");
    }

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
        let hyper = Gp::fit_hyper(&x, &y, &[false], 200);
        assert!(hyper.is_some());
        let Some(hyper) = hyper else { return };
        let gp = Gp::condition(&hyper, &x, &y, &[false]);
        assert!(gp.is_some());
        let Some(gp) = gp else { return };
        let mut out = Vec::new();
        gp.predict_batch(&[&[3.0 / 7.0], &[5.0]], &mut out);
        let ((m, v), (_, far)) = (out[0], out[1]);
        assert!((m - y[3]).abs() < 0.05, "{m} vs {}", y[3]);
        assert!(far > 10.0 * v, "{far} vs {v}");
    }
}
