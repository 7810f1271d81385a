//! Bayesian optimisation (`method: bayes`): a Gaussian process with a Matérn 5/2 ARD kernel
//! and log expected improvement. Pure and deterministic: the suggestion is a function of
//! the spec, the observations, the seed and the position.
//!
//! The steps of [`suggest_bayes`]:
//!
//! 1. **Space.** Each non-constant param is one coordinate (see `space`): numeric params in
//!    `[0, 1]` through their distribution's CDF (log kinds are linear in the log), integers
//!    and `q_*` kinds rounded, categoricals as an index compared with a Hamming distance.
//! 2. **Startup.** The first `max(3, d + 1)` positions (`d` coordinates), and any position
//!    with fewer than two finite finished values, take the random sampler's suggestion for
//!    the same `(seed, position)` ([`crate::sample_random`]); in a purely categorical/integer
//!    space an already observed point is replaced by an unseen random one.
//! 3. **Values.** Minimised internally (`goal: maximize` negates). NaN values are dropped
//!    (the point still counts as observed); `±inf` become the worst/best finite value. The
//!    values are warped by `ln(1 + (v - min) / s)` (`s` the mean distance from the
//!    minimum), which tames objectives whose bad values are orders of magnitude off and
//!    keeps their order, then scaled to unit variance and centred on the *worst* value: the
//!    prior mean is pessimistic, so regions far from every observation are not assumed to
//!    be average, and the search does not chase the corners of the space.
//! 4. **Pending runs** (`value: None`, other workers' runs still running) are believed to
//!    score what the model of the finished runs predicts at their point less half a
//!    standard deviation (an optimistic kriging believer): the posterior variance collapses
//!    there, so parallel workers spread out, while the region a pending run explores stays
//!    attractive and the posterior mean is left nearly as the finished runs make it. They shape the
//!    posterior but not the fitted hyperparameters. Chosen by measurement over the constant
//!    liars (worst value: 4 workers up to 4,000 times worse than one; best value: behind
//!    TPE on 4 of 5 functions): `BENCHMARKS.md`, "Parallel search". A running run whose
//!    spec says `impute_while_running: worst/best/latest` arrives with that value already
//!    imputed ([`crate::observations`]), not as pending.
//! 5. **Model.** Length scales, signal and noise variance are the MAP under log-normal
//!    priors (Nelder–Mead in log space, two starts), fitted on at most 64 finished runs
//!    (the 32 best and the 32 most recent); the posterior is conditioned on at most 128
//!    (the 64 best and the 64 most recent). The fit depends on the finished runs only and
//!    is remembered by the process, so the suggestions of a batch or of parallel workers,
//!    which differ by pending runs, share it.
//!    From 64 finished runs on, the hyperparameters are refitted every 6 runs (on the runs
//!    up to that mark), each refit 50 Nelder–Mead evaluations starting from the previous
//!    mark's fit (a chain that is a function of the runs alone, see `mid_fit`), and the
//!    acquisition scores 768 random candidates instead of up to 3,000: a suggestion at 100
//!    runs takes about 2.4 ms, 3.6 ms on average between 100 and 200 runs (`BENCHMARKS.md`,
//!    where the variants tried are listed).
//! 6. **Long sweeps.** From 200 finished runs on, a suggestion must stay cheap (about
//!    0.5 ms at 1,000 runs, see `BENCHMARKS.md`): the posterior is a local model of the 24
//!    best and 24 most recent runs (and at most 16 pending), the hyperparameters are
//!    refitted only every 32 finished runs (on the runs up to that mark, so the suggestions
//!    in between share one remembered fit), and the acquisition search looks mostly around
//!    the incumbents. The runs' coordinates are encoded into one buffer and the kernel is
//!    evaluated for many candidates at once. When the best has not improved for 64 runs
//!    the search restarts: random points, then a model of the restart's own runs (its fit
//!    refreshed every 8), for 64 runs at a time until a restart beats the best.
//! 7. **Acquisition.** Log EI over the incumbent, maximised by scoring random points and
//!    perturbations of the best observed points, then refining the best five (see `acq`).
//!    Observed points are never re-suggested while the search finds an unseen one; a purely
//!    categorical/integer space is searched exhaustively (up to 2^20 points) before a repeat.
//! 8. **Exploitation.** Below 200 finished runs, once the best has not improved by a
//!    thousandth of the values' range for 5 runs, every third suggestion (by position) is
//!    the lowest posterior mean found from the incumbent instead of the highest log EI (with
//!    other workers' runs pending: any suggestion, while none of them is near that point):
//!    EI keeps asking for points with some variance around a basin the model has already
//!    pinned down, and refines its minimum slowly (Hartmann6 at 100 trials, session 10:
//!    median regret 1.4e-4 with EI alone, 6.6e-6 with this step; `BENCHMARKS.md`).
//! 9. **Another basin.** From 25 finished runs, below 200, with no run pending, in a space
//!    too large to enumerate, once the best has also stalled by step 8's rule and the model
//!    expects less than 3e-4 of the standardised values' range below the incumbent near it, three of every four suggestions (by
//!    position) go to the best other basin (see `basin`): basins are told apart by the
//!    posterior mean rising between two points, another basin is searched in a box around
//!    its best run with a model of its own nearby runs, and the step goes back to the
//!    incumbent's search when that local search stops improving or no other basin is
//!    found. A search otherwise ends in the first deep basin it descends (Hartmann6: 6 of
//!    20 seeds at the local optimum, 1 with this step; `BENCHMARKS.md`).

mod acq;
mod basin;
mod gp;
mod space;

use crate::{SearchError, random::sample_random};
pub(crate) use acq::splitmix64;
use acq::{Acquisition, Rng, Seen, key, random_point};
pub use gp::FitMemo;
use gp::Gp;
use space::{Kind, Space};
use sweep_core::{Goal, Params, SweepSpec};

/// One run as the Bayesian sampler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The run's params, by dotted name. A run missing a param, or holding a value the
    /// param cannot take, is ignored.
    pub params: Params,
    /// The run's metric value as W&B defines it: for a finished run its best logged value
    /// by the goal; for a failed run, and for a running run whose spec names an
    /// `impute_while_running` value, the value [`crate::observations`] imputes. `None` is a
    /// pending run (running, with `impute_while_running: false`), which the sampler treats
    /// as a constant lie. A NaN value counts as observed but carries no information.
    pub value: Option<f64>,
}

/// Whether `a` and `b` are one point to the sampler of `spec`: within `tol` of each other on
/// every coordinate of its unit cube (each numeric param through its distribution's CDF,
/// after the rounding its kind implies; a categorical param must hold the same value).
/// False when either lacks a param or holds a value the param cannot take.
///
/// A worker that computed a proposal before other workers' claims came in asks this of
/// each run it did not know of (`sweep_exec::Claimer`): a proposal that is no such run's
/// point is still one the sampler would make, with one fewer run pending.
pub fn near(spec: &SweepSpec, a: &Params, b: &Params, tol: f64) -> bool {
    let space = Space::new(&spec.parameters);
    let d = space.len();
    let mut x = Vec::with_capacity(2 * d);
    if !space.encode_into(a, &mut x) || !space.encode_into(b, &mut x) {
        return false;
    }
    let (xa, xb) = x.split_at_mut(d);
    space.snap(xa);
    space.snap(xb);
    space
        .dims
        .iter()
        .zip(xa.iter().zip(xb.iter()))
        .all(|(dim, (u, v))| match dim.kind {
            Kind::Categorical(_) => u == v,
            _ => (u - v).abs() <= tol,
        })
}

/// A search that has not improved its best by more than [`EXPLOIT_TOLERANCE`] of the
/// values' range for [`EXPLOIT_STALL`] finished runs (from [`EXPLOIT_FROM`] finished runs,
/// below [`LEAN_FROM`]) takes every [`EXPLOIT_EVERY`]-th suggestion at the lowest posterior
/// mean found in [`EXPLOIT_STEPS`] steps from the incumbent (with runs pending, any
/// suggestion while no pending run is near that point). On the benchmark protocol this
/// took Hartmann6's median regret at 100 trials from 1.4e-4 to 6.6e-6 and Ackley5's from
/// 2.5 to 1.3 in session 10 (`BENCHMARKS.md`, issue 19).
const EXPLOIT_FROM: usize = 10;
const EXPLOIT_STALL: usize = 5;
const EXPLOIT_TOLERANCE: f64 = 1e-3;
const EXPLOIT_EVERY: u64 = 3;
const EXPLOIT_STEPS: usize = 300;
/// A pending run within this distance of a scheduled exploitation step's point on every
/// coordinate of the unit cube (a category must match) makes the step an EI step.
const EXPLOIT_PENDING_SAME: f64 = 3e-4;
/// The same for the exploitation steps taken between scheduled ones while runs are
/// pending: a pending run this near is taken for the exploitation run in flight.
const EXPLOIT_PENDING_NEAR: f64 = 0.1;

/// The search for a better basin (`basin`): from [`SECOND_FROM`] finished runs, below
/// [`LEAN_FROM`], with no runs pending, in a space too large to enumerate
/// ([`acq::ENUMERATE_LIMIT`]), once the best has not improved by [`EXPLOIT_TOLERANCE`] of
/// the values' range for [`EXPLOIT_STALL`] runs and the model expects less than
/// [`SECOND_CONVERGED`] of the standardised (warped) values' range near the incumbent, the
/// first `SECOND_STEPS` positions of every `SECOND_CYCLE` go to it. Hartmann6, 20 seeds: 6
/// stuck at the local optimum without it, 1 with it (`BENCHMARKS.md`, issue 19).
const SECOND_FROM: usize = 25;
const SECOND_CYCLE: u64 = 4;
const SECOND_STEPS: u64 = 3;
const SECOND_CONVERGED: f64 = 3e-4;
/// Salt of the random stream of the convergence test.
const CONVERGED_STREAM: u64 = 0x5b;

/// Where the prior mean sits between the values' mean (0) and their worst (1); on the
/// benchmark protocol 1 beat 0.5, which beat 0 (Ackley most of all).
const PESSIMISM: f64 = 1.0;

/// Standard deviations below the model's mean that a pending run is believed to reach
/// (the kriging believer's lie); 0.5 measured ahead of TPE on every cell of the parallel
/// benchmark, 0 on 69 of 70.
const BELIEVER_OPTIMISM: f64 = 0.5;

/// How much work one suggestion does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// Finished runs the model is conditioned on at most (the best half and the most
    /// recent of the rest).
    pub model: usize,
    /// Pending runs the posterior includes at most (the most recent).
    pub pending: usize,
    /// Finished runs the hyperparameters are fitted on at most.
    pub fit_points: usize,
    /// Nelder–Mead evaluations for the hyperparameters, in all.
    pub fit_evals: usize,
    /// Uniform random candidates of the acquisition search (`None`: `512 + 256·d`, at
    /// most 3,000).
    pub random: Option<usize>,
    /// Incumbents perturbed, and perturbations of each.
    pub incumbents: usize,
    pub perturbations: usize,
    /// Best candidates refined, and steps of each refinement.
    pub refined: usize,
    pub refine_steps: usize,
}

/// Up to [`LEAN_FROM`] finished runs: the model that wins the benchmark protocol.
const FULL: Budget = Budget {
    model: 128,
    pending: 64,
    fit_points: 64,
    fit_evals: 200,
    random: None,
    incumbents: 5,
    perturbations: 64,
    refined: 5,
    refine_steps: 40,
};

/// From [`MID_FROM`] to [`LEAN_FROM`] finished runs: the full model, searched with fewer
/// random candidates and refitted every [`MID_REFIT_EVERY`] runs by a short warm refit,
/// so that a suggestion stays under 5 ms (`BENCHMARKS.md`, "Parallel search").
const MID: Budget = Budget {
    model: 128,
    random: Some(768),
    ..FULL
};

/// Finished runs from which a suggestion uses the [`MID`] budget.
const MID_FROM: usize = 64;
/// With the [`MID`] budget, the hyperparameters are refitted every this many finished runs
/// (on the runs up to that mark, as the lean budget does).
const MID_REFIT_EVERY: usize = 6;
/// Nelder–Mead evaluations of a mid-size refit, which starts from the previous mark's fit.
const MID_WARM_EVALS: usize = 50;

/// From [`LEAN_FROM`] finished runs on, a sweep has converged on its good regions and one
/// suggestion must stay cheap (≤ 1 ms at 1,000 runs): a local model of the best and most
/// recent runs, searched mostly around the incumbents.
const LEAN: Budget = Budget {
    model: 48,
    pending: 16,
    fit_points: 32,
    fit_evals: 120,
    random: Some(96),
    incumbents: 3,
    perturbations: 32,
    refined: 2,
    refine_steps: 24,
};

/// Finished runs from which a suggestion uses the [`LEAN`] budget.
const LEAN_FROM: usize = 200;
/// With the [`LEAN`] budget, the hyperparameters are refitted every this many finished runs.
const REFIT_EVERY: usize = 32;
/// Finished runs without a new best after which a long sweep restarts its search, and the
/// length of each restart.
const STALL: usize = 64;
/// In a restart, the hyperparameters are refitted every this many of its runs.
const RESTART_REFIT_EVERY: usize = 8;

/// The next params of a `method: bayes` sweep, given every run it has (finished, failed
/// and pending), the sweep's seed and the position of this suggestion (the number of runs
/// the sweep already has, for a sequential sweep). A driver that suggests many times
/// keeps a [`crate::Searcher`], which remembers hyperparameter fits between calls.
pub fn suggest_bayes(
    spec: &SweepSpec,
    observations: &[Observation],
    seed: u64,
    position: u64,
) -> Result<Params, SearchError> {
    suggest_bayes_with(&mut FitMemo::default(), spec, observations, seed, position)
}

/// [`suggest_bayes`] with the fits remembered in `memo`.
pub(crate) fn suggest_bayes_with(
    memo: &mut FitMemo,
    spec: &SweepSpec,
    observations: &[Observation],
    seed: u64,
    position: u64,
) -> Result<Params, SearchError> {
    let space = Space::new(&spec.parameters);
    let d = space.len();
    if d == 0 {
        return Ok(sample_random(&spec.parameters, seed, position));
    }
    let mut rng = Rng::new(seed, position);
    let goal = spec.metric.as_ref().map_or(Goal::Minimize, |m| m.goal);
    let sign = if goal == Goal::Maximize { -1.0 } else { 1.0 };

    // Every run's coordinates in one buffer (run `i` at `i·d`), snapped: this runs for
    // every run on every suggestion, so it allocates once.
    let mut seen = Seen::with_capacity_and_hasher(observations.len(), Default::default());
    let mut coords: Vec<f64> = Vec::with_capacity(observations.len() * d);
    let mut finished: Vec<(usize, f64)> = Vec::with_capacity(observations.len());
    let mut pending: Vec<usize> = Vec::new();
    for obs in observations {
        let start = coords.len();
        if !space.encode_into(&obs.params, &mut coords) {
            coords.truncate(start);
            continue;
        }
        space.snap(&mut coords[start..]);
        seen.insert(key(&coords[start..]));
        let i = start / d;
        match obs.value {
            None => pending.push(i),
            Some(v) if v.is_nan() => {}
            Some(v) => finished.push((i, sign * v)),
        }
    }
    let point = |i: usize| coords[i * d..(i + 1) * d].to_vec();
    let finite = finished.iter().map(|f| f.1).filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let n_finite = finished.iter().filter(|f| f.1.is_finite()).count();
    let startup = 3.max(d + 1) as u64;
    if position < startup || n_finite < 2 {
        return Ok(startup_point(spec, &space, &seen, seed, position, &mut rng));
    }
    for f in &mut finished {
        f.1 = f.1.clamp(lo, hi);
    }
    let lean = finished.len() >= LEAN_FROM;
    let budget = if lean {
        LEAN
    } else if finished.len() >= MID_FROM {
        MID
    } else {
        FULL
    };
    // A long sweep whose best has not improved for `STALL` runs restarts: the search
    // starts afresh (random points, then a model of its own runs only) every `STALL` runs
    // until it beats the best, which then takes over again.
    let restart = if lean {
        restart_start(&finished.iter().map(|f| f.1).collect::<Vec<_>>())
    } else {
        None
    };
    if let Some(start) = restart {
        if finished.len() - start < startup as usize {
            return Ok(startup_point(spec, &space, &seen, seed, position, &mut rng));
        }
        finished.drain(..start);
    }
    let cat: Vec<bool> = space
        .dims
        .iter()
        .map(|dim| matches!(dim.kind, Kind::Categorical(_)))
        .collect();
    // The hyperparameters depend on the finished runs only, so suggestions that differ by
    // pending runs (a batch, parallel workers) share one fit, remembered in `memo`.
    // Those of a long sweep change slowly: they are fitted on the first runs of the sweep
    // up to a multiple of `REFIT_EVERY`, so its suggestions between two marks share one.
    let fitted = if restart.is_some() {
        (finished.len() / RESTART_REFIT_EVERY * RESTART_REFIT_EVERY).max(startup as usize)
    } else if lean {
        LEAN_FROM + (finished.len() - LEAN_FROM) / REFIT_EVERY * REFIT_EVERY
    } else {
        let n = finished.len();
        if n >= MID_FROM {
            MID_FROM + (n - MID_FROM) / MID_REFIT_EVERY * MID_REFIT_EVERY
        } else {
            n
        }
    };
    let hyper = if !lean && restart.is_none() && finished.len() >= MID_FROM {
        mid_fit(memo, &finished, &point, &cat, fitted)
    } else {
        let (x_fit, y_fit) = fit_set(&finished[..fitted], &point, budget.fit_points);
        Gp::fit_hyper_cached(memo, &x_fit, &y_fit, &cat, budget.fit_evals)
    };
    let Some(hyper) = hyper else {
        return Ok(startup_point(spec, &space, &seen, seed, position, &mut rng));
    };

    // Keep the best and the most recent points when there are too many.
    let values: Vec<f64> = finished.iter().map(|f| f.1).collect();
    let keep = best_and_recent(&values, budget.model);
    if pending.len() > budget.pending {
        pending.drain(..pending.len() - budget.pending);
    }
    let y = standardize(&warp(&keep.iter().map(|&i| values[i]).collect::<Vec<_>>()));
    let x: Vec<Vec<f64>> = keep.iter().map(|&i| point(finished[i].0)).collect();
    let best = y.iter().copied().fold(f64::INFINITY, f64::min);
    // Pending runs: an optimistic kriging believer. Each is told what the model of the
    // finished runs believes at its point, less [`BELIEVER_OPTIMISM`] standard deviations,
    // so the posterior variance there collapses (the next suggestion goes elsewhere) while
    // the region a pending run explores stays as attractive as it was. The worst value as
    // the lie (the former rule) poisoned the model around every pending point (4 workers
    // were up to 4,000 times worse than one); the plain mean let 8 workers drift away from
    // the incumbent's basin (Ackley behind TPE at 50 trials). BENCHMARKS.md, "Parallel
    // search".
    let mut x_post = x.clone();
    let mut y_post = y.clone();
    if !pending.is_empty() {
        let Some(finished_only) = Gp::condition(&hyper, &x, &y, &cat) else {
            return Ok(startup_point(spec, &space, &seen, seed, position, &mut rng));
        };
        let points: Vec<Vec<f64>> = pending.iter().map(|&i| point(i)).collect();
        let refs: Vec<&[f64]> = points.iter().map(Vec::as_slice).collect();
        let mut beliefs = Vec::with_capacity(points.len());
        finished_only.predict_batch(&refs, &mut beliefs);
        for (p, (mean, var)) in points.into_iter().zip(beliefs) {
            x_post.push(p);
            y_post.push(mean - BELIEVER_OPTIMISM * var.sqrt());
        }
    }
    let Some(gp) = Gp::condition(&hyper, &x_post, &y_post, &cat) else {
        return Ok(startup_point(spec, &space, &seen, seed, position, &mut rng));
    };

    let mut ranked: Vec<usize> = (0..y.len()).collect();
    ranked.sort_by(|&a, &b| y[a].total_cmp(&y[b]).then(a.cmp(&b)));
    let incumbents: Vec<Vec<f64>> = ranked
        .iter()
        .take(budget.incumbents)
        .map(|&i| x[i].clone())
        .collect();
    let acq = Acquisition {
        space: &space,
        gp: &gp,
        best,
        seen: &seen,
        budget,
    };
    // A stalled search takes every `EXPLOIT_EVERY`-th step at the lowest posterior mean
    // near the incumbent rather than at the highest expected improvement, which keeps
    // choosing points with some variance around a basin the model already pins down; it
    // yields to the expected improvement when a pending run is that point already (the
    // model's minimum moves little until runs finish). With other workers' runs pending,
    // any other step exploits too while no pending run is near its point, so that about
    // one exploitation run is in flight.
    // A search whose basin has converged gives three of every four suggestions to the
    // search for a better basin (`basin`), which hands a step back when it has none to
    // offer.
    if restart.is_none()
        && !lean
        && pending.is_empty()
        && finished.len() >= SECOND_FROM
        && position % SECOND_CYCLE < SECOND_STEPS
        && space.discrete_size(acq::ENUMERATE_LIMIT).is_none()
        && runs_since_improvement(&values, EXPLOIT_TOLERANCE).is_some_and(|n| n >= EXPLOIT_STALL)
        && converged(
            &acq,
            &incumbents[0],
            y.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            seed,
            position,
        )
    {
        let kept: Vec<f64> = keep.iter().map(|&i| values[i]).collect();
        let basins = basin::Basins {
            space: &space,
            gp: &gp,
            x: &x,
            y: &y,
            values: &kept,
            ranked: &ranked,
            seen: &seen,
            cat: &cat,
            budget,
        };
        if let Some(p) = basins.suggest(&mut rng) {
            return Ok(space.decode(&p));
        }
    }
    let scheduled = position.is_multiple_of(EXPLOIT_EVERY);
    let exploit = restart.is_none()
        && !lean
        && finished.len() >= EXPLOIT_FROM
        && (scheduled || !pending.is_empty())
        && runs_since_improvement(&values, EXPLOIT_TOLERANCE).is_some_and(|n| n >= EXPLOIT_STALL);
    let radius = if scheduled {
        EXPLOIT_PENDING_SAME
    } else {
        EXPLOIT_PENDING_NEAR
    };
    if exploit
        && let Some(p) = incumbents
            .first()
            .and_then(|x| acq.minimise_mean(x, EXPLOIT_STEPS, &mut rng))
        && !pending.iter().any(|&i| {
            coords[i * d..(i + 1) * d]
                .iter()
                .zip(&p)
                .all(|(a, b)| (a - b).abs() <= radius)
        })
    {
        return Ok(space.decode(&p));
    }
    let point = match acq.maximise(&incumbents, &mut rng) {
        Some(p) => p,
        // Everything the search looked at was seen (an exhausted or nearly exhausted
        // space): a random point, as good as any.
        None => random_point(&space, &mut rng),
    };
    Ok(space.decode(&point))
}

/// Whether the model expects less than [`SECOND_CONVERGED`] of the standardised values'
/// range (`worst` to the incumbent's value) below the incumbent anywhere near it: the lowest posterior mean that
/// [`EXPLOIT_STEPS`] steps from the incumbent find (on a random stream of its own, so that
/// asking leaves the suggestion's stream as it was).
fn converged(
    acq: &Acquisition<'_, '_>,
    incumbent: &[f64],
    worst: f64,
    seed: u64,
    position: u64,
) -> bool {
    let mut rng = Rng::new(seed ^ CONVERGED_STREAM, position);
    let mut row = Vec::new();
    let lowest = acq
        .minimise_mean(incumbent, EXPLOIT_STEPS, &mut rng)
        .map_or(acq.best, |p| acq.gp.mean(&p, &mut row));
    acq.best - lowest < SECOND_CONVERGED * (worst - acq.best)
}

/// The hyperparameters of a mid-size sweep at `mark` finished runs (a multiple of
/// [`MID_REFIT_EVERY`] from [`MID_FROM`]): at [`MID_FROM`] the full fit from the priors;
/// after it, a short refit ([`MID_WARM_EVALS`]) that starts from the fit at the previous
/// mark. A chain, but a function of the first `mark` runs alone, so remembered under a key
/// of those runs and the same in a fresh process (which recomputes at most 23 links).
fn mid_fit(
    memo: &mut FitMemo,
    finished: &[(usize, f64)],
    point: &dyn Fn(usize) -> Vec<f64>,
    cat: &[bool],
    mark: usize,
) -> Option<gp::Hyper> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    "mid-chain".hash(&mut h);
    for &(i, v) in &finished[..mark] {
        point(i).iter().for_each(|c| c.to_bits().hash(&mut h));
        v.to_bits().hash(&mut h);
    }
    cat.hash(&mut h);
    let key = h.finish();
    if let Some(hyper) = memo.get(key) {
        return Some(hyper);
    }
    let (x, y) = fit_set(&finished[..mark], point, MID.fit_points);
    let hyper = if mark <= MID_FROM {
        Gp::fit_hyper(&x, &y, cat, MID.fit_evals)?
    } else {
        let previous = mid_fit(memo, finished, point, cat, mark - MID_REFIT_EVERY)?;
        Gp::fit_hyper_from(&x, &y, cat, &previous, MID_WARM_EVALS)?
    };
    memo.put(key, hyper.clone());
    Some(hyper)
}

/// A monotone compression of large values, `ln(1 + (v - min) / s)` with `s` the mean
/// distance from the minimum: objectives whose bad values are orders of magnitude above the
/// good ones (Rosenbrock, losses that blow up) become nearly stationary, while the order of
/// the values, and so the incumbent, is kept.
fn warp(values: &[f64]) -> Vec<f64> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let s = values.iter().map(|v| v - lo).sum::<f64>() / values.len() as f64;
    if !(s > 0.0 && s.is_finite()) {
        return values.to_vec();
    }
    values.iter().map(|v| ((v - lo) / s).ln_1p()).collect()
}

/// Where the current restart of a stalled search begins (an index into `values`, the
/// finished runs' values in order, lower is better), or `None` while the best improved
/// within the last [`STALL`] runs. Restarts are [`STALL`] runs long, back to back from
/// `STALL` runs after the last improvement; an improvement smaller than a millionth of the
/// values' range does not count.
fn restart_start(values: &[f64]) -> Option<usize> {
    let since = runs_since_improvement(values, 1e-6)?;
    let restarts = since / STALL;
    (restarts >= 1).then(|| values.len() - since + restarts * STALL)
}

/// How many of `values` (the finished runs' values in order, lower is better) came after
/// the last run that improved the best by more than `tolerance` times the values' range;
/// `None` when there are none.
fn runs_since_improvement(values: &[f64], tolerance: f64) -> Option<usize> {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let tol = tolerance * (hi - lo);
    let mut best = f64::INFINITY;
    let mut last = 0;
    for (i, &v) in values.iter().enumerate() {
        if v < best - tol {
            best = v;
            last = i;
        }
    }
    values.len().checked_sub(last + 1)
}

/// The points and standardised values the hyperparameters are fitted on: at most `cap` of
/// the finished `runs` (the best half and the most recent of the rest).
fn fit_set(
    runs: &[(usize, f64)],
    point: &dyn Fn(usize) -> Vec<f64>,
    cap: usize,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let y = standardize(&warp(&runs.iter().map(|r| r.1).collect::<Vec<_>>()));
    let keep = best_and_recent(&y, cap);
    let x_fit = keep.iter().map(|&i| point(runs[i].0)).collect();
    let y_fit = keep.iter().map(|&i| y[i]).collect();
    (x_fit, y_fit)
}

/// Zero mean, unit variance (a constant stays 0).
fn standardize(values: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
    let top = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let centre = mean + PESSIMISM * (top - mean);
    values.iter().map(|v| (v - centre) / sd).collect()
}

/// The indices (ascending) of at most `cap` values: the `cap / 2` lowest and the most
/// recent of the rest.
fn best_and_recent(values: &[f64], cap: usize) -> Vec<usize> {
    let n = values.len();
    if n <= cap {
        return (0..n).collect();
    }
    // A selection, not a sort: this runs over every finished run on every suggestion.
    let half = cap / 2;
    let mut order: Vec<usize> = (0..n).collect();
    if half > 0 {
        order.select_nth_unstable_by(half - 1, |&a, &b| {
            values[a].total_cmp(&values[b]).then(a.cmp(&b))
        });
    }
    let mut chosen = vec![false; n];
    for &i in &order[..half] {
        chosen[i] = true;
    }
    let mut recent = cap - half;
    for i in (0..n).rev() {
        if recent == 0 {
            break;
        }
        if !chosen[i] {
            chosen[i] = true;
            recent -= 1;
        }
    }
    (0..n).filter(|&i| chosen[i]).collect()
}

/// The random sampler's point for `(seed, position)`; in a discrete space, an unseen
/// random point instead of an observed one while one remains.
fn startup_point(
    spec: &SweepSpec,
    space: &Space<'_>,
    seen: &Seen,
    seed: u64,
    position: u64,
    rng: &mut Rng,
) -> Params {
    let params = sample_random(&spec.parameters, seed, position);
    if !space.is_discrete() {
        return params;
    }
    let is_seen = |p: &Params| {
        space.encode(p).is_some_and(|mut x| {
            space.snap(&mut x);
            seen.contains(&key(&x))
        })
    };
    if !is_seen(&params) {
        return params;
    }
    for _ in 0..256 {
        let x = random_point(space, rng);
        if !seen.contains(&key(&x)) {
            return space.decode(&x);
        }
    }
    if let Some(size) = space.discrete_size(acq::EXHAUSTIVE_LIMIT) {
        let unseen: Vec<Vec<f64>> = (0..size)
            .map(|i| space.discrete_point(i))
            .filter(|x| !seen.contains(&key(x)))
            .collect();
        if !unseen.is_empty() {
            return space.decode(&unseen[rng.below(unseen.len())]);
        }
    }
    params
}

#[cfg(test)]
mod tests;
