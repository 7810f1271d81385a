//! Small examples shared by the unit tests; expected values were computed with
//! scikit-learn 1.9.1 and are hard-coded next to each test.

/// Multiclass example: 3 classes, 12 samples, confusion in every direction.
/// Confusion matrix (rows true, columns predicted): `[[3,1,1],[1,2,0],[1,1,2]]`.
pub const MULTI_Y_TRUE: [usize; 12] = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
pub const MULTI_Y_PRED: [usize; 12] = [0, 0, 0, 1, 2, 1, 1, 0, 2, 2, 1, 0];
/// Probabilities for the multiclass example; many ties (0.2, 0.3) on purpose.
pub const MULTI_PROBS: [[f64; 3]; 12] = [
    [0.7, 0.2, 0.1],
    [0.6, 0.3, 0.1],
    [0.5, 0.3, 0.2],
    [0.3, 0.5, 0.2],
    [0.3, 0.2, 0.5],
    [0.2, 0.6, 0.2],
    [0.1, 0.7, 0.2],
    [0.5, 0.3, 0.2],
    [0.1, 0.2, 0.7],
    [0.2, 0.2, 0.6],
    [0.2, 0.5, 0.3],
    [0.4, 0.3, 0.3],
];

/// Binary example: 6 negatives, 4 positives; confusion `[[4,2],[1,3]]`.
pub const BIN_Y_TRUE: [usize; 10] = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
pub const BIN_Y_PRED: [usize; 10] = [0, 0, 0, 0, 1, 1, 1, 1, 1, 0];
/// Positive-class scores; 0.4 and 0.6 are each shared by a positive and a negative.
pub const BIN_POS: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 0.6, 0.9, 0.7, 0.4];

/// Rows `[1 - p, p]`, computed exactly as the Python reference did.
pub fn bin_probs() -> Vec<[f64; 2]> {
    BIN_POS.iter().map(|&p| [1.0 - p, p]).collect()
}
