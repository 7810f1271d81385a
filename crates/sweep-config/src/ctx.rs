//! The bottom layer of spec parsing: the diagnostics context [`Ctx`] and the small node
//! readers and formatters that the spec, parameters, metric, early-termination and command
//! parsers share.

use crate::suggest::did_you_mean;
use crate::yaml::{Entry, Kind, Node, Pos, resolve_plain};
use crate::{Diagnostic, Mode};
use sweep_core::Value;

/// Collects diagnostics for one file.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub mode: Mode,
    pub diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    pub(crate) fn err(&mut self, pos: Pos, key: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            file: self.file.to_string(),
            line: pos.line,
            column: pos.col,
            key: key.to_string(),
            message: message.into(),
        });
    }
}

/// `a.b` from `a` and `b`; `b` alone when `a` is empty.
pub(crate) fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// A number with 4 significant digits, trailing zeros trimmed (`0.0001`, `0.1003`, `1e-7`).
pub(crate) fn fmt_sig(x: f64) -> String {
    fmt_sig_n(x, 4)
}

/// A number with `n` significant digits, trailing zeros trimmed.
pub(crate) fn fmt_sig_n(x: f64, n: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let n = n.max(1);
    let mag = x.abs().log10().floor();
    if (-4.0..15.0).contains(&mag) {
        let decimals = (n as f64 - 1.0 - mag).max(0.0) as usize;
        trim_zeros(&format!("{x:.decimals$}"))
    } else {
        let s = format!("{x:.prec$e}", prec = n - 1);
        match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa)),
            None => s,
        }
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// A finite number (integer or float); reports anything else. `what` is a field name
/// (shown as `` `min` ``) or a phrase with spaces (shown as is).
pub(crate) fn number(node: &Node, key: &str, what: &str, ctx: &mut Ctx<'_>) -> Option<f64> {
    let what = if what.contains(' ') {
        what.to_string()
    } else {
        format!("`{what}`")
    };
    match &node.kind {
        Kind::Int(i) => Some(*i as f64),
        Kind::Float(f) if f.is_finite() => Some(*f),
        Kind::Float(_) => {
            ctx.err(
                node.pos,
                key,
                format!("{what} must be a finite number, found {}", node.raw),
            );
            None
        }
        Kind::Str(s) => {
            let hint = if matches!(resolve_plain(s.trim()), Kind::Int(_) | Kind::Float(_)) {
                " (remove the quotes to make it a number)"
            } else {
                ""
            };
            ctx.err(
                node.pos,
                key,
                format!("{what} must be a number, found the string {s:?}{hint}"),
            );
            None
        }
        _ => {
            ctx.err(
                node.pos,
                key,
                format!("{what} must be a number, found {}", node.describe()),
            );
            None
        }
    }
}

/// Converts a node to JSON, reporting values JSON cannot hold (NaN, infinities).
pub(crate) fn to_json(node: &Node, key: &str, ctx: &mut Ctx<'_>) -> Option<Value> {
    match &node.kind {
        Kind::Null => Some(Value::Null),
        Kind::Bool(b) => Some(Value::Bool(*b)),
        Kind::Int(i) => Some(Value::from(*i)),
        Kind::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => Some(Value::Number(n)),
            None => {
                ctx.err(
                    node.pos,
                    key,
                    format!(
                        "`{}` is not a finite number and cannot be stored in JSON; quote it to keep it as a string",
                        node.raw
                    ),
                );
                None
            }
        },
        Kind::Str(s) => Some(Value::String(s.clone())),
        Kind::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match to_json(item, &format!("{key}[{i}]"), ctx) {
                    Some(v) => out.push(v),
                    None => ok = false,
                }
            }
            ok.then_some(Value::Array(out))
        }
        Kind::Map(entries) => {
            let mut out = serde_json::Map::new();
            let mut ok = true;
            for e in entries {
                match to_json(&e.value, &join(key, &e.key), ctx) {
                    Some(v) => {
                        out.insert(e.key.clone(), v);
                    }
                    None => ok = false,
                }
            }
            ok.then_some(Value::Object(out))
        }
    }
}

/// A string value, or an error naming the key.
pub(crate) fn string(node: &Node, key: &str, ctx: &mut Ctx<'_>) -> Option<String> {
    match &node.kind {
        Kind::Str(s) => Some(s.clone()),
        _ => {
            ctx.err(
                node.pos,
                key,
                format!("`{key}` must be a string, found {}", node.describe()),
            );
            None
        }
    }
}

/// An integer ≥ `min` (integral floats such as `2.0` count, as in JSON Schema).
pub(crate) fn integer(
    node: &Node,
    key: &str,
    name: &str,
    min: i64,
    ctx: &mut Ctx<'_>,
) -> Option<u64> {
    let what = if min > 0 {
        "a positive integer"
    } else {
        "a non-negative integer"
    };
    let found = match &node.kind {
        Kind::Int(i) if *i >= min => return u64::try_from(*i).ok(),
        Kind::Float(f) if f.is_finite() && f.fract() == 0.0 && *f >= min as f64 => {
            if *f < u64::MAX as f64 {
                return Some(*f as u64);
            }
            node.raw.clone()
        }
        Kind::Int(_) | Kind::Float(_) => node.raw.clone(),
        Kind::Str(s) => format!("the string {s:?}"),
        _ => node.describe().to_string(),
    };
    ctx.err(
        node.pos,
        key,
        format!("`{name}` must be {what}, found {found}"),
    );
    None
}

/// Checks a mapping's keys against the allowed ones.
pub(crate) fn check_keys(
    entries: &[Entry],
    allowed: &[&str],
    parent: &str,
    what: &str,
    ctx: &mut Ctx<'_>,
) -> bool {
    let mut ok = true;
    for e in entries
        .iter()
        .filter(|e| !allowed.contains(&e.key.as_str()))
    {
        let hint = did_you_mean(&e.key, allowed);
        let hint = if hint.is_empty() {
            format!(
                " ({what} takes {})",
                allowed
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            hint
        };
        ctx.err(
            e.key_pos,
            &join(parent, &e.key),
            format!("unknown key `{}` in {what}{hint}", e.key),
        );
        ok = false;
    }
    ok
}

/// One of the allowed strings.
pub(crate) fn one_of(v: &Node, key: &str, allowed: &[&str], ctx: &mut Ctx<'_>) -> Option<String> {
    let list = allowed
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Some(s.to_string()),
        Some(s) => {
            ctx.err(
                v.pos,
                key,
                format!("`{s}` is not one of {list}{}", did_you_mean(s, allowed)),
            );
            None
        }
        None => {
            ctx.err(
                v.pos,
                key,
                format!("must be one of {list}, found {}", v.describe()),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fmt_sig, fmt_sig_n};

    #[test]
    fn numbers_are_formatted_with_significant_digits() {
        assert_eq!(fmt_sig(1.0002e-4), "0.0001");
        assert_eq!(fmt_sig(0.100259), "0.1003");
        assert_eq!(fmt_sig(99.48), "99.48");
        assert_eq!(fmt_sig(-9.21), "-9.21");
        assert_eq!(fmt_sig(1.234567e-7), "1.235e-7");
        assert_eq!(fmt_sig(2.0), "2");
        assert_eq!(fmt_sig(0.0), "0");
        assert_eq!(fmt_sig_n(0.8999999999999999, 8), "0.9");
    }
}
