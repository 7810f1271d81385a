//! Log expected improvement and its optimiser.
//!
//! The optimiser scores a set of starting candidates (every point of a small discrete space;
//! otherwise uniform random points plus perturbations of the best observed points), then
//! refines the best few with a (1+1) evolution strategy: Gaussian steps in the continuous
//! coordinates, re-drawn categories, a step size that grows on success and shrinks on
//! failure. Every candidate is snapped onto a point the params can take before it is
//! scored, and points already observed (finished, failed or pending) are never chosen.
//! [`Acquisition::minimise_mean`] runs the same strategy on the posterior mean alone, for
//! the exploitation step of a stalled search; [`Acquisition::maximise_in`] runs the search
//! inside a box, for the local search of another basin (`basin`).

use super::Budget;
use super::gp::Gp;
use super::space::{Kind, Space};
use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;
use statrs::function::erf::erfc;
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

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

/// SplitMix64's output for the state before `x`'s step: `x` advanced by the golden-gamma
/// constant, then mixed.
pub(crate) fn splitmix64(x: u64) -> u64 {
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

/// Identity of a snapped point, for "already observed" checks: a 64-bit hash of its
/// coordinates' bits (two distinct points share one with probability about 2⁻⁶⁴).
pub(crate) fn key(x: &[f64]) -> u64 {
    x.iter()
        .fold(0x5eed_u64, |h, v| splitmix64(h ^ v.to_bits()))
}

/// The keys of the points already observed. A key is already a well-mixed hash, so the
/// set uses it as it is.
pub(crate) type Seen = HashSet<u64, BuildHasherDefault<KeyHasher>>;

/// The identity hasher of [`Seen`].
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = splitmix64(self.0 ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }

    fn finish(&self) -> u64 {
        self.0
    }
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

/// Uniform candidates, steps from the centre, and candidates refined by
/// [`Acquisition::maximise_in`].
const REGION_RANDOM: usize = 512;
const REGION_STEPS: usize = 64;
const REGION_REFINED: usize = 3;

/// A box of the unit cube: `centre ± half` on every numeric coordinate, clipped to
/// `[0, 1]` (categorical coordinates are free).
pub(crate) struct Region<'c> {
    pub centre: &'c [f64],
    pub half: f64,
}

impl Region<'_> {
    /// `y` moved into the box, then snapped.
    fn clip(&self, space: &Space<'_>, y: &mut [f64]) {
        for ((v, &c), dim) in y.iter_mut().zip(self.centre).zip(&space.dims) {
            if !matches!(dim.kind, Kind::Categorical(_)) {
                *v = v.clamp((c - self.half).max(0.0), (c + self.half).min(1.0));
            }
        }
        space.snap(y);
    }
}

pub(crate) struct Acquisition<'s, 'a> {
    pub space: &'s Space<'a>,
    pub gp: &'s Gp,
    /// The incumbent (lowest standardised value observed).
    pub best: f64,
    pub seen: &'s Seen,
    pub budget: Budget,
}

impl Acquisition<'_, '_> {
    /// Log EI at each snapped point of `xs`; `-inf` for points already observed.
    fn score(&self, xs: &[Vec<f64>]) -> Vec<f64> {
        let mut scores = vec![f64::NEG_INFINITY; xs.len()];
        let unseen: Vec<usize> = (0..xs.len())
            .filter(|&i| !self.seen.contains(&key(&xs[i])))
            .collect();
        let zs: Vec<&[f64]> = unseen.iter().map(|&i| xs[i].as_slice()).collect();
        let mut predicted = Vec::with_capacity(zs.len());
        self.gp.predict_batch(&zs, &mut predicted);
        for (&i, (mean, var)) in unseen.iter().zip(predicted) {
            let sd = var.sqrt();
            let v = sd.ln() + log_h((self.best - mean) / sd);
            scores[i] = if v.is_nan() { f64::NEG_INFINITY } else { v };
        }
        scores
    }

    /// The unseen point with the highest log EI that the search found, or `None` if every
    /// point it looked at had been observed.
    pub fn maximise(&self, incumbents: &[Vec<f64>], rng: &mut Rng) -> Option<Vec<f64>> {
        let d = self.space.len();
        let mut candidates: Vec<Vec<f64>> = Vec::new();
        let enumerated = self.space.discrete_size(ENUMERATE_LIMIT);
        if let Some(size) = enumerated {
            candidates.extend((0..size).map(|i| self.space.discrete_point(i)));
        } else {
            let n_random = self.budget.random.unwrap_or((512 + 256 * d).min(3000));
            for _ in 0..n_random {
                candidates.push(random_point(self.space, rng));
            }
            for inc in incumbents {
                for _ in 0..self.budget.perturbations {
                    let sd = [0.2, 0.05, 0.01][rng.below(3)];
                    candidates.push(self.perturb(inc, sd, rng));
                }
            }
        }
        let scored = self.ranked(candidates);
        if enumerated.is_some() {
            return scored.into_iter().next().map(|s| s.1);
        }
        let mut best = self.refine_best(scored, self.budget.refined, None, rng);
        if best.is_none()
            && let Some(size) = self.space.discrete_size(EXHAUSTIVE_LIMIT)
        {
            // Every candidate had been observed: look at the whole space, a block at a time.
            for start in (0..size).step_by(ENUMERATE_LIMIT) {
                let block: Vec<Vec<f64>> = (start..size.min(start + ENUMERATE_LIMIT))
                    .map(|i| self.space.discrete_point(i))
                    .collect();
                for (s, x) in self.score(&block).into_iter().zip(block) {
                    if s > f64::NEG_INFINITY && best.as_ref().is_none_or(|b| s > b.0) {
                        best = Some((s, x));
                    }
                }
            }
        }
        best.map(|b| b.1)
    }

    /// The unseen point with the highest log EI inside `region` that the search found, or
    /// `None`: uniform candidates in the box (clamped into the cube) and small steps from
    /// its centre, the best three refined without leaving it (up to half a level beyond it
    /// for an integer param, which snaps to its level). The local search of
    /// [`super::basin`].
    pub fn maximise_in(&self, region: &Region<'_>, rng: &mut Rng) -> Option<Vec<f64>> {
        let mut candidates: Vec<Vec<f64>> = Vec::with_capacity(REGION_RANDOM + REGION_STEPS);
        for _ in 0..REGION_RANDOM {
            let mut y: Vec<f64> = region
                .centre
                .iter()
                .zip(&self.space.dims)
                .map(|(&c, dim)| match dim.kind {
                    Kind::Categorical(_) if rng.unit() < 0.5 => c,
                    Kind::Categorical(n) => rng.below(n) as f64,
                    _ => c + region.half * (2.0 * rng.unit() - 1.0),
                })
                .collect();
            region.clip(self.space, &mut y);
            candidates.push(y);
        }
        for _ in 0..REGION_STEPS {
            let sd = [0.05, 0.01][rng.below(2)];
            let mut y = self.perturb(region.centre, sd, rng);
            region.clip(self.space, &mut y);
            candidates.push(y);
        }
        let scored = self.ranked(candidates);
        self.refine_best(scored, REGION_REFINED, Some(region), rng)
            .map(|b| b.1)
    }

    /// The candidates that are not observed yet with their log EI, best first.
    fn ranked(&self, candidates: Vec<Vec<f64>>) -> Vec<(f64, Vec<f64>)> {
        let scores = self.score(&candidates);
        let mut scored: Vec<(f64, Vec<f64>)> = scores
            .into_iter()
            .zip(candidates)
            .filter(|(s, _)| *s > f64::NEG_INFINITY)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
    }

    /// The best of the first `n` of `scored` after each is refined (inside `region`, if
    /// any).
    fn refine_best(
        &self,
        scored: Vec<(f64, Vec<f64>)>,
        n: usize,
        region: Option<&Region<'_>>,
        rng: &mut Rng,
    ) -> Option<(f64, Vec<f64>)> {
        let mut best: Option<(f64, Vec<f64>)> = None;
        for (s0, x0) in scored.into_iter().take(n) {
            let (s, x) = self.refine(s0, x0, region, rng);
            if best.as_ref().is_none_or(|b| s > b.0) {
                best = Some((s, x));
            }
        }
        best
    }

    /// The lowest posterior mean a (1+1) evolution strategy of `steps` steps finds from
    /// `start` (the incumbent), among points not observed yet: the model's own guess at the
    /// optimum of the basin it is in, or `None` if every improving step was a seen point.
    pub fn minimise_mean(&self, start: &[f64], steps: usize, rng: &mut Rng) -> Option<Vec<f64>> {
        let mut row = Vec::new();
        let mut x = start.to_vec();
        let mut m = self.gp.mean(&x, &mut row);
        let mut found = None;
        let mut sd = 0.02;
        for _ in 0..steps {
            let y = self.perturb(&x, sd, rng);
            let t = self.gp.mean(&y, &mut row);
            if t < m {
                m = t;
                x = y;
                sd = (sd * 1.5).min(0.2);
                if !self.seen.contains(&key(&x)) {
                    found = Some(x.clone());
                }
            } else {
                sd = (sd * 0.8).max(1e-6);
            }
        }
        found
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
        region: Option<&Region<'_>>,
        rng: &mut Rng,
    ) -> (f64, Vec<f64>) {
        let mut sd = 0.05;
        for _ in 0..self.budget.refine_steps {
            let mut y = self.perturb(&x, sd, rng);
            if let Some(region) = region {
                region.clip(self.space, &mut y);
            }
            let t = self.score(std::slice::from_ref(&y))[0];
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
