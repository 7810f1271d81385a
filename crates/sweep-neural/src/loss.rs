//! The training loss (`train.loss`): cross-entropy with optional label smoothing, or focal
//! loss with `gamma` and per-class `alpha`; class weights for either. Each example's loss is
//! computed first, then averaged with its class's weight as its weight (`Σ wᵢ lᵢ / Σ wᵢ`,
//! PyTorch's `CrossEntropyLoss(weight=…)` without label smoothing; with smoothing, the whole
//! smoothed loss of an example is weighted by its label's weight); a plain mean without
//! class weights.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    #[default]
    CrossEntropy,
    /// Lin et al. (2017): `−αᵧ (1 − pᵧ)^γ log pᵧ`.
    Focal,
}

/// `class_weights`: `balanced` (`n / (classes · count)`, scikit-learn's), or a weight per
/// class label (classes not named weigh 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClassWeights {
    Rule(WeightRule),
    PerClass(BTreeMap<String, f64>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightRule {
    Balanced,
}

/// Settings of `train.loss`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LossConfig {
    pub kind: LossKind,
    /// Cross-entropy only: the target puts `1 − ε` on the label and `ε / classes` on every
    /// class.
    pub label_smoothing: f64,
    /// Focal only: the focusing exponent (0 is the cross-entropy).
    pub gamma: f64,
    /// Focal only: a factor per class label (every class must be named).
    pub alpha: Option<BTreeMap<String, f64>>,
    pub class_weights: Option<ClassWeights>,
}

impl LossConfig {
    /// Every setting out of range, found without data: `(setting, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(0.0..1.0).contains(&self.label_smoothing) {
            out.push((
                "label_smoothing",
                format!("must be in [0, 1), got {}", self.label_smoothing),
            ));
        }
        if !(self.gamma.is_finite() && self.gamma >= 0.0) {
            out.push((
                "gamma",
                format!("must be zero or positive, got {}", self.gamma),
            ));
        }
        match self.kind {
            LossKind::CrossEntropy => {
                if self.gamma != 0.0 {
                    out.push(("gamma", "is focal loss's: set `kind: focal`".into()));
                }
                if self.alpha.is_some() {
                    out.push(("alpha", "is focal loss's: set `kind: focal`".into()));
                }
            }
            LossKind::Focal => {
                if self.label_smoothing != 0.0 {
                    out.push((
                        "label_smoothing",
                        "is cross-entropy's: focal loss has none".into(),
                    ));
                }
            }
        }
        let bad = |m: &BTreeMap<String, f64>, zero_ok: bool| {
            m.iter()
                .filter(|(_, v)| !(v.is_finite() && (**v > 0.0 || (zero_ok && **v == 0.0))))
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
        };
        if let Some(alpha) = &self.alpha {
            let bad = bad(alpha, true);
            if !bad.is_empty() {
                out.push((
                    "alpha",
                    format!("must be zero or positive: {}", bad.join(", ")),
                ));
            }
        }
        if let Some(ClassWeights::PerClass(w)) = &self.class_weights {
            // A zero weight could leave a batch with no weight at all (a 0/0 loss).
            let bad = bad(w, false);
            if !bad.is_empty() {
                out.push((
                    "class_weights",
                    format!("must be positive: {}", bad.join(", ")),
                ));
            }
        }
        out
    }
}

/// A loss ready for one dataset's classes.
#[derive(Debug, Clone)]
pub struct Loss {
    kind: LossKind,
    smoothing: f64,
    gamma: f64,
    /// Per class, in the order of the classes.
    alpha: Option<Vec<f64>>,
    weights: Option<Vec<f64>>,
}

impl Loss {
    /// Resolves `cfg` for `classes`, with the training labels' class ids for `balanced`.
    /// Fails with `(setting, message)` when a class named does not exist or one is missing.
    pub fn new(
        cfg: &LossConfig,
        classes: &[String],
        train_labels: &[usize],
    ) -> Result<Loss, (&'static str, String)> {
        let by_name = |key: &'static str, m: &BTreeMap<String, f64>, default: Option<f64>| {
            let unknown: Vec<&str> = m
                .keys()
                .filter(|k| !classes.contains(k))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                return Err((
                    key,
                    format!(
                        "no class {} (the classes are {})",
                        unknown.join(", "),
                        classes.join(", ")
                    ),
                ));
            }
            classes
                .iter()
                .map(|c| {
                    m.get(c).copied().or(default).ok_or_else(|| {
                        (
                            key,
                            format!("gives no value for the class `{c}`: name every class"),
                        )
                    })
                })
                .collect::<Result<Vec<f64>, _>>()
        };
        let alpha = cfg
            .alpha
            .as_ref()
            .map(|m| by_name("alpha", m, None))
            .transpose()?;
        let weights = match &cfg.class_weights {
            None => None,
            Some(ClassWeights::PerClass(m)) => Some(by_name("class_weights", m, Some(1.0))?),
            Some(ClassWeights::Rule(WeightRule::Balanced)) => {
                let mut counts = vec![0usize; classes.len()];
                for &y in train_labels {
                    if let Some(c) = counts.get_mut(y) {
                        *c += 1;
                    }
                }
                let n = train_labels.len() as f64;
                let k = classes.len() as f64;
                Some(
                    counts
                        .iter()
                        .map(|&c| if c == 0 { 0.0 } else { n / (k * c as f64) })
                        .collect(),
                )
            }
        };
        Ok(Loss {
            kind: cfg.kind,
            smoothing: cfg.label_smoothing,
            gamma: cfg.gamma,
            alpha,
            weights,
        })
    }

    /// The loss of `logits` (`[batch, classes]`) against class ids `targets`: a one-element
    /// tensor.
    pub fn forward(&self, logits: Tensor<2>, targets: &[usize]) -> Tensor<1> {
        let device = logits.device();
        let [b, k] = logits.dims();
        let logp = log_softmax(logits, 1);
        let mut onehot = vec![0f32; b * k];
        for (i, &y) in targets.iter().enumerate() {
            onehot[i * k + y.min(k - 1)] = 1.0;
        }
        let onehot = Tensor::<2>::from_data(TensorData::new(onehot, [b, k]), &device);
        let per_example: Tensor<2> = match self.kind {
            LossKind::CrossEntropy => {
                let eps = self.smoothing;
                let target = onehot * (1.0 - eps) + eps / k as f64;
                (logp * target).sum_dim(1).neg()
            }
            LossKind::Focal => {
                let logp_y = (logp * onehot).sum_dim(1);
                let mut loss = logp_y.clone().neg();
                if self.gamma != 0.0 {
                    let p_y = logp_y.exp();
                    let focus = p_y
                        .neg()
                        .add_scalar(1.0)
                        .clamp_min(1e-12)
                        .powf_scalar(self.gamma);
                    loss = loss * focus;
                }
                if let Some(alpha) = &self.alpha {
                    loss = loss * column(targets, alpha, &device);
                }
                loss
            }
        };
        match &self.weights {
            None => per_example.mean(),
            Some(w) => {
                let total: f64 = targets.iter().map(|&y| w[y.min(k - 1)]).sum();
                (per_example * column(targets, w, &device)).sum() / total.max(f64::MIN_POSITIVE)
            }
        }
    }
}

/// `[batch, 1]`: `values[yᵢ]` for each example.
fn column(targets: &[usize], values: &[f64], device: &burn::tensor::Device) -> Tensor<2> {
    let v: Vec<f32> = targets
        .iter()
        .map(|&y| values[y.min(values.len() - 1)] as f32)
        .collect();
    Tensor::from_data(TensorData::new(v, [targets.len(), 1]), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    fn classes() -> Vec<String> {
        vec!["a".into(), "b".into(), "c".into()]
    }

    fn value(loss: &Loss, logits: &[f32], targets: &[usize]) -> f64 {
        let t = Tensor::<2>::from_data(
            TensorData::new(logits.to_vec(), [targets.len(), 3]),
            &Device::flex(),
        );
        f64::from(loss.forward(t, targets).into_scalar::<f32>())
    }

    const LOGITS: [f32; 6] = [2.0, 0.5, -1.0, 0.1, 0.2, 0.3];
    const TARGETS: [usize; 2] = [0, 2];

    /// log pᵢ of each row of LOGITS, by hand.
    fn logp() -> [[f64; 3]; 2] {
        let row = |r: &[f32]| {
            let lse = r.iter().map(|&v| f64::from(v).exp()).sum::<f64>().ln();
            [
                f64::from(r[0]) - lse,
                f64::from(r[1]) - lse,
                f64::from(r[2]) - lse,
            ]
        };
        [row(&LOGITS[..3]), row(&LOGITS[3..])]
    }

    fn loss(cfg: LossConfig) -> Loss {
        Loss::new(&cfg, &classes(), &[0, 0, 0, 1, 2, 2]).unwrap()
    }

    #[test]
    fn cross_entropy_and_label_smoothing_match_hand_computed_values() {
        let lp = logp();
        let ce = -(lp[0][0] + lp[1][2]) / 2.0;
        assert!((value(&loss(LossConfig::default()), &LOGITS, &TARGETS) - ce).abs() < 1e-6);
        let eps = 0.3;
        let smooth = |row: [f64; 3], y: usize| {
            -(0..3)
                .map(|c| (if c == y { 1.0 - eps } else { 0.0 } + eps / 3.0) * row[c])
                .sum::<f64>()
        };
        let expected = (smooth(lp[0], 0) + smooth(lp[1], 2)) / 2.0;
        let cfg = LossConfig {
            label_smoothing: eps,
            ..LossConfig::default()
        };
        assert!((value(&loss(cfg), &LOGITS, &TARGETS) - expected).abs() < 1e-6);
    }

    #[test]
    fn focal_loss_matches_hand_computed_values_and_gamma_zero_is_cross_entropy() {
        let lp = logp();
        let focal = |gamma: f64| LossConfig {
            kind: LossKind::Focal,
            gamma,
            ..LossConfig::default()
        };
        let ce = value(&loss(LossConfig::default()), &LOGITS, &TARGETS);
        assert!((value(&loss(focal(0.0)), &LOGITS, &TARGETS) - ce).abs() < 1e-7);
        let term = |l: f64, a: f64| -a * (1.0 - l.exp()).powf(2.0) * l;
        let expected = (term(lp[0][0], 1.0) + term(lp[1][2], 1.0)) / 2.0;
        assert!((value(&loss(focal(2.0)), &LOGITS, &TARGETS) - expected).abs() < 1e-6);
        let alpha = LossConfig {
            alpha: Some(
                [("a", 0.25), ("b", 0.5), ("c", 0.75)]
                    .map(|(k, v)| (k.to_string(), v))
                    .into(),
            ),
            ..focal(2.0)
        };
        let expected = (term(lp[0][0], 0.25) + term(lp[1][2], 0.75)) / 2.0;
        assert!((value(&loss(alpha), &LOGITS, &TARGETS) - expected).abs() < 1e-6);
    }

    #[test]
    fn class_weights_give_a_weighted_mean() {
        let lp = logp();
        // Training labels 0,0,0,1,2,2: balanced = 6 / (3 · count) = 2/3, 2, 1.
        let cfg = LossConfig {
            class_weights: Some(ClassWeights::Rule(WeightRule::Balanced)),
            ..LossConfig::default()
        };
        let (wa, wc) = (2.0 / 3.0, 1.0);
        let expected = -(wa * lp[0][0] + wc * lp[1][2]) / (wa + wc);
        assert!((value(&loss(cfg), &LOGITS, &TARGETS) - expected).abs() < 1e-6);
        let cfg = LossConfig {
            class_weights: Some(ClassWeights::PerClass([("c".to_string(), 3.0)].into())),
            ..LossConfig::default()
        };
        let expected = -(lp[0][0] + 3.0 * lp[1][2]) / 4.0;
        assert!((value(&loss(cfg), &LOGITS, &TARGETS) - expected).abs() < 1e-6);
    }

    #[test]
    fn classes_that_do_not_exist_or_are_missing_are_named() {
        let cfg = LossConfig {
            kind: LossKind::Focal,
            alpha: Some([("a".to_string(), 1.0), ("z".to_string(), 1.0)].into()),
            ..LossConfig::default()
        };
        let err = Loss::new(&cfg, &classes(), &[]).unwrap_err();
        assert_eq!(err.0, "alpha");
        assert!(err.1.contains("no class z"), "{}", err.1);
        let cfg = LossConfig {
            alpha: Some([("a".to_string(), 1.0)].into()),
            ..cfg
        };
        let err = Loss::new(&cfg, &classes(), &[]).unwrap_err();
        assert!(err.1.contains("`b`"), "{}", err.1);
        let parsed: LossConfig =
            serde_json::from_value(serde_json::json!({"class_weights": "balanced"})).unwrap();
        assert_eq!(
            parsed.class_weights,
            Some(ClassWeights::Rule(WeightRule::Balanced))
        );
        let mixed = LossConfig {
            gamma: 2.0,
            label_smoothing: 1.5,
            ..LossConfig::default()
        };
        let keys: Vec<&str> = mixed.problems().iter().map(|p| p.0).collect();
        assert_eq!(keys, ["label_smoothing", "gamma"]);
        let zero = LossConfig {
            class_weights: Some(ClassWeights::PerClass([("a".to_string(), 0.0)].into())),
            ..LossConfig::default()
        };
        assert_eq!(zero.problems()[0].0, "class_weights");
    }
}
