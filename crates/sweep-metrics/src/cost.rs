//! A configurable cost-sensitive score: a weighted sum of per-class metrics times an
//! exponential penalty on chosen confusions, with named confusion rates reported
//! alongside.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::confusion::ConfusionMatrix;
use crate::error::{MetricsError, check_class_names};
use crate::metric_key;

/// A class, by name (a JSON/YAML string) or by index (a non-negative integer).
///
/// A string is always a name, even `"2"`: write `2` for the index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClassRef {
    /// Class index in `0..n_classes`.
    Index(usize),
    /// Class name, as passed to [`CostScore::evaluate`].
    Name(String),
}

impl fmt::Display for ClassRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassRef::Index(i) => write!(f, "{i}"),
            ClassRef::Name(n) => write!(f, "{n:?}"),
        }
    }
}

impl From<usize> for ClassRef {
    fn from(i: usize) -> Self {
        ClassRef::Index(i)
    }
}

impl From<&str> for ClassRef {
    fn from(name: &str) -> Self {
        ClassRef::Name(name.to_owned())
    }
}

/// A per-class metric usable in a [`Term`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassMetric {
    /// `tp / (tp + fn)`.
    Recall,
    /// `tp / (tp + fp)` (0 when the class is never predicted).
    Precision,
    /// `2 tp / (2 tp + fp + fn)`.
    F1,
}

/// `weight · metric(class)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// Which metric.
    pub metric: ClassMetric,
    /// Of which class.
    pub class: ClassRef,
    /// A finite weight `>= 0`.
    pub weight: f64,
}

/// Samples of true class `from` predicted as `to` (`from` ≠ `to`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confusion {
    /// True class.
    pub from: ClassRef,
    /// Predicted class.
    pub to: ClassRef,
}

impl Confusion {
    /// `from → to`.
    pub fn new(from: impl Into<ClassRef>, to: impl Into<ClassRef>) -> Self {
        Confusion {
            from: from.into(),
            to: to.into(),
        }
    }
}

/// The multiplicative penalty `exp(−k · rate)`, where
/// `rate = (samples in any of the confusions) / (all samples)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Penalty {
    /// Steepness, finite and `>= 0` (`0` disables the penalty).
    pub k: f64,
    /// The confusions whose rate is penalised; at least one, no repeats.
    pub confusions: Vec<Confusion>,
    /// If set, the penalty rate is also reported under this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What a reported rate is divided by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateBase {
    /// All samples: the rate is the joint probability `P(true = from, pred = to)`,
    /// summed over the confusions.
    #[default]
    Samples,
    /// The samples whose true class is one of the confusions' `from` classes: the
    /// conditional rate, e.g. false positives among true negatives. Undefined
    /// (`None`) when no such sample exists.
    FromClasses,
}

/// A confusion rate reported alongside the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateSpec {
    /// Name of the reported value (`false_alarm_rate`).
    pub name: String,
    /// The confusions counted; at least one, no repeats.
    pub confusions: Vec<Confusion>,
    /// Denominator; [`RateBase::Samples`] when omitted.
    #[serde(default)]
    pub per: RateBase,
}

fn default_name() -> String {
    "cost_score".to_owned()
}

/// A configurable cost-sensitive score:
///
/// ```text
/// score = (Σ_terms weight · metric(class)) · exp(−k · penalty rate)
/// ```
///
/// Weights are finite and `>= 0` and need not sum to 1; at least one is positive.
/// Negative weights are rejected: with them a bad recall would raise the score,
/// and the penalty would raise a negative base instead of lowering it. Every metric
/// is in `[0, 1]`, so the score lies in `[0, Σ weights]`, higher is better.
///
/// Deserialize it from a config (JSON, YAML, …); unknown keys are errors. Class
/// references are checked against the class names only when they are known, by
/// [`CostScore::validate`] or [`CostScore::evaluate`]; both list every problem at
/// once. See [`CostScore::prompt_classification_example`] for a full example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostScore {
    /// Name of the reported score; `cost_score` when omitted.
    #[serde(default = "default_name")]
    pub name: String,
    /// The weighted per-class terms; at least one.
    pub terms: Vec<Term>,
    /// Optional exponential penalty; none means a factor of 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<Penalty>,
    /// Extra rates to report (not part of the score).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rates: Vec<RateSpec>,
}

/// One thing wrong with a [`CostScore`]; `path` says where (`terms[1].class`).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CostScoreProblem {
    /// A name (of the score, the penalty or a rate) is empty.
    #[error("{path}: the name must not be empty")]
    EmptyName {
        /// Where.
        path: String,
    },
    /// Two reported values would have the same name.
    #[error("{path}: the name {name:?} is already used by another reported value")]
    DuplicateName {
        /// Where the second use is.
        path: String,
        /// The name.
        name: String,
    },
    /// `terms` is empty.
    #[error("terms: at least one term is needed")]
    NoTerms,
    /// A weight is negative, NaN or infinite.
    #[error("{path}: the weight {weight} must be a finite number >= 0")]
    BadWeight {
        /// Where.
        path: String,
        /// The weight.
        weight: f64,
    },
    /// Every weight is 0, so the score would always be 0.
    #[error("terms: every weight is 0, so the score would always be 0")]
    AllWeightsZero,
    /// The penalty's `k` is negative, NaN or infinite.
    #[error("penalty.k: {k} must be a finite number >= 0")]
    BadK {
        /// The value.
        k: f64,
    },
    /// A list of confusions is empty.
    #[error("{path}: at least one confusion is needed")]
    NoConfusions {
        /// Where.
        path: String,
    },
    /// A class name that is not one of the classes.
    #[error("{path}: unknown class name {name:?} (the classes are {})", .known.join(", "))]
    UnknownClass {
        /// Where.
        path: String,
        /// The name given.
        name: String,
        /// The class names.
        known: Vec<String>,
    },
    /// A class index `>= n_classes`.
    #[error("{path}: class index {index} is out of range (n_classes = {n_classes})")]
    ClassIndexOutOfRange {
        /// Where.
        path: String,
        /// The index given.
        index: usize,
        /// Number of classes.
        n_classes: usize,
    },
    /// `from` and `to` are the same class: that is a correct prediction.
    #[error(
        "{path}: from and to are the same class ({class}), a correct prediction, not a confusion"
    )]
    SelfConfusion {
        /// Where.
        path: String,
        /// The class.
        class: String,
    },
    /// The same confusion appears twice in one list (it would count twice).
    #[error("{path}: this confusion is already listed")]
    DuplicateConfusion {
        /// Where the second occurrence is.
        path: String,
    },
}

/// Why a [`CostScore`] could not be parsed, validated or evaluated.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CostScoreError {
    /// The configuration has problems; all of them are listed.
    #[error("invalid cost score: {}", join_problems(.0))]
    Invalid(Vec<CostScoreProblem>),
    /// The confusion matrix or class names are not usable.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// The JSON text does not describe a cost score.
    #[error("cost score JSON: {0}")]
    Parse(String),
}

fn join_problems(problems: &[CostScoreProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The value of one term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermValue {
    /// The metric.
    pub metric: ClassMetric,
    /// The class name.
    pub class: String,
    /// The class index.
    pub class_index: usize,
    /// The weight.
    pub weight: f64,
    /// The metric's value (before weighting).
    pub value: f64,
}

/// The value of one confusion rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateValue {
    /// The rate's name.
    pub name: String,
    /// `count / denominator`; `None` when the denominator is 0.
    pub value: Option<f64>,
    /// Samples in the listed confusions.
    pub count: u64,
    /// What the count was divided by.
    pub denominator: u64,
}

/// A [`CostScore`] evaluated on a confusion matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostScoreResult {
    /// The score's name.
    pub name: String,
    /// `base_score · penalty_factor`.
    pub score: f64,
    /// `Σ weight · value` over the terms.
    pub base_score: f64,
    /// `exp(−k · penalty_rate)`, 1 without a penalty.
    pub penalty_factor: f64,
    /// The penalised rate (over all samples); `None` without a penalty.
    pub penalty: Option<RateValue>,
    /// Each term's value.
    pub terms: Vec<TermValue>,
    /// The extra rates, in configuration order.
    pub rates: Vec<RateValue>,
}

impl CostScoreResult {
    /// Flat metric keys under `prefix` (`test/custom_score`, `test/false_alarm_rate`,
    /// and the penalty rate when the penalty is named). Undefined rates are left out.
    pub fn to_metrics(&self, prefix: &str) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        out.insert(metric_key(prefix, &self.name), self.score);
        for rate in self.penalty.iter().chain(&self.rates) {
            if let Some(v) = rate.value {
                out.insert(metric_key(prefix, &rate.name), v);
            }
        }
        out
    }

    /// The names of every reported value (the score, named penalty, rates).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(
            self.penalty
                .iter()
                .chain(&self.rates)
                .map(|r| r.name.as_str()),
        )
    }
}

/// Resolves class references and collects problems.
struct Checker<'a> {
    names: Option<&'a [&'a str]>,
    problems: Vec<CostScoreProblem>,
}

impl Checker<'_> {
    /// The class index of `r`, or `None` (with a problem recorded) if unknown; also
    /// `None`, without a problem, when class names are not known yet.
    fn class(&mut self, path: String, r: &ClassRef) -> Option<usize> {
        let names = self.names?;
        match r {
            ClassRef::Index(index) if *index < names.len() => Some(*index),
            ClassRef::Index(index) => {
                self.problems.push(CostScoreProblem::ClassIndexOutOfRange {
                    path,
                    index: *index,
                    n_classes: names.len(),
                });
                None
            }
            ClassRef::Name(name) => match names.iter().position(|n| n == name) {
                Some(i) => Some(i),
                None => {
                    self.problems.push(CostScoreProblem::UnknownClass {
                        path,
                        name: name.clone(),
                        known: names.iter().map(|s| (*s).to_owned()).collect(),
                    });
                    None
                }
            },
        }
    }

    /// Resolved `(from, to)` pairs; `None` if any reference did not resolve.
    fn confusions(&mut self, path: &str, list: &[Confusion]) -> Option<Vec<(usize, usize)>> {
        if list.is_empty() {
            self.problems.push(CostScoreProblem::NoConfusions {
                path: path.to_owned(),
            });
            return None;
        }
        let mut resolved = Vec::with_capacity(list.len());
        let mut ok = true;
        let mut seen_refs = BTreeSet::new();
        let mut seen = BTreeSet::new();
        for (i, c) in list.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let from = self.class(format!("{at}.from"), &c.from);
            let to = self.class(format!("{at}.to"), &c.to);
            match (from, to) {
                (Some(f), Some(t)) => {
                    if f == t {
                        let class = self
                            .names
                            .and_then(|n| n.get(f))
                            .map_or_else(|| f.to_string(), |n| (*n).to_owned());
                        self.problems
                            .push(CostScoreProblem::SelfConfusion { path: at, class });
                        ok = false;
                    } else if !seen.insert((f, t)) {
                        self.problems
                            .push(CostScoreProblem::DuplicateConfusion { path: at });
                        ok = false;
                    } else {
                        resolved.push((f, t));
                    }
                }
                _ if self.names.is_none() => {
                    // Without class names, only literal repeats can be detected.
                    if c.from == c.to {
                        self.problems.push(CostScoreProblem::SelfConfusion {
                            path: at,
                            class: c.from.to_string(),
                        });
                    } else if !seen_refs.insert((format!("{}", c.from), format!("{}", c.to))) {
                        self.problems
                            .push(CostScoreProblem::DuplicateConfusion { path: at });
                    }
                    ok = false;
                }
                _ => ok = false,
            }
        }
        ok.then_some(resolved)
    }

    fn name(&mut self, path: &str, name: &str, used: &mut BTreeSet<String>) {
        if name.is_empty() {
            self.problems.push(CostScoreProblem::EmptyName {
                path: path.to_owned(),
            });
        } else if !used.insert(name.to_owned()) {
            self.problems.push(CostScoreProblem::DuplicateName {
                path: path.to_owned(),
                name: name.to_owned(),
            });
        }
    }
}

/// A validated [`CostScore`] with every class reference resolved to an index.
struct Resolved {
    terms: Vec<(usize, ClassMetric, f64)>,
    penalty: Option<(f64, Vec<(usize, usize)>)>,
    rates: Vec<Vec<(usize, usize)>>,
}

impl CostScore {
    /// The prompt-classification score of the seed's security pipeline, for the
    /// classes `benign` (0), `suspicious` (1) and `malicious` (2):
    ///
    /// ```text
    /// custom_score = (0.5 · recall(malicious) + 0.3 · precision(suspicious)
    ///                 + 0.2 · F1(benign)) · exp(−5 · critical_error_rate)
    /// critical_error_rate = P(benign→malicious) + P(malicious→benign)
    /// false_alarm_rate    = P(benign→malicious)   (count / all samples)
    /// missed_threat_rate  = P(malicious→benign)   (count / all samples)
    /// ```
    ///
    /// As configuration (JSON; the same keys work in YAML). Classes may also be
    /// given by index (`"class": 2`). This example is checked by a doc test:
    ///
    /// ```
    /// use sweep_metrics::CostScore;
    ///
    /// let json = r#"{
    ///   "name": "custom_score",
    ///   "terms": [
    ///     {"metric": "recall",    "class": "malicious",  "weight": 0.5},
    ///     {"metric": "precision", "class": "suspicious", "weight": 0.3},
    ///     {"metric": "f1",        "class": "benign",     "weight": 0.2}
    ///   ],
    ///   "penalty": {
    ///     "k": 5.0,
    ///     "name": "critical_error_rate",
    ///     "confusions": [
    ///       {"from": "benign", "to": "malicious"},
    ///       {"from": "malicious", "to": "benign"}
    ///     ]
    ///   },
    ///   "rates": [
    ///     {"name": "false_alarm_rate",
    ///      "confusions": [{"from": "benign", "to": "malicious"}]},
    ///     {"name": "missed_threat_rate",
    ///      "confusions": [{"from": "malicious", "to": "benign"}]}
    ///   ]
    /// }"#;
    /// let score = CostScore::from_json(json)?;
    /// assert_eq!(score, CostScore::prompt_classification_example());
    /// score.validate(&["benign", "suspicious", "malicious"])?;
    /// # Ok::<(), sweep_metrics::CostScoreError>(())
    /// ```
    pub fn prompt_classification_example() -> CostScore {
        let benign_to_malicious = || Confusion::new("benign", "malicious");
        let malicious_to_benign = || Confusion::new("malicious", "benign");
        CostScore {
            name: "custom_score".to_owned(),
            terms: vec![
                Term {
                    metric: ClassMetric::Recall,
                    class: "malicious".into(),
                    weight: 0.5,
                },
                Term {
                    metric: ClassMetric::Precision,
                    class: "suspicious".into(),
                    weight: 0.3,
                },
                Term {
                    metric: ClassMetric::F1,
                    class: "benign".into(),
                    weight: 0.2,
                },
            ],
            penalty: Some(Penalty {
                k: 5.0,
                confusions: vec![benign_to_malicious(), malicious_to_benign()],
                name: Some("critical_error_rate".to_owned()),
            }),
            rates: vec![
                RateSpec {
                    name: "false_alarm_rate".to_owned(),
                    confusions: vec![benign_to_malicious()],
                    per: RateBase::Samples,
                },
                RateSpec {
                    name: "missed_threat_rate".to_owned(),
                    confusions: vec![malicious_to_benign()],
                    per: RateBase::Samples,
                },
            ],
        }
    }

    /// Parses JSON and runs the checks that need no class names ([`Self::check`]).
    ///
    /// # Errors
    /// [`CostScoreError::Parse`] (malformed JSON, unknown keys, wrong types),
    /// [`CostScoreError::Invalid`].
    pub fn from_json(text: &str) -> Result<CostScore, CostScoreError> {
        let score: CostScore =
            serde_json::from_str(text).map_err(|e| CostScoreError::Parse(e.to_string()))?;
        score.check()?;
        Ok(score)
    }

    /// Checks what can be checked without class names: names, weights, `k`, empty
    /// lists, literally repeated or self confusions.
    ///
    /// # Errors
    /// [`CostScoreError::Invalid`] listing every problem.
    pub fn check(&self) -> Result<(), CostScoreError> {
        let problems = self.resolve(None).err().unwrap_or_default();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(CostScoreError::Invalid(problems))
        }
    }

    /// Checks everything, class references included, against `class_names`.
    ///
    /// # Errors
    /// [`CostScoreError::Metrics`] if the class names are empty or repeated;
    /// [`CostScoreError::Invalid`] listing every problem.
    pub fn validate<S: AsRef<str>>(&self, class_names: &[S]) -> Result<(), CostScoreError> {
        let names: Vec<&str> = class_names.iter().map(AsRef::as_ref).collect();
        check_class_names(&names, names.len())?;
        self.resolve(Some(&names))
            .map(|_| ())
            .map_err(CostScoreError::Invalid)
    }

    fn resolve(&self, names: Option<&[&str]>) -> Result<Resolved, Vec<CostScoreProblem>> {
        let mut ck = Checker {
            names,
            problems: Vec::new(),
        };
        let mut used = BTreeSet::new();
        ck.name("name", &self.name, &mut used);

        if self.terms.is_empty() {
            ck.problems.push(CostScoreProblem::NoTerms);
        }
        let mut terms = Vec::with_capacity(self.terms.len());
        let mut weights_ok = true;
        for (i, t) in self.terms.iter().enumerate() {
            if !(t.weight.is_finite() && t.weight >= 0.0) {
                ck.problems.push(CostScoreProblem::BadWeight {
                    path: format!("terms[{i}].weight"),
                    weight: t.weight,
                });
                weights_ok = false;
            }
            if let Some(c) = ck.class(format!("terms[{i}].class"), &t.class) {
                terms.push((c, t.metric, t.weight));
            }
        }
        if weights_ok && !self.terms.is_empty() && self.terms.iter().all(|t| t.weight == 0.0) {
            ck.problems.push(CostScoreProblem::AllWeightsZero);
        }

        let penalty = self.penalty.as_ref().and_then(|p| {
            if !(p.k.is_finite() && p.k >= 0.0) {
                ck.problems.push(CostScoreProblem::BadK { k: p.k });
            }
            if let Some(name) = &p.name {
                ck.name("penalty.name", name, &mut used);
            }
            ck.confusions("penalty.confusions", &p.confusions)
                .map(|c| (p.k, c))
        });

        let mut rates = Vec::with_capacity(self.rates.len());
        for (i, r) in self.rates.iter().enumerate() {
            ck.name(&format!("rates[{i}].name"), &r.name, &mut used);
            if let Some(c) = ck.confusions(&format!("rates[{i}].confusions"), &r.confusions) {
                rates.push(c);
            }
        }

        if ck.problems.is_empty() && names.is_some() {
            Ok(Resolved {
                terms,
                penalty,
                rates,
            })
        } else {
            Err(ck.problems)
        }
    }

    /// Evaluates the score on `cm`, whose classes are named `class_names` (one per
    /// class, in index order).
    ///
    /// # Errors
    /// [`CostScoreError::Metrics`] if the class names do not fit the matrix;
    /// [`CostScoreError::Invalid`] listing every configuration problem.
    pub fn evaluate<S: AsRef<str>>(
        &self,
        cm: &ConfusionMatrix,
        class_names: &[S],
    ) -> Result<CostScoreResult, CostScoreError> {
        let names: Vec<&str> = class_names.iter().map(AsRef::as_ref).collect();
        check_class_names(&names, cm.n_classes())?;
        let resolved = self
            .resolve(Some(&names))
            .map_err(CostScoreError::Invalid)?;
        let per_class = cm.per_class();
        let n = cm.n_samples();
        let count = |list: &[(usize, usize)]| -> u64 {
            list.iter().map(|&(f, t)| cm.get(f, t).unwrap_or(0)).sum()
        };

        let terms: Vec<TermValue> = resolved
            .terms
            .iter()
            .map(|&(c, metric, weight)| {
                let m = &per_class[c];
                let value = match metric {
                    ClassMetric::Recall => m.recall,
                    ClassMetric::Precision => m.precision,
                    ClassMetric::F1 => m.f1,
                };
                TermValue {
                    metric,
                    class: names[c].to_owned(),
                    class_index: c,
                    weight,
                    value,
                }
            })
            .collect();
        let base_score: f64 = terms.iter().map(|t| t.weight * t.value).sum();

        let (penalty_factor, penalty) = match (&self.penalty, &resolved.penalty) {
            (Some(spec), Some((k, list))) => {
                let c = count(list);
                let rate = c as f64 / n as f64;
                let value = RateValue {
                    name: spec.name.clone().unwrap_or_default(),
                    value: Some(rate),
                    count: c,
                    denominator: n,
                };
                ((-k * rate).exp(), spec.name.as_ref().map(|_| value))
            }
            _ => (1.0, None),
        };

        let rates = self
            .rates
            .iter()
            .zip(&resolved.rates)
            .map(|(spec, list)| {
                let c = count(list);
                let denominator = match spec.per {
                    RateBase::Samples => n,
                    RateBase::FromClasses => list
                        .iter()
                        .map(|&(f, _)| f)
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .map(|f| per_class[f].support)
                        .sum(),
                };
                RateValue {
                    name: spec.name.clone(),
                    value: (denominator > 0).then(|| c as f64 / denominator as f64),
                    count: c,
                    denominator,
                }
            })
            .collect();

        Ok(CostScoreResult {
            name: self.name.clone(),
            score: base_score * penalty_factor,
            base_score,
            penalty_factor,
            penalty,
            terms,
            rates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 3] = ["benign", "suspicious", "malicious"];

    #[track_caller]
    fn assert_close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-12, "{a} != {b}");
    }

    /// rows = true (benign, suspicious, malicious), columns = predicted.
    fn hand_built() -> ConfusionMatrix {
        ConfusionMatrix::from_counts(vec![vec![8, 1, 1], vec![1, 6, 1], vec![2, 1, 9]]).unwrap()
    }

    fn problems(err: CostScoreError) -> Vec<CostScoreProblem> {
        match err {
            CostScoreError::Invalid(p) => p,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn prompt_example_on_hand_built_confusion() {
        // n = 30.
        // recall(malicious)     = 9 / (2 + 1 + 9)         = 0.75
        // precision(suspicious) = 6 / (1 + 6 + 1)         = 0.75
        // F1(benign): tp 8, fp 1 + 2 = 3, fn 1 + 1 = 2     → 16 / 21
        // base = 0.5·0.75 + 0.3·0.75 + 0.2·16/21 = 0.6 + 3.2/21 = 0.752380952380952…
        // critical rate = (benign→malicious 1 + malicious→benign 2) / 30 = 0.1
        // factor = exp(−5 · 0.1) = exp(−0.5) = 0.6065306597126334
        // score = 0.752380952… · 0.606530659… = 0.4563421154…
        let r = CostScore::prompt_classification_example()
            .evaluate(&hand_built(), &NAMES)
            .unwrap();
        let base = 0.6 + 0.2 * 16.0 / 21.0;
        assert_close(r.base_score, base);
        assert_close(r.penalty_factor, (-0.5f64).exp());
        assert_close(r.score, base * (-0.5f64).exp());
        assert_close(r.score, 0.4563421154028385);
        assert_eq!(r.name, "custom_score");
        let values: Vec<f64> = r.terms.iter().map(|t| t.value).collect();
        assert_close(values[0], 0.75);
        assert_close(values[1], 0.75);
        assert_close(values[2], 16.0 / 21.0);
        assert_eq!(r.terms[0].class, "malicious");
        assert_eq!(r.terms[0].class_index, 2);
        assert_eq!(
            r.penalty,
            Some(RateValue {
                name: "critical_error_rate".into(),
                value: Some(0.1),
                count: 3,
                denominator: 30
            })
        );
        assert_eq!(r.rates[0].name, "false_alarm_rate");
        assert_eq!((r.rates[0].count, r.rates[0].denominator), (1, 30));
        assert_close(r.rates[0].value.unwrap(), 1.0 / 30.0);
        assert_eq!(r.rates[1].name, "missed_threat_rate");
        assert_close(r.rates[1].value.unwrap(), 2.0 / 30.0);

        let m = r.to_metrics("test");
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "test/critical_error_rate",
                "test/custom_score",
                "test/false_alarm_rate",
                "test/missed_threat_rate"
            ]
        );
        assert_close(m["test/custom_score"], r.score);
        assert_eq!(
            r.names().collect::<Vec<_>>(),
            [
                "custom_score",
                "critical_error_rate",
                "false_alarm_rate",
                "missed_threat_rate"
            ]
        );
    }

    #[test]
    fn prompt_example_by_index_is_the_same_score() {
        // The seed's formula with class indices: 0 benign, 1 suspicious, 2 malicious.
        let json = r#"{
            "name": "custom_score",
            "terms": [
                {"metric": "recall", "class": 2, "weight": 0.5},
                {"metric": "precision", "class": 1, "weight": 0.3},
                {"metric": "f1", "class": 0, "weight": 0.2}
            ],
            "penalty": {"k": 5, "confusions": [{"from": 0, "to": 2}, {"from": 2, "to": 0}]}
        }"#;
        let by_index = CostScore::from_json(json).unwrap();
        let cm = hand_built();
        let a = by_index.evaluate(&cm, &NAMES).unwrap();
        let b = CostScore::prompt_classification_example()
            .evaluate(&cm, &NAMES)
            .unwrap();
        assert_close(a.score, b.score);
        // Without a penalty name, the penalty rate is not reported.
        assert_eq!(a.penalty, None);
        assert_eq!(a.to_metrics("val").len(), 1);
    }

    #[test]
    fn perfect_predictions_score_the_weight_sum() {
        let cm = ConfusionMatrix::new(&[0, 1, 2, 2], &[0, 1, 2, 2], 3).unwrap();
        let r = CostScore::prompt_classification_example()
            .evaluate(&cm, &NAMES)
            .unwrap();
        assert_close(r.score, 1.0);
        assert_close(r.penalty_factor, 1.0);
        assert_eq!(r.rates[0].value, Some(0.0));
    }

    #[test]
    fn conditional_rate_and_no_penalty() {
        // False alarms among true non-malicious samples (benign or suspicious):
        // (1 + 1) / (10 + 8) = 1/9.
        let score = CostScore {
            name: "recall_mal".into(),
            terms: vec![Term {
                metric: ClassMetric::Recall,
                class: 2.into(),
                weight: 1.0,
            }],
            penalty: None,
            rates: vec![RateSpec {
                name: "false_positive_rate".into(),
                confusions: vec![
                    Confusion::new("benign", "malicious"),
                    Confusion::new("suspicious", "malicious"),
                ],
                per: RateBase::FromClasses,
            }],
        };
        let r = score.evaluate(&hand_built(), &NAMES).unwrap();
        assert_close(r.score, 0.75);
        assert_close(r.penalty_factor, 1.0);
        assert_eq!((r.rates[0].count, r.rates[0].denominator), (2, 18));
        assert_close(r.rates[0].value.unwrap(), 1.0 / 9.0);

        // No true benign or suspicious sample: the rate is undefined, not NaN, and
        // left out of the flat metrics.
        let cm = ConfusionMatrix::from_counts(vec![vec![0, 0, 0], vec![0, 0, 0], vec![1, 0, 3]])
            .unwrap();
        let r = score.evaluate(&cm, &NAMES).unwrap();
        assert_eq!(r.rates[0].value, None);
        assert!(!r.to_metrics("t").contains_key("t/false_positive_rate"));
    }

    #[test]
    fn deserializes_yaml_like_defaults() {
        let s: CostScore = serde_json::from_value(serde_json::json!({
            "terms": [{"metric": "f1", "class": "benign", "weight": 1}],
            "rates": [{"name": "fa", "confusions": [{"from": "benign", "to": 2}], "per": "from_classes"}]
        }))
        .unwrap();
        assert_eq!(s.name, "cost_score");
        assert_eq!(s.penalty, None);
        assert_eq!(s.rates[0].per, RateBase::FromClasses);
        assert_eq!(s.rates[0].confusions[0].to, ClassRef::Index(2));
        s.validate(&NAMES).unwrap();
        // Serialize → deserialize round trip.
        let ex = CostScore::prompt_classification_example();
        let back: CostScore = serde_json::from_value(serde_json::to_value(&ex).unwrap()).unwrap();
        assert_eq!(back, ex);
    }

    #[test]
    fn every_problem_is_listed() {
        let json = r#"{
            "name": "",
            "terms": [
                {"metric": "recall", "class": "malicous", "weight": 0.5},
                {"metric": "precision", "class": 7, "weight": -1},
                {"metric": "f1", "class": "benign", "weight": NaN}
            ],
            "penalty": {"k": -5, "name": "dup", "confusions": [
                {"from": "benign", "to": 0},
                {"from": "benign", "to": "malicious"},
                {"from": 0, "to": 2}
            ]},
            "rates": [
                {"name": "dup", "confusions": []},
                {"name": "ok", "confusions": [{"from": "nope", "to": 1}]}
            ]
        }"#;
        // NaN is not JSON: build the same thing in code instead.
        assert!(matches!(
            CostScore::from_json(json),
            Err(CostScoreError::Parse(_))
        ));
        let mut score: CostScore = serde_json::from_str(&json.replace("NaN", "0.25")).unwrap();
        score.terms[2].weight = f64::NAN;
        let p = problems(score.validate(&NAMES).unwrap_err());
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "name: the name must not be empty",
                "terms[0].class: unknown class name \"malicous\" (the classes are benign, suspicious, malicious)",
                "terms[1].weight: the weight -1 must be a finite number >= 0",
                "terms[1].class: class index 7 is out of range (n_classes = 3)",
                "terms[2].weight: the weight NaN must be a finite number >= 0",
                "penalty.k: -5 must be a finite number >= 0",
                "penalty.confusions[0]: from and to are the same class (benign), a correct prediction, not a confusion",
                "penalty.confusions[2]: this confusion is already listed",
                "rates[0].name: the name \"dup\" is already used by another reported value",
                "rates[0].confusions: at least one confusion is needed",
                "rates[1].confusions[0].from: unknown class name \"nope\" (the classes are benign, suspicious, malicious)",
            ]
        );
        // The error's message lists them all.
        let msg = CostScoreError::Invalid(p).to_string();
        assert!(msg.starts_with("invalid cost score: name: "));
        assert_eq!(msg.matches("; ").count(), 10);
        // evaluate reports the same problems instead of a number.
        assert!(matches!(
            score.evaluate(&hand_built(), &NAMES),
            Err(CostScoreError::Invalid(v)) if v.len() == 11
        ));
    }

    #[test]
    fn structural_check_without_class_names() {
        let empty = CostScore {
            name: "s".into(),
            terms: vec![],
            penalty: None,
            rates: vec![],
        };
        assert_eq!(
            empty.check(),
            Err(CostScoreError::Invalid(vec![CostScoreProblem::NoTerms]))
        );
        let zero = CostScore {
            name: "s".into(),
            terms: vec![Term {
                metric: ClassMetric::F1,
                class: "anything".into(),
                weight: 0.0,
            }],
            penalty: Some(Penalty {
                k: 1.0,
                confusions: vec![
                    Confusion::new(0, 1),
                    Confusion::new(0, 1),
                    Confusion::new(2, 2),
                ],
                name: None,
            }),
            rates: vec![],
        };
        let p = problems(zero.check().unwrap_err());
        assert_eq!(
            p,
            vec![
                CostScoreProblem::AllWeightsZero,
                CostScoreProblem::DuplicateConfusion {
                    path: "penalty.confusions[1]".into()
                },
                CostScoreProblem::SelfConfusion {
                    path: "penalty.confusions[2]".into(),
                    class: "2".into()
                },
            ]
        );
        // Unknown class names are only detectable with the names.
        assert!(CostScore::prompt_classification_example().check().is_ok());
        assert!(matches!(
            CostScore::prompt_classification_example().validate(&["a", "b", "c"]),
            Err(CostScoreError::Invalid(v)) if v.len() == 11
        ));
    }

    #[test]
    fn unknown_keys_and_bad_types_are_parse_errors() {
        for bad in [
            r#"{"terms": [{"metric": "recall", "class": 0, "weight": 1, "extra": 1}]}"#,
            r#"{"terms": [{"metric": "accuracy", "class": 0, "weight": 1}]}"#,
            r#"{"terms": [{"metric": "recall", "class": -1, "weight": 1}]}"#,
            r#"{"terms": [], "penalty": {"k": 1, "confusions": [], "kk": 2}}"#,
            r#"{"terms": [], "rates": [{"name": "r", "confusions": [], "per": "classes"}]}"#,
            r#"{"terms": [], "count": 3}"#,
            r#"[1, 2]"#,
            r#"{"terms": "#,
        ] {
            assert!(
                matches!(CostScore::from_json(bad), Err(CostScoreError::Parse(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn class_names_must_fit_the_matrix() {
        let ex = CostScore::prompt_classification_example();
        assert_eq!(
            ex.evaluate(&hand_built(), &["benign", "malicious"]),
            Err(CostScoreError::Metrics(MetricsError::ClassNameCount {
                expected: 3,
                found: 2
            }))
        );
        assert!(matches!(
            ex.validate(&["benign", "benign", "malicious"]),
            Err(CostScoreError::Metrics(
                MetricsError::DuplicateClassName { .. }
            ))
        ));
    }
}
