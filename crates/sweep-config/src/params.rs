//! The `parameters` block: W&B's distribution kinds, type inference, defaults and checks.

use crate::Mode;
use crate::ctx::{Ctx, fmt_sig, fmt_sig_n, join, number, to_json};
use crate::suggest::{closest, did_you_mean};
use crate::yaml::{Entry, Kind, Node, Pos};
use sweep_core::{Distribution, ParamSpec, Value};

/// A validated param with where it was written, for checks that need the whole spec
/// (grid enumerability, duplicate names).
#[derive(Debug, Clone)]
pub(crate) struct ParsedParam {
    pub spec: ParamSpec,
    pub pos: Pos,
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DistKind {
    Constant,
    Categorical,
    CategoricalWProbabilities,
    IntUniform,
    Uniform,
    QUniform,
    LogUniform,
    QLogUniform,
    InvLogUniform,
    LogUniformValues,
    QLogUniformValues,
    InvLogUniformValues,
    Normal,
    QNormal,
    LogNormal,
    QLogNormal,
    Beta,
    QBeta,
}

use DistKind as K;

/// Every kind with W&B's name and the fields it takes (besides `distribution`).
const KINDS: &[(DistKind, &str, &[&str])] = &[
    (K::Constant, "constant", &["value"]),
    (K::Categorical, "categorical", &["values"]),
    (
        K::CategoricalWProbabilities,
        "categorical_w_probabilities",
        &["values", "probabilities"],
    ),
    (K::IntUniform, "int_uniform", &["min", "max"]),
    (K::Uniform, "uniform", &["min", "max"]),
    (K::QUniform, "q_uniform", &["min", "max", "q"]),
    (K::LogUniform, "log_uniform", &["min", "max"]),
    (K::QLogUniform, "q_log_uniform", &["min", "max", "q"]),
    (K::InvLogUniform, "inv_log_uniform", &["min", "max"]),
    (K::LogUniformValues, "log_uniform_values", &["min", "max"]),
    (
        K::QLogUniformValues,
        "q_log_uniform_values",
        &["min", "max", "q"],
    ),
    (
        K::InvLogUniformValues,
        "inv_log_uniform_values",
        &["min", "max"],
    ),
    (K::Normal, "normal", &["mu", "sigma"]),
    (K::QNormal, "q_normal", &["mu", "sigma", "q"]),
    (K::LogNormal, "log_normal", &["mu", "sigma"]),
    (K::QLogNormal, "q_log_normal", &["mu", "sigma", "q"]),
    (K::Beta, "beta", &["a", "b"]),
    (K::QBeta, "q_beta", &["a", "b", "q"]),
];

/// Every field a parameter mapping may hold.
const PARAM_FIELDS: &[&str] = &[
    "distribution",
    "value",
    "values",
    "probabilities",
    "min",
    "max",
    "q",
    "mu",
    "sigma",
    "a",
    "b",
    "parameters",
];

/// Names people write for W&B's fields.
const FIELD_HINTS: &[(&str, &str)] = &[
    ("mean", "mu"),
    ("std", "sigma"),
    ("stddev", "sigma"),
    ("sd", "sigma"),
    ("step", "q"),
    ("low", "min"),
    ("lower", "min"),
    ("high", "max"),
    ("upper", "max"),
    ("choices", "values"),
    ("options", "values"),
    ("default", "value"),
    ("type", "distribution"),
    ("dist", "distribution"),
    ("probs", "probabilities"),
    ("weights", "probabilities"),
];

impl DistKind {
    fn from_name(name: &str) -> Option<DistKind> {
        KINDS
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(k, _, _)| *k)
    }

    fn name(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _, _)| *k == self)
            .map_or("", |(_, n, _)| n)
    }

    fn fields(self) -> &'static [&'static str] {
        KINDS
            .iter()
            .find(|(k, _, _)| *k == self)
            .map_or(&[], |(_, _, f)| f)
    }

    /// Kinds whose bounds are values on a log scale, so must be positive.
    fn positive_bounds(self) -> bool {
        matches!(
            self,
            K::LogUniformValues | K::QLogUniformValues | K::InvLogUniformValues
        )
    }
}

fn all_kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|(_, n, _)| *n).collect()
}

/// W&B's rule for parameter names: `^[A-Za-z_][A-Za-z0-9_.-]*$`.
fn valid_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Parses a `parameters` mapping (top level or nested) into `out`.
///
/// `prefix` is the path of the enclosing nested parameter (empty at the top level) and
/// `key` the dotted key of the mapping itself (`parameters`, `parameters.opt.parameters`).
pub(crate) fn parse_parameters(
    node: &Node,
    prefix: &[String],
    key: &str,
    ctx: &mut Ctx<'_>,
    out: &mut Vec<ParsedParam>,
) {
    let entries = match &node.kind {
        Kind::Map(entries) => entries,
        _ => {
            ctx.err(
                node.pos,
                key,
                format!(
                    "`parameters` must be a mapping from parameter names to their definitions, found {}",
                    node.describe()
                ),
            );
            return;
        }
    };
    if entries.is_empty() {
        ctx.err(
            node.pos,
            key,
            "`parameters` is empty; a sweep needs at least one parameter",
        );
        return;
    }
    for entry in entries {
        let pkey = join(key, &entry.key);
        if !valid_param_name(&entry.key) {
            ctx.err(
                entry.key_pos,
                &pkey,
                format!(
                    "invalid parameter name `{}`: a name starts with a letter or `_` and holds only letters, digits, `_`, `.` and `-`",
                    entry.key
                ),
            );
            continue;
        }
        let mut path = prefix.to_vec();
        path.push(entry.key.clone());
        let value = &entry.value;
        let Some(fields) = value.as_map() else {
            let hint = match value.kind {
                Kind::Seq(_) => " (for a list of choices write `{values: [...]}`)",
                Kind::Map(_) => "",
                _ => " (for a fixed value write `{value: ...}`)",
            };
            ctx.err(
                value.pos,
                &pkey,
                format!(
                    "a parameter must be a mapping such as `{{values: [...]}}` or `{{min: ..., max: ...}}`, found {}{hint}",
                    value.describe()
                ),
            );
            continue;
        };
        if let Some(nested) = fields.iter().find(|e| e.key == "parameters") {
            for other in fields.iter().filter(|e| e.key != "parameters") {
                ctx.err(
                    other.key_pos,
                    &join(&pkey, &other.key),
                    format!(
                        "a nested parameter holds only `parameters`; `{}` cannot sit beside it",
                        other.key
                    ),
                );
            }
            parse_parameters(&nested.value, &path, &join(&pkey, "parameters"), ctx, out);
            continue;
        }
        if let Some(dist) = parse_param(entry.key_pos, fields, &pkey, ctx) {
            out.push(ParsedParam {
                spec: ParamSpec { path, dist },
                pos: entry.key_pos,
                key: pkey,
            });
        }
    }
}

fn field<'a>(fields: &'a [Entry], name: &str) -> Option<&'a Entry> {
    fields.iter().find(|e| e.key == name)
}

/// Parses one parameter definition; `None` when it has errors (already reported).
fn parse_param(at: Pos, fields: &[Entry], key: &str, ctx: &mut Ctx<'_>) -> Option<Distribution> {
    let mut ok = true;
    for e in fields {
        if PARAM_FIELDS.contains(&e.key.as_str()) {
            continue;
        }
        let hint = FIELD_HINTS
            .iter()
            .find(|(from, _)| *from == e.key)
            .map(|(_, to)| format!("; W&B calls it `{to}`"))
            .unwrap_or_else(|| did_you_mean(&e.key, PARAM_FIELDS));
        ctx.err(
            e.key_pos,
            &join(key, &e.key),
            format!("unknown field `{}` in a parameter{hint}", e.key),
        );
        ok = false;
    }

    let has = |name: &str| field(fields, name).is_some();
    let (kind, inferred) = match field(fields, "distribution") {
        Some(d) => {
            let dkey = join(key, "distribution");
            let Some(name) = d.value.as_str() else {
                ctx.err(
                    d.value.pos,
                    &dkey,
                    format!(
                        "`distribution` must be a name such as `uniform` or `categorical`, found {}",
                        d.value.describe()
                    ),
                );
                return None;
            };
            match DistKind::from_name(name) {
                Some(kind) => (kind, false),
                None => {
                    let names = all_kind_names();
                    let hint = match closest(name, &names) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("known distributions: {}", names.join(", ")),
                    };
                    ctx.err(
                        d.value.pos,
                        &dkey,
                        format!("unknown distribution `{name}`; {hint}"),
                    );
                    return None;
                }
            }
        }
        None => {
            if has("value") {
                (K::Constant, true)
            } else if has("values") && has("probabilities") {
                (K::CategoricalWProbabilities, true)
            } else if has("values") {
                (K::Categorical, true)
            } else if has("min") && has("max") {
                let both_int = [field(fields, "min"), field(fields, "max")]
                    .iter()
                    .all(|e| matches!(e.map(|e| &e.value.kind), Some(Kind::Int(_))));
                (if both_int { K::IntUniform } else { K::Uniform }, true)
            } else if !ok {
                // The unknown fields already say what is wrong (`vales`, `mean`, ...).
                return None;
            } else {
                let shape: Vec<&str> = ["mu", "sigma", "a", "b", "q"]
                    .into_iter()
                    .filter(|f| has(f))
                    .collect();
                let message = if !shape.is_empty() {
                    format!(
                        "`{}` needs a `distribution` (W&B infers one only from `value`, `values`, or `min` and `max`)",
                        shape.join("`, `")
                    )
                } else if has("min") {
                    "`min` without `max`: a range needs both".to_string()
                } else if has("max") {
                    "`max` without `min`: a range needs both".to_string()
                } else if has("probabilities") {
                    "`probabilities` without `values`".to_string()
                } else {
                    "a parameter needs `value`, `values`, `min` and `max`, or a `distribution`"
                        .to_string()
                };
                ctx.err(at, key, message);
                return None;
            }
        }
    };

    // Fields that do not belong to the kind.
    let allowed = kind.fields();
    for e in fields {
        let name = e.key.as_str();
        if name == "distribution" || !PARAM_FIELDS.contains(&name) || allowed.contains(&name) {
            continue;
        }
        let how = if inferred {
            " (inferred; set `distribution` to choose another kind)"
        } else {
            ""
        };
        ctx.err(
            e.key_pos,
            &join(key, name),
            format!(
                "`{name}` does not apply to a `{}` parameter{how}; it takes {}",
                kind.name(),
                allowed
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        ok = false;
    }

    let dist = build(kind, at, fields, key, ctx);
    if ok { dist } else { None }
}

/// A required field, or an error at the parameter.
fn required<'a>(
    fields: &'a [Entry],
    name: &str,
    kind: DistKind,
    at: Pos,
    key: &str,
    ctx: &mut Ctx<'_>,
) -> Option<&'a Entry> {
    let found = field(fields, name);
    if found.is_none() {
        ctx.err(
            at,
            key,
            format!("a `{}` parameter needs `{name}`", kind.name()),
        );
    }
    found
}

/// A numeric field with a default.
fn num_or(fields: &[Entry], name: &str, default: f64, key: &str, ctx: &mut Ctx<'_>) -> Option<f64> {
    match field(fields, name) {
        Some(e) => number(&e.value, &join(key, name), name, ctx),
        None => Some(default),
    }
}

/// A numeric field that must be strictly positive.
fn positive(
    fields: &[Entry],
    name: &str,
    default: f64,
    key: &str,
    why: &str,
    ctx: &mut Ctx<'_>,
) -> Option<f64> {
    at_least_zero(fields, name, default, key, why, false, ctx)
}

/// A shape parameter W&B's schema bounds by `minimum: 0` (`sigma`, beta's `a` and `b`):
/// 0 is allowed and means the distribution's limit (see the samplers).
fn non_negative(fields: &[Entry], name: &str, key: &str, ctx: &mut Ctx<'_>) -> Option<f64> {
    at_least_zero(fields, name, 1.0, key, "", true, ctx)
}

fn at_least_zero(
    fields: &[Entry],
    name: &str,
    default: f64,
    key: &str,
    why: &str,
    zero_allowed: bool,
    ctx: &mut Ctx<'_>,
) -> Option<f64> {
    let v = num_or(fields, name, default, key, ctx)?;
    if v < 0.0 || (v == 0.0 && !zero_allowed) {
        let (pos, raw) = field(fields, name).map_or((Pos::START, String::new()), |e| {
            (e.value.pos, e.value.raw.clone())
        });
        let bound = if zero_allowed {
            "cannot be negative"
        } else {
            "must be greater than 0"
        };
        ctx.err(
            pos,
            &join(key, name),
            format!("`{name}` {bound}{why} (found {raw})"),
        );
        return None;
    }
    Some(v)
}

fn build(
    kind: DistKind,
    at: Pos,
    fields: &[Entry],
    key: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Distribution> {
    match kind {
        K::Constant => {
            let e = required(fields, "value", kind, at, key, ctx)?;
            let value = to_json(&e.value, &join(key, "value"), ctx)?;
            Some(Distribution::Constant { value })
        }
        K::Categorical => {
            let values = values(fields, kind, at, key, ctx)?;
            Some(Distribution::Categorical { values })
        }
        K::CategoricalWProbabilities => {
            let values = values(fields, kind, at, key, ctx);
            let probs = probabilities(fields, kind, at, key, values.as_ref().map(Vec::len), ctx);
            Some(Distribution::CategoricalWProbabilities {
                values: values?,
                probabilities: probs?,
            })
        }
        K::Normal | K::QNormal | K::LogNormal | K::QLogNormal => {
            let mu = num_or(fields, "mu", 0.0, key, ctx);
            let sigma = non_negative(fields, "sigma", key, ctx);
            let q = quantum(kind, fields, key, ctx);
            let (mu, sigma) = (mu?, sigma?);
            Some(match kind {
                K::Normal => Distribution::Normal { mu, sigma },
                K::LogNormal => Distribution::LogNormal { mu, sigma },
                K::QNormal => Distribution::QNormal { mu, sigma, q: q? },
                _ => Distribution::QLogNormal { mu, sigma, q: q? },
            })
        }
        K::Beta | K::QBeta => {
            let a = non_negative(fields, "a", key, ctx);
            let b = non_negative(fields, "b", key, ctx);
            let q = quantum(kind, fields, key, ctx);
            let (a, b) = (a?, b?);
            Some(match kind {
                K::Beta => Distribution::Beta { a, b },
                _ => Distribution::QBeta { a, b, q: q? },
            })
        }
        K::IntUniform => {
            let min = required(fields, "min", kind, at, key, ctx);
            let max = required(fields, "max", kind, at, key, ctx);
            let (min, max) = (min?, max?);
            let lo = integer_bound(min, key, ctx);
            let hi = integer_bound(max, key, ctx);
            let (lo, hi) = (lo?, hi?);
            if lo >= hi {
                bounds_error(min, max, key, ctx);
                return None;
            }
            Some(Distribution::IntUniform { min: lo, max: hi })
        }
        _ => bounded(kind, at, fields, key, ctx),
    }
}

/// The real-bounded kinds: uniform, the log kinds and their quantized forms.
fn bounded(
    kind: DistKind,
    at: Pos,
    fields: &[Entry],
    key: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Distribution> {
    let min_e = required(fields, "min", kind, at, key, ctx);
    let max_e = required(fields, "max", kind, at, key, ctx);
    let q = quantum(kind, fields, key, ctx);
    let (min_e, max_e) = (min_e?, max_e?);
    let min = number(&min_e.value, &join(key, "min"), "min", ctx);
    let max = number(&max_e.value, &join(key, "max"), "max", ctx);
    let (min, max) = (min?, max?);
    let mut ok = true;
    if kind.positive_bounds() && min <= 0.0 {
        ctx.err(
            min_e.value.pos,
            &join(key, "min"),
            format!(
                "`{}` needs min > 0, since its bounds are values on a log scale (found {})",
                kind.name(),
                min_e.value.raw
            ),
        );
        ok = false;
    }
    if min >= max {
        bounds_error(min_e, max_e, key, ctx);
        ok = false;
    }
    if matches!(kind, K::LogUniform | K::QLogUniform | K::InvLogUniform) && ctx.mode == Mode::Run {
        let pos = field(fields, "distribution").map_or(at, |e| e.value.pos);
        ctx.err(
            pos,
            &join(key, "distribution"),
            deprecated_message(kind, min, max, q),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    let q = match kind {
        K::QUniform | K::QLogUniform | K::QLogUniformValues => q?,
        _ => 0.0,
    };
    Some(match kind {
        K::Uniform => Distribution::Uniform { min, max },
        K::QUniform => Distribution::QUniform { min, max, q },
        K::LogUniform => Distribution::LogUniform { min, max },
        K::QLogUniform => Distribution::QLogUniform { min, max, q },
        K::InvLogUniform => Distribution::InvLogUniform { min, max },
        K::LogUniformValues => Distribution::LogUniformValues { min, max },
        K::QLogUniformValues => Distribution::QLogUniformValues { min, max, q },
        _ => Distribution::InvLogUniformValues { min, max },
    })
}

/// The `q` of a quantized kind (default 1.0, must be positive); 0 for other kinds.
fn quantum(kind: DistKind, fields: &[Entry], key: &str, ctx: &mut Ctx<'_>) -> Option<f64> {
    if kind.fields().contains(&"q") {
        positive(fields, "q", 1.0, key, " (it is the quantization step)", ctx)
    } else {
        Some(0.0)
    }
}

/// The message for a deprecated v1 log kind under `sweep run`/`validate`.
fn deprecated_message(kind: DistKind, min: f64, max: f64, q: Option<f64>) -> String {
    let (lo, hi, replacement) = match kind {
        K::InvLogUniform => ((-max).exp(), (-min).exp(), "inv_log_uniform_values"),
        K::QLogUniform => (min.exp(), max.exp(), "q_log_uniform_values"),
        _ => (min.exp(), max.exp(), "log_uniform_values"),
    };
    let (lo_exp, hi_exp) = match kind {
        K::InvLogUniform => (-max, -min),
        _ => (min, max),
    };
    let range = format!(
        "e^{} ≈ {} and e^{} ≈ {}",
        fmt_sig(lo_exp),
        fmt_sig(lo),
        fmt_sig(hi_exp),
        fmt_sig(hi)
    );
    let q_text = match (kind, q) {
        (K::QLogUniform, Some(q)) => format!(", q: {}", fmt_sig(q)),
        _ => String::new(),
    };
    let values_hint = if min > 0.0 {
        format!(
            " If {} and {} are the values you meant, keep them under `{replacement}`.",
            fmt_sig(min),
            fmt_sig(max)
        )
    } else {
        String::new()
    };
    format!(
        "`{}` is a deprecated W&B distribution whose min and max are natural-log exponents: it samples between {range}. For that range write `distribution: {replacement}` with `min: {}, max: {}{q_text}`.{values_hint} (`sweep suggest` still accepts `{}` for W&B compatibility.)",
        kind.name(),
        fmt_sig(lo),
        fmt_sig(hi),
        kind.name()
    )
}

fn bounds_error(min: &Entry, max: &Entry, key: &str, ctx: &mut Ctx<'_>) {
    ctx.err(
        min.value.pos,
        &join(key, "min"),
        format!(
            "min ({}) must be less than max ({})",
            min.value.raw, max.value.raw
        ),
    );
}

fn integer_bound(e: &Entry, key: &str, ctx: &mut Ctx<'_>) -> Option<i64> {
    let fkey = join(key, &e.key);
    match e.value.kind {
        Kind::Int(i) => Some(i),
        Kind::Float(f) if f.is_finite() => {
            ctx.err(
                e.value.pos,
                &fkey,
                format!(
                    "`int_uniform` bounds must be integers, found {}{}",
                    e.value.raw,
                    if f.fract() == 0.0 {
                        format!(" (write {})", f as i64)
                    } else {
                        "; use `uniform` or `q_uniform` for real numbers".to_string()
                    }
                ),
            );
            None
        }
        _ => {
            // Reports the type problem.
            number(&e.value, &fkey, &e.key, ctx);
            None
        }
    }
}

fn values(
    fields: &[Entry],
    kind: DistKind,
    at: Pos,
    key: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Vec<Value>> {
    let e = required(fields, "values", kind, at, key, ctx)?;
    let vkey = join(key, "values");
    let Kind::Seq(items) = &e.value.kind else {
        ctx.err(
            e.value.pos,
            &vkey,
            format!(
                "`values` must be a list, found {} (for one fixed value write `value:`)",
                e.value.describe()
            ),
        );
        return None;
    };
    if items.is_empty() {
        ctx.err(
            e.value.pos,
            &vkey,
            "`values` is empty; give at least one value",
        );
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match to_json(item, &format!("{vkey}[{i}]"), ctx) {
            Some(v) => out.push(v),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn probabilities(
    fields: &[Entry],
    kind: DistKind,
    at: Pos,
    key: &str,
    n_values: Option<usize>,
    ctx: &mut Ctx<'_>,
) -> Option<Vec<f64>> {
    let e = required(fields, "probabilities", kind, at, key, ctx)?;
    let pkey = join(key, "probabilities");
    let Kind::Seq(items) = &e.value.kind else {
        ctx.err(
            e.value.pos,
            &pkey,
            format!(
                "`probabilities` must be a list of numbers, found {}",
                e.value.describe()
            ),
        );
        return None;
    };
    let mut probs = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let ikey = format!("{pkey}[{i}]");
        match number(item, &ikey, "a probability", ctx) {
            Some(p) if p < 0.0 => {
                ctx.err(
                    item.pos,
                    &ikey,
                    format!("a probability cannot be negative (found {})", item.raw),
                );
                ok = false;
            }
            Some(p) => probs.push(p),
            None => ok = false,
        }
    }
    if let Some(n) = n_values
        && n != items.len()
    {
        ctx.err(
            e.value.pos,
            &pkey,
            format!(
                "{} probabilities for {n} values; give one probability per value",
                items.len()
            ),
        );
        ok = false;
    }
    if ok {
        let sum: f64 = probs.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            ctx.err(
                e.value.pos,
                &pkey,
                format!(
                    "probabilities must sum to 1, they sum to {}",
                    fmt_sig_n(sum, 8)
                ),
            );
            ok = false;
        }
    }
    ok.then_some(probs)
}

#[cfg(test)]
mod tests {
    use crate::Mode;
    use crate::test_util::{assert_diag, dist_of, errors, errors_in, one_param, parse, parse_mode};
    use serde_json::json;
    use sweep_core::{Distribution, ParamSpec};

    #[test]
    fn types_are_inferred_as_wandb_does() {
        let spec = parse(
            "method: random
parameters:
  c: {value: 3}
  cat: {values: [a, b]}
  catp: {values: [a, b], probabilities: [0.25, 0.75]}
  i: {min: 1, max: 10}
  u: {min: 0.1, max: 1}
  u2: {min: 0, max: 1.5}
",
        );
        assert_eq!(
            dist_of(&spec, "c"),
            Distribution::Constant { value: json!(3) }
        );
        assert_eq!(
            dist_of(&spec, "cat"),
            Distribution::Categorical {
                values: vec![json!("a"), json!("b")]
            }
        );
        assert_eq!(
            dist_of(&spec, "catp"),
            Distribution::CategoricalWProbabilities {
                values: vec![json!("a"), json!("b")],
                probabilities: vec![0.25, 0.75]
            }
        );
        assert_eq!(
            dist_of(&spec, "i"),
            Distribution::IntUniform { min: 1, max: 10 }
        );
        assert_eq!(
            dist_of(&spec, "u"),
            Distribution::Uniform { min: 0.1, max: 1.0 }
        );
        assert_eq!(
            dist_of(&spec, "u2"),
            Distribution::Uniform { min: 0.0, max: 1.5 }
        );
    }

    #[test]
    fn yaml_1_2_numbers_and_strings() {
        let spec = parse(
            "method: random
parameters:
  lr: {distribution: log_uniform_values, min: 1e-5, max: 1e-3}
  flag: {values: [yes, no, on, true]}
",
        );
        assert_eq!(
            dist_of(&spec, "lr"),
            Distribution::LogUniformValues {
                min: 1e-5,
                max: 1e-3
            }
        );
        assert_eq!(
            dist_of(&spec, "flag"),
            Distribution::Categorical {
                values: vec![json!("yes"), json!("no"), json!("on"), json!(true)]
            }
        );
    }

    #[test]
    fn values_keep_their_json_types() {
        let spec = parse(
            "method: grid
parameters:
  v: {values: [1, 2.5, 3.0, '4', true, null, [1, 2], {a: 1, b: [x]}]}
  c: {value: {nested: {k: 1e-5}}}
",
        );
        let Distribution::Categorical { values } = dist_of(&spec, "v") else {
            panic!("not categorical");
        };
        assert_eq!(
            values,
            vec![
                json!(1),
                json!(2.5),
                json!(3.0),
                json!("4"),
                json!(true),
                json!(null),
                json!([1, 2]),
                json!({"a": 1, "b": ["x"]})
            ]
        );
        assert!(values[0].is_i64());
        assert!(values[2].is_f64());
        assert_eq!(
            dist_of(&spec, "c"),
            Distribution::Constant {
                value: json!({"nested": {"k": 1e-5}})
            }
        );
    }

    #[test]
    fn nested_parameters_recurse_and_sort_by_dotted_name() {
        let spec = parse(
            "method: grid
parameters:
  z: {value: 1}
  optimizer:
    parameters:
      lr: {values: [0.1, 0.01]}
      kind:
        parameters:
          name: {values: [adam, sgd]}
  a.b: {values: [1, 2]}
",
        );
        let names: Vec<String> = spec.parameters.iter().map(ParamSpec::name).collect();
        assert_eq!(names, ["a.b", "optimizer.kind.name", "optimizer.lr", "z"]);
        let paths: Vec<Vec<String>> = spec.parameters.iter().map(|p| p.path.clone()).collect();
        assert_eq!(paths[0], vec!["a.b".to_string()]);
        assert_eq!(
            paths[1],
            vec![
                "optimizer".to_string(),
                "kind".to_string(),
                "name".to_string()
            ]
        );
        assert_eq!(paths[2], vec!["optimizer".to_string(), "lr".to_string()]);
    }

    #[test]
    fn nested_parameter_problems_name_the_nested_key() {
        let d = errors(
            "method: grid
parameters:
  optimizer:
    values: [1]
    parameters:
      lr: {min: 0.1, max: 0.01}
  empty:
    parameters: {}
",
        );
        assert_diag(&d, 4, "parameters.optimizer.values", "only `parameters`");
        assert_diag(
            &d,
            6,
            "parameters.optimizer.parameters.lr.min",
            "min (0.1) must be less than max (0.01)",
        );
        assert_diag(&d, 8, "parameters.empty.parameters", "empty");
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn wrong_types_are_reported_at_the_value() {
        let d = errors(&one_param("random", "    min: abc\n    max: 1.0\n"));
        assert_diag(
            &d,
            4,
            "parameters.p.min",
            "`min` must be a number, found the string \"abc\"",
        );
        let d = errors(&one_param("random", "    min: '1e-5'\n    max: 1.0\n"));
        assert_diag(&d, 4, "parameters.p.min", "remove the quotes");
        let d = errors(&one_param(
            "random",
            "    distribution: normal\n    mu: [1]\n    sigma: .inf\n",
        ));
        assert_diag(&d, 5, "parameters.p.mu", "must be a number, found a list");
        assert_diag(&d, 6, "parameters.p.sigma", "finite");
    }

    #[test]
    fn min_must_be_less_than_max() {
        let d = errors(
            "method: random
parameters:
  lr:
    min: 0.1
    max: 0.01
  n:
    min: 5
    max: 5
",
        );
        assert_diag(
            &d,
            4,
            "parameters.lr.min",
            "min (0.1) must be less than max (0.01)",
        );
        assert_diag(
            &d,
            7,
            "parameters.n.min",
            "min (5) must be less than max (5)",
        );
        assert_eq!(
            d[0].to_string(),
            "spec.yaml:4:10: parameters.lr.min: min (0.1) must be less than max (0.01)"
        );
    }

    #[test]
    fn int_uniform_needs_integer_bounds() {
        let d = errors(&one_param(
            "random",
            "    distribution: int_uniform\n    min: 1.5\n    max: 4.0\n",
        ));
        assert_diag(&d, 5, "parameters.p.min", "must be integers, found 1.5");
        assert_diag(&d, 6, "parameters.p.max", "write 4");
        let d = errors(&one_param(
            "random",
            "    distribution: int_uniform\n    min: a\n    max: 4\n",
        ));
        assert_diag(&d, 5, "parameters.p.min", "must be a number");
    }

    #[test]
    fn unknown_distributions_and_fields_get_suggestions() {
        let d = errors(&one_param(
            "random",
            "    distribution: log_uniform_value\n    min: 1\n    max: 2\n",
        ));
        assert_diag(
            &d,
            4,
            "parameters.p.distribution",
            "unknown distribution `log_uniform_value`; did you mean `log_uniform_values`?",
        );
        let d = errors(&one_param("random", "    vales: [1, 2]\n"));
        assert_diag(&d, 4, "parameters.p.vales", "did you mean `values`?");
        let d = errors(&one_param(
            "random",
            "    distribution: normal\n    mean: 0\n",
        ));
        assert_diag(&d, 5, "parameters.p.mean", "`mu`");
        let d = errors(&one_param("random", "    distribution: zipf\n"));
        assert_diag(&d, 4, "parameters.p.distribution", "known distributions:");
    }

    #[test]
    fn fields_must_belong_to_the_kind() {
        let d = errors(&one_param(
            "random",
            "    distribution: normal\n    mu: 0\n    min: 1\n",
        ));
        assert_diag(
            &d,
            6,
            "parameters.p.min",
            "does not apply to a `normal` parameter",
        );
        let d = errors(&one_param("random", "    value: 1\n    values: [1, 2]\n"));
        assert_diag(
            &d,
            5,
            "parameters.p.values",
            "does not apply to a `constant`",
        );
        let d = errors(&one_param(
            "random",
            "    distribution: categorical\n    values: [1, 2]\n    probabilities: [0.5, 0.5]\n",
        ));
        assert_diag(&d, 6, "parameters.p.probabilities", "does not apply");
    }

    #[test]
    fn incomplete_params_say_what_is_missing() {
        let d = errors(&one_param("random", "    mu: 0\n    sigma: 2\n"));
        assert_diag(&d, 3, "parameters.p", "needs a `distribution`");
        let d = errors(&one_param("random", "    min: 0\n"));
        assert_diag(&d, 3, "parameters.p", "`min` without `max`");
        let d = errors(&one_param(
            "random",
            "    distribution: uniform\n    min: 0\n",
        ));
        assert_diag(&d, 3, "parameters.p", "needs `max`");
        let d = errors("method: random\nparameters:\n  p: 0.1\n  q: [1, 2]\n  r: {}\n");
        assert_diag(&d, 3, "parameters.p", "write `{value: ...}`");
        assert_diag(&d, 4, "parameters.q", "`{values: [...]}`");
        assert_diag(&d, 5, "parameters.r", "needs `value`, `values`");
    }

    #[test]
    fn categorical_values_and_probabilities_are_checked() {
        let d = errors(&one_param("grid", "    values: []\n"));
        assert_diag(&d, 4, "parameters.p.values", "empty");
        let d = errors(&one_param("grid", "    values: 3\n"));
        assert_diag(&d, 4, "parameters.p.values", "must be a list");
        let d = errors(&one_param(
            "random",
            "    values: [a, b, c]\n    probabilities: [0.5, 0.5]\n",
        ));
        assert_diag(
            &d,
            5,
            "parameters.p.probabilities",
            "2 probabilities for 3 values",
        );
        let d = errors(&one_param(
            "random",
            "    values: [a, b]\n    probabilities:\n      - 1.5\n      - -0.5\n",
        ));
        assert_diag(&d, 7, "parameters.p.probabilities[1]", "negative");
        let d = errors(&one_param(
            "random",
            "    values: [a, b]\n    probabilities: [0.3, 0.6]\n",
        ));
        assert_diag(
            &d,
            5,
            "parameters.p.probabilities",
            "sum to 1, they sum to 0.9",
        );
        // Within 1e-6 is fine.
        parse(&one_param(
            "random",
            "    values: [a, b, c]\n    probabilities: [0.3333333, 0.3333333, 0.3333334]\n",
        ));
    }

    #[test]
    fn log_value_kinds_need_positive_bounds() {
        for kind in [
            "log_uniform_values",
            "q_log_uniform_values",
            "inv_log_uniform_values",
        ] {
            let d = errors(&one_param(
                "random",
                &format!("    distribution: {kind}\n    min: 0\n    max: 1\n"),
            ));
            assert_diag(&d, 5, "parameters.p.min", "needs min > 0");
            let d = errors(&one_param(
                "random",
                &format!("    distribution: {kind}\n    min: -1\n    max: 1\n"),
            ));
            assert_diag(&d, 5, "parameters.p.min", "needs min > 0");
        }
    }

    #[test]
    fn shape_parameters_are_bounded_as_in_w_and_b_s_schema() {
        let d = errors(&one_param(
            "random",
            "    distribution: q_uniform\n    min: 0\n    max: 1\n    q: 0\n",
        ));
        assert_diag(&d, 7, "parameters.p.q", "`q` must be greater than 0");
        let d = errors(&one_param(
            "random",
            "    distribution: normal\n    sigma: -1\n",
        ));
        assert_diag(&d, 5, "parameters.p.sigma", "`sigma` cannot be negative");
        let d = errors(&one_param(
            "random",
            "    distribution: beta\n    a: -1\n    b: -2\n",
        ));
        assert_diag(&d, 5, "parameters.p.a", "`a` cannot be negative");
        assert_diag(&d, 6, "parameters.p.b", "`b` cannot be negative");
    }

    #[test]
    fn zero_sigma_and_zero_beta_shapes_are_accepted_as_w_and_b_s_schema_allows() {
        for (kind, fields) in [
            ("normal", "    sigma: 0\n"),
            ("q_log_normal", "    sigma: 0\n"),
            ("beta", "    a: 0\n"),
            ("q_beta", "    a: 0\n    b: 0\n"),
        ] {
            let text = format!("    distribution: {kind}\n{fields}");
            let spec = parse(&one_param("random", &text));
            assert_eq!(dist_of(&spec, "p").name(), kind);
        }
    }

    #[test]
    fn v1_log_kinds_are_rejected_by_run_and_accepted_by_engine() {
        let text = "method: random
parameters:
  lr:
    distribution: log_uniform
    min: -9.21
    max: -2.3
  w:
    distribution: inv_log_uniform
    min: 1
    max: 3
  q:
    distribution: q_log_uniform
    min: 0
    max: 4.6
    q: 2
";
        let d = errors_in(text, Mode::Run);
        assert_eq!(d.len(), 3, "{d:?}");
        assert_diag(&d, 4, "parameters.lr.distribution", "natural-log exponents");
        assert_diag(
            &d,
            4,
            "parameters.lr.distribution",
            "`distribution: log_uniform_values` with `min: 0.0001, max: 0.1003`",
        );
        assert_diag(
            &d,
            8,
            "parameters.w.distribution",
            "`distribution: inv_log_uniform_values` with `min: 0.04979, max: 0.3679`",
        );
        assert_diag(
            &d,
            12,
            "parameters.q.distribution",
            "`distribution: q_log_uniform_values` with `min: 1, max: 99.48, q: 2`",
        );
        assert_diag(
            &d,
            8,
            "parameters.w.distribution",
            "If 1 and 3 are the values you meant",
        );
        let spec = match parse_mode(text, Mode::Engine) {
            Ok(spec) => spec,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            dist_of(&spec, "lr"),
            Distribution::LogUniform {
                min: -9.21,
                max: -2.3
            }
        );
        assert_eq!(
            dist_of(&spec, "w"),
            Distribution::InvLogUniform { min: 1.0, max: 3.0 }
        );
        assert_eq!(
            dist_of(&spec, "q"),
            Distribution::QLogUniform {
                min: 0.0,
                max: 4.6,
                q: 2.0
            }
        );
    }

    #[test]
    fn parameter_names_follow_wandb_rules() {
        let d = errors(
            "method: grid\nparameters:\n  'bad name': {values: [1]}\n  9lives: {values: [1]}\n",
        );
        assert_diag(&d, 3, "parameters.bad name", "invalid parameter name");
        assert_diag(&d, 4, "parameters.9lives", "invalid parameter name");
    }
}
