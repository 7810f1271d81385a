//! Number helpers shared by the grid and the random sampler: JSON numbers that are never
//! NaN, W&B's `q` rounding, and the tidying of float noise such as `0.30000000000000004`.

use sweep_core::Value;

/// Largest magnitude below which every integral `f64` converts to `i64` exactly.
pub(crate) const I64_SAFE: f64 = 9_007_199_254_740_992.0; // 2^53

/// A JSON number for a float. Infinities saturate to `±f64::MAX`, `-0.0` becomes `0.0`;
/// NaN (which only a distribution violating its validated invariants can produce) becomes
/// `null`, never a NaN.
pub(crate) fn float_value(x: f64) -> Value {
    if x.is_nan() {
        return Value::Null;
    }
    let x = if x == 0.0 {
        0.0
    } else {
        x.clamp(f64::MIN, f64::MAX)
    };
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// An integral float as a JSON integer when it converts exactly, else as a float.
pub(crate) fn integer_value(x: f64) -> Value {
    if x.is_finite() && x.fract() == 0.0 && x.abs() <= I64_SAFE {
        Value::from(x as i64)
    } else {
        float_value(x)
    }
}

/// Whether a float is a whole number (W&B casts `q_*` results to int when `q` is one).
pub(crate) fn is_integral(x: f64) -> bool {
    x.is_finite() && x.fract() == 0.0
}

/// Removes binary float noise from a value that lies on a grid of spacing `step`:
/// `0.30000000000000004` becomes `0.3`.
///
/// The value is rounded to 12 significant digits, but only when that moves it by at most
/// a millionth of `step`, so distinct multiples of `step` never merge (a grid such as
/// `1e6 + k·1e-7` keeps its raw values). `-0.0` becomes `0.0`.
pub(crate) fn tidy(v: f64, step: f64) -> f64 {
    if !v.is_finite() {
        return v;
    }
    if v == 0.0 {
        return 0.0;
    }
    let text = format!("{v:.11e}");
    match text.parse::<f64>() {
        Ok(c) if (c - v).abs() <= step.abs() * 1e-6 => c,
        _ => v,
    }
}

/// W&B's quantisation: `numpy.round(x / q) * q` (round half to even), cast to an integer
/// when `q` is a whole number, else tidied ([`tidy`]).
///
/// W&B casts when `q` was written as a YAML integer; Sweep's validated spec keeps `q` as a
/// float, so a whole-number `q` (including W&B's default `q: 1.0`) stands for that. The
/// values are equal by content either way (`3 == 3.0`).
pub(crate) fn quantize(x: f64, q: f64) -> Value {
    let v = (x / q).round_ties_even() * q;
    if is_integral(q) {
        integer_value(v)
    } else {
        float_value(tidy(v, q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tidy_removes_noise_but_keeps_distinct_points() {
        assert_eq!(tidy(0.1 + 0.2, 0.1), 0.3);
        assert_eq!(tidy(1_000_000.299_999_999_9, 0.1), 1_000_000.3);
        assert_eq!(tidy(-0.0, 0.1), 0.0);
        assert!(tidy(-0.0, 0.1).is_sign_positive());
        // 13 significant digits are needed here: rounding to 12 would merge grid points.
        let v = 1_000_000.0 + 3.0 * 1e-7;
        assert_eq!(tidy(v, 1e-7), v);
    }

    #[test]
    fn quantize_rounds_half_to_even_and_casts_whole_q() {
        assert_eq!(quantize(2.5, 1.0), json!(2));
        assert_eq!(quantize(3.5, 1.0), json!(4));
        assert_eq!(quantize(-0.4, 1.0), json!(0));
        assert_eq!(quantize(13.0, 4.0), json!(12));
        assert!(quantize(13.0, 4.0).is_i64());
        assert_eq!(quantize(0.29, 0.1), json!(0.3));
        assert_eq!(quantize(0.26, 0.25), json!(0.25));
    }

    #[test]
    fn float_values_are_never_nan() {
        assert_eq!(float_value(f64::INFINITY), json!(f64::MAX));
        assert_eq!(float_value(f64::NAN), Value::Null);
        assert_eq!(integer_value(4.0), json!(4));
        assert!(integer_value(1e300).is_f64());
    }
}
