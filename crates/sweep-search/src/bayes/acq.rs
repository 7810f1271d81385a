//! Log expected improvement and its optimiser.
//!
//! The optimiser scores a set of starting candidates (every point of a small discrete space;
//! otherwise uniform random points plus perturbations of the best observed points), then
//! refines the best few with a (1+1) evolution strategy: Gaussian steps in the continuous
//! coordinates, re-drawn categories, a step size that grows on success and shrinks on
//! failure. Every candidate is snapped onto a point the params can take before it is
//! scored, and points already observed (finished, failed or pending) are never chosen.

use super::gp::Gp;
use super::space::{Kind, Space};
use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;
use statrs::function::erf::erfc;
use std::collections::HashSet;

/// `ln h(z)` with `h(z) = φ(z) + z Φ(z)`, the expected improvement of a unit normal over
/// `z`, accurate far into the lower tail (where `h` underflows).
pub(crate) fn log_h(z: f64) -> f64 {
    const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
    if z > -6.0 {
        let phi = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let cdf = 0.5 * erfc(-z / std::f64::consts::SQRT_2);
        (phi + z * cdf).max(f64::MIN_POSITIVE).ln()
    } else {
        // h(z) = φ(z) (1 - t R(t)) with t = -z and R the Mills ratio; the asymptotic
        // series of 1 - t R(t) is 1/t² - 3/t⁴ + 15/t⁶ - 105/t⁸.
        let t2 = z * z;
        let series =
            1.0 / t2 - 3.0 / (t2 * t2) + 15.0 / (t2 * t2 * t2) - 105.0 / (t2 * t2 * t2 * t2);
        -0.5 * t2 - LN_SQRT_2PI + series.ln()
    }
}

/// The random source of the acquisition step: a pure function of `(seed, position)`,
/// independent of the random sampler's stream.
pub(crate) struct Rng(Pcg64Mcg);

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64, position: u64) -> Rng {
        const SALT: u64 = 0x6261_7965_735f_6770; // "bayes_gp"
        let h = splitmix64(splitmix64(seed ^ SALT) ^ position);
        let hi = splitmix64(h);
        let lo = splitmix64(hi);
        Rng(Pcg64Mcg::new((u128::from(hi) << 64) | u128::from(lo)))
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    pub fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n.saturating_sub(1))
    }

    pub fn gauss(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Identity of a snapped point, for "already observed" checks.
pub(crate) fn key(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// A uniform random point of the space (snapped).
pub(crate) fn random_point(space: &Space<'_>, rng: &mut Rng) -> Vec<f64> {
    let mut x: Vec<f64> = space
        .dims
        .iter()
        .map(|d| match d.kind {
            Kind::Categorical(n) => rng.below(n) as f64,
            _ => rng.unit(),
        })
        .collect();
    space.snap(&mut x);
    x
}

/// Discrete spaces up to this size are scored point by point.
pub(crate) const ENUMERATE_LIMIT: usize = 4096;
/// When every candidate was seen, discrete spaces up to this size are searched in full for
/// an unseen point.
pub(crate) const EXHAUSTIVE_LIMIT: usize = 1 << 20;

pub(crate) struct Acquisition<'s, 'a> {
    pub space: &'s Space<'a>,
    pub gp: &'s Gp,
    /// The incumbent (lowest standardised value observed).
    pub best: f64,
    pub seen: &'s HashSet<Vec<u64>>,
}

impl Acquisition<'_, '_> {
    /// Log EI at a snapped point; `-inf` for points already observed.
    fn score(&self, x: &[f64], buf: &mut Vec<f64>) -> f64 {
        if self.seen.contains(&key(x)) {
            return f64::NEG_INFINITY;
        }
        let (mean, var) = self.gp.predict(x, buf);
        let sd = var.sqrt();
        let v = sd.ln() + log_h((self.best - mean) / sd);
        if v.is_nan() { f64::NEG_INFINITY } else { v }
    }

    /// The unseen point with the highest log EI that the search found, or `None` if every
    /// point it looked at had been observed.
    pub fn maximise(&self, incumbents: &[Vec<f64>], rng: &mut Rng) -> Option<Vec<f64>> {
        let d = self.space.len();
        let mut buf = Vec::new();
        let mut scored: Vec<(f64, Vec<f64>)> = Vec::new();
        if let Some(size) = self.space.discrete_size(ENUMERATE_LIMIT) {
            for i in 0..size {
                let x = self.space.discrete_point(i);
                scored.push((self.score(&x, &mut buf), x));
            }
        } else {
            let n_random = (512 + 256 * d).min(3000);
            for _ in 0..n_random {
                let x = random_point(self.space, rng);
                scored.push((self.score(&x, &mut buf), x));
            }
            for inc in incumbents {
                for _ in 0..64 {
                    let sd = [0.2, 0.05, 0.01][rng.below(3)];
                    let x = self.perturb(inc, sd, rng);
                    scored.push((self.score(&x, &mut buf), x));
                }
            }
        }
        scored.retain(|(s, _)| *s > f64::NEG_INFINITY);
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        if self.space.discrete_size(ENUMERATE_LIMIT).is_some() {
            return scored.into_iter().next().map(|s| s.1);
        }
        let mut best: Option<(f64, Vec<f64>)> = None;
        for (s0, x0) in scored.into_iter().take(5) {
            let (s, x) = self.refine(s0, x0, rng, &mut buf);
            if best.as_ref().is_none_or(|b| s > b.0) {
                best = Some((s, x));
            }
        }
        if best.is_none()
            && let Some(size) = self.space.discrete_size(EXHAUSTIVE_LIMIT)
        {
            for i in 0..size {
                let x = self.space.discrete_point(i);
                let s = self.score(&x, &mut buf);
                if s > f64::NEG_INFINITY && best.as_ref().is_none_or(|b| s > b.0) {
                    best = Some((s, x));
                }
            }
        }
        best.map(|b| b.1)
    }

    fn perturb(&self, x: &[f64], sd: f64, rng: &mut Rng) -> Vec<f64> {
        let d = x.len();
        let mut y = x.to_vec();
        for (yi, dim) in y.iter_mut().zip(&self.space.dims) {
            match dim.kind {
                Kind::Categorical(n) => {
                    if rng.unit() < 1.0 / d as f64 {
                        *yi = rng.below(n) as f64;
                    }
                }
                _ => *yi += sd * rng.gauss(),
            }
        }
        // Reflect into [0, 1] for the coordinates that live there.
        for (yi, dim) in y.iter_mut().zip(&self.space.dims) {
            if !matches!(dim.kind, Kind::Categorical(_)) {
                if *yi < 0.0 {
                    *yi = -*yi;
                }
                if *yi > 1.0 {
                    *yi = 2.0 - *yi;
                }
            }
        }
        self.space.snap(&mut y);
        y
    }

    fn refine(
        &self,
        mut s: f64,
        mut x: Vec<f64>,
        rng: &mut Rng,
        buf: &mut Vec<f64>,
    ) -> (f64, Vec<f64>) {
        let mut sd = 0.05;
        for _ in 0..40 {
            let y = self.perturb(&x, sd, rng);
            let t = self.score(&y, buf);
            if t > s {
                s = t;
                x = y;
                sd = (sd * 1.5).min(0.3);
            } else {
                sd = (sd * 0.8).max(1e-5);
            }
        }
        (s, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_h_is_continuous_and_matches_the_closed_form() {
        // h(0) = φ(0).
        assert!((log_h(0.0) - (0.398_942_280_401_432_7_f64).ln()).abs() < 1e-12);
        // Continuity where the two branches meet.
        let (a, b) = (log_h(-6.0 + 1e-9), log_h(-6.0 - 1e-9));
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        // Far tail: finite and decreasing.
        assert!(log_h(-40.0).is_finite() && log_h(-40.0) < log_h(-20.0));
        // Large z: h(z) ≈ z.
        assert!((log_h(10.0) - 10f64.ln()).abs() < 1e-9);
    }
}
