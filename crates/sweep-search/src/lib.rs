//! Samplers for Sweep: grid, random and Bayesian search, W&B's imputation rules and the
//! early-termination rules, pure and seeded.
//!
//! Everything here is a function of its arguments: no I/O, no store, no clock, no global
//! random state. The same spec, runs and seed give the same suggestion on every machine.
//! What a search driver keeps between suggestions (the Bayesian sampler's memo of fitted
//! hyperparameters) is a value it owns, a [`Searcher`]; a memo hit and a miss give the same
//! suggestion.
//!
//! Semantics follow W&B's own engine (`wandb/sweeps`):
//!
//! - **Order of params.** Params are taken in W&B's order: sorted by their path, level by
//!   level (W&B sorts the keys of each `parameters` block). For params written at the top
//!   level this is plain sorted-name order; see [`ordered_params`].
//! - **Grid.** [`next_grid_point`] walks the Cartesian product with the last param varying
//!   fastest (Python's `itertools.product`), skipping every point some existing run already
//!   has, whatever that run's status. See the `grid` module docs for the value rules.
//! - **Random.** [`sample_random`] gives each param one uniform draw from a PCG stream keyed
//!   by `(seed, position)` and maps it through that param's inverse CDF ([`sample_param`]),
//!   so suggestion *k* never depends on how many were asked for at once.
//! - **Bayes.** [`suggest_bayes`] fits a Gaussian process (Matérn 5/2, one length scale per
//!   param) to the runs' metric values ([`Observation`]) and maximises log expected
//!   improvement; see the `bayes` module docs. [`suggest_with`] serves all three methods.

mod bayes;
mod grid;
mod impute;
mod num;
mod prune;
mod random;

pub use bayes::{FitMemo, Observation, near, suggest_bayes};
pub use grid::{MAX_PARAM_GRID_VALUES, grid_size, grid_values, next_grid_point, next_grid_points};
pub use impute::{RunMetric, RunState, observations};
pub use prune::{PruneDecision, RunView, hyperband_bands, prune};
pub use random::{sample_param, sample_random, uniform_draws};

use sweep_core::{Method, ParamSpec, Params, SweepSpec};

/// Why a sampler could not make a suggestion.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    /// A grid was asked to enumerate a distribution that has no finite list of values.
    #[error(
        "param `{param}` uses the `{distribution}` distribution, which grid search cannot \
         enumerate: a grid takes `value`, `values`, `int_uniform` or `q_uniform` params \
         (list the values you want, or use method `random` or `bayes`)"
    )]
    NotGridEnumerable {
        param: String,
        distribution: &'static str,
    },
    /// One param would expand to more grid values than can be held.
    #[error(
        "param `{param}` ({distribution}) expands to {count} grid values, more than the \
         {limit} a grid can enumerate for one param"
    )]
    ParamTooLarge {
        param: String,
        distribution: &'static str,
        /// The number of values, as computed (may be huge or infinite for a tiny `q`).
        count: f64,
        limit: usize,
    },
    /// The product of the params' value counts does not fit in 128 bits.
    #[error("the grid has more than 2^128 points; it cannot be enumerated")]
    GridTooLarge,
    /// Two params write to the same dotted name, so a run could not hold both.
    #[error("two params share the dotted name `{0}`")]
    DuplicateParam(String),
    /// `method: bayes` was passed to [`suggest`], which sees params but no metric values;
    /// [`suggest_with`] takes the runs' values.
    #[error(
        "method `bayes` needs the runs' metric values: use `suggest_with` with the \
         observations"
    )]
    BayesUnavailable,
}

/// The params in W&B's order: by path, compared component by component.
///
/// W&B sorts the keys of every `parameters` block and flattens nested blocks depth-first,
/// so `optimizer: {parameters: {lr, momentum}}` comes out as `optimizer.lr`,
/// `optimizer.momentum`, and a nested `model` block comes before a top-level key literally
/// named `model.c` (because `"model" < "model.c"`). For params without nesting this is
/// ordinary sorted-name order. The sort is stable, so params with equal paths keep their
/// relative order.
pub fn ordered_params(params: &[ParamSpec]) -> Vec<&ParamSpec> {
    let mut ordered: Vec<&ParamSpec> = params.iter().collect();
    ordered.sort_by(|a, b| a.path.cmp(&b.path));
    ordered
}

/// The next params for a sweep, given the params of every run it already has.
///
/// - `grid`: the first grid point no existing run has ([`next_grid_point`]); `Ok(None)` once
///   the grid is exhausted.
/// - `random`: [`sample_random`] at position `existing.len()`, so that suggesting N runs
///   one at a time (appending each) gives the same runs as positions `len..len + N`.
/// - `bayes`: [`SearchError::BayesUnavailable`] (it needs metric values: [`suggest_with`]).
pub fn suggest(
    spec: &SweepSpec,
    existing: &[Params],
    seed: u64,
) -> Result<Option<Params>, SearchError> {
    match spec.method {
        Method::Grid => next_grid_point(&spec.parameters, existing),
        Method::Random => Ok(Some(sample_random(
            &spec.parameters,
            seed,
            existing.len() as u64,
        ))),
        Method::Bayes => Err(SearchError::BayesUnavailable),
    }
}

/// The next params for a sweep of any method, given every run it already has with its
/// metric value ([`Observation`]); `Ok(None)` once a grid is exhausted. One call with a
/// fresh [`Searcher`]: a driver that suggests many times keeps its own.
pub fn suggest_with(
    spec: &SweepSpec,
    observations: &[Observation],
    seed: u64,
) -> Result<Option<Params>, SearchError> {
    Searcher::default().suggest(spec, observations, seed)
}

/// What one search driver (a sweep's workers in one process, a benchmark loop, a server
/// running many sweeps with one each) keeps between suggestions: the Bayesian sampler's
/// recent hyperparameter fits. A searcher never changes a suggestion, only its cost.
#[derive(Debug, Clone, Default)]
pub struct Searcher {
    fits: FitMemo,
}

impl Searcher {
    pub fn new() -> Self {
        Searcher::default()
    }

    /// The next params given every run so far.
    ///
    /// Grid and random search look only at the params, exactly as [`suggest`] does; `bayes`
    /// is [`suggest_bayes`] at position `observations.len()`. Suggesting N runs one at a
    /// time, each earlier one appended as pending (`value: None`), gives positions
    /// `len..len + N`.
    pub fn suggest(
        &mut self,
        spec: &SweepSpec,
        observations: &[Observation],
        seed: u64,
    ) -> Result<Option<Params>, SearchError> {
        match spec.method {
            Method::Bayes => bayes::suggest_bayes_with(
                &mut self.fits,
                spec,
                observations,
                seed,
                observations.len() as u64,
            )
            .map(Some),
            Method::Grid | Method::Random => {
                let existing: Vec<Params> = observations.iter().map(|o| o.params.clone()).collect();
                suggest(spec, &existing, seed)
            }
        }
    }
}

/// Minimises (or maximises, by the spec's `metric.goal`) `objective` in process: `n_trials`
/// sequential suggestions of the spec's method (ask, evaluate, tell), each counted before
/// the next. Returns every trial's params and value, in order; fewer than `n_trials` when a
/// grid is exhausted. The same loop a sweep runs, without a store or workers, for searching
/// a function from Rust (and for the search benchmark).
pub fn optimize(
    spec: &SweepSpec,
    seed: u64,
    n_trials: usize,
    mut objective: impl FnMut(&Params) -> f64,
) -> Result<Vec<(Params, f64)>, SearchError> {
    let mut observations: Vec<Observation> = Vec::with_capacity(n_trials);
    let mut searcher = Searcher::new();
    for _ in 0..n_trials {
        let Some(params) = searcher.suggest(spec, &observations, seed)? else {
            break;
        };
        let value = objective(&params);
        observations.push(Observation {
            params,
            value: Some(value),
        });
    }
    Ok(observations
        .into_iter()
        .map(|o| (o.params, o.value.unwrap_or(f64::NAN)))
        .collect())
}

/// Which running trial finishes next in [`optimize_parallel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The oldest (trials take equally long).
    Oldest,
    /// One picked by a seeded generator (trials take different times): the index
    /// `splitmix64() % running` with the generator's state starting at
    /// `seed · 1,000,003 + workers` (wrapping), so that another tool (the benchmark's
    /// Optuna script) can replay the same schedule.
    Random,
}

/// SplitMix64: the next value of the generator at `state`, which it advances.
fn splitmix64(state: &mut u64) -> u64 {
    let z = bayes::splitmix64(*state);
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z
}

/// [`optimize`] as `workers` parallel workers drive it: each suggestion is asked while the
/// other workers' runs are still running (given to the sampler as pending), and one running
/// trial finishes at a time, the oldest or a seeded random one ([`Completion`]). A fixed,
/// reproducible schedule of a parallel sweep: the first `workers` suggestions are asked
/// before any value is known, then each finished trial frees its worker for the next
/// suggestion. Returns every trial's params and value in the order they were suggested.
/// With `workers <= 1` this is exactly [`optimize`].
pub fn optimize_parallel(
    spec: &SweepSpec,
    seed: u64,
    n_trials: usize,
    workers: usize,
    completion: Completion,
    mut objective: impl FnMut(&Params) -> f64,
) -> Result<Vec<(Params, f64)>, SearchError> {
    let workers = workers.max(1);
    let mut state = seed.wrapping_mul(1_000_003).wrapping_add(workers as u64);
    let mut observations: Vec<Observation> = Vec::with_capacity(n_trials);
    // Indices of the running trials, oldest first.
    let mut running = std::collections::VecDeque::with_capacity(workers);
    let mut asked = 0;
    let mut searcher = Searcher::new();
    loop {
        while asked < n_trials && running.len() < workers {
            let Some(params) = searcher.suggest(spec, &observations, seed)? else {
                asked = n_trials;
                break;
            };
            running.push_back(observations.len());
            observations.push(Observation {
                params,
                value: None,
            });
            asked += 1;
        }
        if running.is_empty() {
            break;
        }
        let at = match completion {
            Completion::Oldest => 0,
            Completion::Random => (splitmix64(&mut state) % running.len() as u64) as usize,
        };
        let Some(done) = running.remove(at) else {
            break;
        };
        let value = objective(&observations[done].params);
        observations[done].value = Some(value);
    }
    Ok(observations
        .into_iter()
        .map(|o| (o.params, o.value.unwrap_or(f64::NAN)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The random completion order is a contract with `benches/optuna_parallel.py`, which
    /// replays it: SplitMix64's outputs from state `seed · 1,000,003 + workers` (here seed
    /// 0, 2 workers), as that script computes them.
    #[test]
    fn the_completion_generator_is_splitmix64() {
        let mut state = 2;
        let out: Vec<u64> = (0..3).map(|_| splitmix64(&mut state)).collect();
        assert_eq!(
            out,
            [
                10905525725756348110,
                13819372491320860226,
                10987583248141275951
            ]
        );
    }
    use serde_json::json;
    use sweep_core::Distribution;

    fn cat(name: &str, values: serde_json::Value) -> ParamSpec {
        let values = values.as_array().cloned().unwrap_or_default();
        ParamSpec::new(name, Distribution::Categorical { values })
    }

    #[test]
    fn optimize_runs_the_trials_in_order_and_stops_with_the_grid() {
        let spec = SweepSpec::new(Method::Grid, vec![cat("a", json!([3, 1, 2]))]);
        let trials = optimize(&spec, 0, 10, |p| p["a"].as_f64().unwrap_or(f64::NAN));
        let values: Vec<f64> = trials.unwrap_or_default().iter().map(|t| t.1).collect();
        assert_eq!(values, vec![3.0, 1.0, 2.0]);
        // Bayes without a metric still searches (minimising), one trial per call.
        let spec = SweepSpec::new(Method::Bayes, vec![cat("a", json!([3, 1, 2]))]);
        let trials = optimize(&spec, 0, 3, |p| p["a"].as_f64().unwrap_or(f64::NAN));
        let mut seen: Vec<f64> = trials.unwrap_or_default().iter().map(|t| t.1).collect();
        seen.sort_by(f64::total_cmp);
        assert_eq!(seen, vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn bayes_is_a_clear_error() {
        let spec = SweepSpec::new(Method::Bayes, vec![cat("a", json!([1, 2]))]);
        let err = suggest(&spec, &[], 0).err();
        assert_eq!(err, Some(SearchError::BayesUnavailable));
        assert_eq!(
            SearchError::BayesUnavailable.to_string(),
            "method `bayes` needs the runs' metric values: use `suggest_with` with the \
             observations"
        );
    }

    #[test]
    fn random_suggestion_uses_the_run_count_as_position() {
        let params = vec![
            ParamSpec::new("lr", Distribution::Uniform { min: 0.0, max: 1.0 }),
            cat("opt", json!(["adam", "sgd", "rmsprop"])),
        ];
        let spec = SweepSpec::new(Method::Random, params.clone());
        let existing = vec![Params::new(); 3];
        let got = suggest(&spec, &existing, 42).ok().flatten();
        assert_eq!(got, Some(sample_random(&params, 42, 3)));
        assert_ne!(got, Some(sample_random(&params, 42, 2)));
    }

    #[test]
    fn grid_suggestion_walks_the_grid() {
        let spec = SweepSpec::new(Method::Grid, vec![cat("a", json!([1, 2]))]);
        let mut existing = Vec::new();
        while let Ok(Some(p)) = suggest(&spec, &existing, 0) {
            existing.push(p);
            assert!(existing.len() <= 2, "grid did not stop");
        }
        assert_eq!(existing.len(), 2);
        assert_eq!(existing[1].get("a"), Some(&json!(2)));
    }

    #[test]
    fn nested_params_sort_level_by_level_like_wandb() {
        let params = vec![
            ParamSpec::new("model.c", Distribution::Constant { value: json!(1) }),
            ParamSpec {
                path: vec!["model".into(), "kind".into()],
                dist: Distribution::Constant { value: json!(2) },
            },
            ParamSpec::new("lr", Distribution::Constant { value: json!(3) }),
        ];
        let names: Vec<String> = ordered_params(&params).iter().map(|p| p.name()).collect();
        assert_eq!(names, ["lr", "model.kind", "model.c"]);
    }
}
