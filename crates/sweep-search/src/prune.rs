//! Early termination: which running runs to stop now. Pure: a function of the rule, the
//! goal and the runs' metric histories.
//!
//! Common ground for every rule:
//!
//! - **Iterations.** A run's iterations are the positions of the *valid* values of the metric
//!   in its history: non-finite values (NaN, ±∞; string or boolean values arrive here as NaN)
//!   are dropped first, as W&B's `SweepRun.metric_history(filter_invalid=True)` does, so
//!   "iteration 3" is the run's third valid value wherever it was logged.
//! - **Goal.** Values are negated for `goal: maximize`, as W&B does, so that lower is better
//!   inside every rule; a [`PruneDecision`] reports `value` and `threshold` in the metric's
//!   own sign.
//! - **Who is stopped.** Only runs with `running: true` are stopped; every run (finished,
//!   failed, running) with valid values counts towards thresholds. Ties survive: a run is
//!   stopped only when it is *strictly* worse than the threshold, so a lone run is never
//!   stopped.
//!
//! The rules:
//!
//! - **`hyperband`** (W&B's `hyperband_stopping.py`, exactly). Bands from
//!   [`hyperband_bands`]. At each band `b`, the threshold is
//!   `sorted(v)[floor(n/eta)]` (computed as `int((1/eta)·n)`) where `v` holds the value at
//!   iteration `b` of each of the `n` runs (any state) with at least `b` iterations. A
//!   running run is judged only at the largest band it has reached (`b ≤` its iterations),
//!   by its value at iteration `b` when `strict` (the default), otherwise by its best value
//!   over its whole history so far (W&B: `min(history)`, including values after the band),
//!   and stopped when that value is greater than the threshold.
//! - **`asha`** (Sweep's own; asynchronous successive halving, Li et al. 2018). Rungs at
//!   `floor(min_iter·eta^k)` for `k = 0, 1, …` (the product accumulated as W&B accumulates
//!   its bands; repeated rungs from a fractional `eta` kept once), only those below
//!   `max_iter` when it is given. A running run with at least `min_iter` iterations is judged
//!   at the highest rung `r` it has reached, by its value at iteration `r`. The `n` runs (any
//!   state, itself included) that reached `r` are ranked by their value at `r`; the best
//!   `k = max(1, floor(n/eta))` survive, so the threshold is the `k`-th best value and the
//!   run is stopped when its value is strictly worse. Being stateless, the judgement at a
//!   rung is repeated on every call until the run reaches the next rung: a run that looked
//!   good when it reached the rung can still be stopped there once enough better runs have
//!   reached it too.
//! - **`median`** (Sweep's own; the median stopping rule of Google Vizier, Golovin et al.
//!   2017). A running run with `t ≥ min_iter` iterations is compared, at `t`, with the
//!   *other* runs (any state) that have at least `t` iterations: when there are at least
//!   `min_runs` of them (and at least one), the threshold is the median (the mean of the two
//!   middle values for an even count) of their running averages over their first `t`
//!   iterations, and the run is stopped when its best value so far is strictly worse. Using
//!   the run's best value against the others' averages makes the rule lenient towards
//!   noisy curves: a run is stopped only when even its best is worse than a typical run's
//!   average.

use serde::Serialize;
use sweep_core::{EarlyTerminate, Goal};

/// One run as the early-termination rules see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunView<'a> {
    pub name: &'a str,
    /// Whether the run may be stopped (W&B's `running`, `preempting` and `preempted`
    /// states); runs in any other state only count towards thresholds.
    pub running: bool,
    /// The metric's values in history order; non-finite values (NaN for a missing, string
    /// or boolean value) are not iterations and are ignored.
    pub history: &'a [f64],
}

/// A running run to stop, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PruneDecision {
    /// The run's name.
    pub name: String,
    /// The rule that stopped it: `hyperband`, `asha` or `median`.
    pub rule: &'static str,
    /// Every band of the rule, ascending, as W&B's `early_terminate_info.bands` lists them
    /// (hyperband: all of [`hyperband_bands`]; ASHA: its rungs up to the longest history;
    /// median: the one iteration the run was judged at). Whole numbers are JSON integers.
    #[serde(serialize_with = "whole_numbers")]
    pub bands: Vec<f64>,
    /// The threshold at each band, in the metric's own sign (W&B's
    /// `early_terminate_info.thresholds`); `null` where no run has reached the band yet
    /// (W&B: infinity).
    pub thresholds: Vec<Option<f64>>,
    /// The iteration the run was judged at: the band, the rung, or (median) its number of
    /// iterations.
    pub iteration: usize,
    /// The run's value that was compared, in the metric's own sign.
    pub value: f64,
    /// The threshold it failed to reach, in the metric's own sign.
    pub threshold: f64,
}

/// Bands are whole numbers of iterations: written as JSON integers where they convert
/// exactly (W&B's are Python integers).
fn whole_numbers<S: serde::Serializer>(bands: &[f64], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(bands.iter().map(|&b| crate::num::integer_value(b)))
}

/// How many bands W&B lists for a `min_iter` hyperband.
const WANDB_MIN_ITER_BANDS: usize = 100;

/// W&B's hyperband bands, ascending, as whole numbers of iterations.
///
/// - With `max_iter` and `s`: `band = max_iter`, then `s` times `band /= eta`, keeping
///   `trunc(band)` and stopping as soon as `band < 1`; sorted ascending. `max_iter 18,
///   eta 3, s 2` gives `[2, 6]`.
/// - Otherwise with `min_iter`: `band = min_iter`, then 100 times keep `trunc(band)` and
///   `band *= eta`: `min_iter 3, eta 3` gives `[3, 9, 27, …, 3^33]`. W&B lists 100 bands;
///   Sweep stops at 2^53 iterations, which no run reaches (and beyond which a float no
///   longer holds every whole number, so the bands would differ from W&B's exact integers).
///
/// A spec with both `max_iter` and `min_iter` but no `s` uses `min_iter` (W&B fails on it).
/// Non-hyperband rules, and hand-built values the config would reject (`eta ≤ 1`,
/// `min_iter 0`), give no bands.
pub fn hyperband_bands(et: &EarlyTerminate) -> Vec<f64> {
    let EarlyTerminate::Hyperband {
        min_iter,
        max_iter,
        s,
        eta,
        ..
    } = et
    else {
        return Vec::new();
    };
    let eta = *eta;
    if eta.is_nan() || eta <= 1.0 {
        return Vec::new();
    }
    let mut bands = Vec::new();
    if let (Some(max_iter), Some(s)) = (max_iter, s) {
        let mut band = *max_iter as f64;
        for _ in 0..*s {
            band /= eta;
            if band < 1.0 {
                break;
            }
            bands.push(band.trunc());
        }
        bands.sort_by(f64::total_cmp);
    } else if let Some(min_iter) = min_iter.filter(|&m| m > 0) {
        let mut band = min_iter as f64;
        for _ in 0..WANDB_MIN_ITER_BANDS {
            if band > crate::num::I64_SAFE {
                break;
            }
            bands.push(band.trunc());
            band *= eta;
        }
    }
    bands
}

/// The running runs to stop now under `et`, in the order of `runs`. See the module docs for
/// each rule.
pub fn prune(et: &EarlyTerminate, goal: Goal, runs: &[RunView]) -> Vec<PruneDecision> {
    let sign = match goal {
        Goal::Minimize => 1.0,
        Goal::Maximize => -1.0,
    };
    // Valid values only, oriented so that lower is better.
    let histories: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| {
            r.history
                .iter()
                .filter(|v| v.is_finite())
                .map(|v| sign * v)
                .collect()
        })
        .collect();
    let judged = Judged {
        runs,
        histories: &histories,
        sign,
        rule: et.kind(),
    };
    match et {
        EarlyTerminate::Hyperband { eta, strict, .. } => {
            prune_hyperband(&judged, &hyperband_bands(et), *eta, *strict)
        }
        EarlyTerminate::Asha {
            min_iter,
            eta,
            max_iter,
        } => prune_asha(&judged, *min_iter, *eta, *max_iter),
        EarlyTerminate::Median { min_iter, min_runs } => {
            prune_median(&judged, *min_iter, *min_runs)
        }
    }
}

/// The runs with their oriented valid histories.
struct Judged<'a, 'r> {
    runs: &'a [RunView<'r>],
    histories: &'a [Vec<f64>],
    sign: f64,
    rule: &'static str,
}

impl Judged<'_, '_> {
    /// The running runs with their oriented histories and indices.
    fn running(&self) -> impl Iterator<Item = (usize, &Vec<f64>)> {
        self.histories
            .iter()
            .enumerate()
            .filter(|(i, _)| self.runs[*i].running)
    }

    /// The values at iteration `it` (1-based) of every run that reached it, sorted.
    fn sorted_values_at(&self, it: usize) -> Vec<f64> {
        let mut values: Vec<f64> = self
            .histories
            .iter()
            .filter(|h| h.len() >= it)
            .map(|h| h[it - 1])
            .collect();
        values.sort_by(f64::total_cmp);
        values
    }

    /// The decision to stop run `i`, judged at `iteration` by `value` against `threshold`
    /// (all oriented); `bands` and their `thresholds` as the rule lists them.
    fn decision(
        &self,
        i: usize,
        bands: &[f64],
        thresholds: &[f64],
        iteration: usize,
        value: f64,
        threshold: f64,
    ) -> PruneDecision {
        PruneDecision {
            name: self.runs[i].name.to_string(),
            rule: self.rule,
            bands: bands.to_vec(),
            thresholds: thresholds
                .iter()
                .map(|&t| t.is_finite().then_some(self.sign * t))
                .collect(),
            iteration,
            value: self.sign * value,
            threshold: self.sign * threshold,
        }
    }
}

/// The smallest of the values (the best, oriented); `None` when empty.
fn best(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::min)
}

fn prune_hyperband(j: &Judged, bands: &[f64], eta: f64, strict: bool) -> Vec<PruneDecision> {
    let r = 1.0 / eta;
    // W&B: threshold = sorted(band_values)[int(r * len(band_values))], ∞ when none reached.
    let thresholds: Vec<f64> = bands
        .iter()
        .map(|&band| {
            let values = j.sorted_values_at(band as usize);
            if values.is_empty() {
                f64::INFINITY
            } else {
                values[((r * values.len() as f64) as usize).min(values.len() - 1)]
            }
        })
        .collect();
    let mut out = Vec::new();
    for (i, h) in j.running() {
        // The largest band the run has reached (bands are ascending, as W&B iterates them).
        let reached = bands.iter().take_while(|&&b| b <= h.len() as f64).count();
        if reached == 0 {
            continue;
        }
        let band = bands[reached - 1];
        let threshold = thresholds[reached - 1];
        let value = if strict {
            h[band as usize - 1]
        } else {
            best(h).unwrap_or(f64::INFINITY)
        };
        if value > threshold {
            out.push(j.decision(i, bands, &thresholds, band as usize, value, threshold));
        }
    }
    out
}

/// ASHA's rungs up to `limit` iterations: `floor(min_iter·eta^k)`, each once, below
/// `max_iter` when given.
fn asha_rungs(min_iter: u64, eta: f64, max_iter: Option<u64>, limit: usize) -> Vec<usize> {
    let mut rungs: Vec<usize> = Vec::new();
    if min_iter == 0 || eta.is_nan() || eta <= 1.0 {
        return rungs;
    }
    let mut rung = min_iter as f64;
    loop {
        let r = rung.trunc();
        if r > limit as f64 || max_iter.is_some_and(|m| r >= m as f64) {
            break;
        }
        let r = r as usize;
        if rungs.last() != Some(&r) {
            rungs.push(r);
        }
        rung *= eta;
    }
    rungs
}

fn prune_asha(j: &Judged, min_iter: u64, eta: f64, max_iter: Option<u64>) -> Vec<PruneDecision> {
    let longest = j.histories.iter().map(Vec::len).max().unwrap_or(0);
    let rungs = asha_rungs(min_iter, eta, max_iter, longest);
    // The threshold at each rung: the `max(1, floor(n/eta))`-th best of the `n` values
    // there (every listed rung was reached by the longest run, so `n ≥ 1`; `keep ≤ n`
    // because `eta > 1`).
    let thresholds: Vec<f64> = rungs
        .iter()
        .map(|&rung| {
            let values = j.sorted_values_at(rung);
            let keep = ((values.len() as f64 / eta).floor() as usize).max(1);
            values.get(keep - 1).copied().unwrap_or(f64::INFINITY)
        })
        .collect();
    let bands: Vec<f64> = rungs.iter().map(|&r| r as f64).collect();
    let mut out = Vec::new();
    for (i, h) in j.running() {
        let reached = rungs.iter().take_while(|&&r| r <= h.len()).count();
        if reached == 0 {
            continue;
        }
        let rung = rungs[reached - 1];
        let threshold = thresholds[reached - 1];
        let value = h[rung - 1];
        if value > threshold {
            out.push(j.decision(i, &bands, &thresholds, rung, value, threshold));
        }
    }
    out
}

/// The median of non-empty sorted values.
fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn prune_median(j: &Judged, min_iter: u64, min_runs: u64) -> Vec<PruneDecision> {
    let min_runs = usize::try_from(min_runs.max(1)).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    for (i, h) in j.running() {
        let t = h.len();
        if t == 0 || (t as u64) < min_iter {
            continue;
        }
        let mut averages: Vec<f64> = j
            .histories
            .iter()
            .enumerate()
            .filter(|(k, other)| *k != i && other.len() >= t)
            .map(|(_, other)| other[..t].iter().sum::<f64>() / t as f64)
            .collect();
        if averages.len() < min_runs {
            continue;
        }
        averages.sort_by(f64::total_cmp);
        let threshold = median(&averages);
        let value = best(h).unwrap_or(f64::INFINITY);
        if value > threshold {
            out.push(j.decision(i, &[t as f64], &[threshold], t, value, threshold));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    fn hb(
        min_iter: Option<u64>,
        max_iter: Option<u64>,
        s: Option<u64>,
        eta: f64,
    ) -> EarlyTerminate {
        EarlyTerminate::Hyperband {
            min_iter,
            max_iter,
            s,
            eta,
            strict: true,
        }
    }

    fn with_strict(et: EarlyTerminate, strict: bool) -> EarlyTerminate {
        match et {
            EarlyTerminate::Hyperband {
                min_iter,
                max_iter,
                s,
                eta,
                ..
            } => EarlyTerminate::Hyperband {
                min_iter,
                max_iter,
                s,
                eta,
                strict,
            },
            other => other,
        }
    }

    fn run<'a>(name: &'a str, running: bool, history: &'a [f64]) -> RunView<'a> {
        RunView {
            name,
            running,
            history,
        }
    }

    fn names(decisions: &[PruneDecision]) -> Vec<&str> {
        decisions.iter().map(|d| d.name.as_str()).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hyperband_bands_follow_wandb() {
        // 18/3 = 6, 6/3 = 2, sorted.
        assert_eq!(
            hyperband_bands(&hb(None, Some(18), Some(2), 3.0)),
            [2.0, 6.0]
        );
        // W&B's test_hyperband_max_iter_bands: 81/3, /9, /27.
        assert_eq!(
            hyperband_bands(&hb(None, Some(81), Some(3), 3.0)),
            [3.0, 9.0, 27.0]
        );
        // 5/2 = 2.5 → 2, 1.25 → 1; then 0.625 < 1 would stop even with a larger s.
        assert_eq!(
            hyperband_bands(&hb(None, Some(5), Some(9), 2.0)),
            [1.0, 2.0]
        );
        // No band reaches 1: none.
        assert!(hyperband_bands(&hb(None, Some(2), Some(2), 3.0)).is_empty());
        // min_iter·eta^k up to 2^53 (W&B lists 100; the rest no run reaches).
        let bands = hyperband_bands(&hb(Some(3), None, None, 3.0));
        assert_eq!(bands[..4], [3.0, 9.0, 27.0, 81.0]);
        assert_eq!(bands.len(), 33);
        assert_eq!(bands.last(), Some(&3f64.powi(33)));
        // A fractional eta accumulates the product and truncates each band (W&B's
        // test_hyperband_extensive_*: [30, 45, 67]); 30·1.5³ = 101.25.
        let bands = hyperband_bands(&hb(Some(30), None, None, 1.5));
        assert_eq!(bands[..4], [30.0, 45.0, 67.0, 101.0]);
        // max_iter with s wins over min_iter; max_iter without s falls back to min_iter.
        assert_eq!(
            hyperband_bands(&hb(Some(1), Some(18), Some(2), 3.0)),
            [2.0, 6.0]
        );
        assert_eq!(
            hyperband_bands(&hb(Some(2), Some(18), None, 3.0))[..2],
            [2.0, 6.0]
        );
        // A huge eta ends the list at once, never at infinity.
        let bands = hyperband_bands(&hb(Some(1), None, None, 1e100));
        assert_eq!(bands, [1.0]);
        assert!(bands.iter().all(|b| b.is_finite()));
        // Other rules have no hyperband bands.
        let asha = EarlyTerminate::Asha {
            min_iter: 1,
            eta: 3.0,
            max_iter: None,
        };
        assert!(hyperband_bands(&asha).is_empty());
    }

    #[test]
    fn hyperband_wandb_five_runs_strict() {
        // W&B test_5runs_band1_stop_2: bands [1, 2], r = 1/2.
        // Band 1: [10, 10, 10, 10, 10][int(2.5) = 2] = 10.
        // Band 2: sorted [9, 10, 8, 7, 6] = [6, 7, 8, 9, 10][2] = 8.
        // a (finished) has 9 > 8 but is not running; b: 10 > 8 stops; c: 8 = 8 survives.
        let et = hb(None, Some(5), Some(2), 2.0);
        let runs = [
            run("a", false, &[10.0, 9.0]),
            run("b", true, &[10.0, 10.0]),
            run("c", true, &[10.0, 8.0, 8.0]),
            run("d", true, &[10.0, 7.0, 7.0]),
            run("e", false, &[10.0, 6.0, 6.0]),
        ];
        let got = prune(&et, Goal::Minimize, &runs);
        assert_eq!(
            got,
            [PruneDecision {
                name: "b".into(),
                rule: "hyperband",
                bands: vec![1.0, 2.0],
                thresholds: vec![Some(10.0), Some(8.0)],
                iteration: 2,
                value: 10.0,
                threshold: 8.0,
            }]
        );
        // W&B test_5runs_band1_stop_2_1stnoband: band 1 over [10, 11, 10, 10, 10] → 10,
        // band 2 over c 8, d 7, e 6 → [6, 7, 8][int(1.5) = 1] = 7: b (11 > 10 at band 1) and
        // c (8 > 7 at band 2) stop.
        let runs = [
            run("a", false, &[10.0]),
            run("b", true, &[11.0]),
            run("c", true, &[10.0, 8.0, 8.0]),
            run("d", true, &[10.0, 7.0, 7.0]),
            run("e", false, &[10.0, 6.0, 6.0]),
        ];
        let got = prune(&et, Goal::Minimize, &runs);
        assert_eq!(names(&got), ["b", "c"]);
        assert_eq!((got[0].iteration, got[0].threshold), (1, 10.0));
        // Every band is listed, judged or not (W&B's early_terminate_info.bands).
        assert_eq!(got[0].bands, [1.0, 2.0]);
        assert_eq!(got[0].thresholds, [Some(10.0), Some(7.0)]);
        assert_eq!((got[1].iteration, got[1].threshold), (2, 7.0));
    }

    #[test]
    fn hyperband_wandb_band_tests() {
        // W&B test_hyperband_min_iter_bands: bands [3, 9, …]. Band 3: run1 10, run2 8 →
        // [8, 10][int(2/3) = 0] = 8, run1's 10 > 8 stops. run2 (10 values) is judged at
        // band 9, which only it reached: never stopped.
        let et = hb(Some(3), None, None, 3.0);
        let run2: Vec<f64> = (0..10).map(|i| 10.0 - f64::from(i)).collect();
        let runs = [run("run1", true, &[10.0; 4]), run("run2", true, &run2)];
        let got = prune(&et, Goal::Minimize, &runs);
        assert_eq!(names(&got), ["run1"]);
        assert_eq!(
            (got[0].iteration, got[0].value, got[0].threshold),
            (3, 10.0, 8.0)
        );
        assert_eq!(got[0].bands[..3], [3.0, 9.0, 27.0]);
        assert_eq!(got[0].bands.len(), 33);
        // Band 9 was reached by run2 only (its value 2, index 0); none reached 27.
        assert_eq!(got[0].thresholds[..3], [Some(8.0), Some(2.0), None]);
        // The same for maximize (test_hyperband_min_iter_bands_max).
        let run2: Vec<f64> = (0..10).map(|i| 10.0 + f64::from(i)).collect();
        let runs = [run("run1", true, &[10.0; 4]), run("run2", true, &run2)];
        let got = prune(&et, Goal::Maximize, &runs);
        assert_eq!(names(&got), ["run1"]);
        assert_eq!((got[0].value, got[0].threshold), (10.0, 12.0));
        // test_init_from_max_iter: bands [2, 6]; band 2: [10, 9][0] = 9, run1's 10 > 9.
        let et = hb(None, Some(18), Some(2), 3.0);
        let run2: Vec<f64> = (0..10).map(|i| 10.0 - f64::from(i)).collect();
        let runs = [run("run1", true, &[10.0; 4]), run("run2", true, &run2)];
        let got = prune(&et, Goal::Minimize, &runs);
        assert_eq!(names(&got), ["run1"]);
        assert_eq!((got[0].iteration, got[0].threshold), (2, 9.0));
        assert_eq!(got[0].bands, [2.0, 6.0]);
    }

    #[test]
    fn hyperband_lone_run_is_never_stopped() {
        // W&B test_single_run (strict false), and a worsening lone run under strict: the
        // threshold at each band is its own value.
        let improving: Vec<f64> = (0..10).map(|i| 10.0 - f64::from(i)).collect();
        let worsening: Vec<f64> = (0..10).map(f64::from).collect();
        for strict in [false, true] {
            let et = with_strict(hb(None, Some(18), Some(2), 3.0), strict);
            for h in [&improving, &worsening] {
                assert!(prune(&et, Goal::Minimize, &[run("solo", true, h)]).is_empty());
                assert!(prune(&et, Goal::Maximize, &[run("solo", true, h)]).is_empty());
            }
        }
        // Alone among runs that never reached a band: still nothing.
        let et = hb(Some(2), None, None, 2.0);
        let runs = [run("a", false, &[0.0]), run("solo", true, &[9.0, 9.0, 9.0])];
        assert!(prune(&et, Goal::Minimize, &runs).is_empty());
    }

    #[test]
    fn hyperband_ties_survive() {
        // Band 3 of [1, 3, 9]: [5, 5, 5][int(3/3) = 1] = 5; nobody is strictly worse.
        let et = hb(Some(1), None, None, 3.0);
        let tied = [5.0, 5.0, 5.0];
        let runs = [
            run("a", true, &tied),
            run("b", true, &tied),
            run("c", true, &tied),
        ];
        assert!(prune(&et, Goal::Minimize, &runs).is_empty());
        // A fourth, worse run: [5, 5, 5, 6][int(4/3) = 1] = 5; only it stops.
        let runs = [
            run("a", true, &tied),
            run("b", true, &tied),
            run("c", true, &tied),
            run("d", true, &[6.0, 6.0, 6.0]),
        ];
        let got = prune(&et, Goal::Minimize, &runs);
        assert_eq!(names(&got), ["d"]);
        assert_eq!((got[0].iteration, got[0].threshold), (3, 5.0));
        assert_eq!(got[0].bands[..3], [1.0, 3.0, 9.0]);
    }

    #[test]
    fn hyperband_strict_compares_the_band_value_relaxed_the_best() {
        // Bands [1, 3] (max_iter 9, eta 3, s 2). Band 3: x 5, y 6, z 9 →
        // [5, 6, 9][int(1/3·3) = 1] = 6. z has 4 values, so its closest band is 3.
        // strict: z's value at iteration 3 is 9 > 6: stopped.
        // relaxed: z's best so far, 1 (logged after the band, W&B's min(history)) ≤ 6: kept.
        let runs = [
            run("x", false, &[5.0, 5.0, 5.0]),
            run("y", false, &[6.0, 6.0, 6.0]),
            run("z", true, &[9.0, 9.0, 9.0, 1.0]),
        ];
        let et = hb(None, Some(9), Some(2), 3.0);
        let got = prune(&with_strict(et.clone(), true), Goal::Minimize, &runs);
        assert_eq!(names(&got), ["z"]);
        assert_eq!((got[0].value, got[0].threshold), (9.0, 6.0));
        assert!(prune(&with_strict(et, false), Goal::Minimize, &runs).is_empty());
    }

    #[test]
    fn hyperband_relaxed_wandb_eta_3_and_maximize() {
        // W&B test_eta_3 (strict false): bands [1, 3], r = 1/3.
        // Band 1: [9, 11, 10, 10, 10] sorted [9, 10, 10, 10, 11][int(5/3) = 1] = 10.
        // Band 3: c 3, d 4, e 6 → [3, 4, 6][1] = 4.
        // b: best 11 > 10 stops; c: best 3 ≤ 4; d: 4 = 4 survives; e: best 6 > 4 stops.
        let et = with_strict(hb(None, Some(9), Some(2), 3.0), false);
        let hist: [&[f64]; 5] = [
            &[9.0, 8.0],
            &[11.0, 11.0],
            &[10.0, 8.0, 3.0],
            &[10.0, 7.0, 4.0],
            &[10.0, 6.0, 6.0],
        ];
        let state = [false, true, true, true, true];
        let named = ["a", "b", "c", "d", "e"];
        let runs: Vec<RunView> = (0..5).map(|i| run(named[i], state[i], hist[i])).collect();
        let got = prune(&et, Goal::Minimize, &runs);
        assert_eq!(names(&got), ["b", "e"]);
        assert_eq!((got[1].value, got[1].threshold), (6.0, 4.0));
        // test_eta_3_max: the values negated, with goal maximize, stop the same runs (W&B
        // negates the values); value and threshold come back in the metric's sign.
        let negated: Vec<Vec<f64>> = hist
            .iter()
            .map(|h| h.iter().map(|v| -v).collect())
            .collect();
        let runs: Vec<RunView> = (0..5)
            .map(|i| run(named[i], state[i], &negated[i]))
            .collect();
        let got = prune(&et, Goal::Maximize, &runs);
        assert_eq!(names(&got), ["b", "e"]);
        assert_eq!((got[1].value, got[1].threshold), (-6.0, -4.0));
        // And under minimize those negated values would stop other runs.
        assert_ne!(names(&prune(&et, Goal::Minimize, &runs)), ["b", "e"]);
    }

    #[test]
    fn hyperband_ignores_invalid_values() {
        // Bands [2, 4, …] (min_iter 2, eta 2). b's only valid value is 1: it has one
        // iteration, reaches no band and is not judged, although its raw history has four
        // entries. b2's valid values [1, 1] reach band 2: [0, 0, 1][int(1.5) = 1] = 0 < 1.
        let et = hb(Some(2), None, None, 2.0);
        let runs = [
            run("a", false, &[0.0, 0.0, 0.0, 0.0]),
            run("c", false, &[0.0, NAN, 0.0, 0.0]),
            run("b", true, &[NAN, NAN, f64::INFINITY, 1.0]),
            run("b2", true, &[1.0, NAN, 1.0]),
            run("empty", true, &[NAN, NAN, NAN]),
        ];
        let got = prune(&et, Goal::Minimize, &runs);
        assert_eq!(names(&got), ["b2"]);
        assert_eq!(
            (got[0].iteration, got[0].value, got[0].threshold),
            (2, 1.0, 0.0)
        );
        // W&B test_hyperband_runs_with_nan_metrics: one valid value then NaNs, against
        // finished runs, bands [33, 100]: nothing to stop.
        let et = hb(None, Some(300), Some(2), 3.0);
        let mut nan_run = vec![19.7];
        nan_run.extend([NAN; 56]);
        let done: Vec<f64> = (0..61).map(|i| 6.0 - f64::from(i) * 0.03).collect();
        let runs = [run("c", true, &nan_run), run("d", false, &done)];
        assert!(prune(&et, Goal::Minimize, &runs).is_empty());
    }

    #[test]
    fn finished_runs_are_never_stopped() {
        // The worst run at every band is not running: nothing to stop, under every rule.
        let worst = [100.0, 100.0, 100.0, 100.0];
        let good = [1.0, 1.0, 1.0, 1.0];
        let runs = [
            run("good1", true, &good),
            run("good2", true, &good),
            run("good3", false, &good),
            run("worst", false, &worst),
        ];
        let rules = [
            hb(Some(1), None, None, 2.0),
            with_strict(hb(Some(1), None, None, 2.0), false),
            EarlyTerminate::Asha {
                min_iter: 1,
                eta: 2.0,
                max_iter: None,
            },
            EarlyTerminate::Median {
                min_iter: 1,
                min_runs: 1,
            },
        ];
        for et in &rules {
            assert!(prune(et, Goal::Minimize, &runs).is_empty(), "{et:?}");
            // The same run, running, is stopped: the test can fail.
            let mut running = runs;
            running[3].running = true;
            assert_eq!(
                names(&prune(et, Goal::Minimize, &running)),
                ["worst"],
                "{et:?}"
            );
        }
    }

    #[test]
    fn asha_keeps_the_top_of_each_rung() {
        // Rungs 1, 2, 4, 8, … (min_iter 1, eta 2).
        // Rung 1, values A 4, B 5, C 6, D 3, E 2: n = 5, keep max(1, 5/2) = 2, threshold is
        //   the 2nd best, 3; D (highest rung 1) has 3: a tie, kept.
        // Rung 2, values A 3, B 4, C 5, E 3: keep 2, threshold 3; C (highest rung 2) has
        //   5 > 3: stopped.
        // Rung 4, values A 1, B 3, E 6: keep max(1, 1) = 1, threshold 1; E (highest rung 4)
        //   has 6 > 1: stopped, although its best so far (2) led rung 1.
        let runs = [
            run("A", false, &[4.0, 3.0, 2.0, 1.0]),
            run("B", false, &[5.0, 4.0, 3.0, 3.0]),
            run("C", true, &[6.0, 5.0]),
            run("D", true, &[3.0]),
            run("E", true, &[2.0, 3.0, 6.0, 6.0, 6.0]),
        ];
        let asha = |max_iter| EarlyTerminate::Asha {
            min_iter: 1,
            eta: 2.0,
            max_iter,
        };
        let got = prune(&asha(None), Goal::Minimize, &runs);
        assert_eq!(
            got,
            [
                PruneDecision {
                    name: "C".into(),
                    rule: "asha",
                    bands: vec![1.0, 2.0, 4.0],
                    thresholds: vec![Some(3.0), Some(3.0), Some(1.0)],
                    iteration: 2,
                    value: 5.0,
                    threshold: 3.0,
                },
                PruneDecision {
                    name: "E".into(),
                    rule: "asha",
                    bands: vec![1.0, 2.0, 4.0],
                    thresholds: vec![Some(3.0), Some(3.0), Some(1.0)],
                    iteration: 4,
                    value: 6.0,
                    threshold: 1.0,
                },
            ]
        );
        // max_iter 5 keeps rung 4; max_iter 4 removes it, so E is judged at rung 2, where its
        // 3 ties the threshold 3: kept.
        assert_eq!(
            names(&prune(&asha(Some(5)), Goal::Minimize, &runs)),
            ["C", "E"]
        );
        assert_eq!(names(&prune(&asha(Some(4)), Goal::Minimize, &runs)), ["C"]);
        // Maximize: the values negated give the same decisions, reported in their sign.
        let negated: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| r.history.iter().map(|v| -v).collect())
            .collect();
        let flipped: Vec<RunView> = runs
            .iter()
            .zip(&negated)
            .map(|(r, h)| run(r.name, r.running, h))
            .collect();
        let got = prune(&asha(None), Goal::Maximize, &flipped);
        assert_eq!(names(&got), ["C", "E"]);
        assert_eq!((got[0].value, got[0].threshold), (-5.0, -3.0));
    }

    #[test]
    fn asha_min_iter_lone_runs_and_fractional_eta() {
        // Rungs 2, 6, 18 (min_iter 2, eta 3). Q has one value: not judged. R at rung 2:
        // values P 1, R 9, n = 2, keep max(1, 0) = 1: threshold 1, R stopped.
        let et = EarlyTerminate::Asha {
            min_iter: 2,
            eta: 3.0,
            max_iter: None,
        };
        let runs = [
            run("P", false, &[1.0, 1.0, 1.0]),
            run("Q", true, &[9.0]),
            run("R", true, &[9.0, 9.0]),
        ];
        let got = prune(&et, Goal::Minimize, &runs);
        assert_eq!(names(&got), ["R"]);
        assert_eq!((got[0].iteration, got[0].threshold), (2, 1.0));
        assert_eq!(got[0].bands, [2.0]);
        // A lone run, however bad, is never stopped.
        assert!(prune(&et, Goal::Minimize, &[run("R", true, &[9.0; 20])]).is_empty());
        // eta 1.5 from 1: 1, 1.5 → 1 (kept once), 2.25 → 2, 3.375 → 3, 5.06 → 5, 7.59 → 7.
        // S has 6 values: rungs 1, 2, 3, 5 reached, judged at 5 against T (0 there); T's 8
        // values reach rung 7 too, so the rungs listed go to 7.
        let et = EarlyTerminate::Asha {
            min_iter: 1,
            eta: 1.5,
            max_iter: None,
        };
        let runs = [run("T", false, &[0.0; 8]), run("S", true, &[1.0; 6])];
        let got = prune(&et, Goal::Minimize, &runs);
        assert_eq!(names(&got), ["S"]);
        assert_eq!(got[0].bands, [1.0, 2.0, 3.0, 5.0, 7.0]);
        assert_eq!(got[0].iteration, 5);
    }

    #[test]
    fn median_compares_the_best_with_the_others_running_averages() {
        // min_iter 2, min_runs 2 (minimize).
        // D (t = 3): others with ≥ 3 values: A avg(4, 2, 2) = 8/3, B avg(6, 4, 2) = 4;
        //   median (8/3 + 4)/2 = 10/3; D's best 5 > 10/3: stopped.
        // E (t = 1 < min_iter): not judged.
        // F (t = 2): others A 3, B 5, C 8, D 5, G 7, K 4.6 → sorted [3, 4.6, 5, 5, 7, 8],
        //   median 5; F's best 2 ≤ 5: kept (its own running average, 5.5, would be worse).
        // G (t = 2): others A 3, B 5, C 8, D 5, F 5.5, K 4.6 → [3, 4.6, 5, 5, 5.5, 8],
        //   median 5; G's best 7 > 5: stopped.
        // K (t = 2): others A 3, B 5, C 8, D 5, F 5.5, G 7 → [3, 5, 5, 5.5, 7, 8], median
        //   5.25; K's best 4.6 ≤ 5.25: kept (against the others' best values,
        //   [2, 2, 4, 5, 7, 8] with median 4.5, it would have been stopped).
        // C crashed (not running) with the worst values: never stopped.
        let runs = [
            run("A", false, &[4.0, 2.0, 2.0, 2.0]),
            run("B", false, &[6.0, 4.0, 2.0, 0.0]),
            run("C", false, &[8.0, 8.0]),
            run("D", true, &[5.0, 5.0, 5.0]),
            run("E", true, &[3.0]),
            run("F", true, &[9.0, 2.0]),
            run("G", true, &[7.0, 7.0]),
            run("K", true, &[4.6, 4.6]),
        ];
        let median_rule = |min_iter, min_runs| EarlyTerminate::Median { min_iter, min_runs };
        let got = prune(&median_rule(2, 2), Goal::Minimize, &runs);
        assert_eq!(names(&got), ["D", "G"]);
        assert_eq!(
            (got[0].rule, got[0].iteration, got[0].value),
            ("median", 3, 5.0)
        );
        assert!(close(got[0].threshold, 10.0 / 3.0), "{}", got[0].threshold);
        assert_eq!(got[0].bands, [3.0]);
        assert_eq!(
            (got[1].iteration, got[1].value, got[1].threshold),
            (2, 7.0, 5.0)
        );
        // min_runs 3: D has only two others at t = 3, so it is not judged; G has six.
        assert_eq!(
            names(&prune(&median_rule(2, 3), Goal::Minimize, &runs)),
            ["G"]
        );
        // min_iter 1 judges E too: others' first values [4, 6, 8, 5, 9, 7, 4.6], median 6;
        // E's 3 ≤ 6: kept.
        assert_eq!(
            names(&prune(&median_rule(1, 2), Goal::Minimize, &runs)),
            ["D", "G"]
        );
        // min_iter 4 judges nobody (no running run has 4 values).
        assert!(prune(&median_rule(4, 1), Goal::Minimize, &runs).is_empty());
        // Maximize on negated values: same runs, values in the metric's sign.
        let negated: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| r.history.iter().map(|v| -v).collect())
            .collect();
        let flipped: Vec<RunView> = runs
            .iter()
            .zip(&negated)
            .map(|(r, h)| run(r.name, r.running, h))
            .collect();
        let got = prune(&median_rule(2, 2), Goal::Maximize, &flipped);
        assert_eq!(names(&got), ["D", "G"]);
        assert_eq!(got[0].value, -5.0);
        assert!(close(got[0].threshold, -10.0 / 3.0));
    }

    #[test]
    fn median_ties_lone_runs_and_invalid_values() {
        let et = EarlyTerminate::Median {
            min_iter: 1,
            min_runs: 1,
        };
        // X's best 2 equals the median 2 of the others' averages: kept.
        let runs = [
            run("X", true, &[2.0, 2.0]),
            run("Y", false, &[2.0, 2.0]),
            run("Z", false, &[3.0, 1.0]),
        ];
        assert!(prune(&et, Goal::Minimize, &runs).is_empty());
        // Alone, even with min_runs 0, nobody to compare with: kept.
        let zero = EarlyTerminate::Median {
            min_iter: 1,
            min_runs: 0,
        };
        assert!(prune(&zero, Goal::Minimize, &[run("X", true, &[9.0, 9.0])]).is_empty());
        // NaN values are not iterations: W has one valid value, compared at t = 1 with Y's
        // first value 2 (not with Y's average over two values): 2.5 > 2, stopped at t = 1.
        let runs = [
            run("W", true, &[NAN, 2.5, NAN]),
            run("Y", false, &[2.0, 2.0]),
        ];
        let got = prune(&et, Goal::Minimize, &runs);
        assert_eq!(names(&got), ["W"]);
        assert_eq!((got[0].iteration, got[0].threshold), (1, 2.0));
    }

    #[test]
    fn rules_deserialize_with_their_defaults() {
        let parse = |v: serde_json::Value| serde_json::from_value::<EarlyTerminate>(v).ok();
        assert_eq!(
            parse(serde_json::json!({"type": "asha"})),
            Some(EarlyTerminate::Asha {
                min_iter: 1,
                eta: 3.0,
                max_iter: None
            })
        );
        assert_eq!(
            parse(serde_json::json!({"type": "median", "min_iter": 4})),
            Some(EarlyTerminate::Median {
                min_iter: 4,
                min_runs: 3
            })
        );
        assert_eq!(
            parse(serde_json::json!({"type": "hyperband", "min_iter": 3})),
            Some(hb(Some(3), None, None, 3.0))
        );
        assert_eq!(parse(serde_json::json!({"type": "pbt"})), None);
    }

    #[test]
    fn decisions_serialize_with_their_fields() {
        let d = PruneDecision {
            name: "r".into(),
            rule: "hyperband",
            bands: vec![2.0, 6.0],
            thresholds: vec![Some(0.5), None],
            iteration: 2,
            value: 1.5,
            threshold: 0.5,
        };
        let v = serde_json::to_value(&d).unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({"name": "r", "rule": "hyperband", "bands": [2, 6],
                "thresholds": [0.5, null], "iteration": 2, "value": 1.5, "threshold": 0.5})
        );
        assert!(v["bands"][0].is_u64());
    }
}
