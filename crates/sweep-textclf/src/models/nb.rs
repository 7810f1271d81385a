use super::{ClassWeight, ModelError, check_positive, softmax_rows};
use serde::{Deserialize, Serialize};
use sweep_features::CsrMatrix;

/// Which naive Bayes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NbVariant {
    #[default]
    Multinomial,
    Complement,
}

/// Multinomial or complement naive Bayes on non-negative features (counts, or TF-IDF),
/// as scikit-learn's `MultinomialNB` / `ComplementNB` (`fit_prior`, `norm=False`). Class
/// weights act as sample weights on the counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NaiveBayesConfig {
    pub variant: NbVariant,
    /// Additive (Laplace/Lidstone) smoothing.
    pub alpha: f64,
    pub class_weight: ClassWeight,
}

impl Default for NaiveBayesConfig {
    fn default() -> Self {
        NaiveBayesConfig {
            variant: NbVariant::Multinomial,
            alpha: 1.0,
            class_weight: ClassWeight::None,
        }
    }
}

/// A fitted naive Bayes model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NaiveBayes {
    pub classes: Vec<String>,
    pub variant: NbVariant,
    pub n_features: usize,
    /// `n_classes × n_features`, row-major.
    pub feature_log_prob: Vec<f64>,
    pub class_log_prior: Vec<f64>,
}

pub(super) fn fit(
    cfg: &NaiveBayesConfig,
    x: &CsrMatrix,
    y: &[usize],
    classes: &[String],
) -> Result<NaiveBayes, ModelError> {
    check_positive("alpha", cfg.alpha)?;
    if let Some(bad) = x.data.iter().find(|v| **v < 0.0) {
        return Err(ModelError::NegativeFeature(*bad));
    }
    let cw = cfg.class_weight.resolve(y, classes)?;
    let k = classes.len();
    let d = x.n_cols;
    let mut fc = vec![0.0f64; k * d];
    let mut class_count = vec![0.0f64; k];
    for (i, &c) in y.iter().enumerate() {
        let w = cw[c];
        class_count[c] += w;
        let (cols, vals) = x.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            fc[c * d + j as usize] += w * v as f64;
        }
    }
    let total: f64 = class_count.iter().sum();
    let class_log_prior: Vec<f64> = class_count
        .iter()
        .map(|c| {
            if *c > 0.0 {
                (c / total).ln()
            } else {
                f64::NEG_INFINITY
            }
        })
        .collect();
    let mut flp = vec![0.0; k * d];
    match cfg.variant {
        NbVariant::Multinomial => {
            for c in 0..k {
                let row = &fc[c * d..(c + 1) * d];
                let denom: f64 = row.iter().sum::<f64>() + cfg.alpha * d as f64;
                let ln_denom = denom.ln();
                for j in 0..d {
                    flp[c * d + j] = (row[j] + cfg.alpha).ln() - ln_denom;
                }
            }
        }
        NbVariant::Complement => {
            let mut all = vec![0.0; d];
            for c in 0..k {
                for j in 0..d {
                    all[j] += fc[c * d + j];
                }
            }
            for c in 0..k {
                let comp: Vec<f64> = (0..d).map(|j| all[j] + cfg.alpha - fc[c * d + j]).collect();
                let ln_sum = comp.iter().sum::<f64>().ln();
                for j in 0..d {
                    flp[c * d + j] = -(comp[j].ln() - ln_sum);
                }
            }
        }
    }
    Ok(NaiveBayes {
        classes: classes.to_vec(),
        variant: cfg.variant,
        n_features: d,
        feature_log_prob: flp,
        class_log_prior,
    })
}

impl NaiveBayes {
    /// Joint log-likelihood per class, `n_rows × n_classes` (complement NB: its scores,
    /// without the prior, as scikit-learn).
    pub fn joint_log_likelihood(&self, x: &CsrMatrix) -> Vec<f64> {
        let k = self.classes.len();
        let d = self.n_features;
        let mut out = vec![0.0; x.n_rows * k];
        for (i, row) in out.chunks_mut(k).enumerate() {
            let (cols, vals) = x.row(i);
            for (c, slot) in row.iter_mut().enumerate() {
                let mut s = if self.variant == NbVariant::Multinomial {
                    self.class_log_prior[c]
                } else {
                    0.0
                };
                for (&j, &v) in cols.iter().zip(vals) {
                    if (j as usize) < d {
                        s += self.feature_log_prob[c * d + j as usize] * v as f64;
                    }
                }
                *slot = s;
            }
        }
        out
    }

    pub fn predict_proba(&self, x: &CsrMatrix) -> Vec<f64> {
        let mut s = self.joint_log_likelihood(x);
        softmax_rows(&mut s, self.classes.len());
        s
    }
}
