use super::softmax_rows;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sweep_features::CsrMatrix;

/// How a linear model turns scores into probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbaKind {
    /// Multinomial: softmax of the class scores.
    Softmax,
    /// Binary with one score: sigmoid.
    Sigmoid,
    /// One-vs-rest logistic scores, normalised (scikit-learn's SGD with log loss).
    OvrSigmoid,
    /// No probabilities (hinge losses).
    None,
}

/// A fitted linear model: `score_c(x) = w_c · x + b_c`. A binary model stores one weight
/// vector (`n_vectors == 1`): class 1 scores `w·x + b`, class 0 its negation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinearModel {
    pub classes: Vec<String>,
    pub n_features: usize,
    /// When set, the model has weights for these input columns only (sorted ascending;
    /// any other column weighs 0), and `weights` is `n_vectors × columns.len()`: a model
    /// over hashing features keeps only the columns its training data used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<u32>>,
    /// `n_vectors × width` (width = `columns.len()` or `n_features`), row-major. Saved
    /// sparsely.
    #[serde(with = "sparse_weights")]
    pub weights: Vec<f64>,
    pub intercepts: Vec<f64>,
    pub proba: ProbaKind,
}

impl LinearModel {
    fn n_vectors(&self) -> usize {
        self.intercepts.len()
    }

    /// Raw scores, `n_rows × n_vectors`.
    pub fn raw_scores(&self, x: &CsrMatrix) -> Vec<f64> {
        let v = self.n_vectors();
        let nf = self.columns.as_ref().map_or(self.n_features, Vec::len);
        let mut out = vec![0.0; x.n_rows * v];
        out.par_chunks_mut(v.max(1))
            .enumerate()
            .for_each(|(i, row)| {
                let (cols, vals) = x.row(i);
                for (c, (slot, b)) in row.iter_mut().zip(&self.intercepts).enumerate() {
                    let w = &self.weights[c * nf..(c + 1) * nf];
                    let mut s = *b;
                    for (&j, &val) in cols.iter().zip(vals) {
                        let k = match &self.columns {
                            Some(used) => match used.binary_search(&j) {
                                Ok(k) => k,
                                Err(_) => continue,
                            },
                            None => j as usize,
                        };
                        if let Some(wj) = w.get(k) {
                            s += wj * val as f64;
                        }
                    }
                    *slot = s;
                }
            });
        out
    }

    /// Decision scores, `n_rows × n_classes`.
    pub fn decision(&self, x: &CsrMatrix) -> Vec<f64> {
        let raw = self.raw_scores(x);
        if self.n_vectors() == 1 && self.classes.len() == 2 {
            raw.iter().flat_map(|s| [-s, *s]).collect()
        } else {
            raw
        }
    }

    pub fn predict_proba(&self, x: &CsrMatrix) -> Option<Vec<f64>> {
        let k = self.classes.len();
        match self.proba {
            ProbaKind::None => None,
            ProbaKind::Sigmoid => Some(
                self.raw_scores(x)
                    .iter()
                    .flat_map(|s| {
                        let p = sigmoid(*s);
                        [1.0 - p, p]
                    })
                    .collect(),
            ),
            ProbaKind::Softmax => {
                let mut s = self.decision(x);
                softmax_rows(&mut s, k);
                Some(s)
            }
            ProbaKind::OvrSigmoid => {
                let raw = self.raw_scores(x);
                if self.n_vectors() == 1 {
                    return Some(
                        raw.iter()
                            .flat_map(|s| {
                                let p = sigmoid(*s);
                                [1.0 - p, p]
                            })
                            .collect(),
                    );
                }
                let mut p: Vec<f64> = raw.iter().map(|s| sigmoid(*s)).collect();
                for row in p.chunks_mut(k) {
                    let sum: f64 = row.iter().sum();
                    for v in row.iter_mut() {
                        *v = if sum > 0.0 { *v / sum } else { 1.0 / k as f64 };
                    }
                }
                Some(p)
            }
        }
    }
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Serializes a mostly-zero weight vector as `{len, index, value}`.
mod sparse_weights {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Sparse {
        len: usize,
        index: Vec<u32>,
        value: Vec<f64>,
    }

    pub fn serialize<S: Serializer>(w: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let (index, value): (Vec<u32>, Vec<f64>) = w
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(i, v)| (i as u32, *v))
            .unzip();
        Sparse {
            len: w.len(),
            index,
            value,
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let sp = Sparse::deserialize(d)?;
        if sp.index.len() != sp.value.len() {
            return Err(serde::de::Error::custom(
                "weights: index and value lengths differ",
            ));
        }
        let mut w = vec![0.0; sp.len];
        for (i, v) in sp.index.into_iter().zip(sp.value) {
            let slot = w.get_mut(i as usize).ok_or_else(|| {
                serde::de::Error::custom(format!("weights: index {i} out of range {}", sp.len))
            })?;
            *slot = v;
        }
        Ok(w)
    }
}
