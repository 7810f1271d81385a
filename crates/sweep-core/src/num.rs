//! Numeric kernels shared by the crates that compute (the Bayesian sampler, the linear
//! models, the data splits, the bootstrap).

/// `Σ aᵢ bᵢ` over the common length, with eight independent partial sums: a single running
/// sum is one long chain of dependent additions, which the compiler may not reorder; eight
/// lanes let it vectorise and pipeline the loop.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f64>() + tail
}

/// A uniform draw from `0..n` by rejection sampling over `next_u64` (a generator's raw
/// 64-bit outputs): no modulo bias. `0` when `n ≤ 1`.
pub fn below(mut next_u64: impl FnMut() -> u64, n: usize) -> usize {
    let n = n as u64;
    if n <= 1 {
        return 0;
    }
    let zone = (u64::MAX / n) * n;
    loop {
        let x = next_u64();
        if x < zone {
            return (x % n) as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_sums_every_product_whatever_the_length() {
        for n in [0usize, 1, 7, 8, 9, 17, 100] {
            let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let b: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
            let exact: f64 = (0..n).map(|i| (i * (i + 1)) as f64).sum();
            assert_eq!(dot(&a, &b), exact, "n = {n}");
        }
        // Only the common length counts.
        assert_eq!(dot(&[1.0, 2.0, 3.0], &[1.0]), 1.0);
    }
}
