use crate::{Goal, MetricSpec, Value, json_kind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One history record: metric key → value. Non-finite values (NaN, ±inf) are kept.
pub type MetricRecord = BTreeMap<String, f64>;

/// Why a metric line could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("a metric record must be a JSON object, found {0}")]
    NotAnObject(&'static str),
    #[error("the record has no numeric value")]
    Empty,
}

/// One history record as a JSON line (no newline), the form [`parse_metric_line`] reads
/// back: non-finite values as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`.
pub fn metric_line(record: &MetricRecord) -> String {
    let map: serde_json::Map<String, Value> = record
        .iter()
        .map(|(k, v)| {
            let value = match serde_json::Number::from_f64(*v) {
                Some(n) => Value::Number(n),
                None if v.is_nan() => "NaN".into(),
                None if *v > 0.0 => "Infinity".into(),
                None => "-Infinity".into(),
            };
            (k.clone(), value)
        })
        .collect();
    Value::Object(map).to_string()
}

/// Parses one JSON-lines metric record.
///
/// Python's `json.dumps` writes `NaN`, `Infinity` and `-Infinity`, which are not JSON; they
/// are accepted. Strings spelling those are accepted too. Booleans, null, other strings,
/// arrays and objects are not metrics: their keys are returned in the second element so the
/// caller can report them.
pub fn parse_metric_line(line: &str) -> Result<(MetricRecord, Vec<String>), RecordError> {
    let value = parse_lenient_json(line.trim()).map_err(|e| RecordError::Json(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(RecordError::NotAnObject(json_kind(&value)));
    };
    let mut record = MetricRecord::new();
    let mut ignored = Vec::new();
    for (key, v) in map {
        match metric_number(&v) {
            Some(f) => {
                record.insert(key, f);
            }
            None => ignored.push(key),
        }
    }
    if record.is_empty() {
        return Err(RecordError::Empty);
    }
    Ok((record, ignored))
}

/// One JSON document as Python's `json.dumps` writes it: the bare tokens `NaN`,
/// `Infinity` and `-Infinity` (not JSON) are accepted, and read back as numbers by
/// [`metric_number`].
pub fn parse_lenient_json(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(&replace_bare_non_finite(text))
}

/// A JSON value as a metric value: a number, or a string spelling a non-finite one
/// (`"NaN"`, `"Infinity"`, `"-inf"`, …); `None` for anything else.
pub fn metric_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => Some(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => non_finite(s),
        _ => None,
    }
}

fn non_finite(s: &str) -> Option<f64> {
    match s.trim().to_ascii_lowercase().as_str() {
        "nan" | "__nan__" => Some(f64::NAN),
        "infinity" | "inf" | "+infinity" | "+inf" | "__inf__" => Some(f64::INFINITY),
        "-infinity" | "-inf" | "__-inf__" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Replaces the bare tokens `NaN`, `Infinity`, `-Infinity` outside strings with strings.
fn replace_bare_non_finite(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains("NaN") && !s.contains("Infinity") {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == '"' {
            in_string = true;
        } else if let Some((token, repl)) = [
            ("-Infinity", "\"__-inf__\""),
            ("Infinity", "\"__inf__\""),
            ("NaN", "\"__nan__\""),
        ]
        .into_iter()
        .find(|(t, _)| rest.starts_with(t))
        {
            out.push_str(repl);
            rest = &rest[token.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// The goal of a metric: the sweep metric's own goal, otherwise inferred from its name
/// (`resources/…`, and `loss`, `error`, `err`, `mse`, `mae`, `rmse`, `perplexity`, `time`,
/// `latency`, `duration` are minimised; everything else is maximised).
pub fn metric_goal(key: &str, sweep_metric: Option<&MetricSpec>) -> Goal {
    if let Some(m) = sweep_metric.filter(|m| m.name == key) {
        return m.goal;
    }
    // What a trial cost (`resources/wall_s`, `resources/max_rss_mb`, …): less is better.
    if key.starts_with("resources/") {
        return Goal::Minimize;
    }
    let last = key.rsplit('/').next().unwrap_or(key).to_ascii_lowercase();
    const LOW: [&str; 10] = [
        "loss",
        "error",
        "err",
        "mse",
        "mae",
        "rmse",
        "perplexity",
        "time",
        "latency",
        "duration",
    ];
    if LOW.iter().any(|w| {
        last == *w || last.ends_with(&format!("_{w}")) || last.starts_with(&format!("{w}_"))
    }) {
        Goal::Minimize
    } else {
        Goal::Maximize
    }
}

/// Running statistics of one metric over a run's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// The last value logged (None when it was not finite).
    pub last: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The best finite value by the metric's goal.
    pub best: Option<f64>,
    /// The history position (`_step`) of the best value.
    pub best_step: Option<u64>,
    /// How many records carried this metric (finite or not).
    pub count: u64,
    pub goal: Goal,
}

impl MetricSummary {
    pub fn new(goal: Goal) -> Self {
        MetricSummary {
            last: None,
            min: None,
            max: None,
            best: None,
            best_step: None,
            count: 0,
            goal,
        }
    }

    /// Folds in one value logged at history position `step`.
    pub fn push(&mut self, value: f64, step: u64) {
        self.count += 1;
        if !value.is_finite() {
            self.last = None;
            return;
        }
        self.last = Some(value);
        self.min = Some(self.min.map_or(value, |m| m.min(value)));
        self.max = Some(self.max.map_or(value, |m| m.max(value)));
        if self.best.is_none_or(|b| self.goal.better(value, b)) {
            self.best = Some(value);
            self.best_step = Some(step);
        }
    }
}

/// Per-metric summaries of a run, by metric key.
pub type Summary = BTreeMap<String, MetricSummary>;

/// Folds a record logged at position `step` into a summary.
pub fn fold_record(
    summary: &mut Summary,
    record: &MetricRecord,
    step: u64,
    metric: Option<&MetricSpec>,
) {
    for (key, value) in record {
        summary
            .entry(key.clone())
            .or_insert_with(|| MetricSummary::new(metric_goal(key, metric)))
            .push(*value, step);
    }
}

impl MetricSpec {
    /// Folds a record into a summary with this sweep metric's goal.
    pub fn fold(&self, summary: &mut Summary, record: &MetricRecord, step: u64) {
        fold_record(summary, record, step, Some(self));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_non_finite_tokens_are_read() {
        let (r, ignored) =
            parse_metric_line(r#"{"loss": NaN, "a": -Infinity, "b": "Infinity", "s": "NaN is ok", "ok": true, "x": 1}"#)
                .unwrap();
        assert!(r["loss"].is_nan());
        assert_eq!(r["a"], f64::NEG_INFINITY);
        assert_eq!(r["b"], f64::INFINITY);
        assert_eq!(r["x"], 1.0);
        assert_eq!(ignored, vec!["ok".to_string(), "s".to_string()]);
    }

    #[test]
    fn malformed_lines_are_errors() {
        assert!(matches!(
            parse_metric_line("{\"a\": 1"),
            Err(RecordError::Json(_))
        ));
        assert!(matches!(
            parse_metric_line("[1, 2]"),
            Err(RecordError::NotAnObject(_))
        ));
        assert!(matches!(
            parse_metric_line("{\"a\": \"x\"}"),
            Err(RecordError::Empty)
        ));
    }

    #[test]
    fn summary_tracks_best_by_goal() {
        let spec = MetricSpec::new("val/acc", Goal::Maximize);
        let mut s = Summary::new();
        for (i, (acc, loss)) in [(0.5, 1.0), (0.9, f64::NAN), (0.7, 0.4)]
            .into_iter()
            .enumerate()
        {
            let rec: MetricRecord = [
                ("val/acc".to_string(), acc),
                ("train/loss".to_string(), loss),
            ]
            .into();
            spec.fold(&mut s, &rec, i as u64);
        }
        let acc = &s["val/acc"];
        assert_eq!(
            (acc.best, acc.best_step, acc.last, acc.count),
            (Some(0.9), Some(1), Some(0.7), 3)
        );
        let loss = &s["train/loss"];
        assert_eq!(loss.goal, Goal::Minimize);
        assert_eq!(
            (loss.best, loss.min, loss.max, loss.count),
            (Some(0.4), Some(0.4), Some(1.0), 3)
        );
    }

    #[test]
    fn goals_are_inferred_from_names() {
        assert_eq!(metric_goal("val/loss", None), Goal::Minimize);
        assert_eq!(metric_goal("train/ce_loss", None), Goal::Minimize);
        assert_eq!(metric_goal("val/macro_f1", None), Goal::Maximize);
        let m = MetricSpec::new("val/macro_f1", Goal::Minimize);
        assert_eq!(metric_goal("val/macro_f1", Some(&m)), Goal::Minimize);
    }

    #[test]
    fn a_metric_line_reads_back_as_the_same_record() {
        let record: MetricRecord = [
            ("acc".to_string(), 0.5),
            ("loss".to_string(), f64::NAN),
            ("up".to_string(), f64::INFINITY),
            ("down".to_string(), f64::NEG_INFINITY),
        ]
        .into_iter()
        .collect();
        let line = metric_line(&record);
        assert_eq!(
            line,
            r#"{"acc":0.5,"down":"-Infinity","loss":"NaN","up":"Infinity"}"#
        );
        let (back, ignored) = parse_metric_line(&line).unwrap_or_default();
        assert!(ignored.is_empty());
        assert_eq!(back["acc"], 0.5);
        assert!(back["loss"].is_nan());
        assert_eq!(back["up"], f64::INFINITY);
        assert_eq!(back["down"], f64::NEG_INFINITY);
    }
}
