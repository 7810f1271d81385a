//! Linear text classifiers over sparse features. Each model is built from its own config
//! struct; a fitted model is serializable so it can be saved with its run and used again.
//!
//! Labels are class indices `0..n_classes`. Every model produces decision scores
//! (`n_rows × n_classes`, row-major); the predicted class is the arg-max. Models that have
//! probabilities (logistic regression, naive Bayes, SGD with log loss) also give them.

mod fasttext;
mod lbfgs;
mod linear;
mod logreg;
mod nb;
mod sgd;
mod svm;

pub use fasttext::{FastTextConfig, FastTextModel};
pub use linear::LinearModel;
pub use logreg::LogisticRegressionConfig;
pub use nb::{NaiveBayes, NaiveBayesConfig, NbVariant};
pub use sgd::{SgdConfig, SgdLoss};
pub use svm::LinearSvmConfig;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use sweep_features::CsrMatrix;

/// Why a model could not be fitted.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    #[error("the training set is empty")]
    Empty,
    #[error("{rows} rows but {labels} labels")]
    Mismatch { rows: usize, labels: usize },
    #[error("label {label} is out of range for {n_classes} classes")]
    LabelOutOfRange { label: usize, n_classes: usize },
    #[error("the training set has a single class ({0}); a classifier needs at least two")]
    SingleClass(String),
    #[error("invalid {param}: {message}")]
    InvalidParam {
        param: &'static str,
        message: String,
    },
    #[error("class weight for unknown class `{0}`")]
    UnknownClass(String),
    #[error("naive Bayes needs non-negative feature values (counts or TF-IDF); found {0}")]
    NegativeFeature(f32),
    /// The stop flag was seen set during the fit.
    #[error("stopped before the end of the fit")]
    Stopped,
}

/// Per-class weights on the training loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(untagged)]
pub enum ClassWeight {
    /// Every sample weighs 1.
    #[default]
    None,
    /// `"balanced"`: `n_samples / (n_classes · count(class))`, as scikit-learn.
    Named(String),
    /// An explicit weight per class name; classes not listed weigh 1.
    Explicit(BTreeMap<String, f64>),
}

impl ClassWeight {
    /// Resolves to one weight per class index.
    pub fn resolve(&self, y: &[usize], classes: &[String]) -> Result<Vec<f64>, ModelError> {
        let k = classes.len();
        match self {
            ClassWeight::None => Ok(vec![1.0; k]),
            ClassWeight::Named(name) if name == "balanced" => {
                let mut counts = vec![0usize; k];
                for &c in y {
                    if c < k {
                        counts[c] += 1;
                    }
                }
                let present = counts.iter().filter(|c| **c > 0).count().max(1);
                Ok(counts
                    .iter()
                    .map(|&c| {
                        if c == 0 {
                            1.0
                        } else {
                            y.len() as f64 / (present as f64 * c as f64)
                        }
                    })
                    .collect())
            }
            ClassWeight::Named(other) => Err(ModelError::InvalidParam {
                param: "class_weight",
                message: format!("`{other}` is not `balanced` or a map of class → weight"),
            }),
            ClassWeight::Explicit(map) => {
                let mut w = vec![1.0; k];
                for (name, weight) in map {
                    let i = classes
                        .iter()
                        .position(|c| c == name)
                        .ok_or_else(|| ModelError::UnknownClass(name.clone()))?;
                    if !(weight.is_finite() && *weight > 0.0) {
                        return Err(ModelError::InvalidParam {
                            param: "class_weight",
                            message: format!(
                                "weight of `{name}` must be a positive number, got {weight}"
                            ),
                        });
                    }
                    w[i] = *weight;
                }
                Ok(w)
            }
        }
    }
}

/// Which model to train, and its settings (the `model` block of a config).
///
/// Read from `{kind: <model>, <settings>...}`. So that one sweep can vary `model.kind`
/// together with settings of some kinds only (`model.c` for the linear models,
/// `model.alpha` for naive Bayes), a setting that belongs to *another* model kind is
/// ignored; a key that no model knows is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    try_from = "serde_json::Value"
)]
pub enum ModelConfig {
    LogisticRegression(LogisticRegressionConfig),
    LinearSvm(LinearSvmConfig),
    NaiveBayes(NaiveBayesConfig),
    Sgd(SgdConfig),
    #[serde(rename = "fasttext")]
    FastText(FastTextConfig),
}

/// A fitted model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Model {
    Linear(LinearModel),
    NaiveBayes(NaiveBayes),
    #[serde(rename = "fasttext")]
    FastText(FastTextModel),
}

/// Diagnostics of a fit (iterations, convergence), logged with the run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FitInfo {
    pub iterations: usize,
    /// Objective evaluations (iterative solvers), for diagnostics.
    #[serde(default)]
    pub evaluations: usize,
    pub converged: bool,
}

/// The model kinds and the settings each one reads.
const MODEL_KEYS: [(&str, &[&str]); 5] = [
    (
        "logistic_regression",
        &["c", "max_iter", "tol", "class_weight", "fit_intercept"],
    ),
    (
        "linear_svm",
        &["c", "max_iter", "tol", "class_weight", "seed"],
    ),
    ("naive_bayes", &["variant", "alpha", "class_weight"]),
    (
        "sgd",
        &[
            "loss",
            "alpha",
            "max_iter",
            "tol",
            "n_iter_no_change",
            "class_weight",
            "seed",
        ],
    ),
    (
        "fasttext",
        &["dim", "lr", "epochs", "class_weight", "seed", "threads"],
    ),
];

impl TryFrom<serde_json::Value> for ModelConfig {
    type Error = String;

    fn try_from(value: serde_json::Value) -> Result<Self, Self::Error> {
        let serde_json::Value::Object(mut map) = value else {
            return Err("`model` must be a mapping with a `kind`".into());
        };
        let kinds = || {
            MODEL_KEYS
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let kind = match map.remove("kind") {
            Some(serde_json::Value::String(k)) => k,
            Some(other) => return Err(format!("`kind` must be one of {}, found {other}", kinds())),
            None => return Err(format!("`model` needs a `kind` ({})", kinds())),
        };
        // Aliases people write.
        let kind = match kind.as_str() {
            "logreg" | "lr" => "logistic_regression".to_string(),
            "svm" | "linear_svc" => "linear_svm".to_string(),
            "multinomial_nb" | "nb" => "naive_bayes".to_string(),
            "fast_text" => "fasttext".to_string(),
            "complement_nb" => {
                map.entry("variant").or_insert_with(|| "complement".into());
                "naive_bayes".to_string()
            }
            _ => kind,
        };
        let Some((_, own)) = MODEL_KEYS.iter().find(|(k, _)| *k == kind) else {
            return Err(format!(
                "unknown model kind `{kind}` (expected one of {})",
                kinds()
            ));
        };
        let all: std::collections::BTreeSet<&str> = MODEL_KEYS
            .iter()
            .flat_map(|(_, keys)| keys.iter().copied())
            .collect();
        let unknown: Vec<&String> = map.keys().filter(|k| !all.contains(k.as_str())).collect();
        if !unknown.is_empty() {
            let list: Vec<String> = unknown.iter().map(|k| format!("`{k}`")).collect();
            return Err(format!(
                "unknown model setting {} (a `{kind}` reads: {})",
                list.join(", "),
                own.join(", ")
            ));
        }
        map.retain(|k, _| own.contains(&k.as_str()));
        let value = serde_json::Value::Object(map);
        let parsed = match kind.as_str() {
            "logistic_regression" => {
                serde_json::from_value(value).map(ModelConfig::LogisticRegression)
            }
            "linear_svm" => serde_json::from_value(value).map(ModelConfig::LinearSvm),
            "naive_bayes" => serde_json::from_value(value).map(ModelConfig::NaiveBayes),
            "fasttext" => serde_json::from_value(value).map(ModelConfig::FastText),
            _ => serde_json::from_value(value).map(ModelConfig::Sgd),
        };
        parsed.map_err(|e| format!("{kind}: {e}"))
    }
}

impl ModelConfig {
    /// The same config with the run's seed for the models that use one (coordinate and
    /// sample order of the SVM and SGD solvers).
    pub fn with_seed(&self, seed: u64) -> ModelConfig {
        match self {
            ModelConfig::LinearSvm(c) => ModelConfig::LinearSvm(LinearSvmConfig {
                seed: c.seed ^ seed,
                ..c.clone()
            }),
            ModelConfig::Sgd(c) => ModelConfig::Sgd(SgdConfig {
                seed: c.seed ^ seed,
                ..c.clone()
            }),
            ModelConfig::FastText(c) => ModelConfig::FastText(FastTextConfig {
                seed: c.seed ^ seed,
                ..c.clone()
            }),
            other => other.clone(),
        }
    }

    /// Every setting out of range, found without data (the checks the fit itself makes
    /// first): `(setting, message)`, so that a sweep refuses a config every run would fail
    /// with before any run starts.
    pub fn problems(&self) -> Vec<ModelError> {
        let mut positive: Vec<(&'static str, f64)> = Vec::new();
        let mut max_iter = None;
        match self {
            ModelConfig::LogisticRegression(c) => positive.extend([("c", c.c), ("tol", c.tol)]),
            ModelConfig::LinearSvm(c) => positive.extend([("c", c.c), ("tol", c.tol)]),
            ModelConfig::NaiveBayes(c) => positive.push(("alpha", c.alpha)),
            ModelConfig::Sgd(c) => {
                positive.push(("alpha", c.alpha));
                max_iter = Some(c.max_iter);
            }
            ModelConfig::FastText(c) => return fasttext::problems(c),
        }
        let mut problems: Vec<ModelError> = positive
            .into_iter()
            .filter_map(|(param, v)| check_positive(param, v).err())
            .collect();
        if max_iter == Some(0) {
            problems.push(ModelError::InvalidParam {
                param: "max_iter",
                message: "must be at least 1".into(),
            });
        }
        problems
    }

    /// Fits the model on `x` with labels `y` (indices into `classes`).
    pub fn fit(
        &self,
        x: &CsrMatrix,
        y: &[usize],
        classes: &[String],
    ) -> Result<(Model, FitInfo), ModelError> {
        self.fit_until(x, y, classes, &AtomicBool::new(false))
    }

    /// [`ModelConfig::fit`], checking `stop` at every iteration of the solver: once it is
    /// set the fit ends with [`ModelError::Stopped`].
    pub fn fit_until(
        &self,
        x: &CsrMatrix,
        y: &[usize],
        classes: &[String],
        stop: &AtomicBool,
    ) -> Result<(Model, FitInfo), ModelError> {
        if let Some(problem) = self.problems().into_iter().next() {
            return Err(problem);
        }
        check_inputs(x, y, classes)?;
        match self {
            ModelConfig::LogisticRegression(c) => {
                logreg::fit(c, x, y, classes, stop).map(|(m, i)| (Model::Linear(m), i))
            }
            ModelConfig::LinearSvm(c) => {
                svm::fit(c, x, y, classes, stop).map(|(m, i)| (Model::Linear(m), i))
            }
            ModelConfig::NaiveBayes(c) => nb::fit(c, x, y, classes).map(|m| {
                (
                    Model::NaiveBayes(m),
                    FitInfo {
                        iterations: 1,
                        evaluations: 0,
                        converged: true,
                    },
                )
            }),
            ModelConfig::Sgd(c) => {
                sgd::fit(c, x, y, classes, stop).map(|(m, i)| (Model::Linear(m), i))
            }
            ModelConfig::FastText(c) => {
                fasttext::fit(c, x, y, classes, stop).map(|(m, i)| (Model::FastText(m), i))
            }
        }
    }
}

fn check_inputs(x: &CsrMatrix, y: &[usize], classes: &[String]) -> Result<(), ModelError> {
    if x.n_rows == 0 {
        return Err(ModelError::Empty);
    }
    if x.n_rows != y.len() {
        return Err(ModelError::Mismatch {
            rows: x.n_rows,
            labels: y.len(),
        });
    }
    if let Some(&bad) = y.iter().find(|&&c| c >= classes.len()) {
        return Err(ModelError::LabelOutOfRange {
            label: bad,
            n_classes: classes.len(),
        });
    }
    let first = y[0];
    if y.iter().all(|&c| c == first) {
        return Err(ModelError::SingleClass(classes[first].clone()));
    }
    Ok(())
}

impl Model {
    pub fn classes(&self) -> &[String] {
        match self {
            Model::Linear(m) => &m.classes,
            Model::NaiveBayes(m) => &m.classes,
            Model::FastText(m) => &m.classes,
        }
    }

    /// Decision scores, `n_rows × n_classes` row-major.
    pub fn decision(&self, x: &CsrMatrix) -> Vec<f64> {
        match self {
            Model::Linear(m) => m.decision(x),
            Model::NaiveBayes(m) => m.joint_log_likelihood(x),
            Model::FastText(m) => m.decision(x),
        }
    }

    /// Class probabilities (`n_rows × n_classes`), when the model has them.
    pub fn predict_proba(&self, x: &CsrMatrix) -> Option<Vec<f64>> {
        match self {
            Model::Linear(m) => m.predict_proba(x),
            Model::NaiveBayes(m) => Some(m.predict_proba(x)),
            Model::FastText(m) => Some(m.predict_proba(x)),
        }
    }

    /// The arg-max class of each row.
    pub fn predict(&self, x: &CsrMatrix) -> Vec<usize> {
        let k = self.classes().len();
        argmax_rows(&self.decision(x), k)
    }
}

/// Arg-max of each row of a row-major `n × k` matrix (first maximum wins).
pub fn argmax_rows(scores: &[f64], k: usize) -> Vec<usize> {
    scores
        .chunks(k.max(1))
        .map(|row| {
            let mut best = 0;
            for (j, v) in row.iter().enumerate() {
                if *v > row[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

/// Numerically stable softmax of each row, in place.
pub(crate) fn softmax_rows(scores: &mut [f64], k: usize) {
    for row in scores.chunks_mut(k.max(1)) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
    }
}

pub(crate) fn check_positive(param: &'static str, v: f64) -> Result<(), ModelError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(ModelError::InvalidParam {
            param,
            message: format!("must be a positive number, got {v}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 6×4 count matrix with three classes (the values in the tests below were computed
    /// with scikit-learn 1.9.1 on the same data).
    fn data() -> (CsrMatrix, Vec<usize>, Vec<String>) {
        let rows: [[f32; 4]; 6] = [
            [2.0, 0.0, 1.0, 0.0],
            [3.0, 1.0, 0.0, 0.0],
            [0.0, 2.0, 0.0, 1.0],
            [0.0, 3.0, 1.0, 2.0],
            [1.0, 0.0, 0.0, 3.0],
            [0.0, 0.0, 2.0, 2.0],
        ];
        (
            dense(&rows),
            vec![0, 0, 1, 1, 2, 2],
            vec!["a".into(), "b".into(), "c".into()],
        )
    }

    fn dense(rows: &[[f32; 4]]) -> CsrMatrix {
        let mut m = CsrMatrix::empty(4);
        for r in rows {
            m.push_row(
                r.iter()
                    .enumerate()
                    .filter(|(_, v)| **v != 0.0)
                    .map(|(j, v)| (j as u32, *v)),
            );
        }
        m
    }

    fn test_rows() -> CsrMatrix {
        dense(&[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    }

    fn close(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < tol, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn multinomial_nb_matches_scikit_learn() {
        let (x, y, classes) = data();
        let (m, _) = ModelConfig::NaiveBayes(NaiveBayesConfig::default())
            .fit(&x, &y, &classes)
            .unwrap();
        let Model::NaiveBayes(nb) = &m else {
            panic!("naive Bayes expected")
        };
        close(
            &nb.feature_log_prob[..4],
            &[
                -0.6061358035703157,
                -1.7047480922384253,
                -1.7047480922384253,
                -2.3978952727983707,
            ],
            1e-12,
        );
        close(
            &m.predict_proba(&test_rows()).unwrap(),
            &[
                0.6675413853166131,
                0.23897191604529647,
                0.09348669863809048,
                0.0875165873709422,
                0.2506392206363077,
                0.66184419199275,
            ],
            1e-9,
        );
    }

    #[test]
    fn complement_nb_matches_scikit_learn() {
        let (x, y, classes) = data();
        let cfg = NaiveBayesConfig {
            variant: NbVariant::Complement,
            ..Default::default()
        };
        let (m, _) = ModelConfig::NaiveBayes(cfg).fit(&x, &y, &classes).unwrap();
        let Model::NaiveBayes(nb) = &m else {
            panic!("naive Bayes expected")
        };
        close(
            &nb.feature_log_prob[..4],
            &[
                2.3513752571634776,
                1.252762968495368,
                1.6582280766035324,
                0.8472978603872037,
            ],
            1e-12,
        );
        assert_eq!(m.predict(&test_rows()), vec![0, 2]);
        close(
            &m.predict_proba(&test_rows()).unwrap(),
            &[
                0.5099950437799439,
                0.35783908805550974,
                0.1321658681645465,
                0.20206185567010315,
                0.24810996563573884,
                0.5498281786941582,
            ],
            1e-9,
        );
    }

    #[test]
    fn multinomial_logistic_regression_matches_scikit_learn() {
        let (x, y, classes) = data();
        let cfg = LogisticRegressionConfig {
            tol: 1e-10,
            max_iter: 10_000,
            ..Default::default()
        };
        let (m, info) = ModelConfig::LogisticRegression(cfg)
            .fit(&x, &y, &classes)
            .unwrap();
        assert!(info.converged);
        let Model::Linear(lm) = &m else {
            panic!("linear expected")
        };
        close(
            &lm.weights[..4],
            &[
                0.6170842052443494,
                -0.1941799157318246,
                -0.00398254942460281,
                -0.567214550108016,
            ],
            1e-5,
        );
        close(
            &lm.intercepts,
            &[
                0.25233208387539136,
                -0.09759336046941192,
                -0.15473872340597938,
            ],
            1e-5,
        );
        close(
            &m.predict_proba(&test_rows()).unwrap(),
            &[
                0.5436293451273901,
                0.3425867127190063,
                0.11378394215360363,
                0.2178049149127294,
                0.21939369307994167,
                0.5628013920073289,
            ],
            1e-5,
        );
    }

    #[test]
    fn binary_logistic_regression_uses_one_sigmoid_like_scikit_learn() {
        let (x, _, _) = data();
        let y = vec![0, 0, 1, 1, 1, 0];
        let classes = vec!["neg".to_string(), "pos".to_string()];
        let cfg = LogisticRegressionConfig {
            c: 0.5,
            tol: 1e-10,
            max_iter: 10_000,
            ..Default::default()
        };
        let (m, _) = ModelConfig::LogisticRegression(cfg)
            .fit(&x, &y, &classes)
            .unwrap();
        let Model::Linear(lm) = &m else {
            panic!("linear expected")
        };
        close(
            &lm.weights,
            &[
                -0.3672638877091609,
                0.45025038464286177,
                -0.4060034621492606,
                0.45988792343248064,
            ],
            1e-5,
        );
        close(&lm.intercepts, &[-0.44019844746476217], 1e-5);
        let p = m.predict_proba(&test_rows()).unwrap();
        assert!((p[0] + p[1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn linear_svm_matches_liblinear() {
        let (x, _, _) = data();
        let y = vec![0, 0, 1, 1, 1, 0];
        let classes = vec!["neg".to_string(), "pos".to_string()];
        let cfg = LinearSvmConfig {
            tol: 1e-10,
            max_iter: 100_000,
            ..Default::default()
        };
        let (m, info) = ModelConfig::LinearSvm(cfg).fit(&x, &y, &classes).unwrap();
        assert!(info.converged);
        let Model::Linear(lm) = &m else {
            panic!("linear expected")
        };
        close(
            &lm.weights,
            &[
                -0.35920825102270376,
                0.3180650613062627,
                -0.7666892379667922,
                0.4398605429423648,
            ],
            1e-6,
        );
        close(&lm.intercepts, &[-0.12552254425187329], 1e-6);
        assert!(
            m.predict_proba(&x).is_none(),
            "a hinge model has no probabilities"
        );
    }

    #[test]
    fn every_model_separates_separable_data_and_survives_serde() {
        let (x, y, classes) = data();
        let configs = [
            ModelConfig::LogisticRegression(LogisticRegressionConfig::default()),
            ModelConfig::LinearSvm(LinearSvmConfig::default()),
            ModelConfig::NaiveBayes(NaiveBayesConfig::default()),
            ModelConfig::Sgd(SgdConfig::default()),
            ModelConfig::Sgd(SgdConfig {
                loss: SgdLoss::Hinge,
                ..Default::default()
            }),
        ];
        for cfg in configs {
            let (m, _) = cfg.fit(&x, &y, &classes).unwrap();
            assert_eq!(m.predict(&x), y, "{cfg:?}");
            let text = serde_json::to_string(&m).unwrap();
            let back: Model = serde_json::from_str(&text).unwrap();
            assert_eq!(back.decision(&x), m.decision(&x));
            let cfg_text = serde_json::to_string(&cfg).unwrap();
            assert_eq!(serde_json::from_str::<ModelConfig>(&cfg_text).unwrap(), cfg);
        }
    }

    #[test]
    fn configs_read_from_json_with_defaults_and_reject_unknown_keys() {
        let cfg: ModelConfig =
            serde_json::from_str(r#"{"kind": "logistic_regression", "c": 10}"#).unwrap();
        assert_eq!(
            cfg,
            ModelConfig::LogisticRegression(LogisticRegressionConfig {
                c: 10.0,
                ..Default::default()
            })
        );
        let cfg: ModelConfig = serde_json::from_str(
            r#"{"kind": "sgd", "loss": "log_loss", "class_weight": "balanced"}"#,
        )
        .unwrap();
        assert!(matches!(
            cfg,
            ModelConfig::Sgd(SgdConfig {
                loss: SgdLoss::Log,
                class_weight: ClassWeight::Named(_),
                ..
            })
        ));
        let err =
            serde_json::from_str::<ModelConfig>(r#"{"kind": "linear_svm", "C": 1}"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown model setting `C`"),
            "{err}"
        );
        let err = serde_json::from_str::<ModelConfig>(r#"{"kind": "random_forest"}"#).unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown model kind `random_forest`"),
            "{err}"
        );
        let err =
            serde_json::from_str::<ModelConfig>(r#"{"kind": "logistic_regression", "c": "x"}"#)
                .unwrap_err();
        assert!(
            err.to_string()
                .contains("logistic_regression: invalid type"),
            "{err}"
        );
        // A setting of another kind is ignored, so `model.c` can be swept with `model.kind`.
        let nb: ModelConfig =
            serde_json::from_str(r#"{"kind": "naive_bayes", "c": 10, "alpha": 0.5}"#).unwrap();
        assert_eq!(
            nb,
            ModelConfig::NaiveBayes(NaiveBayesConfig {
                alpha: 0.5,
                ..Default::default()
            })
        );
        let cnb: ModelConfig = serde_json::from_str(r#"{"kind": "complement_nb"}"#).unwrap();
        assert_eq!(
            cnb,
            ModelConfig::NaiveBayes(NaiveBayesConfig {
                variant: NbVariant::Complement,
                ..Default::default()
            })
        );
    }

    #[test]
    fn class_weights_resolve_like_scikit_learn() {
        let classes = vec!["a".to_string(), "b".to_string()];
        let y = [0, 0, 0, 1];
        let w = ClassWeight::Named("balanced".into())
            .resolve(&y, &classes)
            .unwrap();
        close(&w, &[4.0 / 6.0, 2.0], 1e-12);
        let explicit = ClassWeight::Explicit([("b".to_string(), 5.0)].into());
        close(&explicit.resolve(&y, &classes).unwrap(), &[1.0, 5.0], 1e-12);
        assert_eq!(
            ClassWeight::Explicit([("z".to_string(), 5.0)].into()).resolve(&y, &classes),
            Err(ModelError::UnknownClass("z".into()))
        );
        assert!(
            ClassWeight::Named("balance".into())
                .resolve(&y, &classes)
                .is_err()
        );
        // Balanced weights move the boundary toward the majority class.
        let (x, _, _) = data();
        let yb = vec![0, 0, 0, 0, 0, 1];
        let classes = vec!["n".to_string(), "p".to_string()];
        let plain = LinearSvmConfig::default();
        let balanced = LinearSvmConfig {
            class_weight: ClassWeight::Named("balanced".into()),
            ..Default::default()
        };
        let (m1, _) = ModelConfig::LinearSvm(plain)
            .fit(&x, &yb, &classes)
            .unwrap();
        let (m2, _) = ModelConfig::LinearSvm(balanced)
            .fit(&x, &yb, &classes)
            .unwrap();
        let s1: f64 = m1.decision(&x).chunks(2).map(|r| r[1]).sum();
        let s2: f64 = m2.decision(&x).chunks(2).map(|r| r[1]).sum();
        assert!(
            s2 > s1,
            "the minority class scores higher with balanced weights"
        );
    }

    #[test]
    fn bad_training_input_is_an_error() {
        let (x, y, classes) = data();
        let cfg = ModelConfig::LogisticRegression(LogisticRegressionConfig::default());
        assert_eq!(
            cfg.fit(&x, &y[..3], &classes).unwrap_err(),
            ModelError::Mismatch { rows: 6, labels: 3 }
        );
        assert_eq!(
            cfg.fit(&x, &[0; 6], &classes).unwrap_err(),
            ModelError::SingleClass("a".into())
        );
        assert_eq!(
            cfg.fit(&CsrMatrix::empty(4), &[], &classes).unwrap_err(),
            ModelError::Empty
        );
        assert!(matches!(
            cfg.fit(&x, &[0, 1, 2, 3, 0, 1], &classes),
            Err(ModelError::LabelOutOfRange { label: 3, .. })
        ));
        let bad_c = ModelConfig::LogisticRegression(LogisticRegressionConfig {
            c: 0.0,
            ..Default::default()
        });
        assert!(matches!(
            bad_c.fit(&x, &y, &classes),
            Err(ModelError::InvalidParam { param: "c", .. })
        ));
        let mut neg = x.clone();
        neg.data[0] = -1.0;
        let nb = ModelConfig::NaiveBayes(NaiveBayesConfig::default());
        assert_eq!(
            nb.fit(&neg, &y, &classes).unwrap_err(),
            ModelError::NegativeFeature(-1.0)
        );
    }
}
