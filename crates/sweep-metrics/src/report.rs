//! Every metric at once, serializable, and flattened to metric keys.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::confusion::{Averages, ConfusionMatrix};
use crate::cost::{CostScore, CostScoreError, CostScoreResult};
use crate::error::{MetricsError, check_class_names};
use crate::metric_key;
use crate::scores::{self, Scores};

/// Per-class metrics in a [`Report`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    /// Class name.
    pub name: String,
    /// Precision (0 when never predicted).
    pub precision: f64,
    /// Recall (0 when absent from `y_true`).
    pub recall: f64,
    /// F1 (0 when neither present nor predicted).
    pub f1: f64,
    /// Number of true samples.
    pub support: u64,
    /// One-vs-rest ROC-AUC on this class's score column; `None` without scores or
    /// when undefined (class absent from `y_true`, or in every sample).
    pub roc_auc: Option<f64>,
    /// One-vs-rest average precision; `None` without scores or when the class is
    /// absent from `y_true`.
    pub average_precision: Option<f64>,
}

/// All classification metrics of one set of predictions.
///
/// Serialized with every field (undefined values are `null`, never NaN); the
/// confusion matrix is included there but not in [`Report::to_metrics`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Class names, in index order.
    pub class_names: Vec<String>,
    /// Number of samples.
    pub n_samples: u64,
    /// Fraction correct.
    pub accuracy: f64,
    /// Mean recall over the classes present in `y_true`.
    pub balanced_accuracy: f64,
    /// Unweighted means over all classes.
    #[serde(rename = "macro")]
    pub macro_avg: Averages,
    /// Global counts (all equal to the accuracy).
    #[serde(rename = "micro")]
    pub micro_avg: Averages,
    /// Means weighted by support.
    #[serde(rename = "weighted")]
    pub weighted_avg: Averages,
    /// Matthews correlation (0 when undefined).
    pub mcc: f64,
    /// Cohen's kappa; `None` when undefined.
    pub kappa: Option<f64>,
    /// ROC-AUC (binary, or one-vs-rest macro); `None` without scores or undefined.
    pub roc_auc: Option<f64>,
    /// Average precision (binary, or one-vs-rest macro); `None` without scores or
    /// undefined.
    pub average_precision: Option<f64>,
    /// Log loss; `None` without scores or when they are not probabilities (a value
    /// outside `[0, 1]`, e.g. SVM decision values).
    pub log_loss: Option<f64>,
    /// Per-class metrics, in class order.
    pub per_class: Vec<ClassReport>,
    /// The confusion matrix (rows true, columns predicted).
    pub confusion_matrix: ConfusionMatrix,
    /// Cost-sensitive scores added with [`Report::add_cost_score`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cost_scores: Vec<CostScoreResult>,
}

impl Report {
    /// Computes every metric. `class_names[k]` names class index `k`, so there are
    /// `class_names.len()` classes. `scores` (probabilities, or any scores for the
    /// rank metrics) adds ROC-AUC, average precision and log loss; its rows must
    /// match `y_true` and its columns the classes.
    ///
    /// # Errors
    /// Any [`MetricsError`] of [`ConfusionMatrix::new`]; bad class names
    /// ([`MetricsError::EmptyClassName`], [`MetricsError::DuplicateClassName`]);
    /// [`MetricsError::LengthMismatch`] when `scores` has the wrong shape.
    pub fn compute<S: AsRef<str>>(
        y_true: &[usize],
        y_pred: &[usize],
        scores: Option<&Scores<'_>>,
        class_names: &[S],
    ) -> Result<Report, MetricsError> {
        let cm = ConfusionMatrix::new(y_true, y_pred, class_names.len())?;
        let mut report = Report::from_confusion(cm, class_names)?;
        if let Some(scores) = scores {
            if scores.n_classes() != class_names.len() {
                return Err(MetricsError::LengthMismatch {
                    what: "score columns",
                    expected: class_names.len(),
                    found: scores.n_classes(),
                });
            }
            report.roc_auc = scores::roc_auc(y_true, scores)?;
            report.average_precision = scores::average_precision(y_true, scores)?;
            report.log_loss = match scores::log_loss(y_true, scores) {
                Ok(v) => Some(v),
                Err(MetricsError::ProbabilityOutOfRange { .. }) => None,
                Err(e) => return Err(e),
            };
            let auc = scores::roc_auc_per_class(y_true, scores)?;
            let ap = scores::average_precision_per_class(y_true, scores)?;
            for ((class, auc), ap) in report.per_class.iter_mut().zip(auc).zip(ap) {
                class.roc_auc = auc;
                class.average_precision = ap;
            }
        }
        Ok(report)
    }

    /// The metrics that need only a confusion matrix (score-based ones are `None`).
    ///
    /// # Errors
    /// [`MetricsError::ClassNameCount`], [`MetricsError::EmptyClassName`],
    /// [`MetricsError::DuplicateClassName`].
    pub fn from_confusion<S: AsRef<str>>(
        cm: ConfusionMatrix,
        class_names: &[S],
    ) -> Result<Report, MetricsError> {
        check_class_names(class_names, cm.n_classes())?;
        let per_class = cm
            .per_class()
            .into_iter()
            .zip(class_names)
            .map(|(m, name)| ClassReport {
                name: name.as_ref().to_owned(),
                precision: m.precision,
                recall: m.recall,
                f1: m.f1,
                support: m.support,
                roc_auc: None,
                average_precision: None,
            })
            .collect();
        Ok(Report {
            class_names: class_names.iter().map(|s| s.as_ref().to_owned()).collect(),
            n_samples: cm.n_samples(),
            accuracy: cm.accuracy(),
            balanced_accuracy: cm.balanced_accuracy(),
            macro_avg: cm.macro_avg(),
            micro_avg: cm.micro_avg(),
            weighted_avg: cm.weighted_avg(),
            mcc: cm.mcc(),
            kappa: cm.kappa(),
            roc_auc: None,
            average_precision: None,
            log_loss: None,
            per_class,
            confusion_matrix: cm,
            cost_scores: Vec::new(),
        })
    }

    /// Evaluates `cost` on this report's confusion matrix and keeps the result, so
    /// that [`Report::to_metrics`] includes it.
    ///
    /// # Errors
    /// The errors of [`CostScore::evaluate`], and
    /// [`MetricsError::KeyCollision`] when one of its names is already a metric
    /// name of this report (`accuracy`, `f1/<class>`, an earlier cost score, …).
    pub fn add_cost_score(&mut self, cost: &CostScore) -> Result<&CostScoreResult, CostScoreError> {
        let result = cost.evaluate(&self.confusion_matrix, &self.class_names)?;
        let taken = self.metric_names();
        if let Some(name) = result.names().find(|n| taken.contains(*n)) {
            return Err(MetricsError::KeyCollision {
                key: name.to_owned(),
            }
            .into());
        }
        self.cost_scores.push(result);
        let last = self.cost_scores.len() - 1;
        Ok(&self.cost_scores[last])
    }

    /// Every name this report can put under a prefix, defined or not.
    fn metric_names(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = STANDARD_KEYS.iter().map(|s| (*s).to_owned()).collect();
        for class in &self.class_names {
            for metric in PER_CLASS_KEYS {
                names.insert(format!("{metric}/{class}"));
            }
        }
        for cost in &self.cost_scores {
            names.extend(cost.names().map(str::to_owned));
        }
        names
    }

    /// Flat metric keys under `prefix` (`"test"` → `test/accuracy`; an empty prefix
    /// gives bare names): `accuracy`, `balanced_accuracy`, `macro_f1`, `micro_f1`,
    /// `weighted_f1`, `macro_precision`, `macro_recall`, `mcc`, `kappa` (when
    /// defined), `roc_auc`, `average_precision`, `log_loss` (when scores were given
    /// and the value is defined), `f1/<class>`, `precision/<class>`,
    /// `recall/<class>`, and the values of added cost scores. Never NaN.
    pub fn to_metrics(&self, prefix: &str) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        let mut put = |name: &str, value: f64| {
            out.insert(metric_key(prefix, name), value);
        };
        put("accuracy", self.accuracy);
        put("balanced_accuracy", self.balanced_accuracy);
        put("macro_f1", self.macro_avg.f1);
        put("micro_f1", self.micro_avg.f1);
        put("weighted_f1", self.weighted_avg.f1);
        put("macro_precision", self.macro_avg.precision);
        put("macro_recall", self.macro_avg.recall);
        put("mcc", self.mcc);
        for (name, value) in [
            ("kappa", self.kappa),
            ("roc_auc", self.roc_auc),
            ("average_precision", self.average_precision),
            ("log_loss", self.log_loss),
        ] {
            if let Some(v) = value {
                put(name, v);
            }
        }
        for class in &self.per_class {
            put(&format!("f1/{}", class.name), class.f1);
            put(&format!("precision/{}", class.name), class.precision);
            put(&format!("recall/{}", class.name), class.recall);
        }
        for cost in &self.cost_scores {
            out.extend(cost.to_metrics(prefix));
        }
        out
    }
}

const STANDARD_KEYS: [&str; 12] = [
    "accuracy",
    "balanced_accuracy",
    "macro_f1",
    "micro_f1",
    "weighted_f1",
    "macro_precision",
    "macro_recall",
    "mcc",
    "kappa",
    "roc_auc",
    "average_precision",
    "log_loss",
];

const PER_CLASS_KEYS: [&str; 3] = ["f1", "precision", "recall"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{
        BIN_Y_PRED, BIN_Y_TRUE, MULTI_PROBS, MULTI_Y_PRED, MULTI_Y_TRUE, bin_probs,
    };

    const NAMES: [&str; 3] = ["benign", "suspicious", "malicious"];

    #[track_caller]
    fn assert_close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-9, "{a} != {b}");
    }

    #[test]
    fn multiclass_report_matches_sklearn() {
        let s = Scores::from_rows(&MULTI_PROBS).unwrap();
        let r = Report::compute(&MULTI_Y_TRUE, &MULTI_Y_PRED, Some(&s), &NAMES).unwrap();
        let m = r.to_metrics("test");
        let expected = [
            ("test/accuracy", 0.5833333333333334),
            ("test/balanced_accuracy", 0.5888888888888889),
            ("test/macro_f1", 0.5809523809523809),
            ("test/micro_f1", 0.5833333333333334),
            ("test/weighted_f1", 0.5833333333333334),
            ("test/macro_precision", 0.5888888888888889),
            ("test/macro_recall", 0.5888888888888889),
            ("test/mcc", 0.3723404255319149),
            ("test/kappa", 0.368421052631579),
            ("test/roc_auc", 0.8930996472663139),
            ("test/average_precision", 0.8424603174603175),
            ("test/log_loss", 0.7762927421086495),
            ("test/f1/benign", 0.6),
            ("test/f1/suspicious", 0.5714285714285714),
            ("test/f1/malicious", 0.5714285714285714),
            ("test/precision/benign", 0.6),
            ("test/precision/suspicious", 0.5),
            ("test/precision/malicious", 0.6666666666666666),
            ("test/recall/benign", 0.6),
            ("test/recall/suspicious", 0.6666666666666666),
            ("test/recall/malicious", 0.5),
        ];
        assert_eq!(m.len(), expected.len());
        for (key, value) in expected {
            match m.get(key) {
                Some(v) => assert_close(*v, value),
                None => panic!("missing {key}"),
            }
        }
        assert_eq!(r.per_class[2].support, 4);
        assert_close(r.per_class[2].roc_auc.unwrap(), 0.9375);
        assert_close(
            r.per_class[1].average_precision.unwrap(),
            0.7916666666666666,
        );
        assert_close(r.weighted_avg.precision, 0.5972222222222222);
        assert_eq!(r.n_samples, 12);
    }

    #[test]
    fn binary_report_matches_sklearn() {
        let s = Scores::from_rows(&bin_probs()).unwrap();
        let r = Report::compute(&BIN_Y_TRUE, &BIN_Y_PRED, Some(&s), &["ham", "spam"]).unwrap();
        let m = r.to_metrics("val");
        assert_close(m["val/accuracy"], 0.7);
        assert_close(m["val/balanced_accuracy"], 0.7083333333333333);
        assert_close(m["val/macro_f1"], 0.696969696969697);
        assert_close(m["val/weighted_f1"], 0.7030303030303029);
        assert_close(m["val/mcc"], 0.408248290463863);
        assert_close(m["val/kappa"], 0.4);
        assert_close(m["val/roc_auc"], 0.7916666666666667);
        assert_close(m["val/average_precision"], 0.7095238095238094);
        assert_close(m["val/log_loss"], 0.561088509422172);
        assert_close(m["val/f1/spam"], 0.6666666666666666);
    }

    #[test]
    fn without_scores_score_metrics_are_absent() {
        let r = Report::compute(&MULTI_Y_TRUE, &MULTI_Y_PRED, None, &NAMES).unwrap();
        let m = r.to_metrics("");
        assert!(m.contains_key("accuracy"));
        assert!(m.contains_key("f1/benign"));
        for key in ["roc_auc", "average_precision", "log_loss"] {
            assert!(!m.contains_key(key), "{key}");
        }
        assert_eq!(m.len(), 9 + 9);
        assert!(m.values().all(|v| v.is_finite()));
    }

    #[test]
    fn undefined_values_are_absent_not_nan() {
        // One class everywhere: kappa and ROC-AUC undefined.
        let s = Scores::from_rows(&[[0.3, 0.7], [0.1, 0.9]]).unwrap();
        let r = Report::compute(&[1, 1], &[1, 1], Some(&s), &["neg", "pos"]).unwrap();
        assert_eq!(r.kappa, None);
        assert_eq!(r.roc_auc, None);
        assert_close(r.mcc, 0.0);
        let m = r.to_metrics("test");
        assert!(!m.contains_key("test/kappa"));
        assert!(!m.contains_key("test/roc_auc"));
        assert!(m.contains_key("test/average_precision"));
        assert!(m.values().all(|v| v.is_finite()));
        // Serialized: null, never NaN.
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["kappa"], serde_json::Value::Null);
        assert_eq!(json["roc_auc"], serde_json::Value::Null);
        assert_eq!(json["per_class"][0]["roc_auc"], serde_json::Value::Null);
    }

    #[test]
    fn decision_values_give_rank_metrics_but_no_log_loss() {
        let s = Scores::from_rows(&[[-1.0, 2.0], [0.5, -0.5], [3.0, 1.0]]).unwrap();
        let r = Report::compute(&[1, 0, 0], &[1, 0, 0], Some(&s), &["a", "b"]).unwrap();
        assert_eq!(r.log_loss, None);
        assert_close(r.roc_auc.unwrap(), 1.0);
    }

    #[test]
    fn serializes_with_confusion_matrix() {
        let r = Report::compute(&MULTI_Y_TRUE, &MULTI_Y_PRED, None, &NAMES).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["confusion_matrix"]["counts"],
            serde_json::json!([[3, 1, 1], [1, 2, 0], [1, 1, 2]])
        );
        assert_eq!(json["macro"]["f1"], serde_json::json!(r.macro_avg.f1));
        assert_eq!(json["per_class"][1]["name"], "suspicious");
        assert!(json.get("cost_scores").is_none());
        let back: Report = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
        // The flat metrics never contain the matrix.
        assert!(r.to_metrics("t").keys().all(|k| !k.contains("confusion")));
    }

    #[test]
    fn cost_scores_join_the_metrics() {
        let mut r = Report::compute(&MULTI_Y_TRUE, &MULTI_Y_PRED, None, &NAMES).unwrap();
        let cost = CostScore::prompt_classification_example();
        let score = r.add_cost_score(&cost).unwrap().score;
        // recall(malicious) 0.5, precision(suspicious) 0.5, F1(benign) 0.6:
        // base = 0.25 + 0.15 + 0.12 = 0.52; 0↔2 confusions 1 + 1 of 12 → exp(−5/6).
        assert_close(score, 0.52 * (-5.0f64 / 6.0).exp());
        let m = r.to_metrics("test");
        assert_close(m["test/custom_score"], score);
        assert_close(m["test/false_alarm_rate"], 1.0 / 12.0);
        assert_close(m["test/missed_threat_rate"], 1.0 / 12.0);
        assert_close(m["test/critical_error_rate"], 2.0 / 12.0);
        // The same names again collide.
        assert_eq!(
            r.add_cost_score(&cost),
            Err(CostScoreError::Metrics(MetricsError::KeyCollision {
                key: "custom_score".into()
            }))
        );
        let mut clash = cost.clone();
        clash.name = "kappa".into();
        assert!(matches!(
            r.add_cost_score(&clash),
            Err(CostScoreError::Metrics(MetricsError::KeyCollision { .. }))
        ));
        assert_eq!(r.cost_scores.len(), 1);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["cost_scores"][0]["name"], "custom_score");
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let no_names: [&str; 0] = [];
        assert_eq!(
            Report::compute(&[0], &[0], None, &no_names),
            Err(MetricsError::NoClasses)
        );
        assert_eq!(
            Report::compute(&[0, 1], &[0, 1], None, &["a", "a"]),
            Err(MetricsError::DuplicateClassName { name: "a".into() })
        );
        assert_eq!(
            Report::compute(&[0, 1], &[0, 1], None, &["a", ""]),
            Err(MetricsError::EmptyClassName { index: 1 })
        );
        assert!(matches!(
            Report::compute(&[0, 2], &[0, 1], None, &["a", "b"]),
            Err(MetricsError::LabelOutOfRange { .. })
        ));
        let s3 = Scores::from_rows(&[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]).unwrap();
        assert_eq!(
            Report::compute(&[0, 1], &[0, 1], Some(&s3), &["a", "b"]),
            Err(MetricsError::LengthMismatch {
                what: "score columns",
                expected: 2,
                found: 3
            })
        );
        let s1 = Scores::from_rows(&[[0.2, 0.8]]).unwrap();
        assert!(matches!(
            Report::compute(&[0, 1], &[0, 1], Some(&s1), &["a", "b"]),
            Err(MetricsError::LengthMismatch { what: "y_true", .. })
        ));
        let cm = ConfusionMatrix::from_counts(vec![vec![1, 0], vec![0, 1]]).unwrap();
        assert_eq!(
            Report::from_confusion(cm, &["a"]),
            Err(MetricsError::ClassNameCount {
                expected: 2,
                found: 1
            })
        );
    }
}
