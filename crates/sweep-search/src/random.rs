//! Random search: each param's value is its distribution's inverse CDF (W&B's `ppf`) at a
//! uniform draw.
//!
//! The draws come from a PCG stream (`Pcg64Mcg`) whose 128-bit state is derived with
//! SplitMix64 from the sweep's `seed` and the suggestion's `position`; param *i* in W&B's
//! order ([`crate::ordered_params`], constants included) takes the stream's *i*-th output.
//! So a suggestion is a pure function of `(seed, position, params)`: asking for N at once
//! equals asking N times, and adding a param that sorts last leaves the others unchanged.
//!
//! The inverse CDFs are W&B's (`wandb/sweeps` `params.py`), including its quirks:
//! `inv_log_uniform` maps `u` through `1 - u`; `inv_log_uniform_values(min, max)` is
//! log-uniform between `min` and `max` (it is `1/x` for `x` log-uniform between `1/max` and
//! `1/min`); `q` rounding is numpy's round-half-to-even and gives integers when `q` is a
//! whole number. Where W&B's `categorical_w_probabilities` falls off the end of its
//! cumulative probabilities (a sum just below 1 from rounding) it returns the *first*
//! value; Sweep returns the last, the one the missing mass belongs to.

use crate::num::{float_value, quantize};
use crate::ordered_params;
use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;
use statrs::distribution::{Beta, ContinuousCDF, Normal};
use sweep_core::{Distribution, ParamSpec, Params, Value};

/// `2^-53`: draws are kept within `[2^-53, 1 - 2^-53]`, so no inverse CDF sees 0 or 1.
const U_MIN: f64 = 1.0 / 9_007_199_254_740_992.0;
const U_MAX: f64 = 1.0 - U_MIN;

/// The params of the random suggestion at `position` (0 for a sweep's first run) of a
/// sweep seeded with `seed`. Keyed by dotted name; if two params share a name, the one
/// later in W&B's order wins.
pub fn sample_random(params: &[ParamSpec], seed: u64, position: u64) -> Params {
    let ordered = ordered_params(params);
    let draws = uniform_draws(seed, position, ordered.len());
    ordered
        .into_iter()
        .zip(draws)
        .map(|(p, u)| (p.name(), sample_param(&p.dist, u)))
        .collect()
}

/// The first `n` uniform draws, each in the open interval (0, 1), of the stream for
/// `(seed, position)`: the draws [`sample_random`] gives params `0..n` in W&B's order.
pub fn uniform_draws(seed: u64, position: u64, n: usize) -> Vec<f64> {
    let mut rng = stream(seed, position);
    (0..n).map(|_| unit(rng.next_u64())).collect()
}

/// One distribution's inverse CDF at `u`: the value a uniform draw `u` in (0, 1) maps to.
///
/// `u` outside `[2^-53, 1 - 2^-53]` is clamped into it (NaN counts as 0.5), so the result
/// is always finite: infinite results saturate at `±f64::MAX`. Integer-valued
/// distributions (`int_uniform`, `q_*` with a whole-number `q`) give JSON integers;
/// categorical values are returned verbatim.
pub fn sample_param(dist: &Distribution, u: f64) -> Value {
    let u = if u.is_nan() {
        0.5
    } else {
        u.clamp(U_MIN, U_MAX)
    };
    let uniform = |min: f64, max: f64| min + u * (max - min);
    match dist {
        Distribution::Constant { value } => value.clone(),
        Distribution::Categorical { values } => randint(u, 0, values.len() as i128)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| values.get(i))
            .cloned()
            .unwrap_or(Value::Null),
        Distribution::CategoricalWProbabilities {
            values,
            probabilities,
        } => {
            let mut index = values.len().saturating_sub(1);
            let mut cumulative = 0.0;
            for (i, p) in probabilities.iter().take(values.len()).enumerate() {
                cumulative += p;
                if u < cumulative {
                    index = i;
                    break;
                }
            }
            values.get(index).cloned().unwrap_or(Value::Null)
        }
        Distribution::IntUniform { min, max } => {
            let n = i128::from(*max) - i128::from(*min) + 1;
            randint(u, i128::from(*min), n)
                .and_then(|v| i64::try_from(v).ok())
                .map_or(Value::from(*min), Value::from)
        }
        Distribution::Uniform { min, max } => float_value(uniform(*min, *max)),
        Distribution::QUniform { min, max, q } => quantize(uniform(*min, *max), *q),
        Distribution::LogUniform { min, max } => float_value(uniform(*min, *max).exp()),
        Distribution::QLogUniform { min, max, q } => quantize(uniform(*min, *max).exp(), *q),
        Distribution::InvLogUniform { min, max } => float_value(inv_log_uniform(u, *min, *max)),
        Distribution::LogUniformValues { min, max } => {
            float_value(uniform(min.ln(), max.ln()).exp())
        }
        Distribution::QLogUniformValues { min, max, q } => {
            quantize(uniform(min.ln(), max.ln()).exp(), *q)
        }
        Distribution::InvLogUniformValues { min, max } => {
            float_value(inv_log_uniform(u, -max.ln(), -min.ln()))
        }
        Distribution::Normal { mu, sigma } => float_value(normal_ppf(u, *mu, *sigma)),
        Distribution::QNormal { mu, sigma, q } => quantize(normal_ppf(u, *mu, *sigma), *q),
        Distribution::LogNormal { mu, sigma } => float_value(normal_ppf(u, *mu, *sigma).exp()),
        Distribution::QLogNormal { mu, sigma, q } => quantize(normal_ppf(u, *mu, *sigma).exp(), *q),
        Distribution::Beta { a, b } => float_value(beta_ppf(u, *a, *b)),
        Distribution::QBeta { a, b, q } => quantize(beta_ppf(u, *a, *b), *q),
    }
}

/// scipy's `randint.ppf(u, low, low + n)`: `ceil(u * n) - 1` steps above `low`.
fn randint(u: f64, low: i128, n: i128) -> Option<i128> {
    if n <= 0 {
        return None;
    }
    let k = ((u * n as f64).ceil() as i128 - 1).clamp(0, n - 1);
    Some(low + k)
}

/// W&B's `inv_log_uniform_v1_ppf`: `exp(-uniform.ppf(1 - u, min, max - min))`.
fn inv_log_uniform(u: f64, min: f64, max: f64) -> f64 {
    (-(min + (1.0 - u) * (max - min))).exp()
}

/// `sigma: 0` (W&B's schema allows it) is the distribution's limit, a point at `mu`
/// (scipy's ppf gives NaN there, which W&B would pass to the program).
fn normal_ppf(u: f64, mu: f64, sigma: f64) -> f64 {
    Normal::new(mu, sigma).map_or(mu, |n| n.inverse_cdf(u))
}

/// `a: 0` or `b: 0` (W&B's schema allows both) is the distribution's limit as the shape
/// goes to 0: a point at 0 (`a: 0`), a point at 1 (`b: 0`), or 0 and 1 with equal
/// chance (both). scipy's ppf gives NaN there, which W&B would pass to the program.
fn beta_ppf(u: f64, a: f64, b: f64) -> f64 {
    match (a == 0.0, b == 0.0) {
        (true, true) => return if u < 0.5 { 0.0 } else { 1.0 },
        (true, false) => return 0.0,
        (false, true) => return 1.0,
        (false, false) => {}
    }
    let Ok(beta) = Beta::new(a, b) else {
        return f64::NAN;
    };
    let x = beta.inverse_cdf(u);
    if (0.0..=1.0).contains(&x) {
        return x;
    }
    // Fall back to bisection on the CDF should the series ever fail to converge.
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if beta.cdf(mid) < u {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The stream for one suggestion: SplitMix64 of the seed, mixed with the position (a
/// bijection in the position for a fixed seed), expanded to PCG's 128-bit state.
fn stream(seed: u64, position: u64) -> Pcg64Mcg {
    let h = splitmix64(splitmix64(seed) ^ position);
    let hi = splitmix64(h);
    let lo = splitmix64(hi);
    Pcg64Mcg::new((u128::from(hi) << 64) | u128::from(lo))
}

/// One SplitMix64 step from state `x` (Steele, Lea & Flood's finaliser).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The top 52 bits of `x` as a uniform in the open interval (0, 1): `(k + 0.5) / 2^52`.
fn unit(x: u64) -> f64 {
    ((x >> 12) as f64 + 0.5) * (1.0 / 4_503_599_627_370_496.0)
}

/// One of every W&B distribution (shared by the tests of the samplers).
#[cfg(test)]
pub(crate) fn every_distribution() -> Vec<Distribution> {
    use Distribution::*;
    use serde_json::json;
    vec![
        Constant { value: json!("c") },
        Categorical {
            values: vec![json!(1), json!("a"), json!([1, 2]), json!(null)],
        },
        CategoricalWProbabilities {
            values: vec![json!(1), json!(2)],
            probabilities: vec![0.4, 0.6],
        },
        IntUniform { min: -5, max: 5 },
        Uniform {
            min: -1.0,
            max: 3.0,
        },
        QUniform {
            min: 0.0,
            max: 1.0,
            q: 0.1,
        },
        LogUniform {
            min: -5.0,
            max: 0.0,
        },
        QLogUniform {
            min: 0.0,
            max: 5.0,
            q: 2.0,
        },
        InvLogUniform { min: 0.0, max: 5.0 },
        LogUniformValues {
            min: 1e-5,
            max: 1e-1,
        },
        QLogUniformValues {
            min: 1.0,
            max: 1000.0,
            q: 5.0,
        },
        InvLogUniformValues {
            min: 1e-3,
            max: 10.0,
        },
        Normal {
            mu: 1.0,
            sigma: 2.0,
        },
        QNormal {
            mu: 0.0,
            sigma: 1.0,
            q: 0.5,
        },
        LogNormal {
            mu: 0.0,
            sigma: 1.0,
        },
        QLogNormal {
            mu: 2.0,
            sigma: 0.5,
            q: 1.0,
        },
        Beta { a: 2.0, b: 5.0 },
        QBeta {
            a: 0.5,
            b: 0.5,
            q: 0.05,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::every_distribution;
    use super::*;
    use serde_json::json;
    use statrs::distribution::{LogNormal, Normal};

    const N: u64 = 5_000;
    const SEED: u64 = 20_240_611;

    fn p(name: &str, dist: Distribution) -> ParamSpec {
        ParamSpec::new(name, dist)
    }

    /// `N` samples of the single param `dist`, positions `0..N`.
    fn samples(dist: Distribution) -> Vec<Value> {
        let params = [p("x", dist)];
        (0..N)
            .filter_map(|pos| sample_random(&params, SEED, pos).remove("x"))
            .collect()
    }

    fn floats(dist: Distribution) -> Vec<f64> {
        samples(dist).iter().filter_map(Value::as_f64).collect()
    }

    /// Kolmogorov–Smirnov statistic of the samples against `cdf`.
    fn ks(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
        assert_eq!(xs.len() as u64, N, "some samples were not numbers");
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = cdf(x);
                (f - i as f64 / n).max((i + 1) as f64 / n - f)
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn zero_shapes_sample_the_distribution_s_limit_never_nan() {
        let normal = floats(Distribution::QNormal {
            mu: 2.0,
            sigma: 0.0,
            q: 0.5,
        });
        assert!(normal.iter().all(|&x| x == 2.0));
        let lognormal = floats(Distribution::LogNormal {
            mu: 0.0,
            sigma: 0.0,
        });
        assert!(lognormal.iter().all(|&x| x == 1.0));
        let at_zero = floats(Distribution::Beta { a: 0.0, b: 3.0 });
        assert!(at_zero.iter().all(|&x| x == 0.0));
        let at_one = floats(Distribution::Beta { a: 3.0, b: 0.0 });
        assert!(at_one.iter().all(|&x| x == 1.0));
        let ends = floats(Distribution::Beta { a: 0.0, b: 0.0 });
        let ones = ends.iter().filter(|&&x| x == 1.0).count();
        assert!(ends.iter().all(|&x| x == 0.0 || x == 1.0));
        let share = ones as f64 / N as f64;
        assert!((share - 0.5).abs() < 0.05, "share of ones {share}");
    }

    #[test]
    fn same_seed_and_position_same_params() {
        let params: Vec<ParamSpec> = every_distribution()
            .into_iter()
            .enumerate()
            .map(|(i, d)| p(&format!("p{i:02}"), d))
            .collect();
        let a = sample_random(&params, 7, 3);
        assert_eq!(a.len(), params.len());
        assert_eq!(a, sample_random(&params, 7, 3));
        assert_ne!(a, sample_random(&params, 7, 4));
        assert_ne!(a, sample_random(&params, 8, 3));
        // The order params are written in does not matter.
        let mut reversed = params.clone();
        reversed.reverse();
        assert_eq!(a, sample_random(&reversed, 7, 3));
        // A param sorting last leaves the others' values alone.
        let mut more = params.clone();
        more.push(p("zz", Distribution::Uniform { min: 0.0, max: 1.0 }));
        let b = sample_random(&more, 7, 3);
        assert!(a.iter().all(|(k, v)| b.get(k) == Some(v)));
    }

    #[test]
    fn the_stream_is_pinned() {
        // Changing these changes every random sweep ever run: do it only on purpose.
        let draws = uniform_draws(0, 0, 2);
        let pinned = [0.07711869430436102, 0.5647072944526802];
        assert_eq!(draws, pinned, "{draws:?}");
        assert_eq!(uniform_draws(42, 7, 1), [0.7189264943416712]);
    }

    #[test]
    fn draws_are_open_unit_and_independent_across_params() {
        let pairs: Vec<Vec<f64>> = (0..N).map(|pos| uniform_draws(SEED, pos, 2)).collect();
        assert!(pairs.iter().flatten().all(|&u| u > 0.0 && u < 1.0));
        let mean = |i: usize| pairs.iter().map(|d| d[i]).sum::<f64>() / N as f64;
        let (m0, m1) = (mean(0), mean(1));
        let cov: f64 = pairs.iter().map(|d| (d[0] - m0) * (d[1] - m1)).sum::<f64>() / N as f64;
        let corr = cov / (1.0 / 12.0);
        assert!(corr.abs() < 0.05, "correlation {corr}");
        // Also across neighbouring positions.
        let lag: f64 = pairs
            .windows(2)
            .map(|w| (w[0][0] - m0) * (w[1][0] - m0))
            .sum::<f64>()
            / (N - 1) as f64;
        assert!((lag * 12.0).abs() < 0.05, "lag correlation {}", lag * 12.0);
    }

    #[test]
    fn ks_check_has_power() {
        // The check used below does reject a wrong distribution.
        let xs = floats(Distribution::Normal {
            mu: 0.0,
            sigma: 1.0,
        });
        let wrong = Normal::new(0.15, 1.0).map(|d| ks(xs, |x| d.cdf(x)));
        assert!(wrong.is_ok_and(|d| d > 0.03), "{wrong:?}");
    }

    #[test]
    fn uniform_is_uniform() {
        let xs = floats(Distribution::Uniform {
            min: -2.0,
            max: 6.0,
        });
        assert!(xs.iter().all(|&x| (-2.0..=6.0).contains(&x)));
        let d = ks(xs, |x| ((x + 2.0) / 8.0).clamp(0.0, 1.0));
        assert!(d < 0.03, "KS {d}");
    }

    #[test]
    fn int_uniform_is_uniform_over_both_ends() {
        let vs = samples(Distribution::IntUniform { min: -3, max: 6 });
        let mut counts = [0u32; 10];
        for v in &vs {
            let i = v.as_i64().map(|i| i + 3);
            assert!(v.is_i64() && i.is_some_and(|i| (0..10).contains(&i)), "{v}");
            if let Some(i) = i {
                counts[i as usize] += 1;
            }
        }
        let expected = N as f64 / 10.0;
        let chi2: f64 = counts
            .iter()
            .map(|&c| (f64::from(c) - expected).powi(2) / expected)
            .sum();
        // 9 degrees of freedom: P(chi2 > 27.9) = 0.001.
        assert!(chi2 < 27.9, "chi-square {chi2}, counts {counts:?}");
        assert_eq!(
            sample_param(&Distribution::IntUniform { min: -3, max: 6 }, 0.0),
            json!(-3)
        );
        assert_eq!(
            sample_param(&Distribution::IntUniform { min: -3, max: 6 }, 1.0),
            json!(6)
        );
        let full = Distribution::IntUniform {
            min: i64::MIN,
            max: i64::MAX,
        };
        assert!(sample_param(&full, 0.999).is_i64());
    }

    #[test]
    fn log_uniform_values_is_uniform_in_log_space() {
        let (lo, hi) = (1e-5_f64.ln(), 1e-1_f64.ln());
        let xs = floats(Distribution::LogUniformValues {
            min: 1e-5,
            max: 1e-1,
        });
        let logs: Vec<f64> = xs.iter().map(|x| x.ln()).collect();
        let d = ks(logs, |l| ((l - lo) / (hi - lo)).clamp(0.0, 1.0));
        assert!(d < 0.03, "KS {d}");
        // inv_log_uniform_values is, per W&B, the same distribution.
        let ys = floats(Distribution::InvLogUniformValues {
            min: 1e-5,
            max: 1e-1,
        });
        let logs: Vec<f64> = ys.iter().map(|y| y.ln()).collect();
        let d = ks(logs, |l| ((l - lo) / (hi - lo)).clamp(0.0, 1.0));
        assert!(d < 0.03, "KS {d}");
    }

    #[test]
    fn normal_and_log_normal_follow_their_cdfs() {
        let xs = floats(Distribution::Normal {
            mu: 3.0,
            sigma: 0.5,
        });
        let d = Normal::new(3.0, 0.5).map(|n| ks(xs, |x| n.cdf(x)));
        assert!(d.is_ok_and(|d| d < 0.03), "{d:?}");
        let xs = floats(Distribution::LogNormal {
            mu: -1.0,
            sigma: 0.7,
        });
        assert!(xs.iter().all(|&x| x > 0.0));
        let d = LogNormal::new(-1.0, 0.7).map(|n| ks(xs, |x| n.cdf(x)));
        assert!(d.is_ok_and(|d| d < 0.03), "{d:?}");
    }

    #[test]
    fn beta_follows_its_cdf() {
        for (a, b) in [(2.0, 5.0), (0.5, 0.5), (8.0, 1.5)] {
            let xs = floats(Distribution::Beta { a, b });
            assert!(xs.iter().all(|&x| (0.0..=1.0).contains(&x)));
            let d = Beta::new(a, b).map(|dist| ks(xs, |x| dist.cdf(x)));
            assert!(d.is_ok_and(|d| d < 0.03), "beta({a}, {b}): {d:?}");
        }
    }

    #[test]
    fn categorical_frequencies_match() {
        let values = vec![json!("a"), json!({"b": 1}), json!(3)];
        let vs = samples(Distribution::CategoricalWProbabilities {
            values: values.clone(),
            probabilities: vec![0.5, 0.3, 0.2],
        });
        for (value, p) in values.iter().zip([0.5, 0.3, 0.2]) {
            let f = vs.iter().filter(|v| *v == value).count() as f64 / N as f64;
            assert!((f - p).abs() < 0.025, "{value}: {f} vs {p}");
        }
        let vs = samples(Distribution::Categorical {
            values: values.clone(),
        });
        for value in &values {
            let f = vs.iter().filter(|v| *v == value).count() as f64 / N as f64;
            assert!((f - 1.0 / 3.0).abs() < 0.025, "{value}: {f}");
        }
    }

    #[test]
    fn categorical_with_probabilities_uses_cumulative_sums() {
        let dist = Distribution::CategoricalWProbabilities {
            values: vec![json!("a"), json!("b"), json!("c")],
            probabilities: vec![0.5, 0.3, 0.1999],
        };
        assert_eq!(sample_param(&dist, 0.49), json!("a"));
        assert_eq!(sample_param(&dist, 0.5), json!("b"));
        assert_eq!(sample_param(&dist, 0.81), json!("c"));
        // Past a cumulative sum that falls short of 1: the last value (W&B: the first).
        assert_eq!(sample_param(&dist, 0.99995), json!("c"));
    }

    #[test]
    fn q_distributions_land_on_multiples_of_q() {
        let cases = [
            (
                Distribution::QUniform {
                    min: 0.0,
                    max: 1.0,
                    q: 0.1,
                },
                0.1,
            ),
            (
                Distribution::QNormal {
                    mu: 0.0,
                    sigma: 2.0,
                    q: 0.25,
                },
                0.25,
            ),
            (
                Distribution::QLogNormal {
                    mu: 0.0,
                    sigma: 1.0,
                    q: 0.05,
                },
                0.05,
            ),
            (
                Distribution::QBeta {
                    a: 2.0,
                    b: 2.0,
                    q: 0.05,
                },
                0.05,
            ),
            (
                Distribution::QLogUniformValues {
                    min: 1e-4,
                    max: 1.0,
                    q: 0.001,
                },
                0.001,
            ),
        ];
        for (dist, q) in cases {
            for v in samples(dist.clone()) {
                let x = v.as_f64().unwrap_or(f64::NAN);
                let k = (x / q).round();
                assert!((x / q - k).abs() < 1e-9, "{} gave {v}", dist.name());
                // Printed cleanly: the shortest text of the multiple, no 0.30000000000000004.
                let clean: f64 = format!("{:.10}", k * q).parse().unwrap_or(f64::NAN);
                assert_eq!(x, clean, "{} gave {v}", dist.name());
            }
        }
        // A whole-number q gives JSON integers, as W&B's int cast does.
        for dist in [
            Distribution::QUniform {
                min: 0.0,
                max: 100.0,
                q: 8.0,
            },
            Distribution::QLogUniformValues {
                min: 1.0,
                max: 1024.0,
                q: 4.0,
            },
            Distribution::QNormal {
                mu: 10.0,
                sigma: 5.0,
                q: 1.0,
            },
        ] {
            for v in samples(dist.clone()) {
                let q = match dist {
                    Distribution::QUniform { q, .. }
                    | Distribution::QLogUniformValues { q, .. }
                    | Distribution::QNormal { q, .. } => q as i64,
                    _ => 1,
                };
                assert!(
                    v.as_i64().is_some_and(|i| i % q == 0),
                    "{} gave {v}",
                    dist.name()
                );
            }
        }
    }

    #[test]
    fn inverse_cdfs_match_wandb_formulas() {
        use Distribution::*;
        let at = |d: Distribution, u: f64| sample_param(&d, u).as_f64().unwrap_or(f64::NAN);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        assert!(close(at(Uniform { min: 2.0, max: 6.0 }, 0.25), 3.0));
        assert!(close(
            at(LogUniform { min: 0.0, max: 2.0 }, 0.5),
            1f64.exp()
        ));
        // inv_log_uniform flips u: exp(-(min + (1 - u)(max - min))).
        assert!(close(
            at(InvLogUniform { min: 0.0, max: 4.0 }, 0.25),
            (-3.0f64).exp()
        ));
        assert!(close(
            at(
                LogUniformValues {
                    min: 1e-4,
                    max: 1.0
                },
                0.5
            ),
            1e-2
        ));
        assert!(close(
            at(
                InvLogUniformValues {
                    min: 1e-4,
                    max: 1.0
                },
                0.25
            ),
            1e-3
        ));
        assert!(close(
            at(
                Normal {
                    mu: 1.0,
                    sigma: 2.0
                },
                0.5
            ),
            1.0
        ));
        assert!(close(
            at(
                Normal {
                    mu: 0.0,
                    sigma: 1.0
                },
                0.975
            ),
            1.959963984540054
        ));
        assert!(close(
            at(
                LogNormal {
                    mu: 0.5,
                    sigma: 3.0
                },
                0.5
            ),
            0.5f64.exp()
        ));
        assert!(close(at(Beta { a: 2.0, b: 2.0 }, 0.5), 0.5));
        assert_eq!(
            sample_param(
                &QLogUniform {
                    min: 0.0,
                    max: 5.0,
                    q: 2.0
                },
                0.5
            ),
            json!(12)
        );
        assert_eq!(
            sample_param(
                &Categorical {
                    values: vec![json!(1), json!(2)]
                },
                0.5
            ),
            json!(1)
        );
        assert_eq!(
            sample_param(
                &Categorical {
                    values: vec![json!(1), json!(2)]
                },
                0.51
            ),
            json!(2)
        );
    }

    #[test]
    fn any_u_gives_a_finite_value_and_cdfs_are_monotone() {
        for dist in every_distribution() {
            let mut last = f64::NEG_INFINITY;
            for u in [
                f64::NAN,
                -1.0,
                0.0,
                1e-300,
                1e-9,
                0.3,
                0.5,
                0.999_999,
                1.0,
                2.0,
            ] {
                let v = sample_param(&dist, u);
                assert!(
                    !v.is_null() || matches!(dist, Distribution::Categorical { .. }),
                    "{} at {u}",
                    dist.name()
                );
                if let Some(x) = v.as_f64() {
                    assert!(x.is_finite(), "{} at {u}: {x}", dist.name());
                    if !u.is_nan()
                        && !matches!(
                            dist,
                            Distribution::Categorical { .. } | Distribution::Constant { .. }
                        )
                    {
                        assert!(x >= last, "{} not monotone at {u}", dist.name());
                        last = x;
                    }
                }
            }
        }
        let wide = Distribution::LogNormal {
            mu: 700.0,
            sigma: 50.0,
        };
        assert_eq!(sample_param(&wide, 1.0), json!(f64::MAX));
    }
}
