//! The `metric` block: the metric to optimize, its goal, target and imputation.

use crate::ctx::{Ctx, check_keys, number, one_of, string};
use crate::yaml::{Kind, Node, Pos};
use sweep_core::{Goal, Impute, ImputeWhileRunning, MetricSpec};

const METRIC_KEYS: &[&str] = &["name", "goal", "target", "impute", "impute_while_running"];

pub(crate) fn parse_metric(v: &Node, at: Pos, ctx: &mut Ctx<'_>) -> Option<MetricSpec> {
    let Some(entries) = v.as_map() else {
        ctx.err(
            v.pos,
            "metric",
            format!(
                "`metric` must be a mapping such as `{{name: val/loss, goal: minimize}}`, found {}",
                v.describe()
            ),
        );
        return None;
    };
    let mut ok = check_keys(entries, METRIC_KEYS, "metric", "`metric`", ctx);
    let mut metric = MetricSpec::new("", Goal::Minimize);
    match v.get("name") {
        Some(n) => match string(n, "metric.name", ctx) {
            Some(name) if !name.trim().is_empty() => metric.name = name,
            Some(_) => {
                ctx.err(n.pos, "metric.name", "`metric.name` is empty");
                ok = false;
            }
            None => ok = false,
        },
        None => {
            ctx.err(
                at,
                "metric.name",
                "`metric` needs a `name` (the logged metric key to optimize)",
            );
            ok = false;
        }
    }
    if let Some(g) = v.get("goal") {
        match one_of(g, "metric.goal", &["minimize", "maximize"], ctx).as_deref() {
            Some("maximize") => metric.goal = Goal::Maximize,
            Some(_) => metric.goal = Goal::Minimize,
            None => ok = false,
        }
    }
    if let Some(t) = v.get("target") {
        match number(t, "metric.target", "target", ctx) {
            Some(t) => metric.target = Some(t),
            None => ok = false,
        }
    }
    if let Some(i) = v.get("impute") {
        match one_of(i, "metric.impute", &Impute::NAMES, ctx).and_then(|s| Impute::from_name(&s)) {
            Some(policy) => metric.impute = policy,
            None => ok = false,
        }
    }
    if let Some(i) = v.get("impute_while_running") {
        let key = "metric.impute_while_running";
        let value = match i.kind {
            // YAML reads an unquoted `false` as a boolean; W&B means the string.
            Kind::Bool(false) => Some("false".to_string()),
            _ => one_of(i, key, &ImputeWhileRunning::NAMES, ctx),
        };
        match value.and_then(|s| ImputeWhileRunning::from_name(&s)) {
            Some(policy) => metric.impute_while_running = policy,
            None => ok = false,
        }
    }
    ok.then_some(metric)
}

#[cfg(test)]
mod tests {
    use crate::test_util::{assert_diag, errors, parse};
    use sweep_core::{EarlyTerminate, Goal, MetricSpec};

    #[test]
    fn metric_and_early_terminate_are_validated() {
        let d = errors(
            "method: random
metric:
  goal: maximise
  impute: mean
  nam: x
early_terminate:
  type: hyperbnd
  eta: 1
  strict: yes
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 2, "metric.name", "needs a `name`");
        assert_diag(&d, 3, "metric.goal", "did you mean `maximize`?");
        assert_diag(&d, 4, "metric.impute", "not one of");
        assert_diag(&d, 5, "metric.nam", "did you mean `name`?");
        assert_diag(
            &d,
            6,
            "early_terminate",
            "needs `min_iter`, or `max_iter` with `s`",
        );
        assert!(
            !d.iter()
                .any(|d| d.key == "early_terminate.type" && d.message.contains("needs a `type"))
        );
        assert_diag(&d, 7, "early_terminate.type", "did you mean `hyperband`?");
        assert_diag(&d, 8, "early_terminate.eta", "greater than 1");
        assert_diag(&d, 9, "early_terminate.strict", "true or false");
        let d = errors(
            "method: random
metric: {name: loss}
early_terminate: {type: hyperband, max_iter: 27, min_iter: 0}
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 3, "early_terminate.min_iter", "positive integer");
        let d = errors(
            "method: random
early_terminate: {type: hyperband, max_iter: 27, s: 3}
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 2, "early_terminate", "needs a `metric`");
        let spec = parse(
            "method: random
metric: {name: val/acc, goal: maximize, target: 0.99, impute: best, impute_while_running: false}
early_terminate: {type: hyperband, max_iter: 27, s: 3, eta: 2, strict: false}
parameters: {a: {values: [1]}}
",
        );
        let metric = spec
            .metric
            .unwrap_or_else(|| MetricSpec::new("", Goal::Minimize));
        assert_eq!(
            (
                metric.goal,
                metric.target,
                metric.impute.as_str(),
                metric.impute_while_running.as_str()
            ),
            (Goal::Maximize, Some(0.99), "best", "false")
        );
        assert_eq!(
            spec.early_terminate,
            Some(EarlyTerminate::Hyperband {
                min_iter: None,
                max_iter: Some(27),
                s: Some(3),
                eta: 2.0,
                strict: false
            })
        );
    }
}
