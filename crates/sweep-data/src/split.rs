//! Seeded, deterministic train/held-out splits and cross-validation folds.
//!
//! Every function here is pure: the same labels, sizes and seed give the same indices on
//! every platform. Randomness comes from one `rand_pcg::Pcg64Mcg` seeded with
//! `SeedableRng::seed_from_u64(seed)`; bounded draws use rejection sampling (no modulo
//! bias) and shuffles are Fisher–Yates. Returned index lists are sorted ascending, so a
//! part keeps the file order of its rows; shuffling for training is the trainer's job.

use std::collections::BTreeMap;
use std::fmt;

use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::error::SplitError;

/// One cross-validation fold: `(train indices, test indices)`, each sorted.
pub type Fold = (Vec<usize>, Vec<usize>);

/// Folds and the warnings met while making them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CvFolds {
    /// One `(train, test)` pair per fold; every index is in exactly one test part.
    pub folds: Vec<Fold>,
    /// Warnings for people (a class with fewer rows than folds, as scikit-learn warns).
    pub notes: Vec<String>,
}

fn rng(seed: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(seed)
}

/// A uniform draw from `0..n` ([`sweep_core::num::below`]).
fn below(rng: &mut Pcg64Mcg, n: usize) -> usize {
    sweep_core::num::below(|| rng.next_u64(), n)
}

/// Fisher–Yates shuffle.
fn shuffle<T>(rng: &mut Pcg64Mcg, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i + 1);
        items.swap(i, j);
    }
}

/// Checks the held-out fractions and returns the part sizes: index 0 is the rest
/// (`n − Σ others`), index `p ≥ 1` is `round(fractions[p−1] · n)`.
fn part_sizes(n: usize, fractions: &[f64]) -> Result<Vec<usize>, SplitError> {
    if n == 0 {
        return Err(SplitError::Empty);
    }
    for (i, &f) in fractions.iter().enumerate() {
        if !(f > 0.0 && f < 1.0) {
            return Err(SplitError::BadFraction {
                name: format!("held-out fraction #{}", i + 1),
                value: f,
            });
        }
    }
    let sum: f64 = fractions.iter().sum();
    if sum >= 1.0 {
        return Err(SplitError::FractionsTooLarge { sum });
    }
    let mut sizes = vec![0usize; fractions.len() + 1];
    for (i, &f) in fractions.iter().enumerate() {
        let t = (f * n as f64).round() as usize;
        if t == 0 {
            return Err(SplitError::EmptyPart {
                name: format!("held-out fraction #{}", i + 1),
                fraction: f,
                n,
            });
        }
        sizes[i + 1] = t;
    }
    let held: usize = sizes.iter().sum();
    if held >= n {
        return Err(SplitError::EmptyPart {
            name: "the training part".to_owned(),
            fraction: 1.0 - sum,
            n,
        });
    }
    sizes[0] = n - held;
    Ok(sizes)
}

/// Splits `0..n` at random into a rest part and one part per fraction.
///
/// Returns `fractions.len() + 1` sorted index lists: `[rest, part 1, part 2, …]`. Part
/// `p` has exactly `round(fractions[p−1] · n)` rows; the rest has the remainder. The
/// indices are shuffled once and cut in that order.
///
/// Errors: `n = 0`, a fraction outside (0, 1), fractions summing to 1 or more, or a part
/// that would be empty.
pub fn random_split(n: usize, fractions: &[f64], seed: u64) -> Result<Vec<Vec<usize>>, SplitError> {
    let sizes = part_sizes(n, fractions)?;
    let mut rng = rng(seed);
    let mut order: Vec<usize> = (0..n).collect();
    shuffle(&mut rng, &mut order);
    let mut parts = Vec::with_capacity(sizes.len());
    let mut start = 0;
    for size in sizes {
        let mut part = order[start..start + size].to_vec();
        part.sort_unstable();
        parts.push(part);
        start += size;
    }
    Ok(parts)
}

/// Rounds `x` to an integer when it is within floating-point noise of one.
fn snap(x: f64) -> f64 {
    let r = x.round();
    if (x - r).abs() < 1e-9 { r } else { x }
}

/// Splits rows by label so that every part keeps the class proportions.
///
/// Returns `fractions.len() + 1` sorted index lists: `[rest, part 1, part 2, …]`; the
/// rest is the training part. With `fractions = [0.2]` that is a train/val split; with
/// `[0.2, 0.2]` a train/val/test split.
///
/// # Algorithm
///
/// 1. Part sizes: part `p ≥ 1` gets `T_p = round(f_p · n)` rows, the rest gets
///    `n − Σ T_p` (errors as in [`random_split`]).
/// 2. Per class `c` (with `n_c` rows) and part `p` the exact share is `f_p · n_c`
///    (`f_0 = 1 − Σ f`). Every class starts with the floor of each share; the `r_c` rows
///    left over (`n_c − Σ floors`) each raise one share of that class to its ceiling.
///    Hence **every class gets ⌊f_p · n_c⌋ or ⌈f_p · n_c⌉ rows in every part**: within
///    one row of exact.
/// 3. Which shares are raised is chosen in this order of priority:
///    - *presence*: a class with at least 2 rows whose share in a part rounds down to 0
///      gets a row there (the training part first, then the part that most lacks rows),
///      as long as it has leftover rows; so with one held-out part every class with ≥ 2
///      rows is in both parts. This may push a part beyond `T_p` (for example 10
///      classes of 2 rows with `f = 0.2` give a held-out part of 10 rows, not 4); the
///      remaining raises then avoid that part where they can;
///    - *sizes*: the remaining raises fill each part up to `T_p`, largest fractional
///      share first (classes of one row go to the training part first), ties broken at
///      random; if the greedy pass leaves a raise unplaced, augmenting paths move earlier
///      raises between parts (a small max-flow), so part sizes equal `T_p` whenever the
///      floor/ceiling rule allows it: always for one held-out part (barring presence
///      overflow); with two, rounding both sizes up can ask for more than the ceilings
///      hold (one class of 15 rows at 0.1/0.1 has shares 1.5/1.5/12, sizes 2/2/11 would
///      need the rest below its floor), and then a part gets a row less. A raise that
///      fits nowhere goes to the part with the most room.
/// 4. Each class's indices are shuffled and dealt out: first to the rest, then to part 1,
///    part 2, …
///
/// Classes are visited in sorted label order, so the result depends only on the labels,
/// the fractions and the seed.
pub fn stratified_split<L: Ord>(
    labels: &[L],
    fractions: &[f64],
    seed: u64,
) -> Result<Vec<Vec<usize>>, SplitError> {
    let n = labels.len();
    let sizes = part_sizes(n, fractions)?;
    let m = sizes.len();
    let mut rng = rng(seed);

    let mut by_class: BTreeMap<&L, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_class.entry(l).or_default().push(i);
    }
    let classes: Vec<Vec<usize>> = by_class.into_values().collect();
    let nc = classes.len();

    let mut f = Vec::with_capacity(m);
    f.push(1.0 - fractions.iter().sum::<f64>());
    f.extend_from_slice(fractions);

    // Floors, fractional parts and leftover rows per class.
    let mut alloc = vec![vec![0usize; m]; nc];
    let mut frac = vec![vec![0f64; m]; nc];
    let mut left = vec![0usize; nc];
    for (c, rows) in classes.iter().enumerate() {
        let size = rows.len();
        for p in 0..m {
            let exact = snap(f[p] * size as f64);
            let fl = exact.floor();
            alloc[c][p] = fl as usize;
            frac[c][p] = exact - fl;
        }
        left[c] = size.saturating_sub(alloc[c].iter().sum());
    }
    let mut load = vec![0usize; m];
    for row in &alloc {
        for p in 0..m {
            load[p] += row[p];
        }
    }
    let mut raised = vec![vec![false; m]; nc];
    let mut forced = vec![vec![false; m]; nc];
    let can_raise = |raised: &Vec<Vec<bool>>, c: usize, p: usize| frac[c][p] > 0.0 && !raised[c][p];

    // Presence.
    let mut class_order: Vec<usize> = (0..nc).collect();
    shuffle(&mut rng, &mut class_order);
    for &c in &class_order {
        if classes[c].len() < 2 {
            continue;
        }
        let mut wants: Vec<(usize, u64)> = (0..m)
            .filter(|&p| alloc[c][p] == 0 && can_raise(&raised, c, p))
            .map(|p| (p, rng.next_u64()))
            .collect();
        // The training part first, then the part furthest below its size, then random.
        wants.sort_by(|&(a, ka), &(b, kb)| {
            (a != 0)
                .cmp(&(b != 0))
                .then_with(|| {
                    let room = |p: usize| sizes[p] as i64 - load[p] as i64;
                    room(b).cmp(&room(a))
                })
                .then(ka.cmp(&kb))
        });
        for (p, _) in wants {
            if left[c] == 0 {
                break;
            }
            raised[c][p] = true;
            forced[c][p] = true;
            left[c] -= 1;
            load[p] += 1;
        }
    }

    // Sizes: greedy by priority.
    let mut cells: Vec<(usize, usize, bool, f64, u64)> = Vec::new();
    for (c, rows) in classes.iter().enumerate() {
        for (p, &fr) in frac[c].iter().enumerate() {
            if can_raise(&raised, c, p) {
                let single_rest = rows.len() == 1 && p == 0;
                cells.push((c, p, single_rest, fr, rng.next_u64()));
            }
        }
    }
    cells.sort_by(|a, b| b.2.cmp(&a.2).then(b.3.total_cmp(&a.3)).then(a.4.cmp(&b.4)));
    for &(c, p, _, _, _) in &cells {
        if left[c] > 0 && load[p] < sizes[p] && !raised[c][p] {
            raised[c][p] = true;
            left[c] -= 1;
            load[p] += 1;
        }
    }

    // Augmenting paths for raises the greedy pass could not place.
    for c0 in 0..nc {
        while left[c0] > 0 {
            if !augment(c0, m, &sizes, &mut load, &mut raised, &forced, &frac) {
                break;
            }
            left[c0] -= 1;
        }
        // Anything still unplaced goes where there is most room (possibly over size).
        while left[c0] > 0 {
            let best = (0..m)
                .filter(|&p| can_raise(&raised, c0, p))
                .max_by_key(|&p| (sizes[p] as i64 - load[p] as i64, std::cmp::Reverse(p)));
            let Some(p) = best.or_else(|| (0..m).find(|&p| !raised[c0][p])) else {
                break;
            };
            raised[c0][p] = true;
            left[c0] -= 1;
            load[p] += 1;
        }
    }

    // Deal out each class's shuffled indices.
    let mut parts: Vec<Vec<usize>> = sizes.iter().map(|&s| Vec::with_capacity(s)).collect();
    for (c, rows) in classes.iter().enumerate() {
        let mut rows = rows.clone();
        shuffle(&mut rng, &mut rows);
        let mut start = 0;
        for p in 0..m {
            let count = alloc[c][p] + usize::from(raised[c][p]);
            let end = (start + count).min(rows.len());
            parts[p].extend_from_slice(&rows[start..end]);
            start = end;
        }
        // Rounding noise could leave a row undealt; it belongs to the training part.
        parts[0].extend_from_slice(&rows[start..]);
    }
    for part in &mut parts {
        part.sort_unstable();
    }
    Ok(parts)
}

/// Finds one augmenting path that places a raise of class `c0`: `c0` takes a part, and
/// classes already raised there move their raise along to other parts, until a part with
/// room is reached. Forced (presence) raises are never moved.
fn augment(
    c0: usize,
    m: usize,
    sizes: &[usize],
    load: &mut [usize],
    raised: &mut [Vec<bool>],
    forced: &[Vec<bool>],
    frac: &[Vec<f64>],
) -> bool {
    // parent[p] = (class that enters p, part it leaves or None for c0).
    let mut parent: Vec<Option<(usize, Option<usize>)>> = vec![None; m];
    let mut queue = std::collections::VecDeque::new();
    for (p, slot) in parent.iter_mut().enumerate() {
        if frac[c0][p] > 0.0 && !raised[c0][p] {
            *slot = Some((c0, None));
            queue.push_back(p);
        }
    }
    let mut found = None;
    while let Some(p) = queue.pop_front() {
        if load[p] < sizes[p] {
            found = Some(p);
            break;
        }
        for (c, row) in raised.iter().enumerate() {
            if !row[p] || forced[c][p] {
                continue;
            }
            for q in 0..m {
                if parent[q].is_none() && frac[c][q] > 0.0 && !row[q] {
                    parent[q] = Some((c, Some(p)));
                    queue.push_back(q);
                }
            }
        }
    }
    let Some(end) = found else {
        return false;
    };
    let mut p = end;
    loop {
        let Some((c, from)) = parent[p] else {
            return false;
        };
        raised[c][p] = true;
        match from {
            Some(prev) => {
                raised[c][prev] = false;
                p = prev;
            }
            None => break,
        }
    }
    load[end] += 1;
    true
}

fn check_folds(n: usize, k: usize) -> Result<(), SplitError> {
    if k < 2 {
        return Err(SplitError::TooFewFolds { k });
    }
    if n == 0 {
        return Err(SplitError::Empty);
    }
    if k > n {
        return Err(SplitError::TooManyFolds { k, n });
    }
    Ok(())
}

fn folds_from_assignment(fold_of: &[usize], k: usize) -> Vec<Fold> {
    (0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..fold_of.len()).partition(|&i| fold_of[i] == f);
            (train, test)
        })
        .collect()
}

/// K-fold cross-validation without stratification, as scikit-learn's
/// `KFold(shuffle=True)`: the indices are shuffled, then cut into `k` consecutive test
/// parts, the first `n mod k` of size `⌊n/k⌋ + 1`, the others `⌊n/k⌋`.
///
/// Errors: `k < 2`, no rows, `k > n`.
pub fn kfold(n: usize, k: usize, seed: u64) -> Result<CvFolds, SplitError> {
    check_folds(n, k)?;
    let mut rng = rng(seed);
    let mut order: Vec<usize> = (0..n).collect();
    shuffle(&mut rng, &mut order);
    let mut fold_of = vec![0usize; n];
    let mut start = 0;
    for f in 0..k {
        let size = n / k + usize::from(f < n % k);
        for &i in &order[start..start + size] {
            fold_of[i] = f;
        }
        start += size;
    }
    Ok(CvFolds {
        folds: folds_from_assignment(&fold_of, k),
        notes: Vec::new(),
    })
}

/// Stratified k-fold cross-validation, as scikit-learn's
/// `StratifiedKFold(shuffle=True)`.
///
/// Classes are taken in sorted label order and their rows laid end to end; position `j`
/// of that sequence counts for fold `j mod k`. This fixes how many rows of each class
/// each fold tests: `⌊n_c/k⌋` or `⌈n_c/k⌉`, and fold sizes differ by at most one
/// overall. Each class's indices are then shuffled and dealt to the folds in that
/// quantity. Every index is in exactly one test part; a fold's train part is every other
/// index.
///
/// Errors: `k < 2`, no rows, `k > n`. A class with fewer than `k` rows is allowed (it is
/// absent from some test parts) and reported in [`CvFolds::notes`], as scikit-learn warns
/// rather than fails.
pub fn stratified_kfold<L: Ord + fmt::Display>(
    labels: &[L],
    k: usize,
    seed: u64,
) -> Result<CvFolds, SplitError> {
    let n = labels.len();
    check_folds(n, k)?;
    let mut rng = rng(seed);
    let mut by_class: BTreeMap<&L, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_class.entry(l).or_default().push(i);
    }
    let mut notes = Vec::new();
    let mut fold_of = vec![0usize; n];
    let mut offset = 0usize;
    for (label, rows) in by_class {
        let size = rows.len();
        if size < k {
            notes.push(format!(
                "class `{label}` has {size} row{}, fewer than the {k} folds: {} of the test folds have none of it",
                if size == 1 { "" } else { "s" },
                k - size
            ));
        }
        // How many of this class's rows each fold tests.
        let mut counts = vec![0usize; k];
        for j in offset..offset + size {
            counts[j % k] += 1;
        }
        offset += size;
        let mut rows = rows;
        shuffle(&mut rng, &mut rows);
        let mut it = rows.into_iter();
        for (f, &count) in counts.iter().enumerate() {
            for i in it.by_ref().take(count) {
                fold_of[i] = f;
            }
        }
    }
    Ok(CvFolds {
        folds: folds_from_assignment(&fold_of, k),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels with the given class sizes, interleaved so classes are not contiguous.
    fn labels(sizes: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut left = sizes.to_vec();
        while left.iter().any(|&l| l > 0) {
            for (c, l) in left.iter_mut().enumerate() {
                if *l > 0 {
                    out.push(c);
                    *l -= 1;
                }
            }
        }
        out
    }

    fn count(labels: &[usize], idx: &[usize], class: usize) -> usize {
        idx.iter().filter(|&&i| labels[i] == class).count()
    }

    fn assert_partition(parts: &[Vec<usize>], n: usize) {
        let mut all: Vec<usize> = parts.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(
            all,
            (0..n).collect::<Vec<_>>(),
            "parts must cover 0..n exactly once"
        );
        for p in parts {
            assert!(p.windows(2).all(|w| w[0] < w[1]), "parts are sorted");
        }
    }

    /// Checks every class share is within one row of exact; returns parts.
    fn check_stratified(sizes: &[usize], fractions: &[f64], seed: u64) -> Vec<Vec<usize>> {
        let y = labels(sizes);
        let parts = stratified_split(&y, fractions, seed).unwrap();
        assert_partition(&parts, y.len());
        let rest = 1.0 - fractions.iter().sum::<f64>();
        let f: Vec<f64> = std::iter::once(rest)
            .chain(fractions.iter().copied())
            .collect();
        for (c, &nc) in sizes.iter().enumerate() {
            for (p, part) in parts.iter().enumerate() {
                let got = count(&y, part, c) as f64;
                let exact = f[p] * nc as f64;
                assert!(
                    (got - exact).abs() < 1.0 + 1e-9,
                    "class {c} ({nc} rows) part {p}: {got} vs exact {exact}; sizes {sizes:?} fractions {fractions:?} seed {seed}"
                );
            }
        }
        parts
    }

    #[test]
    fn stratified_two_way_is_exact_in_size_and_proportion() {
        let p = check_stratified(&[50, 30, 20], &[0.2], 7);
        assert_eq!(p[1].len(), 20);
        assert_eq!(p[0].len(), 80);
        let y = labels(&[50, 30, 20]);
        assert_eq!(
            (
                count(&y, &p[1], 0),
                count(&y, &p[1], 1),
                count(&y, &p[1], 2)
            ),
            (10, 6, 4)
        );
        // Imbalanced, non-integer shares: sizes still exact.
        let p = check_stratified(&[3861, 598], &[0.2], 0);
        assert_eq!(p[1].len(), 892); // round(0.2 * 4459) = round(891.8)
    }

    #[test]
    fn stratified_randomized_properties() {
        let mut r = Pcg64Mcg::seed_from_u64(99);
        for case in 0..300u64 {
            let classes = 1 + below(&mut r, 6);
            let sizes: Vec<usize> = (0..classes).map(|_| 1 + below(&mut r, 40)).collect();
            let n: usize = sizes.iter().sum();
            let f1 = [0.1, 0.15, 0.2, 0.25, 0.3, 0.5][below(&mut r, 6)];
            let fractions: Vec<f64> = if below(&mut r, 2) == 0 {
                vec![f1]
            } else {
                vec![f1, 0.2]
            };
            let fits = fractions.iter().all(|f| (f * n as f64).round() >= 1.0)
                && fractions
                    .iter()
                    .map(|f| (f * n as f64).round())
                    .sum::<f64>()
                    < n as f64;
            if !fits {
                assert!(stratified_split(&labels(&sizes), &fractions, case).is_err());
                continue;
            }
            let parts = check_stratified(&sizes, &fractions, case);
            let y = labels(&sizes);
            if fractions.len() == 1 {
                // Every class with >= 2 rows is in both parts.
                for (c, &nc) in sizes.iter().enumerate() {
                    if nc >= 2 {
                        assert!(
                            count(&y, &parts[0], c) >= 1 && count(&y, &parts[1], c) >= 1,
                            "class {c} of {nc} missing; sizes {sizes:?} f {fractions:?}"
                        );
                    }
                }
                // Sizes are exact unless presence forced extra rows.
                let forced: usize = sizes
                    .iter()
                    .filter(|&&nc| nc >= 2 && (f1 * nc as f64) < 1.0)
                    .count();
                let target = (f1 * n as f64).round() as usize;
                if forced == 0 {
                    assert_eq!(parts[1].len(), target, "sizes {sizes:?} f {f1}");
                }
            }
        }
    }

    #[test]
    fn stratified_presence_of_small_classes() {
        // 2 rows at 20%: the held-out share rounds to 0.4, but the class appears in both.
        let y = labels(&[40, 2, 2]);
        let p = stratified_split(&y, &[0.2], 3).unwrap();
        for c in 0..3 {
            assert!(
                count(&y, &p[0], c) >= 1 && count(&y, &p[1], c) >= 1,
                "class {c}"
            );
        }
        // A single-row class stays in training.
        let y = labels(&[20, 1]);
        for seed in 0..20 {
            let p = stratified_split(&y, &[0.2], seed).unwrap();
            assert_eq!(count(&y, &p[0], 1), 1);
            assert_eq!(p[1].len(), 4);
        }
    }

    #[test]
    fn stratified_three_way() {
        let p = check_stratified(&[100, 60, 40], &[0.2, 0.1], 5);
        assert_eq!((p[0].len(), p[1].len(), p[2].len()), (140, 40, 20));
        // Cases where the greedy pass alone misses the sizes and augmenting paths must
        // move raises between parts.
        let cases: [(&[usize], [f64; 2]); 6] = [
            (&[10, 11], [0.15, 0.25]),
            (&[11, 10, 3], [0.15, 0.25]),
            (&[10, 8, 12], [0.15, 0.25]),
            (&[1, 3, 9, 9], [0.2, 0.2]),
            (&[1, 10, 8, 3, 8, 8], [0.2, 0.2]),
            (&[10, 11, 11, 9], [0.15, 0.25]),
        ];
        for (sizes, fr) in cases {
            let n: usize = sizes.iter().sum();
            for seed in 0..20 {
                let p = check_stratified(sizes, &fr, seed);
                let t1 = (fr[0] * n as f64).round() as usize;
                let t2 = (fr[1] * n as f64).round() as usize;
                assert_eq!(
                    (p[1].len(), p[2].len()),
                    (t1, t2),
                    "sizes {sizes:?} fractions {fr:?} seed {seed}"
                );
            }
        }
    }

    #[test]
    fn splits_are_deterministic_and_seed_dependent() {
        let y = labels(&[60, 40]);
        let a = stratified_split(&y, &[0.25], 1).unwrap();
        assert_eq!(a, stratified_split(&y, &[0.25], 1).unwrap());
        assert_ne!(a, stratified_split(&y, &[0.25], 2).unwrap());
        let r = random_split(100, &[0.3], 1).unwrap();
        assert_eq!(r, random_split(100, &[0.3], 1).unwrap());
        assert_ne!(r, random_split(100, &[0.3], 2).unwrap());
        // String labels work the same way.
        let s: Vec<String> = y.iter().map(|c| format!("class{c}")).collect();
        assert_eq!(stratified_split(&s, &[0.25], 1).unwrap(), a);
    }

    #[test]
    fn random_split_sizes() {
        let p = random_split(101, &[0.2, 0.1], 0).unwrap();
        assert_partition(&p, 101);
        assert_eq!((p[0].len(), p[1].len(), p[2].len()), (71, 20, 10));
    }

    #[test]
    fn split_errors() {
        let y = labels(&[5, 5]);
        assert_eq!(
            stratified_split::<usize>(&[], &[0.2], 0),
            Err(SplitError::Empty)
        );
        assert!(matches!(
            stratified_split(&y, &[0.0], 0),
            Err(SplitError::BadFraction { .. })
        ));
        assert!(matches!(
            stratified_split(&y, &[1.2], 0),
            Err(SplitError::BadFraction { .. })
        ));
        assert!(matches!(
            stratified_split(&y, &[f64::NAN], 0),
            Err(SplitError::BadFraction { .. })
        ));
        assert!(matches!(
            stratified_split(&y, &[0.5, 0.5], 0),
            Err(SplitError::FractionsTooLarge { .. })
        ));
        assert!(matches!(
            random_split(3, &[0.1], 0),
            Err(SplitError::EmptyPart { .. })
        ));
        assert!(matches!(
            random_split(2, &[0.49, 0.49], 0),
            Err(SplitError::EmptyPart { .. })
        ));
    }

    fn check_folds(y: &[usize], cv: &CvFolds, k: usize) {
        assert_eq!(cv.folds.len(), k);
        let n = y.len();
        let mut seen = vec![0usize; n];
        for (train, test) in &cv.folds {
            assert_eq!(train.len() + test.len(), n);
            assert!(!test.is_empty());
            for &i in test {
                seen[i] += 1;
                assert!(
                    train.binary_search(&i).is_err(),
                    "{i} in both train and test"
                );
            }
        }
        assert!(
            seen.iter().all(|&s| s == 1),
            "every index in exactly one test fold"
        );
        let sizes: Vec<usize> = cv.folds.iter().map(|(_, t)| t.len()).collect();
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(max - min <= 1, "fold sizes {sizes:?}");
    }

    #[test]
    fn stratified_kfold_covers_every_index_and_spreads_classes() {
        let sizes = [23, 11, 7];
        let y = labels(&sizes);
        let cv = stratified_kfold(&y, 5, 42).unwrap();
        check_folds(&y, &cv, 5);
        for (c, &nc) in sizes.iter().enumerate() {
            for (_, test) in &cv.folds {
                let got = count(&y, test, c);
                assert!(
                    got == nc / 5 || got == nc.div_ceil(5),
                    "class {c}: {got} of {nc}"
                );
            }
        }
        assert!(cv.notes.is_empty());
        assert_eq!(cv, stratified_kfold(&y, 5, 42).unwrap());
        assert_ne!(cv, stratified_kfold(&y, 5, 43).unwrap());
    }

    #[test]
    fn stratified_kfold_small_class_is_a_note_and_errors() {
        let y = labels(&[10, 2]);
        let cv = stratified_kfold(&y, 4, 0).unwrap();
        check_folds(&y, &cv, 4);
        assert_eq!(cv.notes.len(), 1);
        assert!(
            cv.notes[0].contains("class `1` has 2 rows"),
            "{}",
            cv.notes[0]
        );
        assert_eq!(
            stratified_kfold(&y, 1, 0),
            Err(SplitError::TooFewFolds { k: 1 })
        );
        assert_eq!(
            stratified_kfold(&y, 13, 0),
            Err(SplitError::TooManyFolds { k: 13, n: 12 })
        );
        assert_eq!(stratified_kfold::<usize>(&[], 2, 0), Err(SplitError::Empty));
    }

    #[test]
    fn plain_kfold() {
        let cv = kfold(10, 3, 0).unwrap();
        check_folds(&[0; 10], &cv, 3);
        let mut sizes: Vec<usize> = cv.folds.iter().map(|(_, t)| t.len()).collect();
        sizes.sort_unstable();
        assert_eq!(sizes, vec![3, 3, 4]);
        assert_ne!(cv, kfold(10, 3, 1).unwrap());
        assert!(kfold(2, 3, 0).is_err());
    }

    #[test]
    fn below_is_in_range_and_uses_all_values() {
        let mut r = rng(0);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let x = below(&mut r, 7);
            seen[x] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(below(&mut r, 1), 0);
    }
}
