//! The `early_terminate` block: W&B's `hyperband` and Sweep's own `asha` and `median`.

use crate::ctx::{Ctx, check_keys, integer, join, number};
use crate::suggest::{closest, did_you_mean};
use crate::yaml::{Kind, Node, Pos};
use sweep_core::EarlyTerminate;

const HYPERBAND_KEYS: &[&str] = &["type", "min_iter", "max_iter", "s", "eta", "strict"];
const ASHA_KEYS: &[&str] = &["type", "min_iter", "eta", "max_iter"];
const MEDIAN_KEYS: &[&str] = &["type", "min_iter", "min_runs"];
/// The `early_terminate` types: W&B's `hyperband`, then Sweep's own.
const EARLY_TERMINATE_TYPES: &[&str] = &["hyperband", "asha", "median"];

/// The `early_terminate` block: W&B's `hyperband` (with W&B's keys and defaults, `eta` 3 and
/// `strict` true), or Sweep's own `asha` (`min_iter` 1, `eta` 3, optional `max_iter`) and
/// `median` (`min_iter` 1, `min_runs` 3). An unknown or missing `type` is reported, and the
/// other keys are still checked against the closest type (hyperband when none is close), so
/// that every problem is listed at once.
pub(crate) fn parse_early_terminate(
    v: &Node,
    at: Pos,
    ctx: &mut Ctx<'_>,
) -> Option<EarlyTerminate> {
    const KEY: &str = "early_terminate";
    let Some(entries) = v.as_map() else {
        ctx.err(
            v.pos,
            KEY,
            format!(
                "`early_terminate` must be a mapping such as `{{type: hyperband, min_iter: 3}}`, found {}",
                v.describe()
            ),
        );
        return None;
    };
    let supported = "Sweep supports `hyperband` (W&B's), `asha` and `median`";
    let mut ok = true;
    let kind = match v.get("type") {
        Some(t) => match t.as_str() {
            Some(k) if EARLY_TERMINATE_TYPES.contains(&k) => k,
            Some(k) => {
                ctx.err(
                    t.pos,
                    "early_terminate.type",
                    format!(
                        "unknown early_terminate type `{k}`; {supported}{}",
                        did_you_mean(k, EARLY_TERMINATE_TYPES)
                    ),
                );
                ok = false;
                closest(k, EARLY_TERMINATE_TYPES).unwrap_or("hyperband")
            }
            None => {
                ctx.err(
                    t.pos,
                    "early_terminate.type",
                    format!(
                        "`type` must be `hyperband`, `asha` or `median`, found {}",
                        t.describe()
                    ),
                );
                ok = false;
                "hyperband"
            }
        },
        None => {
            ctx.err(
                at,
                "early_terminate.type",
                format!("`early_terminate` needs a `type`, e.g. `type: hyperband`; {supported}"),
            );
            ok = false;
            "hyperband"
        }
    };
    let allowed = match kind {
        "asha" => ASHA_KEYS,
        "median" => MEDIAN_KEYS,
        _ => HYPERBAND_KEYS,
    };
    let what = format!("`early_terminate` of type `{kind}`");
    ok &= check_keys(entries, allowed, KEY, &what, ctx);
    let mut int_field = |name: &str, ctx: &mut Ctx<'_>| -> Option<u64> {
        let node = v.get(name)?;
        let r = integer(node, &join(KEY, name), name, 1, ctx);
        if r.is_none() {
            ok = false;
        }
        r
    };
    let min_iter = int_field("min_iter", ctx);
    let max_iter = int_field("max_iter", ctx);
    let s = int_field("s", ctx);
    let min_runs = int_field("min_runs", ctx);
    let has = |name: &str| v.get(name).is_some();
    let mut eta = 3.0;
    if let Some(e) = v.get("eta") {
        match number(e, "early_terminate.eta", "eta", ctx) {
            Some(x) if x > 1.0 => eta = x,
            Some(_) => {
                ctx.err(
                    e.pos,
                    "early_terminate.eta",
                    format!("`eta` must be greater than 1 (found {})", e.raw),
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    let mut strict = true;
    if let Some(st) = v.get("strict") {
        match st.kind {
            Kind::Bool(b) => strict = b,
            _ => {
                ctx.err(
                    st.pos,
                    "early_terminate.strict",
                    format!("`strict` must be true or false, found {}", st.describe()),
                );
                ok = false;
            }
        }
    }
    match kind {
        "asha" => {
            let min_iter = min_iter.unwrap_or(1);
            if let (Some(max), Some(node)) = (max_iter, v.get("max_iter"))
                && max <= min_iter
            {
                ctx.err(
                    node.pos,
                    "early_terminate.max_iter",
                    format!(
                        "`max_iter` ({max}) must be greater than `min_iter` ({min_iter}): ASHA places no rung at or beyond `max_iter`, so there would be none"
                    ),
                );
                ok = false;
            }
            ok.then_some(EarlyTerminate::Asha {
                min_iter,
                eta,
                max_iter,
            })
        }
        "median" => ok.then_some(EarlyTerminate::Median {
            min_iter: min_iter.unwrap_or(1),
            min_runs: min_runs.unwrap_or(3),
        }),
        _ => {
            if !(has("min_iter") || (has("max_iter") && has("s"))) {
                let message = if has("max_iter") {
                    "hyperband with `max_iter` also needs `s` (the number of brackets), or give `min_iter`"
                } else {
                    "hyperband needs `min_iter`, or `max_iter` with `s`"
                };
                ctx.err(at, KEY, message);
                ok = false;
            }
            // W&B's bands from `max_iter`: `max_iter/eta^k` for k = 1..=s while ≥ 1; W&B
            // refuses a config that gives none.
            if let (Some(max), Some(_), Some(node)) = (max_iter, s, v.get("max_iter"))
                && ok
                && (max as f64) / eta < 1.0
            {
                ctx.err(
                    node.pos,
                    "early_terminate.max_iter",
                    format!(
                        "hyperband has no bands: `max_iter` ({max}) divided by `eta` ({eta}) is below 1; raise `max_iter` or lower `eta`"
                    ),
                );
                ok = false;
            }
            ok.then_some(EarlyTerminate::Hyperband {
                min_iter,
                max_iter,
                s,
                eta,
                strict,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{assert_diag, errors, parse};
    use sweep_core::EarlyTerminate;

    #[test]
    fn asha_and_median_are_parsed_with_defaults() {
        let et = |block: &str| {
            parse(&format!(
                "method: random\nmetric: {{name: loss}}\nearly_terminate: {block}\nparameters: {{a: {{values: [1]}}}}\n"
            ))
            .early_terminate
        };
        assert_eq!(
            et("{type: asha}"),
            Some(EarlyTerminate::Asha {
                min_iter: 1,
                eta: 3.0,
                max_iter: None
            })
        );
        assert_eq!(
            et("{type: asha, min_iter: 2, eta: 2.5, max_iter: 50}"),
            Some(EarlyTerminate::Asha {
                min_iter: 2,
                eta: 2.5,
                max_iter: Some(50)
            })
        );
        assert_eq!(
            et("{type: median}"),
            Some(EarlyTerminate::Median {
                min_iter: 1,
                min_runs: 3
            })
        );
        assert_eq!(
            et("{type: median, min_iter: 5, min_runs: 2}"),
            Some(EarlyTerminate::Median {
                min_iter: 5,
                min_runs: 2
            })
        );
        // Hyperband keeps W&B's defaults and accepts a lone `min_iter`.
        assert_eq!(
            et("{type: hyperband, min_iter: 3}"),
            Some(EarlyTerminate::Hyperband {
                min_iter: Some(3),
                max_iter: None,
                s: None,
                eta: 3.0,
                strict: true
            })
        );
    }

    #[test]
    fn asha_and_median_are_validated() {
        let d = errors(
            "method: random
metric: {name: loss}
early_terminate:
  type: asha
  min_iter: 0
  eta: 0.5
  strict: true
  max_iter: x
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 5, "early_terminate.min_iter", "positive integer");
        assert_diag(&d, 6, "early_terminate.eta", "greater than 1");
        assert_diag(
            &d,
            7,
            "early_terminate.strict",
            "unknown key `strict` in `early_terminate` of type `asha`",
        );
        assert_diag(&d, 8, "early_terminate.max_iter", "positive integer");
        assert_eq!(d.len(), 4, "{d:?}");
        let d = errors(
            "method: random
metric: {name: loss}
early_terminate: {type: asha, min_iter: 9, max_iter: 9}
parameters: {a: {values: [1]}}
",
        );
        assert_diag(
            &d,
            3,
            "early_terminate.max_iter",
            "must be greater than `min_iter` (9)",
        );
        let d = errors(
            "method: random
metric: {name: loss}
early_terminate:
  type: median
  min_runs: 0
  min_iter: 2.5
  eta: 3
  min_run: 2
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 5, "early_terminate.min_runs", "positive integer");
        assert_diag(&d, 6, "early_terminate.min_iter", "positive integer");
        assert_diag(&d, 7, "early_terminate.eta", "unknown key `eta`");
        assert_diag(&d, 8, "early_terminate.min_run", "did you mean `min_runs`?");
        assert_eq!(d.len(), 4, "{d:?}");
        // An unknown type is checked against the closest known type's keys, and the message
        // lists every supported type.
        let d = errors(
            "method: random
metric: {name: loss}
early_terminate: {type: medain, min_runs: 2}
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 3, "early_terminate.type", "did you mean `median`?");
        assert_diag(&d, 3, "early_terminate.type", "`asha` and `median`");
        assert_eq!(d.len(), 1, "{d:?}");
        let d = errors(
            "method: random
metric: {name: loss}
early_terminate: {min_iter: 3}
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 3, "early_terminate.type", "needs a `type`");
        let d = errors(
            "method: random
metric: {name: loss}
early_terminate: {type: [asha]}
parameters: {a: {values: [1]}}
",
        );
        assert_diag(
            &d,
            3,
            "early_terminate.type",
            "must be `hyperband`, `asha` or",
        );
        // Every early_terminate type needs a metric.
        let d = errors(
            "method: random
early_terminate: {type: median}
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 2, "early_terminate", "needs a `metric`");
    }

    #[test]
    fn hyperband_with_no_bands_is_an_error() {
        // W&B: bands are max_iter/eta^k while ≥ 1; 2/3 < 1 gives none, which W&B refuses.
        let d = errors(
            "method: random
metric: {name: loss}
early_terminate: {type: hyperband, max_iter: 2, s: 2}
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 3, "early_terminate.max_iter", "no bands");
        // 3/3 = 1 is one band.
        let spec = parse(
            "method: random
metric: {name: loss}
early_terminate: {type: hyperband, max_iter: 3, s: 2}
parameters: {a: {values: [1]}}
",
        );
        assert!(spec.early_terminate.is_some());
    }
}
