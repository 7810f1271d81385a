//! The search space seen by the Gaussian process: every non-constant param becomes one
//! coordinate.
//!
//! - Numeric params map to `[0, 1]` through their distribution's CDF, so the inverse map is
//!   exactly the random sampler's [`sample_param`]: uniform kinds are linear, log kinds are
//!   linear in the log, `normal`/`log_normal`/`beta` are their CDFs (the search stays where
//!   the prior has mass, as in W&B's engine). `q_*` kinds and `int_uniform` are rounded when
//!   mapped back, and a candidate is *snapped* (mapped back and forth) before the model sees
//!   it, so the model scores exactly the point that will be suggested. An `int_uniform` with
//!   `n` values uses the bin centres `(k + 0.5) / n`.
//! - Categorical params are a coordinate holding the value's index; the kernel compares it
//!   with a Hamming distance (0 when equal, 1 otherwise) under its own length scale, so no
//!   order between categories is assumed.

use crate::num::{is_integral, quantize};
use crate::ordered_params;
use crate::random::sample_param;
use statrs::distribution::{Beta, ContinuousCDF, Normal};
use sweep_core::{Distribution, ParamSpec, Params, Value, value_key};

/// How one coordinate is treated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    /// A real in `[0, 1]`, used as is.
    Continuous,
    /// A real in `[0, 1]` that must be snapped through the param (`q_*` kinds).
    Quantized,
    /// A `q_*` param on a bounded range: `n` multiples of `q`, from `first · q`. The
    /// coordinate is snapped like [`Kind::Quantized`], and the space counts as discrete,
    /// so its points can be enumerated and are not repeated while unseen ones remain.
    Levels { first: f64, q: f64, n: usize },
    /// An integer param with `n` values: `u` is a bin centre `(k + 0.5) / n`.
    Integer(usize),
    /// A categorical param with `n` values: the coordinate is the index.
    Categorical(usize),
}

pub(crate) struct Dim<'a> {
    pub name: String,
    pub dist: &'a Distribution,
    pub kind: Kind,
    /// Category keys (canonical JSON), for categorical params.
    keys: Vec<String>,
}

/// The coordinates of a spec's params, in W&B's order; constants are left out.
pub(crate) struct Space<'a> {
    pub dims: Vec<Dim<'a>>,
    /// Params that never vary (constants, one-value categoricals), with their value.
    constants: Vec<(String, &'a Distribution)>,
    /// The indices of `dims` by name, the order of a run's [`Params`] map.
    by_name: Vec<usize>,
}

/// Integer ranges wider than this are treated as continuous and rounded when mapped back.
const MAX_INT_LEVELS: i128 = 1 << 40;

impl<'a> Space<'a> {
    pub fn new(params: &'a [ParamSpec]) -> Self {
        let mut dims = Vec::new();
        let mut constants = Vec::new();
        for p in ordered_params(params) {
            let kind = match &p.dist {
                Distribution::Constant { .. } => None,
                Distribution::Categorical { values }
                | Distribution::CategoricalWProbabilities { values, .. } => {
                    (values.len() > 1).then_some(Kind::Categorical(values.len()))
                }
                Distribution::IntUniform { min, max } => {
                    let n = i128::from(*max) - i128::from(*min) + 1;
                    if n <= 1 {
                        None
                    } else if n <= MAX_INT_LEVELS {
                        Some(Kind::Integer(n as usize))
                    } else {
                        Some(Kind::Quantized)
                    }
                }
                Distribution::QUniform { .. }
                | Distribution::QLogUniform { .. }
                | Distribution::QLogUniformValues { .. }
                | Distribution::QBeta { .. } => Some(levels(&p.dist).unwrap_or(Kind::Quantized)),
                Distribution::QNormal { .. } | Distribution::QLogNormal { .. } => {
                    Some(Kind::Quantized)
                }
                _ => Some(Kind::Continuous),
            }
            .filter(|_| !is_point(&p.dist));
            match kind {
                None => constants.push((p.name(), &p.dist)),
                Some(kind) => {
                    let keys = match &p.dist {
                        Distribution::Categorical { values }
                        | Distribution::CategoricalWProbabilities { values, .. } => {
                            values.iter().map(value_key).collect()
                        }
                        _ => Vec::new(),
                    };
                    dims.push(Dim {
                        name: p.name(),
                        dist: &p.dist,
                        kind,
                        keys,
                    });
                }
            }
        }
        let mut by_name: Vec<usize> = (0..dims.len()).collect();
        by_name.sort_by(|&a, &b| dims[a].name.cmp(&dims[b].name));
        Space {
            dims,
            constants,
            by_name,
        }
    }

    pub fn len(&self) -> usize {
        self.dims.len()
    }

    /// Whether every coordinate is categorical or integer (a finite space).
    pub fn is_discrete(&self) -> bool {
        self.dims.iter().all(|d| {
            matches!(
                d.kind,
                Kind::Integer(_) | Kind::Categorical(_) | Kind::Levels { .. }
            )
        })
    }

    /// The number of points of a discrete space, if at most `limit`.
    pub fn discrete_size(&self, limit: usize) -> Option<usize> {
        let mut size: usize = 1;
        for d in &self.dims {
            let n = match d.kind {
                Kind::Integer(n) | Kind::Categorical(n) | Kind::Levels { n, .. } => n,
                _ => return None,
            };
            size = size.checked_mul(n).filter(|&s| s <= limit)?;
        }
        Some(size)
    }

    /// The `i`-th point (mixed radix, last coordinate fastest) of a discrete space.
    pub fn discrete_point(&self, mut i: usize) -> Vec<f64> {
        let mut x = vec![0.0; self.dims.len()];
        for (j, d) in self.dims.iter().enumerate().rev() {
            let n = match d.kind {
                Kind::Integer(n) | Kind::Categorical(n) | Kind::Levels { n, .. } => n,
                _ => 1,
            };
            let k = i % n;
            i /= n;
            x[j] = match d.kind {
                Kind::Integer(n) => (k as f64 + 0.5) / n as f64,
                Kind::Levels { first, q, .. } => {
                    encode_one(d, &quantize((first + k as f64) * q, q)).unwrap_or(0.5)
                }
                _ => k as f64,
            };
        }
        x
    }

    /// A run's params as coordinates; `None` when a param is missing or not a value this
    /// param can take.
    pub fn encode(&self, params: &Params) -> Option<Vec<f64>> {
        let mut x = Vec::with_capacity(self.dims.len());
        self.encode_into(params, &mut x).then_some(x)
    }

    /// [`Space::encode`] appending to `out`; `false` (with `out` partly written) when a
    /// param is missing or not a value this param can take.
    pub fn encode_into(&self, params: &Params, out: &mut Vec<f64>) -> bool {
        // One merged walk over the sorted map and the sorted names: this runs for every
        // observation on every suggestion.
        let start = out.len();
        out.resize(start + self.dims.len(), 0.0);
        let mut entries = params.iter();
        for &j in &self.by_name {
            let dim = &self.dims[j];
            let value = loop {
                let Some((name, value)) = entries.next() else {
                    return false;
                };
                match name.as_str().cmp(dim.name.as_str()) {
                    std::cmp::Ordering::Less => continue,
                    std::cmp::Ordering::Equal => break value,
                    std::cmp::Ordering::Greater => return false,
                }
            };
            match encode_one(dim, value) {
                Some(u) => out[start + j] = u,
                None => return false,
            }
        }
        true
    }

    /// Moves a candidate onto a point the params can take: bins for integers, multiples of
    /// `q` for `q_*` kinds, whole indices for categories, `[0, 1]` for the rest.
    pub fn snap(&self, x: &mut [f64]) {
        for (d, xi) in self.dims.iter().zip(x.iter_mut()) {
            let u = if xi.is_nan() { 0.5 } else { *xi };
            *xi = match d.kind {
                Kind::Continuous => u.clamp(0.0, 1.0),
                Kind::Integer(n) => {
                    let k = (u * n as f64).floor().clamp(0.0, (n - 1) as f64);
                    (k + 0.5) / n as f64
                }
                Kind::Categorical(n) => u.round().clamp(0.0, (n - 1) as f64),
                Kind::Quantized | Kind::Levels { .. } => {
                    let u = u.clamp(0.0, 1.0);
                    encode_one(d, &sample_param(d.dist, u)).unwrap_or(u)
                }
            };
        }
    }

    /// The params of a (snapped) point, constants included.
    pub fn decode(&self, x: &[f64]) -> Params {
        let mut out = Params::new();
        for (name, dist) in &self.constants {
            out.insert(name.clone(), sample_param(dist, 0.5));
        }
        for (d, &u) in self.dims.iter().zip(x) {
            let value = match (d.kind, d.dist) {
                (
                    Kind::Categorical(n),
                    Distribution::Categorical { values }
                    | Distribution::CategoricalWProbabilities { values, .. },
                ) => {
                    let i = (u.round().max(0.0) as usize).min(n - 1);
                    values.get(i).cloned().unwrap_or(Value::Null)
                }
                _ => sample_param(d.dist, u),
            };
            out.insert(d.name.clone(), value);
        }
        out
    }
}

/// Most values a bounded `q_*` param may have to be enumerated as [`Kind::Levels`].
const MAX_LEVELS: f64 = 1_048_576.0;

/// The multiples of `q` a bounded `q_*` param takes (those its sampler can give: the ends
/// of its range rounded to multiples of `q`, and every multiple between).
fn levels(dist: &Distribution) -> Option<Kind> {
    let (lo, hi, q) = match *dist {
        Distribution::QUniform { min, max, q } => (min, max, q),
        Distribution::QLogUniform { min, max, q } => (min.exp(), max.exp(), q),
        Distribution::QLogUniformValues { min, max, q } => (min, max, q),
        Distribution::QBeta { q, .. } => (0.0, 1.0, q),
        _ => return None,
    };
    let first = (lo / q).round_ties_even();
    let count = (hi / q).round_ties_even() - first + 1.0;
    (count.is_finite() && (1.0..=MAX_LEVELS).contains(&count)).then_some(Kind::Levels {
        first,
        q,
        n: count as usize,
    })
}

/// A distribution at its limit that always gives one value: `sigma: 0`, or beta with
/// exactly one of `a`, `b` at 0 (a constant of the space).
fn is_point(dist: &Distribution) -> bool {
    match *dist {
        Distribution::Normal { sigma, .. }
        | Distribution::QNormal { sigma, .. }
        | Distribution::LogNormal { sigma, .. }
        | Distribution::QLogNormal { sigma, .. } => sigma == 0.0,
        Distribution::Beta { a, b } | Distribution::QBeta { a, b, .. } => (a == 0.0) != (b == 0.0),
        _ => false,
    }
}

fn encode_one(d: &Dim<'_>, value: &Value) -> Option<f64> {
    if let Kind::Categorical(_) = d.kind {
        if let Distribution::Categorical { values }
        | Distribution::CategoricalWProbabilities { values, .. } = d.dist
            && let Some(i) = values.iter().position(|v| v == value)
        {
            return Some(i as f64);
        }
        let key = value_key(value);
        return d.keys.iter().position(|k| *k == key).map(|i| i as f64);
    }
    let x = value.as_f64().filter(|x| x.is_finite())?;
    let lin = |v: f64, lo: f64, hi: f64| {
        if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
    };
    // Quantising can give 0 on a log scale: it maps to the lower end.
    let ln = |v: f64| Some(if v > 0.0 { v.ln() } else { f64::NEG_INFINITY });
    let u = match *d.dist {
        Distribution::IntUniform { min, max } => {
            if !is_integral(x) {
                return None;
            }
            let n = i128::from(max) - i128::from(min) + 1;
            match d.kind {
                Kind::Integer(_) => (x - min as f64 + 0.5) / n as f64,
                _ => lin(x, min as f64, max as f64),
            }
        }
        Distribution::Uniform { min, max } | Distribution::QUniform { min, max, .. } => {
            lin(x, min, max)
        }
        Distribution::LogUniform { min, max } | Distribution::QLogUniform { min, max, .. } => {
            lin(ln(x)?, min, max)
        }
        Distribution::InvLogUniform { min, max } => 1.0 - lin(-ln(x)?, min, max),
        Distribution::LogUniformValues { min, max }
        | Distribution::QLogUniformValues { min, max, .. } => lin(ln(x)?, min.ln(), max.ln()),
        Distribution::InvLogUniformValues { min, max } => 1.0 - lin(-ln(x)?, -max.ln(), -min.ln()),
        Distribution::Normal { mu, sigma } | Distribution::QNormal { mu, sigma, .. } => {
            Normal::new(mu, sigma).ok()?.cdf(x)
        }
        Distribution::LogNormal { mu, sigma } | Distribution::QLogNormal { mu, sigma, .. } => {
            Normal::new(mu, sigma).ok()?.cdf(ln(x)?)
        }
        // `a: 0, b: 0` puts half the mass at 0 and half at 1 (see the random sampler):
        // each end maps to the middle of its half.
        Distribution::Beta { a, b } | Distribution::QBeta { a, b, .. } if a == 0.0 && b == 0.0 => {
            if x < 0.5 {
                0.25
            } else {
                0.75
            }
        }
        Distribution::Beta { a, b } | Distribution::QBeta { a, b, .. } => {
            Beta::new(a, b).ok()?.cdf(x.clamp(0.0, 1.0))
        }
        Distribution::Constant { .. }
        | Distribution::Categorical { .. }
        | Distribution::CategoricalWProbabilities { .. } => return None,
    };
    (!u.is_nan()).then(|| u.clamp(0.0, 1.0))
}
