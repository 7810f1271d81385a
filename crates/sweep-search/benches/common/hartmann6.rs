//! Hartmann6 (`hpo_testfunctions.py`): six dimensions on the unit cube, four bumps, the
//! global minimum -3.32237 near (0.20, 0.15, 0.48, 0.28, 0.31, 0.66) and a second, wider
//! basin at -3.20316 near (0.40, 0.88, 0.87, 0.57, 0.14, 0.04), flat along x3 and x5. One copy, read by the search
//! benchmark (`hpo.rs`) and by the sampler's tests (`src/bayes/tests.rs`), both through `#[path]`
//! (a folder below `benches/`, so that Cargo does not take it for a benchmark of its own).

/// The global minimum.
pub const HARTMANN6_MIN: f64 = -3.322_368_011_415_515;

/// The function at `x` (six coordinates in `[0, 1]`).
pub fn hartmann6(x: &[f64]) -> f64 {
    const A: [[f64; 6]; 4] = [
        [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
        [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
        [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
        [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
    ];
    const P: [[f64; 6]; 4] = [
        [1312.0, 1696.0, 5569.0, 124.0, 8283.0, 5886.0],
        [2329.0, 4135.0, 8307.0, 3736.0, 1004.0, 9991.0],
        [2348.0, 1451.0, 3522.0, 2883.0, 3047.0, 6650.0],
        [4047.0, 8828.0, 8732.0, 5743.0, 1091.0, 381.0],
    ];
    const ALPHA: [f64; 4] = [1.0, 1.2, 3.0, 3.2];
    -(0..4)
        .map(|i| {
            let inner: f64 = (0..6)
                .map(|j| A[i][j] * (x[j] - 1e-4 * P[i][j]).powi(2))
                .sum();
            ALPHA[i] * (-inner).exp()
        })
        .sum::<f64>()
}
