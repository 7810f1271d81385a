//! Grid search, as W&B's `grid_search_next_runs` does it.
//!
//! - Params come in W&B's order ([`crate::ordered_params`]); points are enumerated as
//!   `itertools.product` does, the last param varying fastest. The product is never
//!   materialised: an odometer walks it lazily.
//! - Values: `values` lists in first-seen order with duplicates by content removed
//!   ([`sweep_core::value_key`]: `1.0 == 1`, `true != 1`, objects regardless of key order);
//!   of equal values the last one written is the one runs get, at the first one's place
//!   (`[1, 2, 1.0]` runs `1.0` then `2`, as W&B does); `int_uniform` as every integer from `min` to `max`,
//!   both ends included; `q_uniform` as numpy's `arange(min, max, q)`; `value` as itself.
//! - A point is taken when some existing run has the same value, by content, for every
//!   non-constant param, whatever the run's status, so a resumed sweep and parallel
//!   workers never repeat a point. Extra keys in the run are ignored; a run that lacks one
//!   of the params matches no point. As in W&B, constants take no part in the match, and
//!   when a param's values are objects, keys of the run's object that none of those values
//!   has (injected at run time) are dropped before comparing.
//!
//! Where Sweep differs from W&B, on purpose:
//!
//! - `q_uniform` values are tidied: numpy gives `0.30000000000000004` for
//!   `arange(0, 1, 0.1)[3]`, Sweep gives `0.3` (12 significant digits, only when that moves
//!   the value by less than a millionth of `q`). Existing runs' values for the param are
//!   tidied the same way before matching, so runs W&B wrote still count. The number of
//!   values is numpy's, `ceil((max - min) / q)`, quirks included: `arange(1, 1.6, 0.2)`
//!   has four values, the last `1.5999999999999999` (Sweep: `1.6`).
//! - `q_uniform` values are JSON integers when `min`, `max` and `q` are whole numbers (numpy
//!   gives integers when all three were written as integers).

use crate::num::{I64_SAFE, float_value, integer_value, is_integral, tidy};
use crate::{SearchError, ordered_params};
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};
use sweep_core::{Distribution, ParamSpec, Params, Value, value_key};

/// The most values one param may expand to in a grid (`int_uniform` and `q_uniform`
/// ranges are refused beyond this rather than exhausting memory).
pub const MAX_PARAM_GRID_VALUES: usize = 1_000_000;

/// The values a grid takes for one param, duplicates by content removed (the last one
/// written wins, at the first one's place). Errors if the distribution has no finite list of values or the list would be
/// longer than [`MAX_PARAM_GRID_VALUES`].
pub fn grid_values(param: &ParamSpec) -> Result<Vec<Value>, SearchError> {
    Ok(Axis::new(param)?.into_values())
}

/// The number of points in the grid over `params` (1 for no params, 0 if any param has no
/// values).
pub fn grid_size(params: &[ParamSpec]) -> Result<u128, SearchError> {
    let axes = axes(params)?;
    axes.iter().try_fold(1u128, |acc, axis| {
        acc.checked_mul(axis.len() as u128)
            .ok_or(SearchError::GridTooLarge)
    })
}

/// The first grid point, in W&B's order, that no run in `existing` has; `Ok(None)` when
/// every point is taken.
pub fn next_grid_point(
    params: &[ParamSpec],
    existing: &[Params],
) -> Result<Option<Params>, SearchError> {
    Ok(next_grid_points(params, existing, 1)?.into_iter().next())
}

/// The first `n` grid points, in W&B's order, that no run in `existing` has (fewer when
/// the grid runs out). Equal to calling [`next_grid_point`] `n` times, appending each
/// answer to `existing`, but in one pass.
pub fn next_grid_points(
    params: &[ParamSpec],
    existing: &[Params],
    n: usize,
) -> Result<Vec<Params>, SearchError> {
    let axes = axes(params)?;
    let mut out = Vec::new();
    if n == 0 || axes.iter().any(|a| a.len() == 0) {
        return Ok(out);
    }
    // Only non-constant params identify a point (W&B leaves constants out of its hashes).
    let matched: Vec<usize> = (0..axes.len()).filter(|&i| !axes[i].constant).collect();
    let taken: HashSet<Vec<usize>> = existing
        .iter()
        .filter_map(|run| {
            matched
                .iter()
                .map(|&i| axes[i].index_of(run.get(&axes[i].name)?))
                .collect::<Option<Vec<usize>>>()
        })
        .collect();

    let mut odometer = vec![0usize; axes.len()];
    let mut key = Vec::with_capacity(matched.len());
    loop {
        key.clear();
        key.extend(matched.iter().map(|&i| odometer[i]));
        if !taken.contains(key.as_slice()) {
            let point: Params = axes
                .iter()
                .zip(&odometer)
                .map(|(axis, &i)| (axis.name.clone(), axis.value(i)))
                .collect();
            out.push(point);
            if out.len() == n {
                return Ok(out);
            }
        }
        // Advance, the last param fastest; stop after the last point.
        let mut pos = axes.len();
        loop {
            if pos == 0 {
                return Ok(out);
            }
            pos -= 1;
            odometer[pos] += 1;
            if odometer[pos] < axes[pos].len() {
                break;
            }
            odometer[pos] = 0;
        }
    }
}

/// One param of the grid: its values and how to find a run's value among them.
struct Axis {
    name: String,
    values: AxisValues,
    constant: bool,
}

enum AxisValues {
    /// Values held in memory, with `value_key` of each → its index.
    List {
        values: Vec<Value>,
        index: HashMap<String, usize>,
        /// For params with object values: every key those objects have.
        known_keys: BTreeSet<String>,
        /// For float `q_uniform` params: `q`, to tidy runs' values the same way.
        tidy_step: Option<f64>,
    },
    /// `int_uniform`: `min, min + 1, …`, `len` values, computed on demand.
    Ints { min: i64, len: usize },
}

impl Axis {
    fn new(param: &ParamSpec) -> Result<Axis, SearchError> {
        let name = param.name();
        let too_large = |count: f64| SearchError::ParamTooLarge {
            param: param.name(),
            distribution: param.dist.name(),
            count,
            limit: MAX_PARAM_GRID_VALUES,
        };
        let constant = matches!(param.dist, Distribution::Constant { .. });
        let mut tidy_step = None;
        let raw: Vec<Value> = match &param.dist {
            Distribution::Constant { value } => vec![value.clone()],
            Distribution::Categorical { values } => values.clone(),
            Distribution::IntUniform { min, max } => {
                let count = (i128::from(*max) - i128::from(*min) + 1).max(0);
                return match usize::try_from(count) {
                    Ok(len) if len <= MAX_PARAM_GRID_VALUES => Ok(Axis {
                        name,
                        values: AxisValues::Ints { min: *min, len },
                        constant,
                    }),
                    _ => Err(too_large(count as f64)),
                };
            }
            Distribution::QUniform { min, max, q } => {
                let count = ((max - min) / q).ceil();
                // NaN (from `inf - inf`) is refused too.
                if count.is_nan() || count > MAX_PARAM_GRID_VALUES as f64 {
                    return Err(too_large(count));
                }
                let raw = arange(*min, *max, *q);
                if is_integral(*min) && is_integral(*max) && is_integral(*q) {
                    raw.into_iter().map(integer_value).collect()
                } else {
                    tidy_step = Some(*q);
                    raw.into_iter().map(|v| float_value(tidy(v, *q))).collect()
                }
            }
            other => {
                return Err(SearchError::NotGridEnumerable {
                    param: name,
                    distribution: other.name(),
                });
            }
        };
        let mut values = Vec::with_capacity(raw.len());
        let mut index = HashMap::with_capacity(raw.len());
        let mut known_keys = BTreeSet::new();
        for value in raw {
            if let Value::Object(map) = &value {
                known_keys.extend(map.keys().cloned());
            }
            // W&B's grid: a value equal by content to an earlier one takes the earlier one's
            // place, and the last one written is what runs get (`[1, 1.0]` runs `1.0`).
            match index.entry(value_key(&value)) {
                Entry::Vacant(slot) => {
                    slot.insert(values.len());
                    values.push(value);
                }
                Entry::Occupied(slot) => values[*slot.get()] = value,
            }
        }
        Ok(Axis {
            name,
            values: AxisValues::List {
                values,
                index,
                known_keys,
                tidy_step,
            },
            constant,
        })
    }

    fn len(&self) -> usize {
        match &self.values {
            AxisValues::List { values, .. } => values.len(),
            AxisValues::Ints { len, .. } => *len,
        }
    }

    /// The `i`-th value (`i < self.len()`).
    fn value(&self, i: usize) -> Value {
        match &self.values {
            AxisValues::List { values, .. } => values.get(i).cloned().unwrap_or(Value::Null),
            AxisValues::Ints { min, .. } => {
                let v = i128::from(*min) + i as i128;
                i64::try_from(v).map_or(Value::Null, Value::from)
            }
        }
    }

    fn into_values(self) -> Vec<Value> {
        if let AxisValues::Ints { len, .. } = self.values {
            return (0..len).map(|i| self.value(i)).collect();
        }
        match self.values {
            AxisValues::List { values, .. } => values,
            AxisValues::Ints { .. } => Vec::new(),
        }
    }

    /// The index of a run's value among this param's values, compared by content.
    fn index_of(&self, value: &Value) -> Option<usize> {
        match &self.values {
            AxisValues::Ints { min, len } => {
                let Value::Number(n) = value else {
                    return None;
                };
                // By content: `3.0` is `3`; floats past 2^53 print differently from the
                // integer and so are not the same value.
                let v = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                    (Some(i), _, _) => i128::from(i),
                    (None, Some(u), _) => i128::from(u),
                    (None, None, Some(f)) if f.fract() == 0.0 && f.abs() <= I64_SAFE => f as i128,
                    _ => return None,
                };
                let i = usize::try_from(v - i128::from(*min)).ok()?;
                (i < *len).then_some(i)
            }
            AxisValues::List {
                index,
                known_keys,
                tidy_step,
                ..
            } => {
                let key = match value {
                    Value::Object(map) if !known_keys.is_empty() => {
                        let kept: serde_json::Map<String, Value> = map
                            .iter()
                            .filter(|(k, _)| known_keys.contains(k.as_str()))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        value_key(&Value::Object(kept))
                    }
                    Value::Number(n) if !n.is_i64() && !n.is_u64() => {
                        match (tidy_step, n.as_f64()) {
                            (Some(q), Some(f)) => value_key(&float_value(tidy(f, *q))),
                            _ => value_key(value),
                        }
                    }
                    _ => value_key(value),
                };
                index.get(&key).copied()
            }
        }
    }
}

/// The grid's axes in W&B's order; two params with one dotted name are an error.
fn axes(params: &[ParamSpec]) -> Result<Vec<Axis>, SearchError> {
    let ordered = ordered_params(params);
    let mut names = HashSet::with_capacity(ordered.len());
    for p in &ordered {
        let name = p.name();
        if !names.insert(name.clone()) {
            return Err(SearchError::DuplicateParam(name));
        }
    }
    ordered.into_iter().map(Axis::new).collect()
}

/// numpy's `arange(start, stop, step)` for floats, bit for bit: `ceil((stop - start) /
/// step)` values, the second `start + step`, the others `start + i * delta` with
/// `delta = (start + step) - start`. The caller bounds the length.
fn arange(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let len = ((stop - start) / step).ceil();
    if len.is_nan() || len < 1.0 {
        return Vec::new();
    }
    let len = len as usize;
    let delta = (start + step) - start;
    (0..len)
        .map(|i| match i {
            0 => start,
            1 => start + step,
            _ => start + i as f64 * delta,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cat(name: &str, values: Value) -> ParamSpec {
        let values = values.as_array().cloned().unwrap_or_default();
        ParamSpec::new(name, Distribution::Categorical { values })
    }

    fn point(v: Value) -> Params {
        v.as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// Every point, by asking for one at a time and appending it, as a controller would.
    fn walk(params: &[ParamSpec], mut existing: Vec<Params>) -> Vec<Params> {
        let start = existing.len();
        while let Ok(Some(p)) = next_grid_point(params, &existing) {
            existing.push(p);
            assert!(existing.len() < 1_000_000, "grid did not stop");
        }
        existing.split_off(start)
    }

    fn three_params() -> Vec<ParamSpec> {
        // Written out of order on purpose.
        vec![
            cat("c", json!([1, 2])),
            ParamSpec::new(
                "a",
                Distribution::Categorical {
                    values: vec![json!("x"), json!("y")],
                },
            ),
            ParamSpec::new("b", Distribution::IntUniform { min: 0, max: 1 }),
        ]
    }

    #[test]
    fn order_is_wandbs_sorted_names_last_fastest() {
        let expected: Vec<Params> = [
            ("x", 0, 1),
            ("x", 0, 2),
            ("x", 1, 1),
            ("x", 1, 2),
            ("y", 0, 1),
            ("y", 0, 2),
            ("y", 1, 1),
            ("y", 1, 2),
        ]
        .iter()
        .map(|(a, b, c)| point(json!({"a": a, "b": b, "c": c})))
        .collect();
        assert_eq!(walk(&three_params(), Vec::new()), expected);
        assert_eq!(next_grid_points(&three_params(), &[], 100), Ok(expected));
        assert_eq!(grid_size(&three_params()), Ok(8));
    }

    #[test]
    fn duplicate_values_collapse_by_content_the_last_written_at_the_first_place() {
        let p = cat("v", json!([1, 1.0, true, "1", 1, true]));
        assert_eq!(grid_values(&p), Ok(vec![json!(1), json!(true), json!("1")]));
        // W&B's engine (grid_search_next_runs, run to exhaustion) gives exactly these.
        let w = cat("w", json!([1, 2, 1.0]));
        assert_eq!(grid_values(&w), Ok(vec![json!(1.0), json!(2)]));
        let w = cat("w", json!([2, 1, 3, 1.0]));
        assert_eq!(grid_values(&w), Ok(vec![json!(2), json!(1.0), json!(3)]));
        assert!(grid_values(&w).unwrap_or_default()[1].is_f64());
        let w = cat("w", json!([1.0, 1]));
        assert!(grid_values(&w).unwrap_or_default()[0].is_i64());
        let d = cat(
            "d",
            json!([{"a": 1, "b": [1, 2]}, {"b": [1.0, 2], "a": 1.0}, {"a": 2}]),
        );
        assert_eq!(
            grid_values(&d),
            Ok(vec![json!({"b": [1.0, 2], "a": 1.0}), json!({"a": 2})])
        );
        assert_eq!(grid_size(&[p, d]), Ok(6));
    }

    #[test]
    fn int_uniform_includes_both_ends() {
        let p = ParamSpec::new("n", Distribution::IntUniform { min: -2, max: 2 });
        let values = grid_values(&p);
        assert_eq!(
            values,
            Ok(vec![json!(-2), json!(-1), json!(0), json!(1), json!(2)])
        );
        assert!(values.unwrap_or_default().iter().all(Value::is_i64));
        let one = ParamSpec::new("n", Distribution::IntUniform { min: 7, max: 7 });
        assert_eq!(grid_values(&one), Ok(vec![json!(7)]));
    }

    #[test]
    fn q_uniform_is_numpy_arange_tidied() {
        let q = |min, max, q| ParamSpec::new("q", Distribution::QUniform { min, max, q });
        assert_eq!(
            grid_values(&q(0.0, 1.0, 0.25)),
            Ok(vec![json!(0.0), json!(0.25), json!(0.5), json!(0.75)])
        );
        let tenths: Vec<Value> = (0..10).map(|i| json!(f64::from(i) / 10.0)).collect();
        assert_eq!(grid_values(&q(0.0, 1.0, 0.1)), Ok(tenths));
        // Whole numbers give JSON integers.
        let ints = grid_values(&q(0.0, 10.0, 3.0)).unwrap_or_default();
        assert_eq!(ints, vec![json!(0), json!(3), json!(6), json!(9)]);
        assert!(ints.iter().all(Value::is_i64));
        // numpy's length quirk, kept for W&B compatibility.
        assert_eq!(
            grid_values(&q(1.0, 1.6, 0.2)),
            Ok(vec![json!(1.0), json!(1.2), json!(1.4), json!(1.6)])
        );
        assert_eq!(grid_values(&q(1.0, 1.0, 0.2)), Ok(vec![]));
    }

    #[test]
    fn arange_matches_numpy_bit_for_bit() {
        // Reference values printed by numpy 2.4 `np.arange(...).tolist()`.
        assert_eq!(
            arange(0.1, 2.0, 0.3),
            [
                0.1,
                0.4,
                0.7000000000000001,
                1.0000000000000002,
                1.3000000000000003,
                1.6000000000000003,
                1.9000000000000004
            ]
        );
        assert_eq!(
            arange(-1.0, 1.0, 0.7),
            [-1.0, -0.30000000000000004, 0.3999999999999999]
        );
        assert_eq!(arange(1.0, 1.6, 0.2), [1.0, 1.2, 1.4, 1.5999999999999999]);
        assert_eq!(
            arange(1e6, 1e6 + 1.0, 0.1)[3..6],
            [1000000.2999999999, 1000000.3999999999, 1000000.4999999999]
        );
    }

    #[test]
    fn constants_appear_in_every_point() {
        let params = vec![
            ParamSpec::new(
                "z",
                Distribution::Constant {
                    value: json!({"k": [1, 2]}),
                },
            ),
            cat("a", json!([1, 2, 3])),
        ];
        let points = walk(&params, Vec::new());
        assert_eq!(points.len(), 3);
        assert!(
            points
                .iter()
                .all(|p| p.get("z") == Some(&json!({"k": [1, 2]})))
        );
        // As in W&B, constants do not take part in matching existing runs.
        let old = vec![point(json!({"a": 1}))];
        assert_eq!(
            next_grid_point(&params, &old)
                .ok()
                .flatten()
                .and_then(|p| p.get("a").cloned()),
            Some(json!(2))
        );
    }

    #[test]
    fn resuming_yields_exactly_the_missing_points_in_order() {
        let params = vec![
            cat("opt", json!(["adam", "sgd", {"name": "rms", "decay": 0.9}])),
            ParamSpec::new(
                "lr",
                Distribution::QUniform {
                    min: 0.0,
                    max: 0.5,
                    q: 0.1,
                },
            ),
            ParamSpec::new("layers", Distribution::IntUniform { min: 1, max: 3 }),
            cat("seed", json!([0, 1])),
        ];
        let all = walk(&params, Vec::new());
        assert_eq!(all.len(), 3 * 5 * 3 * 2);
        assert_eq!(grid_size(&params), Ok(90));

        let mut existing = Vec::new();
        let mut missing = Vec::new();
        for (i, p) in all.iter().enumerate() {
            if i % 3 == 0 || i % 7 == 2 {
                // Written as another engine might: floats for ints, other key order, extra
                // keys, values W&B would print for q_uniform.
                let mut run = p.clone();
                run.insert("extra".into(), json!("ignored"));
                if let Some(Value::Number(n)) = run.get("layers").cloned() {
                    run.insert("layers".into(), json!(n.as_f64()));
                }
                if let Some(f) = run.get("lr").and_then(Value::as_f64) {
                    let noisy = arange(0.0, 0.5, 0.1)[(f * 10.0).round() as usize];
                    run.insert("lr".into(), json!(noisy));
                }
                if run.get("opt").is_some_and(Value::is_object) {
                    run.insert(
                        "opt".into(),
                        json!({"decay": 0.9, "name": "rms", "_injected": 1}),
                    );
                }
                existing.push(run);
            } else {
                missing.push(p.clone());
            }
        }
        existing.reverse(); // order of existing runs does not matter
        assert!(
            existing
                .iter()
                .any(|r| r.get("lr") == Some(&json!(0.30000000000000004)))
        );
        assert_eq!(walk(&params, existing.clone()), missing);
        assert_eq!(
            next_grid_points(&params, &existing, 1000),
            Ok(missing.clone())
        );
        assert_eq!(
            next_grid_points(&params, &existing, 2),
            Ok(missing[..2].to_vec())
        );
    }

    #[test]
    fn runs_lacking_a_param_or_off_the_grid_take_no_point() {
        let params = vec![cat("a", json!([1, 2])), cat("b", json!(["x"]))];
        let old = vec![
            point(json!({"a": 1})),
            point(json!({"a": 1, "b": "y"})),
            point(json!({"a": true, "b": "x"})),
        ];
        assert_eq!(
            next_grid_point(&params, &old),
            Ok(Some(point(json!({"a": 1, "b": "x"}))))
        );
    }

    #[test]
    fn exhausted_grid_gives_none() {
        let params = vec![cat("a", json!([1, 2]))];
        let all = vec![point(json!({"a": 2})), point(json!({"a": 1.0}))];
        assert_eq!(next_grid_point(&params, &all), Ok(None));
        assert_eq!(next_grid_points(&params, &all, 5), Ok(vec![]));
        // A param with no values: an empty grid.
        let empty = vec![cat("a", json!([1])), cat("b", json!([]))];
        assert_eq!(grid_size(&empty), Ok(0));
        assert_eq!(next_grid_point(&empty, &[]), Ok(None));
        // No params: one empty point, as in W&B, taken by any run.
        assert_eq!(next_grid_point(&[], &[]), Ok(Some(Params::new())));
        assert_eq!(next_grid_point(&[], &[point(json!({"x": 1}))]), Ok(None));
    }

    #[test]
    fn continuous_params_are_refused_by_name() {
        let params = vec![
            cat("a", json!([1])),
            ParamSpec::new(
                "model.lr",
                Distribution::LogUniformValues {
                    min: 1e-5,
                    max: 1e-1,
                },
            ),
        ];
        let err = next_grid_point(&params, &[]).err();
        assert_eq!(
            err,
            Some(SearchError::NotGridEnumerable {
                param: "model.lr".into(),
                distribution: "log_uniform_values"
            })
        );
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("`model.lr`") && text.contains("log_uniform_values"),
            "{text}"
        );
        assert!(grid_size(&params).is_err());
    }

    #[test]
    fn huge_ranges_are_refused_not_enumerated() {
        let big = ParamSpec::new(
            "n",
            Distribution::IntUniform {
                min: i64::MIN,
                max: i64::MAX,
            },
        );
        assert!(matches!(
            grid_values(&big),
            Err(SearchError::ParamTooLarge { .. })
        ));
        let tiny_q = ParamSpec::new(
            "x",
            Distribution::QUniform {
                min: 0.0,
                max: 1.0,
                q: 1e-300,
            },
        );
        assert!(matches!(
            grid_values(&tiny_q),
            Err(SearchError::ParamTooLarge { .. })
        ));
        let wide: Vec<ParamSpec> = (0..7)
            .map(|i| {
                ParamSpec::new(
                    format!("p{i}"),
                    Distribution::IntUniform {
                        min: 1,
                        max: 1_000_000,
                    },
                )
            })
            .collect();
        assert_eq!(grid_size(&wide), Err(SearchError::GridTooLarge));
        // The walk itself is lazy: the first point of a 10^36-point grid comes at once.
        let first = next_grid_point(&wide[..6], &[]).ok().flatten();
        assert_eq!(first.and_then(|p| p.get("p5").cloned()), Some(json!(1)));
    }

    #[test]
    fn duplicate_names_are_refused() {
        let params = vec![
            cat("a.b", json!([1])),
            ParamSpec {
                path: vec!["a".into(), "b".into()],
                dist: Distribution::Constant { value: json!(2) },
            },
        ];
        assert_eq!(
            grid_size(&params),
            Err(SearchError::DuplicateParam("a.b".into()))
        );
    }

    #[test]
    fn large_grid_with_many_existing_runs() {
        // 100,000 points, 1,000 taken scattered through it.
        let params = vec![
            ParamSpec::new("a", Distribution::IntUniform { min: 0, max: 99 }),
            ParamSpec::new("b", Distribution::IntUniform { min: 0, max: 99 }),
            cat(
                "c",
                json!(["p", "q", "r", "s", "t", "u", "v", "w", "x", "y"]),
            ),
        ];
        assert_eq!(grid_size(&params), Ok(100_000));
        let existing: Vec<Params> = (0..1000)
            .map(|i: i64| {
                let letters = ["p", "q", "r", "s", "t", "u", "v", "w", "x", "y"];
                point(json!({"a": i % 100, "b": i / 10, "c": letters[((i * 3) % 10) as usize], "seed": i}))
            })
            .collect();
        let missing = next_grid_points(&params, &existing, usize::MAX).unwrap_or_default();
        assert_eq!(missing.len(), 99_000);
        let first = next_grid_point(&params, &existing).ok().flatten();
        assert_eq!(first.as_ref(), missing.first());
    }
}
