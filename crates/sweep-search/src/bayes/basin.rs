//! The search for a better basin, once the incumbent's has converged.
//!
//! A Gaussian process search settles in the first deep basin it descends and refines it to
//! the end: on Hartmann6, 6 of 20 seeds of the benchmark protocol spent their last 50 runs
//! on the local minimum at regret 0.119, their exploratory steps landing in the corners of
//! the cube, where the posterior variance is highest and every bump of the function has
//! vanished. Once the incumbent's basin has converged, three of every four suggestions
//! (`SECOND_CYCLE`) go to another basin instead:
//!
//! 1. **Basins.** Two points are in one basin when the posterior mean along the segment
//!    between them never rises above the higher of its ends by more than [`HILL`] of the way
//!    to the worst value (a hill–valley test on the model).
//! 2. **Local search.** The best run outside the incumbent's basin anchors a local search:
//!    a Gaussian process of its own, fitted to the [`LOCAL_RUNS`] runs outside the basin
//!    nearest to it (another basin has another shape: Hartmann6's local minimum is flat
//!    along x3 and x5, the global one narrow along x4 and x5), and log expected
//!    improvement over that run within [`BOX`] of it on every coordinate (after snapping,
//!    an integer param may sit up to half a level beyond).
//! 3. **Done.** When those runs, in the order they came, have not improved on their best
//!    by [`LOCAL_TOLERANCE`] of their range for [`LOCAL_STALL`] runs, that basin's search
//!    is done (only the best other basin is looked at): the step goes back to the
//!    incumbent's search, so that a search which found nothing better keeps refining its
//!    own optimum.
//! 4. **Exploration.** With no run outside the incumbent's basin, an unseen random point
//!    that the test puts outside it (of [`EXPLORE_TRIES`]); when none is (a function with
//!    one basin, such as Rosenbrock's valley), the incumbent's search again.
//!
//! On the protocol this took Hartmann6 from 6 to 1 of 20 seeds stuck (6 of the first 80
//! seeds against 19), `BENCHMARKS.md`.

use super::acq::{Acquisition, Region, Rng, Seen, key, random_point};
use super::gp::Gp;
use super::space::{Kind, Space};
use super::{Budget, FULL, runs_since_improvement, standardize, warp};

/// How far above the higher end of a segment (as a fraction of the way to the worst value)
/// the posterior mean must rise for the ends to be in different basins.
const HILL: f64 = 0.05;
/// Interior points of a segment at which the hill–valley test reads the posterior mean.
const SEGMENT_POINTS: u32 = 7;
/// Runs the local model of another basin is fitted on: the nearest to its best run.
const LOCAL_RUNS: usize = 20;
/// Fewer runs than this outside the basin: the local search uses the main model.
const LOCAL_MIN_RUNS: usize = 5;
/// Half-width of the local search's box in the unit cube.
const BOX: f64 = 0.15;
/// A local search whose best has not improved by this fraction of its values' range for
/// [`LOCAL_STALL`] runs is done.
const LOCAL_TOLERANCE: f64 = 1e-2;
const LOCAL_STALL: usize = 6;
/// Random points tried for one outside the incumbent's basin.
const EXPLORE_TRIES: usize = 64;

/// What the second basin's search reads of one suggestion's state.
pub(crate) struct Basins<'s, 'a> {
    pub space: &'s Space<'a>,
    /// The main model and the points and standardised values it is conditioned on.
    pub gp: &'s Gp,
    pub x: &'s [Vec<f64>],
    pub y: &'s [f64],
    /// The runs' values as minimised (before warping), in the order of `x`.
    pub values: &'s [f64],
    /// Indices of `x`, best first.
    pub ranked: &'s [usize],
    pub seen: &'s Seen,
    pub cat: &'s [bool],
    pub budget: Budget,
}

impl Basins<'_, '_> {
    /// A point of another basin to evaluate next, or `None` when the incumbent's search
    /// should take this step (the best other basin's search is done, or no other basin is
    /// found).
    pub fn suggest(&self, rng: &mut Rng) -> Option<Vec<f64>> {
        let incumbent = &self.x[*self.ranked.first()?];
        let worst = self.y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut row = Vec::new();
        let at_incumbent = self.gp.mean(incumbent, &mut row);
        let outside: Vec<bool> = (0..self.x.len())
            .map(|i| {
                i != self.ranked[0]
                    && self.separated(&self.x[i], incumbent, at_incumbent, worst, &mut row)
            })
            .collect();
        match self.ranked.iter().copied().find(|&i| outside[i]) {
            Some(anchor) => self.local_search(anchor, &outside, rng),
            None => (0..EXPLORE_TRIES).find_map(|_| {
                let p = random_point(self.space, rng);
                (!self.seen.contains(&key(&p))
                    && self.separated(&p, incumbent, at_incumbent, worst, &mut row))
                .then_some(p)
            }),
        }
    }

    /// The next point of the local search around run `anchor` (the best outside the
    /// incumbent's basin), or `None` if that search is done.
    fn local_search(&self, anchor: usize, outside: &[bool], rng: &mut Rng) -> Option<Vec<f64>> {
        let centre = &self.x[anchor];
        let mut runs: Vec<usize> = (0..self.x.len()).filter(|&j| outside[j]).collect();
        if runs.len() > LOCAL_RUNS {
            let d2 = |j: usize| -> f64 {
                self.x[j]
                    .iter()
                    .zip(centre)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum()
            };
            runs.sort_by(|&a, &b| d2(a).total_cmp(&d2(b)).then(a.cmp(&b)));
            runs.truncate(LOCAL_RUNS);
            runs.sort_unstable();
        }
        let values: Vec<f64> = runs.iter().map(|&j| self.values[j]).collect();
        if runs_since_improvement(&values, LOCAL_TOLERANCE).is_some_and(|n| n >= LOCAL_STALL) {
            return None;
        }
        let local = (runs.len() >= LOCAL_MIN_RUNS)
            .then(|| {
                let y = standardize(&warp(&values));
                let x: Vec<Vec<f64>> = runs.iter().map(|&j| self.x[j].clone()).collect();
                let hyper = Gp::fit_hyper(&x, &y, self.cat, FULL.fit_evals)?;
                let gp = Gp::condition(&hyper, &x, &y, self.cat)?;
                Some((gp, y.iter().copied().fold(f64::INFINITY, f64::min)))
            })
            .flatten();
        let (gp, best) = match &local {
            Some((gp, best)) => (gp, *best),
            None => (self.gp, self.y[anchor]),
        };
        let acq = Acquisition {
            space: self.space,
            gp,
            best,
            seen: self.seen,
            budget: self.budget,
        };
        acq.maximise_in(&Region { centre, half: BOX }, rng)
    }

    /// Whether the posterior mean rises between `p` and the incumbent (whose mean is
    /// `at_incumbent`) by more than [`HILL`] of the way from the higher end to `worst`.
    /// Numeric coordinates move along the segment; a categorical one is `p`'s on the first
    /// half and the incumbent's on the second.
    fn separated(
        &self,
        p: &[f64],
        incumbent: &[f64],
        at_incumbent: f64,
        worst: f64,
        row: &mut Vec<f64>,
    ) -> bool {
        let higher = self.gp.mean(p, row).max(at_incumbent);
        let top = higher + HILL * (worst - higher).max(0.0);
        let mut z = vec![0.0; p.len()];
        (1..=SEGMENT_POINTS).any(|k| {
            let t = f64::from(k) / f64::from(SEGMENT_POINTS + 1);
            for (((zi, a), b), dim) in z.iter_mut().zip(p).zip(incumbent).zip(&self.space.dims) {
                *zi = match dim.kind {
                    Kind::Categorical(_) if t < 0.5 => *a,
                    Kind::Categorical(_) => *b,
                    _ => a + t * (b - a),
                };
            }
            self.gp.mean(&z, row) > top
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bayes::space::Space;
    use std::collections::HashSet;
    use sweep_core::{Distribution, ParamSpec};

    fn unit(name: &str) -> ParamSpec {
        ParamSpec::new(name, Distribution::Uniform { min: 0.0, max: 1.0 })
    }

    /// A model of runs at `x` (in the order they came) with `values`, numeric coordinates.
    struct Fixture {
        x: Vec<Vec<f64>>,
        values: Vec<f64>,
        y: Vec<f64>,
        cat: Vec<bool>,
        gp: Gp,
        ranked: Vec<usize>,
        seen: Seen,
    }

    fn fixture(x: Vec<Vec<f64>>, values: Vec<f64>) -> Fixture {
        let y = standardize(&warp(&values));
        let cat = vec![false; x[0].len()];
        let hyper = Gp::fit_hyper(&x, &y, &cat, 200).expect("fit");
        let gp = Gp::condition(&hyper, &x, &y, &cat).expect("condition");
        let mut ranked: Vec<usize> = (0..x.len()).collect();
        ranked.sort_by(|&a, &b| y[a].total_cmp(&y[b]));
        Fixture {
            x,
            values,
            y,
            cat,
            gp,
            ranked,
            seen: HashSet::default(),
        }
    }

    impl Fixture {
        fn basins<'s, 'a>(&'s self, space: &'s Space<'a>) -> Basins<'s, 'a> {
            Basins {
                space,
                gp: &self.gp,
                x: &self.x,
                y: &self.y,
                values: &self.values,
                ranked: &self.ranked,
                seen: &self.seen,
                cat: &self.cat,
                budget: FULL,
            }
        }
    }

    /// Two wells on a line, the deeper at 0.8: with runs in both, the wells are told apart,
    /// and points of the deeper well's slopes are in its basin.
    #[test]
    fn the_hill_valley_test_separates_two_wells() {
        let params = vec![unit("x")];
        let space = Space::new(&params);
        let f =
            |x: f64| -(-(x - 0.2).powi(2) / 0.005).exp() - 1.2 * (-(x - 0.8).powi(2) / 0.005).exp();
        // In the order the runs came: the other well's best (0.2) last, so that its local
        // search is still improving.
        let mut xs: Vec<f64> = (0..=20)
            .filter(|&i| i != 4)
            .map(|i| f64::from(i) / 20.0)
            .collect();
        xs.push(0.2);
        let runs = fixture(
            xs.iter().map(|&v| vec![v]).collect(),
            xs.iter().map(|&v| f(v)).collect(),
        );
        let basins = runs.basins(&space);
        let worst = runs.y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let incumbent = [0.8];
        let mut row = Vec::new();
        let at = runs.gp.mean(&incumbent, &mut row);
        assert!(basins.separated(&[0.2], &incumbent, at, worst, &mut row));
        assert!(!basins.separated(&[0.75], &incumbent, at, worst, &mut row));
        assert!(!basins.separated(&[0.85], &incumbent, at, worst, &mut row));
        // The other basin's local search looks near its best run, 0.2.
        let mut rng = Rng::new(7, 30);
        let p = basins
            .suggest(&mut rng)
            .expect("a point in the other basin");
        assert!((p[0] - 0.2).abs() <= BOX + 1e-12, "{p:?}");
        // The same runs with the other well's best first: its search has not improved for
        // the runs after it, so it is done and the step goes back to the incumbent's search.
        xs.rotate_right(1);
        let done = fixture(
            xs.iter().map(|&v| vec![v]).collect(),
            xs.iter().map(|&v| f(v)).collect(),
        );
        assert_eq!(done.basins(&space).suggest(&mut rng), None);
    }

    /// One well: every run is in the incumbent's basin, and no random point is outside it,
    /// so the step goes back to the incumbent's search (Rosenbrock's valley is such a case).
    #[test]
    fn a_function_with_one_basin_hands_every_step_back() {
        let params = vec![unit("x"), unit("y")];
        let space = Space::new(&params);
        let f = |x: f64, y: f64| (x - 0.6).powi(2) + 0.5 * (y - 0.3).powi(2);
        let grid: Vec<f64> = (0..=5).map(|i| f64::from(i) / 5.0).collect();
        let x: Vec<Vec<f64>> = grid
            .iter()
            .flat_map(|&a| grid.iter().map(move |&b| vec![a, b]))
            .collect();
        let values: Vec<f64> = x.iter().map(|p| f(p[0], p[1])).collect();
        let runs = fixture(x, values);
        let basins = runs.basins(&space);
        for position in 0..5 {
            assert_eq!(basins.suggest(&mut Rng::new(3, position)), None);
        }
    }
}
