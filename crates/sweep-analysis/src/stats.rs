//! The statistics of seed groups: a summary of each group, bootstrap intervals of a mean
//! and of a difference of means, two-sample tests, Holm's adjustment over several tests,
//! and correlations.
//!
//! Everything is a pure function of the slices it is given; no function panics, whatever
//! the input (empty, one value, all values equal, NaN). Each function names the numpy,
//! scipy or statsmodels call it reproduces; the unit tests at the bottom hold values
//! recorded from scipy 1.17.1 / numpy 2.4.6 / statsmodels 0.15.0 and check them to 1e-9.
//!
//! Non-finite values are the caller's to drop: a function treats its slice as given.

use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;
use std::f64::consts::{LN_2, PI};

// ---------------------------------------------------------------------------------------
// Describe
// ---------------------------------------------------------------------------------------

/// Summary of a sample (the non-finite values are the caller's to drop; the slice is
/// treated as given).
///
/// `n` values; `mean` (numpy `mean`); `std`, the sample standard deviation with `n − 1` in
/// the denominator (numpy `std(ddof=1)`, NaN when `n < 2`); `sem = std / √n`
/// (`scipy.stats.sem`); `median`, `q1`, `q3`, the 50th, 25th and 75th percentiles by
/// numpy's default `'linear'` rule (Hyndman–Fan type 7, `np.percentile`); `min`, `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Describe {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (`ddof = 1`); NaN when `n < 2`.
    pub std: f64,
    /// Standard error of the mean, `std / √n`; NaN when `n < 2`.
    pub sem: f64,
    /// 50th percentile (numpy `'linear'`).
    pub median: f64,
    /// 25th percentile (numpy `'linear'`).
    pub q1: f64,
    /// 75th percentile (numpy `'linear'`).
    pub q3: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// The [`Describe`] summary of `values`; `None` when `values` is empty.
///
/// `std` is the sample standard deviation, `sqrt(Σ(x − mean)² / (n − 1))`, NaN when
/// `n < 2` (numpy `std(ddof=1)`); `sem = std / √n`; the quantiles follow numpy's default
/// `'linear'` method (type 7: the order statistics at `(n − 1)·q`, linearly interpolated).
/// As in numpy, one NaN among the values makes every statistic but `n` NaN.
pub fn describe(values: &[f64]) -> Option<Describe> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    if values.iter().any(|v| v.is_nan()) {
        let nan = f64::NAN;
        return Some(Describe {
            n,
            mean: nan,
            std: nan,
            sem: nan,
            median: nan,
            q1: nan,
            q3: nan,
            min: nan,
            max: nan,
        });
    }
    let mean = mean(values);
    let std = sample_variance(values, mean).sqrt();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(Describe {
        n,
        mean,
        std,
        sem: std / (n as f64).sqrt(),
        median: quantile_sorted(&sorted, 0.5),
        q1: quantile_sorted(&sorted, 0.25),
        q3: quantile_sorted(&sorted, 0.75),
        min: sorted.first().copied().unwrap_or(f64::NAN),
        max: sorted.last().copied().unwrap_or(f64::NAN),
    })
}

/// Arithmetic mean; NaN for an empty slice.
fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// `Σ(x − mean)² / (n − 1)`; NaN when `n < 2`.
fn sample_variance(values: &[f64], mean: f64) -> f64 {
    if values.len() < 2 {
        return f64::NAN;
    }
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (values.len() - 1) as f64
}

/// numpy's `'linear'` quantile (type 7) of ascending `sorted` at `q` in `[0, 1]`, with
/// numpy's two-sided linear interpolation (`_lerp`). NaN for an empty slice.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || q.is_nan() {
        return f64::NAN;
    }
    let last = n - 1;
    let virtual_index = (last as f64 * q).clamp(0.0, last as f64);
    let below = virtual_index.floor();
    let gamma = virtual_index - below;
    let i = (below as usize).min(last);
    let a = sorted.get(i).copied().unwrap_or(f64::NAN);
    let b = sorted.get((i + 1).min(last)).copied().unwrap_or(f64::NAN);
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

// ---------------------------------------------------------------------------------------
// Bootstrap
// ---------------------------------------------------------------------------------------

/// A closed interval `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// The number of bootstrap resamples the front ends use.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;

/// Percentile bootstrap interval of the mean of `values` at confidence `level` (e.g. 0.95).
///
/// Draws `resamples` resamples of `values.len()` values with replacement, each index
/// uniform (rejection sampling on 64-bit draws) from a `Pcg64Mcg` whose 128-bit state is
/// `splitmix64(seed) << 64 | splitmix64(splitmix64(seed))`, so the interval is a pure
/// function of `(values, level, resamples, seed)`. The interval is the `(1 − level)/2` and
/// `(1 + level)/2` quantiles of the resampled means by numpy's `'linear'` rule
/// (`np.quantile(means, [(1 − level)/2, (1 + level)/2])`, the percentile bootstrap of
/// `scipy.stats.bootstrap(method='percentile')`, with a different random stream). One
/// value `v` gives `[v, v]`.
///
/// `None` when `values` is empty, `resamples` is 0 or `level` is not inside `(0, 1)`.
pub fn bootstrap_mean_ci(
    values: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Option<Interval> {
    if values.is_empty() || resamples == 0 || !(level > 0.0 && level < 1.0) {
        return None;
    }
    let mut rng = bootstrap_rng(seed);
    let means = (0..resamples)
        .map(|_| resample_mean(&mut rng, values))
        .collect();
    Some(percentile_interval(means, level))
}

/// Percentile bootstrap interval of `mean(a) − mean(b)` at confidence `level`: as
/// [`bootstrap_mean_ci`], each replicate resampling `a` (its `a.len()` draws first) and
/// then `b` independently, with replacement, from the one stream seeded by `seed`.
///
/// `None` when either sample is empty, `resamples` is 0 or `level` is not inside `(0, 1)`.
pub fn bootstrap_diff_ci(
    a: &[f64],
    b: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Option<Interval> {
    if a.is_empty() || b.is_empty() || resamples == 0 || !(level > 0.0 && level < 1.0) {
        return None;
    }
    let mut rng = bootstrap_rng(seed);
    let diffs = (0..resamples)
        .map(|_| {
            let ma = resample_mean(&mut rng, a);
            let mb = resample_mean(&mut rng, b);
            ma - mb
        })
        .collect();
    Some(percentile_interval(diffs, level))
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn bootstrap_rng(seed: u64) -> Pcg64Mcg {
    let hi = splitmix64(seed);
    let lo = splitmix64(hi);
    Pcg64Mcg::new((u128::from(hi) << 64) | u128::from(lo))
}

/// A uniform draw from `0..n` ([`sweep_core::num::below`]).
fn below(rng: &mut Pcg64Mcg, n: usize) -> usize {
    sweep_core::num::below(|| rng.next_u64(), n)
}

fn resample_mean(rng: &mut Pcg64Mcg, values: &[f64]) -> f64 {
    let n = values.len();
    let sum: f64 = (0..n)
        .map(|_| values.get(below(rng, n)).copied().unwrap_or(f64::NAN))
        .sum();
    sum / n as f64
}

fn percentile_interval(mut stats: Vec<f64>, level: f64) -> Interval {
    stats.sort_by(f64::total_cmp);
    Interval {
        low: quantile_sorted(&stats, (1.0 - level) / 2.0),
        high: quantile_sorted(&stats, (1.0 + level) / 2.0),
    }
}

// ---------------------------------------------------------------------------------------
// Two-sample tests
// ---------------------------------------------------------------------------------------

/// A test's statistic and its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Test {
    /// The test statistic (see each test).
    pub statistic: f64,
    /// The two-sided p-value.
    pub p_value: f64,
}

const NAN_TEST: Test = Test {
    statistic: f64::NAN,
    p_value: f64::NAN,
};

/// Welch's unequal-variance t-test, `scipy.stats.ttest_ind(a, b, equal_var=False)`
/// (two-sided).
///
/// `t = (mean(a) − mean(b)) / sqrt(va/na + vb/nb)` with sample variances (`ddof = 1`);
/// Welch–Satterthwaite `df = (va/na + vb/nb)² / ((va/na)²/(na − 1) + (vb/nb)²/(nb − 1))`
/// (1 when that is 0/0, as scipy); `p = 2·P(T_df > |t|)`, from the regularized incomplete
/// beta function `I_{df/(df+t²)}(df/2, 1/2)`.
///
/// As scipy: both statistic and p are NaN when a group has fewer than 2 values (or holds a
/// NaN), and when both groups have zero variance and equal means; when both have zero
/// variance and different means, `t = ±∞` and `p = 0`.
pub fn welch_t(a: &[f64], b: &[f64]) -> Test {
    if a.len() < 2 || b.len() < 2 {
        return NAN_TEST;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (ma, mb) = (mean(a), mean(b));
    let vna = sample_variance(a, ma) / na;
    let vnb = sample_variance(b, mb) / nb;
    let mut df = (vna + vnb) * (vna + vnb) / (vna * vna / (na - 1.0) + vnb * vnb / (nb - 1.0));
    if df.is_nan() {
        df = 1.0;
    }
    let t = (ma - mb) / (vna + vnb).sqrt();
    Test {
        statistic: t,
        p_value: student_t_two_sided_p(t, df),
    }
}

/// The Mann–Whitney U test, `scipy.stats.mannwhitneyu(a, b)` with its defaults
/// (two-sided, `use_continuity=True`, `method='auto'`); `statistic` is `U` of `a`,
/// `R_a − na(na + 1)/2` with average ranks for ties.
///
/// `method='auto'` as scipy 1.17 decides it: the exact null distribution when
/// `min(na, nb) ≤ 8` and no two values of the pooled sample are equal, otherwise the
/// normal approximation. (Sweep's one departure: the exact table is not built beyond
/// `na·nb − U > 10⁷`, i.e. a sample of 8 or fewer against one of millions, where the
/// normal approximation is used.) Exact: `p = 2·P(U ≤ na·nb − max(Ua, Ub))` under the null
/// distribution of U (counted with the Gaussian binomial `[na+nb choose na]_q`), clipped
/// to 1. Asymptotic: `z = (max(Ua, Ub) − na·nb/2 − 0.5) / σ` with the tie-corrected
/// `σ² = na·nb/12 · ((n + 1) − Σ(t³ − t)/(n(n − 1)))`, `p = 2·Φ(−z)` clipped to `[0, 1]`
/// (all values tied gives `σ = 0`, `z = −∞`, `p = 1`).
///
/// NaN statistic and p when either sample is empty or holds a NaN (scipy raises).
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> Test {
    if a.is_empty() || b.is_empty() || a.iter().chain(b).any(|v| v.is_nan()) {
        return NAN_TEST;
    }
    let (n1, n2) = (a.len(), b.len());
    let pooled: Vec<f64> = a.iter().chain(b).copied().collect();
    let (ranks, tie_counts) = average_ranks(&pooled);
    let r1: f64 = ranks.iter().take(n1).sum();
    let (f1, f2) = (n1 as f64, n2 as f64);
    let u1 = r1 - f1 * (f1 + 1.0) / 2.0;
    let u2 = f1 * f2 - u1;
    let u = u1.max(u2);
    let ties = tie_counts.iter().any(|&t| t > 1);
    // U is a whole number without ties, and U ≥ n1·n2/2: the exact p sums the null
    // distribution up to k = n1·n2 − U.
    let k = (f1 * f2 - u).max(0.0);
    let p = if n1.min(n2) <= 8 && !ties && k <= MWU_EXACT_MAX_K {
        2.0 * mwu_exact_cdf(n1, n2, k as usize)
    } else {
        let n = f1 + f2;
        let tie_term: f64 = tie_counts
            .iter()
            .map(|&t| {
                let t = t as f64;
                t * t * t - t
            })
            .sum();
        let s = (f1 * f2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
        let z = (u - f1 * f2 / 2.0 - 0.5) / s;
        2.0 * normal_sf(z)
    };
    Test {
        statistic: u1,
        p_value: p.clamp(0.0, 1.0),
    }
}

/// The largest `k` whose exact Mann–Whitney table (`k + 1` values) is built: 80 MB.
/// Reached only with a sample of 8 or fewer against one of millions.
const MWU_EXACT_MAX_K: f64 = 1e7;

/// 1-based ranks of `values` with ties given their average rank (`scipy.stats.rankdata`
/// `'average'`), and the size of every group of equal values (1 for an untied value).
fn average_ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| {
        let x = values.get(i).copied().unwrap_or(f64::NAN);
        let y = values.get(j).copied().unwrap_or(f64::NAN);
        x.total_cmp(&y)
    });
    let mut ranks = vec![0.0; values.len()];
    let mut counts = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let value = order.get(start).and_then(|&i| values.get(i)).copied();
        let mut end = start + 1;
        while end < order.len() && order.get(end).and_then(|&i| values.get(i)).copied() == value {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their average:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in order.get(start..end).unwrap_or(&[]) {
            if let Some(r) = ranks.get_mut(i) {
                *r = rank;
            }
        }
        counts.push(end - start);
        start = end;
    }
    (ranks, counts)
}

/// `P(U ≤ k)` under the null distribution of the Mann–Whitney U of samples of sizes `n1`,
/// `n2` without ties: the number of arrangements with `U = u` is the coefficient of `q^u`
/// in the Gaussian binomial `Π_{i=1}^{m} (1 − q^{M+i}) / (1 − q^i)` (`m = min`, `M = max`),
/// divided by `C(n1 + n2, m)`.
fn mwu_exact_cdf(n1: usize, n2: usize, k: usize) -> f64 {
    let (m, big) = (n1.min(n2), n1.max(n2));
    let mut c = vec![0.0_f64; k + 1];
    if let Some(c0) = c.first_mut() {
        *c0 = 1.0;
    }
    for i in 1..=m {
        // Divide by (1 − q^i): a running sum with stride i.
        for j in i..=k {
            let prev = c.get(j - i).copied().unwrap_or(0.0);
            if let Some(cj) = c.get_mut(j) {
                *cj += prev;
            }
        }
        // Multiply by (1 − q^(big + i)), highest power first.
        let shift = big + i;
        for j in (shift..=k).rev() {
            let prev = c.get(j - shift).copied().unwrap_or(0.0);
            if let Some(cj) = c.get_mut(j) {
                *cj -= prev;
            }
        }
    }
    let total = (1..=m).fold(1.0_f64, |acc, i| acc * (big + i) as f64 / i as f64);
    c.iter().sum::<f64>() / total
}

/// The two-sample Kolmogorov–Smirnov test, `scipy.stats.ks_2samp(a, b)` with its defaults
/// (two-sided, `method='auto'`); `statistic` is `D = max |F_a − F_b|` over the pooled
/// values (right-continuous empirical CDFs, so ties are handled as scipy does).
///
/// `method='auto'` as scipy 1.17 decides it: when `max(na, nb) ≤ 10 000` the exact p-value
/// `P(D ≥ d)` by counting lattice paths — for `na = nb` the alternating-sum formula of
/// scipy's `_compute_prob_outside_square`, otherwise the probability of leaving the band
/// `|x/na − y/nb| < d` by Hodges' inside method, carried as scipy does as the fraction of
/// paths that have left (Viehmann's recursion); `D` is then `h / lcm(na, nb)` with
/// `h = round(D·lcm)`. Should the exact value fall outside `[0, 1]` (it does, by rounding,
/// for `na = nb` and `D = 1/na` at some `na`), or when `max(na, nb) > 10 000`, the
/// asymptotic p-value `kstwo.sf(D, round(na·nb/(na + nb)))` — the exact one-sample
/// two-sided Kolmogorov distribution evaluated as scipy's `_kolmogn` does (Simard and
/// L'Ecuyer's choice between Ruben–Gambino, Durbin's matrix, Pomeranz, Pelz–Good and
/// `2·smirnov`). p is clipped to `[0, 1]`.
///
/// NaN statistic and p when either sample is empty or holds a NaN (scipy raises).
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Test {
    if a.is_empty() || b.is_empty() || a.iter().chain(b).any(|v| v.is_nan()) {
        return NAN_TEST;
    }
    let mut x = a.to_vec();
    let mut y = b.to_vec();
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let (n1, n2) = (x.len(), y.len());
    let (f1, f2) = (n1 as f64, n2 as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut widest: u128 = 0; // max |i·n2 − j·n1|
    let (mut max_diff, mut min_diff) = (f64::NEG_INFINITY, f64::INFINITY);
    loop {
        let v = match (x.get(i), y.get(j)) {
            (Some(&p), Some(&q)) => p.min(q),
            (Some(&p), None) => p,
            (None, Some(&q)) => q,
            (None, None) => break,
        };
        while x.get(i).is_some_and(|&p| p <= v) {
            i += 1;
        }
        while y.get(j).is_some_and(|&q| q <= v) {
            j += 1;
        }
        widest = widest.max((i as u128 * n2 as u128).abs_diff(j as u128 * n1 as u128));
        let diff = i as f64 / f1 - j as f64 / f2;
        max_diff = max_diff.max(diff);
        min_diff = min_diff.min(diff);
    }
    let g = gcd(n1, n2);
    let lcm = (n1 / g) as u128 * n2 as u128;
    let h = widest / g as u128;
    let asymptotic = |d: f64| {
        let (m, n) = (f1.max(f2), f1.min(f2));
        let en = m * n / (m + n);
        Test {
            statistic: d,
            p_value: kstwo_sf(en.round_ties_even() as u64, d).clamp(0.0, 1.0),
        }
    };
    if n1.max(n2) <= 10_000 {
        let d = h as f64 / lcm as f64;
        if h == 0 {
            return Test {
                statistic: d,
                p_value: 1.0,
            };
        }
        let h = h as u64;
        let prob = if n1 == n2 {
            ks_prob_outside_square(n1 as u64, h)
        } else {
            ks_prob_outside_band(n1 as u64, n2 as u64, g as u64, h)
        };
        if (0.0..=1.0).contains(&prob) {
            return Test {
                statistic: d,
                p_value: prob,
            };
        }
        return asymptotic(d);
    }
    let min_s = (-min_diff).clamp(0.0, 1.0);
    let d = if min_s > max_diff { min_s } else { max_diff };
    asymptotic(d)
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// `P(D_{n,n} ≥ h/n)`: `2·Σ_k (−1)^(k+1) C(2n, n − kh)/C(2n, n)`, evaluated as scipy's
/// `_compute_prob_outside_square` (nested, each ratio a product of `h` factors), in the
/// same order of floating-point operations.
fn ks_prob_outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as i64, h as i64);
    let mut p = 0.0_f64;
    let mut k = n / h;
    while k >= 0 {
        let mut p1 = 1.0_f64;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// The fraction of the lattice paths from `(0, 0)` to `(m, n)` (`m ≥ n` after a swap) that
/// touch `|x·n/g − y·m/g| ≥ h`, i.e. `P(D ≥ h/lcm)`. Column by column, a point outside the
/// band has fraction 1 and a point inside has
/// `f(i, j) = (f(i−1, j)·i + f(i, j−1)·j) / (i + j)` (the shares of paths arriving from the
/// left and from below).
fn ks_prob_outside_band(n1: u64, n2: u64, g: u64, h: u64) -> f64 {
    let (m, n) = (n1.max(n2), n1.min(n2));
    let (mg, ng) = (m / g, n / g);
    let inside = |i: u64, j: u64| (ng * i).abs_diff(mg * j) < h;
    let mut f: Vec<f64> = (0..=n)
        .map(|j| if inside(0, j) { 0.0 } else { 1.0 })
        .collect();
    for i in 1..=m {
        let mut any_inside = false;
        let mut left = 0.0_f64;
        for (j, cell) in (0u64..).zip(f.iter_mut()) {
            let value = if inside(i, j) {
                any_inside = true;
                (*cell * i as f64 + left * j as f64) / (i + j) as f64
            } else {
                1.0
            };
            *cell = value;
            left = value;
        }
        if !any_inside {
            return 1.0;
        }
    }
    f.last().copied().unwrap_or(f64::NAN)
}

// ---------------------------------------------------------------------------------------
// Holm
// ---------------------------------------------------------------------------------------

/// The two-sided Student-t quantile: the `t` with `P(|T| > t) = 1 − level` for `df`
/// degrees of freedom (scipy's `t.ppf((1 + level) / 2, df)`), by bisection on the
/// two-sided tail; NaN for `df ≤ 0` or a level outside (0, 1).
pub fn t_quantile(level: f64, df: f64) -> f64 {
    if !(df > 0.0 && level > 0.0 && level < 1.0) {
        return f64::NAN;
    }
    let target = 1.0 - level;
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while student_t_two_sided_p(hi, df) > target {
        hi *= 2.0;
        if hi > 1e12 {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_two_sided_p(mid, df) > target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Half the width of the Student-t confidence interval of a mean at `level`: `t · sd / √n`
/// for `n` values of sample standard deviation `sd`; NaN for fewer than two values.
pub fn t_interval_half_width(sd: f64, n: usize, level: f64) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    t_quantile(level, (n - 1) as f64) * sd / (n as f64).sqrt()
}

/// Holm–Bonferroni adjusted p-values in the input order, as statsmodels
/// `multipletests(p, method='holm')[1]`: with the `m` non-NaN p-values sorted ascending,
/// `adjusted_(i) = min(1, max_{j ≤ i} (m − j + 1)·p_(j))`. NaN p-values stay NaN and do not
/// count towards `m`.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p_values.len())
        .filter(|&i| p_values.get(i).is_some_and(|p| !p.is_nan()))
        .collect();
    order.sort_by(|&i, &j| {
        let x = p_values.get(i).copied().unwrap_or(f64::NAN);
        let y = p_values.get(j).copied().unwrap_or(f64::NAN);
        x.total_cmp(&y)
    });
    let m = order.len();
    let mut adjusted = vec![f64::NAN; p_values.len()];
    let mut running = f64::NEG_INFINITY;
    for (rank, &i) in order.iter().enumerate() {
        let p = p_values.get(i).copied().unwrap_or(f64::NAN);
        running = running.max((m - rank) as f64 * p);
        if let Some(slot) = adjusted.get_mut(i) {
            *slot = running.min(1.0);
        }
    }
    adjusted
}

// ---------------------------------------------------------------------------------------
// Correlation
// ---------------------------------------------------------------------------------------

/// Pearson's correlation coefficient, the statistic of `scipy.stats.pearsonr(x, y)`:
/// `Σ(x − x̄)(y − ȳ) / (‖x − x̄‖·‖y − ȳ‖)`, clipped to `[−1, 1]`; for two points exactly
/// `±1` (scipy rounds). NaN when undefined: different lengths or fewer than 2 points
/// (scipy raises), an input constant (all values equal), or a NaN among the values.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let r = correlation(x, y);
    if x.len() == 2 { r.round_ties_even() } else { r }
}

/// Spearman's rank correlation, the statistic of `scipy.stats.spearmanr(x, y)`: Pearson's
/// correlation of the average ranks (ties share their average rank). NaN when undefined:
/// different lengths or fewer than 2 points, an input constant, or a NaN among the values.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    if !correlation_defined(x, y) {
        return f64::NAN;
    }
    correlation(&average_ranks(x).0, &average_ranks(y).0)
}

fn correlation_defined(x: &[f64], y: &[f64]) -> bool {
    let constant = |v: &[f64]| v.iter().all(|&u| Some(u) == v.first().copied());
    x.len() == y.len()
        && x.len() >= 2
        && !x.iter().chain(y).any(|v| v.is_nan())
        && !constant(x)
        && !constant(y)
}

/// Pearson's r as scipy computes it (deviations scaled by their largest magnitude before
/// taking norms); NaN when [`correlation_defined`] is false.
fn correlation(x: &[f64], y: &[f64]) -> f64 {
    if !correlation_defined(x, y) {
        return f64::NAN;
    }
    let unit = |v: &[f64]| -> Vec<f64> {
        let m = mean(v);
        let dev: Vec<f64> = v.iter().map(|u| u - m).collect();
        let largest = dev.iter().fold(0.0_f64, |acc, d| acc.max(d.abs()));
        let norm = largest
            * dev
                .iter()
                .map(|d| (d / largest).powi(2))
                .sum::<f64>()
                .sqrt();
        dev.iter().map(|d| d / norm).collect()
    };
    let (ux, uy) = (unit(x), unit(y));
    let r: f64 = ux.iter().zip(&uy).map(|(a, b)| a * b).sum();
    r.clamp(-1.0, 1.0)
}

// ---------------------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------------------

/// `exp(−z²/2)/√(2π)`, with `z²` split exactly (`hi + lo`) so that large `z` keep full
/// relative precision.
fn normal_pdf(z: f64) -> f64 {
    let hi = z * z;
    let lo = z.mul_add(z, -hi);
    (-0.5 * hi).exp() * (-0.5 * lo).exp() / (2.0 * PI).sqrt()
}

/// `P(Z > z)` for a standard normal `Z` (scipy `ndtr(−z)`), to about 3e-16 absolute and
/// 1e-14 relative: for `|z| < 2`, `½ − φ(z)·Σ z^(2n+1)/(2n+1)!!` (a series of positive
/// terms); above, Laplace's continued fraction `φ(z)/(z + 1/(z + 2/(z + 3/(z + …))))` by
/// Lentz's method; `P(Z > −z) = 1 − P(Z > z)`. (statrs' `erfc` is only good to ~1e-11
/// relative, which shows in p-values at 1e-12.)
fn normal_sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z < 0.0 {
        return 1.0 - normal_sf(-z);
    }
    if z < 2.0 {
        let z2 = z * z;
        let mut term = z;
        let mut sum = z;
        for n in 1..1000u32 {
            term *= z2 / f64::from(2 * n + 1);
            let next = sum + term;
            if next == sum {
                break;
            }
            sum = next;
        }
        return 0.5 - normal_pdf(z) * sum;
    }
    if z > 40.0 {
        return 0.0;
    }
    const TINY: f64 = 1e-300;
    let mut f = z;
    let mut c = f;
    let mut d = 0.0_f64;
    for j in 1..100_000u32 {
        let a = f64::from(j);
        d = z + a * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = z + a / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    normal_pdf(z) / f
}

/// `P(|T| ≥ |t|)` for Student's t with `df` degrees of freedom (scipy
/// `2·stdtr(df, −|t|)`): the regularized incomplete beta `I_x(df/2, 1/2)` at
/// `x = df/(df + t²)`, with `1 − x = t²/(df + t²)` computed directly, the log of
/// `x^a (1−x)^b / B(a, b)` from `log1p` and a Stirling-series `ln Γ(a+½) − ln Γ(a)`, and
/// Lentz's continued fraction on the side where it converges; for `df > 10⁴` and
/// `|t| < 8` the large-`df` expansion [`student_t_sf_large_df`] instead.
fn student_t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    let t2 = t * t;
    if !t2.is_finite() {
        return 0.0;
    }
    if t2 == 0.0 {
        return 1.0;
    }
    if df == f64::INFINITY {
        return (2.0 * normal_sf(t.abs())).clamp(0.0, 1.0);
    }
    if df > 1e4 && t2 < 64.0 {
        return (2.0 * student_t_sf_large_df(t.abs(), df)).clamp(0.0, 1.0);
    }
    let a = df / 2.0;
    let b = 0.5;
    let x = df / (df + t2);
    let y = t2 / (df + t2);
    // ln(x^a · y^b / B(a, b)), B(a, ½) = Γ(a)Γ(½)/Γ(a+½).
    let ln_front = -a * (t2 / df).ln_1p() + b * y.ln() - 0.5 * PI.ln() + ln_gamma_ratio_half(a);
    let front = ln_front.exp();
    let p = if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, y) / b
    };
    p.clamp(0.0, 1.0)
}

/// `P(T > t)` for `t ≥ 0` and large `df` by the expansion in `1/df` of Student's t
/// around the normal: `Q(t) + φ(t)·Σ_{k=1}^{5} a_k(t)/df^k`, with
/// `a₁ = t(t² + 1)/4`,
/// `a₂ = t(t² − 3)(3t⁴ + 2t² + 1)/96`,
/// `a₃ = t(t¹⁰ − 11t⁸ + 14t⁶ + 6t⁴ − 3t² − 15)/384`,
/// `a₄ = t(15t¹⁴ − 375t¹² + 2225t¹⁰ − 2141t⁸ − 939t⁶ − 213t⁴ + 915t² + 945)/92160`,
/// `a₅ = t(3t¹⁸ − 133t¹⁶ + 1764t¹⁴ − 7516t¹² + 5994t¹⁰ + 2490t⁸ + 1140t⁶ + 180t⁴ +
/// 5355t² + 17955)/368640`
/// (derived by integrating the series of the density ratio `f_df/φ`; checked against
/// mpmath). Used for `df > 10⁴`, `|t| < 8`, where the absolute truncation error is below
/// 1e-20 and the continued fraction would lose digits to cancellation (`x = df/(df+t²)`
/// near 1: 1e-13 at `df = 10⁵`, 1e-8 at `df = 10¹⁰`).
fn student_t_sf_large_df(t: f64, df: f64) -> f64 {
    let q = normal_sf(t);
    let phi = normal_pdf(t);
    if phi == 0.0 {
        return q;
    }
    let u = t * t;
    let poly = |coeffs: &[f64]| coeffs.iter().fold(0.0, |acc, c| acc * u + c);
    let a = [
        t * (u + 1.0) / 4.0,
        t * (u - 3.0) * poly(&[3.0, 2.0, 1.0]) / 96.0,
        t * poly(&[1.0, -11.0, 14.0, 6.0, -3.0, -15.0]) / 384.0,
        t * poly(&[15.0, -375.0, 2225.0, -2141.0, -939.0, -213.0, 915.0, 945.0]) / 92160.0,
        t * poly(&[
            3.0, -133.0, 1764.0, -7516.0, 5994.0, 2490.0, 1140.0, 180.0, 5355.0, 17955.0,
        ]) / 368_640.0,
    ];
    let r = 1.0 / df;
    let series = a.iter().rev().fold(0.0, |acc, ak| (acc + ak) * r);
    q + phi * series
}

/// `ln Γ(a + ½) − ln Γ(a)` for `a > 0`: shifted up to `a ≥ 10` with
/// `Γ(a+½)/Γ(a) = Γ(a+3/2)/Γ(a+1) · a/(a+½)`, then the difference of the Stirling series
/// with the large terms cancelled analytically:
/// `½ ln a + a·log1p(1/(2a)) − ½ + S(a+½) − S(a)`.
fn ln_gamma_ratio_half(a: f64) -> f64 {
    let mut z = a;
    let mut acc = 0.0;
    while z < 10.0 {
        acc += (z / (z + 0.5)).ln();
        z += 1.0;
    }
    // S(z) = Σ B_2k / (2k(2k−1) z^(2k−1)), to z^−11.
    let s = |z: f64| {
        let r = 1.0 / z;
        let r2 = r * r;
        r * (1.0 / 12.0
            + r2 * (-1.0 / 360.0
                + r2 * (1.0 / 1260.0
                    + r2 * (-1.0 / 1680.0 + r2 * (1.0 / 1188.0 + r2 * (-691.0 / 360_360.0))))))
    };
    acc + 0.5 * z.ln() + z * (0.5 / z).ln_1p() - 0.5 + (s(z + 0.5) - s(z))
}

/// The continued fraction of the incomplete beta function (modified Lentz), converging
/// for `x < (a + 1)/(a + b + 2)`: `I_x(a, b) = x^a (1−x)^b / (a B(a, b)) · cf`.
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const MAX_ITER: u32 = 1_000_000;
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0_f64;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=MAX_ITER {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    h
}

/// `2^k` for `k` in the normal exponent range, saturating outside it.
fn pow2i(k: i64) -> f64 {
    let k = k.clamp(-1022, 1023);
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `p · 2^e` without intermediate overflow or underflow of the scale factor.
fn ldexp(mut p: f64, mut e: i64) -> f64 {
    while e > 1000 {
        p *= pow2i(1000);
        e -= 1000;
    }
    while e < -1000 {
        p *= pow2i(-1000);
        e += 1000;
    }
    p * pow2i(e)
}

const E128: i64 = 128;

/// `P(D_n ≥ x)` for the one-sample two-sided Kolmogorov–Smirnov statistic (scipy
/// `kstwo.sf(x, n)`), with the branches of scipy's `_kolmogn(n, x, cdf=False)`.
fn kstwo_sf(n: u64, x: f64) -> f64 {
    if x.is_nan() || n == 0 {
        return f64::NAN;
    }
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben–Gambino: P(D_n ≤ x) = n!/n^n (2t − 1)^n for 1/(2n) ≤ x ≤ 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let prob = if n <= 140 {
            (1..=n).fold(1.0, |acc, i| {
                acc * (i as f64 * (1.0 / nf) * (2.0 * t - 1.0))
            })
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return (1.0 - prob).clamp(0.0, 1.0);
    }
    if t >= nf - 1.0 {
        return (2.0 * (1.0 - x).powf(nf)).clamp(0.0, 1.0);
    }
    if x >= 0.5 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let nx2 = t * x;
    if n <= 140 {
        if nx2 <= 0.754693 {
            return (1.0 - kolmogn_durbin_cdf(n, x)).clamp(0.0, 1.0);
        }
        if nx2 <= 4.0 {
            return (1.0 - kolmogn_pomeranz_cdf(n, x)).clamp(0.0, 1.0);
        }
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    if nx2 >= 370.0 {
        return 0.0;
    }
    if nx2 >= 2.2 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let cdf = if nx2 >= 18.0 {
        1.0
    } else if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        kolmogn_durbin_cdf(n, x)
    } else {
        kolmogn_pelz_good_cdf(n, x)
    };
    (1.0 - cdf).clamp(0.0, 1.0)
}

/// `ln(n!/n^n)` by Stirling's series with `n ln n` removed up front (scipy
/// `_log_nfactorial_div_n_pow_n`).
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    // B_2j / (2j (2j − 1)) for j = 8, …, 1.
    const STIRLING: [f64; 8] = [
        -3617.0 / 122_400.0,
        1.0 / 156.0,
        -691.0 / 360_360.0,
        1.0 / 1188.0,
        -1.0 / 1680.0,
        1.0 / 1260.0,
        -1.0 / 360.0,
        1.0 / 12.0,
    ];
    let rn = 1.0 / n;
    let u = rn / n;
    let poly = STIRLING.iter().fold(0.0, |acc, c| acc * u + c);
    n.ln() / 2.0 - n + (2.0 * PI).ln() / 2.0 + rn * poly
}

/// `P(D_n ≤ d)` by Durbin's matrix algorithm as Marsaglia, Tsang and Wang evaluate it:
/// the `(k, k)` entry of `H^n` times `n!/n^n`, with `d = (k − h)/n`, scaling by `2^128`
/// as scipy's `_kolmogn_DMTW` does.
fn kolmogn_durbin_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let nd = nf * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let at = |r: usize, c: usize| r * m + c;
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powi(j as i32)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0_f64;
    for j in 1..=m {
        if let Some(wj) = w.get_mut(j - 1) {
            *wj = fac;
        }
        fac /= j as f64;
        if let Some(vj) = v.get_mut(j - 1) {
            *vj *= fac;
        }
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    if let Some(last) = v.last_mut() {
        *last = (1.0 + tt) * fac;
    }
    let mut hm = vec![0.0; m * m];
    for c in 1..m {
        for r in (c - 1)..m {
            if let (Some(cell), Some(&wv)) = (hm.get_mut(at(r, c)), w.get(r - (c - 1))) {
                *cell = wv;
            }
        }
    }
    for (r, &vr) in v.iter().enumerate() {
        if let Some(cell) = hm.get_mut(at(r, 0)) {
            *cell = vr;
        }
    }
    for (c, &vr) in v.iter().rev().enumerate() {
        if let Some(cell) = hm.get_mut(at(m - 1, c)) {
            *cell = vr;
        }
    }
    let matmul = |a: &[f64], b: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; m * m];
        for r in 0..m {
            for c in 0..m {
                let mut s = 0.0;
                for i in 0..m {
                    s += a.get(at(r, i)).copied().unwrap_or(0.0)
                        * b.get(at(i, c)).copied().unwrap_or(0.0);
                }
                if let Some(cell) = out.get_mut(at(r, c)) {
                    *cell = s;
                }
            }
        }
        out
    };
    let mut power: Vec<f64> = (0..m * m)
        .map(|i| if i / m == i % m { 1.0 } else { 0.0 })
        .collect();
    let mut nn = n;
    let mut expnt: i64 = 0;
    let mut h_expnt: i64 = 0;
    let big = pow2i(E128);
    while nn > 0 {
        if nn % 2 == 1 {
            power = matmul(&power, &hm);
            expnt += h_expnt;
        }
        hm = matmul(&hm, &hm);
        h_expnt *= 2;
        if hm.get(at(k - 1, k - 1)).is_some_and(|v| v.abs() > big) {
            for cell in hm.iter_mut() {
                *cell /= big;
            }
            h_expnt += E128;
        }
        nn /= 2;
    }
    let mut p = power.get(at(k - 1, k - 1)).copied().unwrap_or(f64::NAN);
    let small = pow2i(-E128);
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < small {
            p *= big;
            expnt -= E128;
        }
    }
    ldexp(p, expnt).clamp(0.0, 1.0)
}

/// The endpoints of row `i`'s band in the Pomeranz recursion (scipy
/// `_pomeranz_compute_j1j2`).
fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (half, odd) = ((i + 1) / 2, (i + 1) % 2);
        if odd == 0 {
            if half == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (half - 1 - ll - roundf - 1, half + ll - 1 + ceilf - 1)
            }
        } else {
            (half - 1 - ll - 1, half + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// `P(D_n ≤ x)` by Pomeranz's recursion (scipy `_kolmogn_Pomeranz`): rows are
/// convolutions with truncated Poisson weights, rescaled by `2^128` against underflow.
fn kolmogn_pomeranz_cdf(n: u64, x: f64) -> f64 {
    let nf = n as f64;
    let ni = n as i64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)).max(1) as usize;
    let powers = |step: f64| -> Vec<f64> {
        let mut out = vec![1.0; npwrs];
        for m in 1..npwrs {
            let prev = out.get(m - 1).copied().unwrap_or(0.0);
            if let Some(o) = out.get_mut(m) {
                *o = prev * step / m as f64;
            }
        }
        out
    };
    let gpower = powers(g / nf);
    let twogpower = powers(2.0 * g / nf);
    let onem2gpower = powers((1.0 - 2.0 * g) / nf);
    let big = pow2i(E128);
    let small = pow2i(-E128);
    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    if let Some(first) = v1.first_mut() {
        *first = 1.0;
    }
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut expnt: i64 = 0;
    let (mut j1, _) = pomeranz_j1j2(0, ni, ll, ceilf, roundf);
    for i in 1..(2 * ni + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|v| *v = 0.0);
        let (nj1, j2) = pomeranz_j1j2(i, ni, ll, ceilf, roundf);
        j1 = nj1;
        let pwrs = if i == 1 || i == 2 * ni + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            let a = |idx: i64| -> f64 {
                if idx < 0 || idx >= ln2 {
                    return 0.0;
                }
                let pos = k1 - v0s + idx;
                if pos < 0 {
                    return 0.0;
                }
                v0.get(pos as usize).copied().unwrap_or(0.0)
            };
            let p = |idx: i64| -> f64 {
                if idx < 0 || idx >= ln2 {
                    return 0.0;
                }
                pwrs.get(idx as usize).copied().unwrap_or(0.0)
            };
            let conv_start = j1 - k1;
            let conv_len = j2 - j1 + 1;
            for out in 0..conv_len.max(0) {
                let kk = conv_start + out;
                let lo = (kk - (ln2 - 1)).max(0);
                let hi = kk.min(ln2 - 1);
                let mut s = 0.0;
                for ii in lo..=hi {
                    s += a(ii) * p(kk - ii);
                }
                if let Some(cell) = v1.get_mut(out as usize) {
                    *cell = s;
                }
            }
            let largest = v1.iter().fold(f64::NEG_INFINITY, |acc, &v| acc.max(v));
            if 0.0 < largest && largest < small {
                v1.iter_mut().for_each(|v| *v *= big);
                expnt -= E128;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let idx = ni - v1s;
    let mut ans = if idx >= 0 {
        v1.get(idx as usize).copied().unwrap_or(0.0)
    } else {
        0.0
    };
    for m in 1..=n {
        if ans.abs() > big {
            ans *= small;
            expnt += E128;
        }
        ans *= m as f64;
    }
    ldexp(ans, expnt).clamp(0.0, 1.0)
}

/// The Pelz–Good approximation to `P(D_n ≤ x)` (scipy `_kolmogn_PelzGood`): the
/// Li-Chien/Korolyuk expansion `K0 + K1/√n + K2/n + K3/n^1.5` with each term transformed
/// by the Jacobi theta identity to suit small `z = x√n`.
fn kolmogn_pelz_good_cdf(n: u64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let pi2 = PI * PI;
    let pi4 = pi2 * pi2;
    let pi6 = pi4 * pi2;
    let sqrt2pi = (2.0 * PI).sqrt();
    let qlog = -pi2 / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let (k1a, k1b) = (-z2, pi2 / 4.0);
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut k = [0.0_f64; 4];
    let maxk = (16.0 * z / PI).ceil().max(0.0) as i64;
    for kk in (1..=maxk).rev() {
        let m = (2 * kk - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let qpower = q.powf((8 * kk) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (ki, c) in k.iter_mut().zip(coeffs) {
            *ki = *ki * qpower + c;
        }
    }
    let divisors = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (ki, dv) in k.iter_mut().zip(divisors) {
        *ki = *ki * q * sqrt2pi / dv;
    }
    let q = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3.0_f64.sqrt() * z;
    let mut k2extra = 0.0;
    let mut k3extra = 0.0;
    for kk in (1..=maxk).rev() {
        let kf = kk as f64;
        let ksq = kf * kf;
        let qp = q.powf(ksq);
        k2extra += ksq * qp;
        let kspi = PI * kf;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
    }
    k[2] += k2extra * pi2 * sqrt2pi / (-36.0 * z3);
    k[3] += k3extra * pi2 * sqrt2pi / (216.0 * z6);
    k.iter()
        .enumerate()
        .map(|(i, ki)| ki / nf.powf(i as f64 / 2.0))
        .sum()
}

/// `P(D⁺_n ≥ x)` for the one-sided one-sample Kolmogorov–Smirnov statistic (scipy
/// `smirnov(n, x)`): the special cases of scipy's `_smirnov` (`x ≤ 1/n`, `x ≥ 1 − 1/n`,
/// underflow, and its approximation for `n > 10⁶`), otherwise the Birnbaum–Tingey sum
/// `Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) x (x + v/n)^(v−1) (1 − x − v/n)^(n−v)`, each term a
/// binomial probability evaluated by Loader's saddle-point formula.
fn smirnov_sf(n: u64, x: f64) -> f64 {
    const MINLOG: f64 = -7.083_964_185_322_641e2;
    if n == 0 || !(0.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    // n·x exactly, as hi + lo.
    let nx_hi = nf * x;
    let nx_lo = nf.mul_add(x, -nx_hi);
    let mut floor = nx_hi.floor();
    let mut alpha = (nx_hi - floor) + nx_lo;
    if alpha < 0.0 {
        floor -= 1.0;
        alpha += 1.0;
    }
    if alpha >= 1.0 {
        floor += 1.0;
        alpha = 0.0;
    }
    let nxfl = floor.max(0.0) as u64;
    if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
        let cdf = x * ((nf - 1.0) * x.ln_1p()).exp();
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if -2.0 * nf * x * x < MINLOG {
        return 0.0;
    }
    if nxfl >= n - 1 {
        return (nf * (-x).ln_1p()).exp().clamp(0.0, 1.0);
    }
    if n > 1_000_000 {
        let logp = -(6.0 * nf * x + 1.0).powi(2) / 18.0 / nf;
        let sf = if logp < -LN_2 {
            logp.exp()
        } else {
            1.0 - (-logp.exp_m1())
        };
        return sf.clamp(0.0, 1.0);
    }
    let last = n - nxfl - 1;
    let stirl_n = stirlerr(n);
    let mut sum = 0.0;
    for v in 1..=last {
        let vf = v as f64;
        let rest = (n - v) as f64;
        let np = (vf + nx_hi) + nx_lo; // n·(x + v/n)
        let nq = (rest - nx_hi) - nx_lo; // n·(1 − x − v/n)
        let ln_pmf =
            stirl_n - stirlerr(v) - stirlerr(n - v) - bd0(vf, np, -nx_hi) - bd0(rest, nq, nx_hi);
        let pmf = ln_pmf.exp() * (nf / (2.0 * PI * vf * rest)).sqrt();
        sum += pmf / (np / nf);
    }
    let first = (nf * (-x).ln_1p()).exp();
    (first + x * sum).clamp(0.0, 1.0)
}

/// `ln(k!) − ((k + ½) ln k − k + ½ ln 2π)`, the error of Stirling's formula (Loader).
fn stirlerr(k: u64) -> f64 {
    const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_7;
    let kf = k as f64;
    if k <= 15 {
        let ln_fact = (1..=k).map(|i| i as f64).product::<f64>().ln();
        return ln_fact + kf - (kf + 0.5) * kf.ln() - LN_SQRT_2PI;
    }
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    let nn = kf * kf;
    if k > 500 {
        (S0 - S1 / nn) / kf
    } else if k > 80 {
        (S0 - (S1 - S2 / nn) / nn) / kf
    } else if k > 35 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / kf
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / kf
    }
}

/// Loader's deviance term `x ln(x/m) + m − x`, given `d = x − m` accurately.
fn bd0(x: f64, m: f64, d: f64) -> f64 {
    if d.abs() < 0.1 * (x + m) {
        let v = d / (x + m);
        let v2 = v * v;
        let mut s = d * v;
        let mut ej = 2.0 * x * v;
        for j in 1..1000 {
            ej *= v2;
            let next = s + ej / f64::from(2 * j + 1);
            if next == s {
                return next;
            }
            s = next;
        }
        s
    } else {
        x * (x / m).ln() - d
    }
}

#[cfg(test)]
mod tests {
    //! Reference values recorded with scipy 1.17.1, numpy 2.4.6 and statsmodels 0.15.0
    //! (Python 3.11) by a script kept outside the repository; every statistic and p-value
    //! must match to 1e-9 (absolute).

    use super::*;

    const TOL: f64 = 1e-9;

    /// `(label, a, b, statistic, p)` (for correlations: `(label, x, y, r, ρ)`).
    type TwoSampleCase = (&'static str, &'static [f64], &'static [f64], f64, f64);
    /// `((kind, n), (kind, n), statistic, p)` for [`generated`] samples.
    type GeneratedCase = ((&'static str, usize), (&'static str, usize), f64, f64);

    /// |ours − reference|, 0 when both are NaN or the same infinity, ∞ when only one is NaN
    /// or infinite.
    fn error(ours: f64, reference: f64) -> f64 {
        if ours.is_nan() && reference.is_nan() {
            return 0.0;
        }
        if ours.is_infinite() || reference.is_infinite() {
            return if ours == reference {
                0.0
            } else {
                f64::INFINITY
            };
        }
        let e = (ours - reference).abs();
        if e.is_nan() { f64::INFINITY } else { e }
    }

    /// Checks every `(label, ours, reference)` to [`TOL`] and prints the worst error.
    fn check(what: &str, rows: &[(String, f64, f64)]) {
        let mut worst = (0.0_f64, String::new());
        for (label, ours, reference) in rows {
            let e = error(*ours, *reference);
            assert!(
                e <= TOL,
                "{what} {label}: ours {ours:?}, reference {reference:?} (error {e:e})"
            );
            if e > worst.0 {
                worst = (e, label.clone());
            }
        }
        eprintln!(
            "{what}: {} values, worst |error| {:e} ({})",
            rows.len(),
            worst.0,
            worst.1
        );
    }

    #[rustfmt::skip]
    const A3: &[f64] = &[0.812, 0.794, 0.823];
    #[rustfmt::skip]
    const B3: &[f64] = &[0.776, 0.781, 0.769];
    #[rustfmt::skip]
    const A3_TIED: &[f64] = &[0.8, 0.8, 0.82];
    #[rustfmt::skip]
    const B3_TIED: &[f64] = &[0.8, 0.79, 0.78];
    #[rustfmt::skip]
    const B5_3: &[f64] = &[0.801, 0.766, 0.79, 0.772, 0.785];
    #[rustfmt::skip]
    const A5: &[f64] = &[0.912, 0.905, 0.918, 0.899, 0.921];
    #[rustfmt::skip]
    const B5: &[f64] = &[0.897, 0.901, 0.889, 0.903, 0.894];
    #[rustfmt::skip]
    const B5_TIED: &[f64] = &[0.905, 0.899, 0.899, 0.887, 0.912];
    #[rustfmt::skip]
    const C3: &[f64] = &[0.5, 0.5, 0.5];
    #[rustfmt::skip]
    const C5: &[f64] = &[0.5, 0.5, 0.5, 0.5, 0.5];
    #[rustfmt::skip]
    const C5_HIGH: &[f64] = &[0.6, 0.6, 0.6, 0.6, 0.6];
    #[rustfmt::skip]
    const ONE: &[f64] = &[0.8];
    #[rustfmt::skip]
    const A20: &[f64] = &[0.8397, 0.8363, 0.8436, 0.8223, 0.8451, 0.8385, 0.834, 0.8431, 0.8205, 0.8403, 0.834, 0.8465, 0.8469, 0.8318, 0.8317, 0.8258, 0.8333, 0.8455, 0.8514, 0.8445];
    #[rustfmt::skip]
    const B25: &[f64] = &[0.8365, 0.8239, 0.8387, 0.8246, 0.8394, 0.8332, 0.848, 0.8388, 0.8552, 0.8303, 0.8466, 0.8392, 0.8598, 0.8085, 0.8482, 0.8217, 0.8238, 0.8357, 0.8149, 0.8193, 0.8289, 0.8315, 0.8093, 0.8238, 0.834];
    #[rustfmt::skip]
    const C20_TIED: &[f64] = &[0.7, 0.69, 0.7, 0.69, 0.72, 0.68, 0.7, 0.69, 0.72, 0.68, 0.72, 0.68, 0.67, 0.69, 0.7, 0.67, 0.69, 0.7, 0.7, 0.72];
    #[rustfmt::skip]
    const D25_TIED: &[f64] = &[0.73, 0.72, 0.73, 0.73, 0.69, 0.75, 0.71, 0.7, 0.72, 0.7, 0.72, 0.69, 0.72, 0.68, 0.72, 0.71, 0.7, 0.71, 0.7, 0.69, 0.72, 0.75, 0.69, 0.73, 0.73];
    #[rustfmt::skip]
    const E6: &[f64] = &[0.388, 0.519, 0.552, 0.409, 0.608, 0.588];
    #[rustfmt::skip]
    const F25: &[f64] = &[0.72, 0.589, 0.645, 0.731, 0.57, 0.5, 0.405, 0.579, 0.423, 0.66, 0.565, 0.631, 0.566, 0.674, 0.504, 0.555, 0.69, 0.424, 0.569, 0.648, 0.444, 0.48, 0.425, 0.668, 0.531];
    #[rustfmt::skip]
    const G9: &[f64] = &[0.468, 0.359, 0.394, 0.593, 0.481, 0.46, 0.579, 0.409, 0.661];
    #[rustfmt::skip]
    const H9: &[f64] = &[0.543, 0.529, 0.553, 0.584, 0.65, 0.51, 0.498, 0.587, 0.614];
    #[rustfmt::skip]
    const BIG_GAP: &[f64] = &[10.0, 11.0, 12.0, 13.0];
    #[rustfmt::skip]
    const NEG: &[f64] = &[-3.5, -1.25, 0.0, 2.75, -0.5, 1.0, -2.0];
    #[rustfmt::skip]
    const INTERLEAVED_A: &[f64] = &[1.0, 3.0, 5.0, 7.0, 9.0];
    #[rustfmt::skip]
    const INTERLEAVED_B: &[f64] = &[2.0, 4.0, 6.0, 8.0, 10.0];

    // scipy 1.17.1: ttest_ind(a, b, equal_var=False) -> (statistic, pvalue)
    #[test]
    fn welch_t_matches_scipy() {
        #[rustfmt::skip]
        let cases: &[TwoSampleCase] = &[
            ("A3 vs B3", A3, B3, 3.7560235310708046, 0.04048338102730055), // df=np.float64(2.659130557449514)
            ("A3_TIED vs B3_TIED", A3_TIED, B3_TIED, 1.8898223650461334, 0.13323256156375052), // df=np.float64(3.920000000000006)
            ("A3 vs B5_3", A3, B5_3, 2.552550805745257, 0.060571780433160284), // df=np.float64(4.175886058939523)
            ("A5 vs B5", A5, B5, 2.977783466129172, 0.02186731955243645), // df=np.float64(6.646892099813746)
            ("A5 vs B5_TIED", A5, B5_TIED, 1.8324954161169646, 0.1042447634573735), // df=np.float64(7.998488278802541)
            ("A5 vs A5", A5, A5, 0.0, 1.0), // df=np.float64(8.0)
            ("C3 vs C5", C3, C5, f64::NAN, f64::NAN), // df=np.float64(1.0)
            ("C3 vs C5_HIGH", C3, C5_HIGH, f64::NEG_INFINITY, 0.0), // df=np.float64(1.0)
            ("C5 vs A5", C5, A5, -101.18120558501145, 5.720962422469253e-8), // df=np.float64(4.0)
            ("ONE vs B5", ONE, B5, f64::NAN, f64::NAN), // df=np.float64(1.0)
            ("A20 vs B25", A20, B25, 1.595020104706888, 0.1183184926320416), // df=np.float64(41.37773907541823)
            ("C20_TIED vs D25_TIED", C20_TIED, D25_TIED, -3.5283748367456567, 0.0010118935937148842), // df=np.float64(42.86712205617289)
            ("E6 vs F25", E6, F25, -1.3441093923945582, 0.21583984803942755), // df=np.float64(7.987115205449479)
            ("BIG_GAP vs A3", BIG_GAP, A3, 16.55997350528827, 0.0004783742035827186), // df=np.float64(3.001028755853404)
            ("NEG vs G9", NEG, G9, -1.2843036489087403, 0.24621991199105464), // df=np.float64(6.023128721287209)
        ];
        let mut rows = Vec::new();
        for &(label, a, b, t, p) in cases {
            let ours = welch_t(a, b);
            rows.push((format!("{label} statistic"), ours.statistic, t));
            rows.push((format!("{label} p"), ours.p_value, p));
        }
        check("welch_t", &rows);
    }

    // scipy 1.17.1: 2 * scipy.special.stdtr(df, -abs(t))
    #[test]
    fn t_quantiles_match_scipy_t_ppf() {
        // scipy 1.17.1: stats.t.ppf(0.975, df)
        for (df, want) in [
            (1.0, 12.706204736174694),
            (2.0, 4.302652729749462),
            (4.0, 2.7764451051977934),
            (9.0, 2.262157162798205),
            (30.0, 2.0422724563012378),
        ] {
            let got = t_quantile(0.95, df);
            assert!(
                (got - want).abs() <= 1e-9 * want,
                "df {df}: {got} vs {want}"
            );
        }
        assert!(t_quantile(0.95, 0.0).is_nan() && t_quantile(1.0, 3.0).is_nan());
        let hw = t_interval_half_width(2.0, 3, 0.95);
        assert!((hw - 4.302652729749462 * 2.0 / 3f64.sqrt()).abs() < 1e-9);
        assert!(t_interval_half_width(1.0, 1, 0.95).is_nan());
    }

    #[test]
    fn student_t_p_matches_scipy_stdtr() {
        #[rustfmt::skip]
        let cases: &[(f64, f64, f64)] = &[
            (1.0, 0.5, 0.7048327646991335),
            (1.0, 30.0, 0.02121280481107085),
            (1.5, 2.0, 0.22418833035605112),
            (2.3, -0.01, 0.9928224052266286),
            (4.0, 1.0, 0.37390096630005887),
            (7.7, 3.2, 0.013263734843242028),
            (30.0, 2.04, 0.050239574739086856),
            (100.5, 1.3, 0.1965746343917394),
            (1000.0, 2.5, 0.012578567801090807),
            (100000.0, 1.96, 0.04999856319430168),
            (100000.0, 0.001, 0.9992021175668878),
            (10000000.0, 4.0, 6.334293869016885e-5),
            (3.3, 1.0e-8, 0.9999999925954657),
            (12.0, 40.0, 3.851229580772032e-14),
            (0.7, 5.0, 0.20027366964182292),
            (9999.0, 1.96, 0.0500235230052102),
            (10001.0, 1.96, 0.05002351745901055),
            (1000000.0, 1.96, 0.04999606758526985),
            (100000000.0, 2.5, 0.01241933224005455),
            (10000000000.0, 1.96, 0.04999579032416977),
            (20000.0, 7.9, 2.932421993954499e-15),
            (20000.0, 8.1, 5.808504961539865e-16),
            (41.37773907541823, 1.595020104706888, 0.1183184926320416),
        ];
        let rows: Vec<_> = cases
            .iter()
            .map(|&(df, t, p)| (format!("df={df} t={t}"), student_t_two_sided_p(t, df), p))
            .collect();
        check("student_t_two_sided_p", &rows);
    }

    // scipy 1.17.1: scipy.special.ndtr(-z)
    #[test]
    fn normal_sf_matches_scipy_ndtr() {
        #[rustfmt::skip]
        let cases: &[(f64, f64)] = &[
            (-3.0, 0.9986501019683699),
            (-0.5, 0.6914624612740131),
            (0.0, 0.5),
            (0.5, 0.3085375387259869),
            (1.3912166872805047, 0.08207986423925762),
            (1.99, 0.02329546775021182),
            (2.01, 0.022215594429431475),
            (3.0, 0.0013498980316300933),
            (5.0, 2.866515718791933e-7),
            (10.0, 7.61985302416047e-24),
            (38.0, 0.0),
        ];
        let rows: Vec<_> = cases
            .iter()
            .map(|&(z, q)| (format!("z={z}"), normal_sf(z), q))
            .collect();
        check("normal_sf", &rows);
    }

    // numpy 2.4.6: np.quantile(x, q) (method='linear'), the rule of describe and of the
    // bootstrap intervals
    #[test]
    fn quantiles_match_numpy() {
        #[rustfmt::skip]
        let cases: &[(&[f64], f64, f64)] = &[
            (A20, 0.0, 0.8205),
            (A20, 0.025, 0.8213550000000001),
            (A20, 0.1, 0.82545),
            (A20, 0.5, 0.8391),
            (A20, 0.9, 0.8465400000000001),
            (A20, 0.975, 0.8492625),
            (A20, 1.0, 0.8514),
            (NEG, 0.0, -3.5),
            (NEG, 0.025, -3.275),
            (NEG, 0.1, -2.5999999999999996),
            (NEG, 0.5, -0.5),
            (NEG, 0.9, 1.7000000000000006),
            (NEG, 0.975, 2.4874999999999994),
            (NEG, 1.0, 2.75),
            (E6, 0.0, 0.388),
            (E6, 0.025, 0.390625),
            (E6, 0.1, 0.39849999999999997),
            (E6, 0.5, 0.5355000000000001),
            (E6, 0.9, 0.598),
            (E6, 0.975, 0.6054999999999999),
            (E6, 1.0, 0.608),
        ];
        let mut rows = Vec::new();
        for &(values, q, expected) in cases {
            let mut sorted = values.to_vec();
            sorted.sort_by(f64::total_cmp);
            rows.push((
                format!("{values:?} q={q}"),
                quantile_sorted(&sorted, q),
                expected,
            ));
        }
        check("quantile", &rows);
    }

    #[test]
    fn bootstrap_is_deterministic_in_the_seed() {
        let first = bootstrap_mean_ci(A20, 0.95, BOOTSTRAP_RESAMPLES, 7);
        assert_eq!(first, bootstrap_mean_ci(A20, 0.95, BOOTSTRAP_RESAMPLES, 7));
        assert_ne!(first, bootstrap_mean_ci(A20, 0.95, BOOTSTRAP_RESAMPLES, 8));
        let diff = bootstrap_diff_ci(A20, B25, 0.95, BOOTSTRAP_RESAMPLES, 7);
        assert_eq!(
            diff,
            bootstrap_diff_ci(A20, B25, 0.95, BOOTSTRAP_RESAMPLES, 7)
        );
        assert_ne!(
            diff,
            bootstrap_diff_ci(A20, B25, 0.95, BOOTSTRAP_RESAMPLES, 8)
        );
    }

    #[test]
    fn bootstrap_intervals_contain_the_estimate() {
        for values in [A3, A5, B5, A20, B25, NEG, E6, F25] {
            let m = mean(values);
            let Some(ci) = bootstrap_mean_ci(values, 0.95, BOOTSTRAP_RESAMPLES, 1) else {
                panic!("no interval for {values:?}");
            };
            assert!(
                ci.low < m && m < ci.high,
                "{ci:?} misses {m} for {values:?}"
            );
            // Never wider than the sample, and narrower at a lower level.
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert!(lo <= ci.low && ci.high <= hi, "{ci:?} outside [{lo}, {hi}]");
            let Some(half) = bootstrap_mean_ci(values, 0.5, BOOTSTRAP_RESAMPLES, 1) else {
                panic!("no 50% interval");
            };
            assert!(
                ci.low < half.low && half.high < ci.high,
                "{half:?} vs {ci:?}"
            );
        }
        for (a, b) in [(A3, B3), (A5, B5), (A20, B25), (E6, F25)] {
            let d = mean(a) - mean(b);
            let Some(ci) = bootstrap_diff_ci(a, b, 0.95, BOOTSTRAP_RESAMPLES, 3) else {
                panic!("no interval");
            };
            assert!(ci.low < d && d < ci.high, "{ci:?} misses {d}");
        }
        // The standard error of the mean of A20 is about 0.0019: a 95% interval spans
        // about ±1.96 of it.
        let Some(ci) = bootstrap_mean_ci(A20, 0.95, BOOTSTRAP_RESAMPLES, 11) else {
            panic!("no interval");
        };
        let half_width = (ci.high - ci.low) / 2.0;
        assert!((0.0030..0.0043).contains(&half_width), "{ci:?}");
    }

    #[test]
    fn bootstrap_degenerate_inputs() {
        assert_eq!(bootstrap_mean_ci(&[], 0.95, 100, 1), None);
        assert_eq!(bootstrap_mean_ci(A5, 0.95, 0, 1), None);
        for level in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert_eq!(bootstrap_mean_ci(A5, level, 100, 1), None);
            assert_eq!(bootstrap_diff_ci(A5, B5, level, 100, 1), None);
        }
        assert_eq!(bootstrap_diff_ci(&[], A5, 0.95, 100, 1), None);
        assert_eq!(bootstrap_diff_ci(A5, &[], 0.95, 100, 1), None);
        let point = Some(Interval {
            low: 0.8,
            high: 0.8,
        });
        assert_eq!(bootstrap_mean_ci(ONE, 0.95, 100, 1), point);
        assert_eq!(
            bootstrap_mean_ci(C5, 0.95, 100, 1),
            Some(Interval {
                low: 0.5,
                high: 0.5
            })
        );
        assert_eq!(
            bootstrap_diff_ci(ONE, C5, 0.95, 100, 1).map(|ci| (ci.low, ci.high)),
            Some((0.8 - 0.5, 0.8 - 0.5))
        );
        assert_eq!(bootstrap_mean_ci(ONE, 0.95, 1, 9), point);
        let with_nan = bootstrap_mean_ci(&[1.0, f64::NAN], 0.95, 100, 1);
        assert!(with_nan.is_some());
    }

    #[test]
    fn describe_degenerate_inputs() {
        assert_eq!(describe(&[]), None);
        let Some(one) = describe(&[2.5]) else {
            panic!("one value");
        };
        assert_eq!(
            (one.n, one.mean, one.median, one.q1, one.q3),
            (1, 2.5, 2.5, 2.5, 2.5)
        );
        assert_eq!((one.min, one.max), (2.5, 2.5));
        assert!(one.std.is_nan() && one.sem.is_nan());
        let Some(constant) = describe(&[3.0; 4]) else {
            panic!("constant");
        };
        assert_eq!(
            (constant.std, constant.sem, constant.median),
            (0.0, 0.0, 3.0)
        );
        let Some(nan) = describe(&[1.0, f64::NAN, 2.0]) else {
            panic!("with NaN");
        };
        assert_eq!(nan.n, 3);
        let stats = [
            nan.mean, nan.std, nan.sem, nan.median, nan.q1, nan.q3, nan.min, nan.max,
        ];
        assert!(stats.iter().all(|v| v.is_nan()), "{nan:?}");
        let Some(inf) = describe(&[1.0, f64::INFINITY]) else {
            panic!("with infinity");
        };
        assert_eq!(
            (inf.min, inf.max, inf.mean),
            (1.0, f64::INFINITY, f64::INFINITY)
        );
    }

    #[test]
    fn tests_degenerate_inputs_give_nan() {
        let is_nan = |t: Test| t.statistic.is_nan() && t.p_value.is_nan();
        for test in [welch_t, mann_whitney_u, ks_2samp] {
            assert!(is_nan(test(&[], A5)));
            assert!(is_nan(test(A5, &[])));
            assert!(is_nan(test(&[], &[])));
            assert!(is_nan(test(&[1.0, f64::NAN, 2.0], A5)));
        }
        // Welch needs two values in each group, and a variance somewhere.
        assert!(is_nan(welch_t(ONE, A5)));
        assert!(is_nan(welch_t(C3, C5)));
        assert_eq!(
            welch_t(C5_HIGH, C3),
            Test {
                statistic: f64::INFINITY,
                p_value: 0.0
            }
        );
        // One value each: MWU and KS are defined (p = 1).
        assert_eq!(mann_whitney_u(ONE, &[0.9]).p_value, 1.0);
        assert_eq!(ks_2samp(ONE, &[0.9]).p_value, 1.0);
        // Infinite values rank and count like any other.
        let with_inf = [f64::NEG_INFINITY, 0.1, 0.2, f64::INFINITY];
        let mw = mann_whitney_u(&with_inf, A5);
        assert!(mw.statistic.is_finite() && (0.0..=1.0).contains(&mw.p_value));
        let ks = ks_2samp(&with_inf, A5);
        assert!(ks.statistic.is_finite() && (0.0..=1.0).contains(&ks.p_value));
    }

    #[test]
    fn holm_and_correlations_degenerate_inputs() {
        assert!(holm(&[]).is_empty());
        assert!(holm(&[f64::NAN, f64::NAN]).iter().all(|p| p.is_nan()));
        assert_eq!(holm(&[2.0, 0.5]), vec![1.0, 1.0]);
        for corr in [pearson, spearman] {
            assert!(corr(&[], &[]).is_nan());
            assert!(corr(&[1.0], &[2.0]).is_nan());
            assert!(corr(&[1.0, 2.0, 3.0], &[1.0, 2.0]).is_nan());
            assert!(corr(&[1.0, 2.0, 3.0], &[1.0, f64::NAN, 2.0]).is_nan());
            assert!(corr(C5, A5).is_nan());
            assert!(corr(A5, C5).is_nan());
            assert_eq!(corr(&[1.0, 2.0], &[5.0, 9.0]).round(), 1.0);
        }
        assert_eq!(pearson(&[1.0, 2.0], &[5.0, 9.0]), 1.0);
    }

    /// Every public function on every awkward input: no panic.
    #[test]
    fn awkward_inputs_never_panic() {
        let inputs: [&[f64]; 9] = [
            &[],
            &[0.5],
            &[0.5, 0.5],
            &[f64::NAN],
            &[f64::INFINITY, f64::NEG_INFINITY, 0.0],
            &[f64::MAX, -f64::MAX, f64::MIN_POSITIVE],
            &[1e300, 1e-300, -0.0, 0.0],
            A5,
            C20_TIED,
        ];
        for a in inputs {
            let _ = describe(a);
            let _ = holm(a);
            for level in [0.95, 0.0, f64::NAN] {
                let _ = bootstrap_mean_ci(a, level, 50, 1);
            }
            for b in inputs {
                let _ = bootstrap_diff_ci(a, b, 0.95, 50, 1);
                let _ = welch_t(a, b);
                let _ = mann_whitney_u(a, b);
                let _ = ks_2samp(a, b);
                let _ = pearson(a, b);
                let _ = spearman(a, b);
            }
        }
        for n in [0, 1, 2, 3, 200, 20_000] {
            for x in [f64::NAN, -1.0, 0.0, 1e-9, 0.3, 0.5, 0.999, 1.0, 2.0] {
                let p = kstwo_sf(n, x);
                assert!(
                    p.is_nan() || (0.0..=1.0).contains(&p),
                    "kstwo_sf({n}, {x}) = {p}"
                );
            }
        }
        for df in [
            f64::NAN,
            -1.0,
            0.0,
            1e-300,
            0.5,
            1.0,
            1e4,
            1e300,
            f64::INFINITY,
        ] {
            for t in [f64::NAN, 0.0, -1.0, 1e-300, 3.0, 1e200, f64::INFINITY] {
                let p = student_t_two_sided_p(t, df);
                assert!(p.is_nan() || (0.0..=1.0).contains(&p), "t={t} df={df}: {p}");
            }
        }
    }

    // scipy 1.17.1: mannwhitneyu(a, b) (two-sided, use_continuity=True, method='auto');
    // the comment on each row is the method 'auto' chose.
    #[test]
    fn mann_whitney_u_matches_scipy() {
        #[rustfmt::skip]
        let cases: &[TwoSampleCase] = &[
            ("A3 vs B3", A3, B3, 9.0, 0.1), // exact
            ("B3 vs A3", B3, A3, 0.0, 0.1), // exact
            ("A3_TIED vs B3_TIED", A3_TIED, B3_TIED, 8.0, 0.16415972847851523), // asymptotic
            ("A3 vs B5_3", A3, B5_3, 14.0, 0.07142857142857142), // exact
            ("A5 vs B5", A5, B5, 23.0, 0.031746031746031744), // exact
            ("A5 vs B5_TIED", A5, B5_TIED, 20.0, 0.13633299527519235), // asymptotic
            ("A5 vs A5", A5, A5, 12.5, 1.0), // asymptotic
            ("C3 vs C5", C3, C5, 7.5, 1.0), // asymptotic
            ("ONE vs B5", ONE, B5, 0.0, 0.3333333333333333), // exact
            ("ONE vs ONE", ONE, ONE, 0.5, 1.0), // asymptotic
            ("A20 vs B25", A20, B25, 317.0, 0.12870781781777874), // asymptotic
            ("C20_TIED vs D25_TIED", C20_TIED, D25_TIED, 118.5, 0.0023553376031871963), // asymptotic
            ("E6 vs F25", E6, F25, 49.0, 0.20816780549817254), // exact
            ("F25 vs E6", F25, E6, 101.0, 0.20816780549817254), // exact
            ("G9 vs H9", G9, H9, 21.0, 0.0933976745287926), // asymptotic
            ("BIG_GAP vs A3", BIG_GAP, A3, 12.0, 0.05714285714285714), // exact
            ("NEG vs G9", NEG, G9, 18.0, 0.1737762237762238), // exact
        ];
        let mut rows = Vec::new();
        for &(label, a, b, u, p) in cases {
            let ours = mann_whitney_u(a, b);
            rows.push((format!("{label} statistic"), ours.statistic, u));
            rows.push((format!("{label} p"), ours.p_value, p));
        }
        check("mann_whitney_u", &rows);
    }

    // scipy 1.17.1: ks_2samp(a, b) (two-sided, method='auto')
    #[test]
    fn ks_2samp_matches_scipy() {
        #[rustfmt::skip]
        let cases: &[TwoSampleCase] = &[
            ("A3 vs B3", A3, B3, 1.0, 0.09999999999999999),
            ("A3_TIED vs B3_TIED", A3_TIED, B3_TIED, 0.6666666666666666, 0.6),
            ("A3 vs B5_3", A3, B5_3, 0.8, 0.14285714285714288),
            ("A5 vs B5", A5, B5, 0.8, 0.07936507936507936),
            ("A5 vs B5_TIED", A5, B5_TIED, 0.4, 0.873015873015873),
            ("A5 vs A5", A5, A5, 0.0, 1.0),
            ("C3 vs C5", C3, C5, 0.0, 1.0),
            ("ONE vs B5", ONE, B5, 1.0, 0.3333333333333333),
            ("A20 vs B25", A20, B25, 0.33, 0.14314352365927918),
            ("C20_TIED vs D25_TIED", C20_TIED, D25_TIED, 0.44, 0.01901592768895381),
            ("E6 vs F25", E6, F25, 0.36, 0.43482855051264374),
            ("G9 vs H9", G9, H9, 0.6666666666666666, 0.03356643356643356),
            ("NEG vs G9", NEG, G9, 0.7142857142857143, 0.02097902097902098),
            ("INTERLEAVED_A vs INTERLEAVED_B", INTERLEAVED_A, INTERLEAVED_B, 0.2, 1.0),
        ];
        let mut rows = Vec::new();
        for &(label, a, b, d, p) in cases {
            let ours = ks_2samp(a, b);
            rows.push((format!("{label} statistic"), ours.statistic, d));
            rows.push((format!("{label} p"), ours.p_value, p));
        }
        check("ks_2samp", &rows);
    }

    /// The generated samples of the reference script: the same IEEE operations in numpy.
    fn generated(kind: &str, n: usize) -> Vec<f64> {
        let nf = n as f64;
        (0..n)
            .map(|i| {
                let u = i as f64 / nf;
                match kind {
                    "unit" => u,
                    "shift" => i as f64 / nf + 0.004,
                    "squeeze" => u * 0.9 + 0.05,
                    "bend" => u * (1.0 - 0.03 * u),
                    "bend1" => u * (1.0 - 0.01 * u),
                    "grid" => i as f64 / nf + 0.013,
                    "stair" => (i as f64 / 7.0).floor() / (nf / 7.0),
                    "mid" => (i as f64 + 0.5) / nf,
                    _ => f64::NAN,
                }
            })
            .collect()
    }

    // scipy 1.17.1: ks_2samp(gen(a), gen(b)) (two-sided, method='auto'); samples above
    // 10 000 values take the asymptotic branch, kstwo.sf(D, round(n·m/(n+m))).
    #[test]
    fn ks_2samp_generated_samples_match_scipy() {
        #[rustfmt::skip]
        let cases: &[GeneratedCase] = &[
            (("unit", 10001), ("mid", 3), 0.16674999166749993, 0.9999999999722305),
            (("unit", 10001), ("grid", 50), 0.013098690130986902, 1.0),
            (("unit", 10001), ("squeeze", 10001), 0.050094990500949906, 2.4113412532515278e-11),
            (("unit", 10001), ("shift", 10001), 0.004099590040995971, 0.9999954508202813),
            (("unit", 10001), ("bend", 12000), 0.030046970302969767, 0.00010326253243559103),
            (("unit", 10001), ("bend1", 12000), 0.010065626770656255, 0.6344606098031901),
            (("unit", 10001), ("stair", 10500), 0.0006666000066659628, 1.0),
            (("unit", 200), ("bend", 300), 0.03166666666666667, 0.9995753449678098),
            (("unit", 150), ("shift", 150), 0.006666666666666667, 1.0),
            (("unit", 40), ("squeeze", 60), 0.06666666666666667, 0.9997793369895436),
            (("unit", 10000), ("bend", 7), 0.1648, 0.974092471026885),
            (("unit", 997), ("grid", 1000), 0.014002006018054163, 0.9999404842840601),
        ];
        let mut rows = Vec::new();
        for &((ka, na), (kb, nb), d, p) in cases {
            let ours = ks_2samp(&generated(ka, na), &generated(kb, nb));
            let label = format!("{ka}({na}) vs {kb}({nb})");
            rows.push((format!("{label} statistic"), ours.statistic, d));
            rows.push((format!("{label} p"), ours.p_value, p));
        }
        check("ks_2samp (generated)", &rows);
    }

    // scipy 1.17.1: kstwo.sf(x, n), over every branch of scipy's _kolmogn.
    #[test]
    fn kstwo_sf_matches_scipy() {
        #[rustfmt::skip]
        let cases: &[(u64, f64, f64)] = &[
            (3, 0.2, 0.9982222222222222),
            (3, 0.4, 0.5946666666666665),
            (3, 0.7, 0.05400000000000003),
            (2, 0.2, 1.0),
            (1, 0.3, 1.0),
            (10, 0.55, 0.0022805103214843725),
            (10, 0.2, 0.7487190399999999),
            (10, 0.4, 0.05898924519999926),
            (10, 0.7, 1.9544800000000034e-5),
            (100, 0.25, 5.408871776434847e-6),
            (140, 0.1, 0.11353657290090946),
            (140, 0.05, 0.8576480297656114),
            (141, 0.03, 0.9992107601012719),
            (141, 0.1, 0.11128445516467944),
            (200, 0.004, 1.0),
            (200, 0.15, 0.0002154191244887308),
            (150, 0.6, 3.62982061841626e-52),
            (5000, 0.01, 0.6954557253913853),
            (5000, 0.003, 0.9999999999740126),
            (5000, 0.03, 0.00024159234422666817),
            (5000, 0.3, 0.0),
            (5000, 0.0002, 1.0),
            (100000, 0.002, 0.8178408363081542),
            (200000, 0.002, 0.39995085369038097),
            (2000000, 0.002, 2.247704493692889e-7),
            (2000000, 0.0006, 0.46737858083717476),
            (50, 0.1, 0.6623112704658186),
            (50, 0.2, 0.03143877776953241),
            (50, 0.3, 0.00017353260202718738),
            (1000, 0.05, 0.013012074781090332),
            (1000, 0.02, 0.8108971656895577),
            (1000, 0.035, 0.1684847971373874),
        ];
        let rows: Vec<_> = cases
            .iter()
            .map(|&(n, x, p)| (format!("n={n} x={x}"), kstwo_sf(n, x), p))
            .collect();
        check("kstwo_sf", &rows);
    }

    // statsmodels 0.15.0: multipletests(p, method='holm')[1], on the non-NaN p-values
    #[test]
    fn holm_matches_statsmodels() {
        #[rustfmt::skip]
        let cases: &[(&[f64], &[f64])] = &[
            (&[0.01], &[0.01]),
            (&[0.04, 0.01, 0.03], &[0.06, 0.03, 0.06]),
            (&[0.2, 0.01, 0.5, 0.01, 0.04, 0.9], &[0.6000000000000001, 0.06, 1.0, 0.06, 0.16, 1.0]),
            (&[0.03, f64::NAN, 0.01], &[0.03, f64::NAN, 0.02]),
            (&[0.3, 0.6, 0.45], &[0.8999999999999999, 0.9, 0.9]),
            (&[], &[]),
            (&[0.0, 1.0, 0.5, 0.002, 0.002, 0.25], &[0.0, 1.0, 1.0, 0.01, 0.01, 0.75]),
        ];
        let mut rows = Vec::new();
        for &(p, expected) in cases {
            let ours = holm(p);
            assert_eq!(ours.len(), expected.len());
            for (i, (&o, &e)) in ours.iter().zip(expected).enumerate() {
                rows.push((format!("{p:?}[{i}]"), o, e));
            }
        }
        check("holm", &rows);
    }

    // scipy 1.17.1: pearsonr(x, y).statistic and spearmanr(x, y).statistic
    #[test]
    fn correlations_match_scipy() {
        #[rustfmt::skip]
        let cases: &[TwoSampleCase] = &[
            ("X8/Y8", &[0.1, 0.4, 0.35, 0.8, 0.62, 0.5, 0.9, 0.15], &[1.2, 1.9, 1.4, 3.1, 2.2, 2.6, 2.9, 1.1], 0.9356970058762423, 0.9285714285714287),
            ("X8/Y8_TIED", &[0.1, 0.4, 0.35, 0.8, 0.62, 0.5, 0.9, 0.15], &[1.0, 2.0, 2.0, 3.0, 2.0, 3.0, 3.0, 1.0], 0.879228859394013, 0.8693182879212226),
            ("X8_TIED/Y8_TIED", &[0.1, 0.4, 0.4, 0.8, 0.62, 0.5, 0.9, 0.1], &[1.0, 2.0, 2.0, 3.0, 2.0, 3.0, 3.0, 1.0], 0.8899543574186456, 0.8798558640274067),
            ("A20/A20_REV", &[0.8397, 0.8363, 0.8436, 0.8223, 0.8451, 0.8385, 0.834, 0.8431, 0.8205, 0.8403, 0.834, 0.8465, 0.8469, 0.8318, 0.8317, 0.8258, 0.8333, 0.8455, 0.8514, 0.8445], &[0.8445, 0.8514, 0.8455, 0.8333, 0.8258, 0.8317, 0.8318, 0.8469, 0.8465, 0.834, 0.8403, 0.8205, 0.8431, 0.834, 0.8385, 0.8451, 0.8223, 0.8436, 0.8363, 0.8397], -0.10737487220035584, -0.08126410835214445),
            ("TWO/TWO_DOWN", &[1.0, 2.0], &[3.0, 1.0], -1.0, -0.9999999999999999),
            ("X3/CONST3", &[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0], f64::NAN, f64::NAN),
            ("X8/NEG_X8", &[0.1, 0.4, 0.35, 0.8, 0.62, 0.5, 0.9, 0.15], &[-0.1, -0.4, -0.35, -0.8, -0.62, -0.5, -0.9, -0.15], -1.0, -1.0),
        ];
        let mut rows = Vec::new();
        for &(label, x, y, r, rho) in cases {
            rows.push((format!("{label} pearson"), pearson(x, y), r));
            rows.push((format!("{label} spearman"), spearman(x, y), rho));
        }
        check("pearson/spearman", &rows);
    }

    // numpy 2.4.6: mean, std(ddof=1), std(ddof=1)/sqrt(n), median, percentile(25),
    // percentile(75), min, max
    #[test]
    fn describe_matches_numpy() {
        #[rustfmt::skip]
        let cases: &[(&[f64], [f64; 8])] = &[
            (A3, [0.8096666666666668, 0.014640127503998462, 0.008452481555403957, 0.812, 0.803, 0.8175, 0.794, 0.823]),
            (A5, [0.9110000000000001, 0.009082951062292483, 0.004062019202317984, 0.912, 0.905, 0.918, 0.899, 0.921]),
            (A20, [0.8377399999999999, 0.008525713429014859, 0.0019064074783960053, 0.8391, 0.832925, 0.84465, 0.8205, 0.8514]),
            (B25, [0.8325519999999998, 0.013176845854250047, 0.0026353691708500093, 0.8332, 0.8238, 0.8392, 0.8085, 0.8598]),
            (NEG, [-0.5, 2.0361319538117693, 0.7695855408997135, -0.5, -1.625, 0.5, -3.5, 2.75]),
            (ONE, [0.8, f64::NAN, f64::NAN, 0.8, 0.8, 0.8, 0.8, 0.8]),
            (C5, [0.5, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.5]),
            (E6, [0.5106666666666667, 0.09232045638246524, 0.037689668492985065, 0.5355000000000001, 0.4365, 0.579, 0.388, 0.608]),
        ];
        let mut rows = Vec::new();
        for &(values, expected) in cases {
            let Some(d) = describe(values) else {
                panic!("describe({values:?}) is None");
            };
            assert_eq!(d.n, values.len());
            let ours = [d.mean, d.std, d.sem, d.median, d.q1, d.q3, d.min, d.max];
            let names = ["mean", "std", "sem", "median", "q1", "q3", "min", "max"];
            for ((name, o), e) in names.iter().zip(ours).zip(expected) {
                rows.push((format!("{values:?} {name}"), o, e));
            }
        }
        check("describe", &rows);
    }
}
