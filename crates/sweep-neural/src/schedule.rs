//! The learning rate of every optimizer step (`train.schedule`): an optional linear warmup,
//! then constant, linear or cosine decay to `min_lr` over the run's steps, step decay every
//! `step_size` epochs, or reduce-on-plateau of the early-stopping metric.

use serde::{Deserialize, Serialize};
use sweep_core::Goal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleKind {
    #[default]
    Constant,
    Linear,
    Cosine,
    Step,
    Plateau,
}

/// Settings of `train.schedule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    pub kind: ScheduleKind,
    /// Optimizer steps of linear warmup from `lr / warmup_steps` up to `lr`.
    pub warmup_steps: Option<usize>,
    /// Warmup as a fraction of all optimizer steps (instead of `warmup_steps`).
    pub warmup_fraction: Option<f64>,
    /// Where `linear` and `cosine` end, and the floor of `plateau`.
    pub min_lr: f64,
    /// `step`: epochs between decays.
    pub step_size: usize,
    /// `step`: the factor of each decay; `plateau`: the factor of each reduction.
    pub gamma: f64,
    /// `plateau`: the rate is reduced once more than this many epochs in a row brought no
    /// better early-stopping metric (PyTorch's `ReduceLROnPlateau`).
    pub patience: usize,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            kind: ScheduleKind::Constant,
            warmup_steps: None,
            warmup_fraction: None,
            min_lr: 0.0,
            step_size: 1,
            gamma: 0.1,
            patience: 1,
        }
    }
}

impl ScheduleConfig {
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.warmup_steps.is_some() && self.warmup_fraction.is_some() {
            out.push((
                "warmup_fraction",
                "give warmup_steps or warmup_fraction, not both".into(),
            ));
        }
        if let Some(f) = self.warmup_fraction
            && !(0.0..1.0).contains(&f)
        {
            out.push(("warmup_fraction", format!("must be in [0, 1), got {f}")));
        }
        if !(self.min_lr.is_finite() && self.min_lr >= 0.0) {
            out.push((
                "min_lr",
                format!("must be zero or positive, got {}", self.min_lr),
            ));
        }
        if self.step_size == 0 {
            out.push(("step_size", "must be at least 1".into()));
        }
        if !(self.gamma > 0.0 && self.gamma <= 1.0) {
            out.push(("gamma", format!("must be in (0, 1], got {}", self.gamma)));
        }
        out
    }
}

/// Where reduce-on-plateau stands (kept in checkpoints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PlateauState {
    /// The product of the reductions so far.
    pub scale: f64,
    pub best: Option<f64>,
    pub bad_epochs: usize,
}

/// A schedule for one run.
#[derive(Debug, Clone)]
pub struct Schedule {
    cfg: ScheduleConfig,
    base: f64,
    total: usize,
    warmup: usize,
    steps_per_epoch: usize,
    pub plateau: PlateauState,
}

impl Schedule {
    /// The schedule of a run of `epochs` epochs of `steps_per_epoch` optimizer steps from
    /// the learning rate `base`.
    pub fn new(cfg: &ScheduleConfig, base: f64, steps_per_epoch: usize, epochs: usize) -> Self {
        let total = steps_per_epoch.saturating_mul(epochs).max(1);
        let warmup = match (cfg.warmup_steps, cfg.warmup_fraction) {
            (Some(s), _) => s,
            (None, Some(f)) => (f * total as f64).round() as usize,
            (None, None) => 0,
        };
        Schedule {
            cfg: cfg.clone(),
            base,
            total,
            warmup,
            steps_per_epoch: steps_per_epoch.max(1),
            plateau: PlateauState {
                scale: 1.0,
                ..PlateauState::default()
            },
        }
    }

    /// The learning rate of optimizer step `step` (from 0).
    pub fn lr(&self, step: usize) -> f64 {
        let (base, min) = (self.base, self.cfg.min_lr.min(self.base));
        let lr = match self.cfg.kind {
            ScheduleKind::Constant => base,
            ScheduleKind::Linear | ScheduleKind::Cosine => {
                let span = self.total.saturating_sub(self.warmup).max(1);
                let done = step.saturating_sub(self.warmup).min(span) as f64 / span as f64;
                let left = match self.cfg.kind {
                    ScheduleKind::Linear => 1.0 - done,
                    _ => 0.5 * (1.0 + (std::f64::consts::PI * done).cos()),
                };
                min + (base - min) * left
            }
            ScheduleKind::Step => {
                let epoch = step / self.steps_per_epoch;
                base * self.cfg.gamma.powi((epoch / self.cfg.step_size) as i32)
            }
            ScheduleKind::Plateau => (base * self.plateau.scale).max(min),
        };
        if step < self.warmup {
            lr * (step + 1) as f64 / self.warmup as f64
        } else {
            lr
        }
    }

    /// After an epoch: reduce-on-plateau reads the early-stopping metric's value.
    pub fn end_epoch(&mut self, value: Option<f64>, goal: Goal) {
        if self.cfg.kind != ScheduleKind::Plateau {
            return;
        }
        let Some(v) = value else { return };
        let better = match (self.plateau.best, goal) {
            (None, _) => true,
            (Some(b), Goal::Maximize) => v > b,
            (Some(b), Goal::Minimize) => v < b,
        };
        if better {
            self.plateau.best = Some(v);
            self.plateau.bad_epochs = 0;
        } else {
            self.plateau.bad_epochs += 1;
            if self.plateau.bad_epochs > self.cfg.patience {
                self.plateau.scale *= self.cfg.gamma;
                self.plateau.bad_epochs = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lrs(cfg: ScheduleConfig, per_epoch: usize, epochs: usize) -> Vec<f64> {
        let s = Schedule::new(&cfg, 1.0, per_epoch, epochs);
        (0..per_epoch * epochs).map(|i| s.lr(i)).collect()
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn warmup_then_linear_and_cosine_decay_step_by_step() {
        let warm = |kind| ScheduleConfig {
            kind,
            warmup_steps: Some(2),
            ..ScheduleConfig::default()
        };
        // 6 steps: 2 of warmup, then 4 of decay reaching 0 at step 6 (after the last).
        close(
            &lrs(warm(ScheduleKind::Linear), 3, 2),
            &[0.5, 1.0, 1.0, 0.75, 0.5, 0.25],
        );
        let c = |d: f64| 0.5 * (1.0 + (std::f64::consts::PI * d).cos());
        close(
            &lrs(warm(ScheduleKind::Cosine), 3, 2),
            &[0.5, 1.0, 1.0, c(0.25), c(0.5), c(0.75)],
        );
        close(&lrs(warm(ScheduleKind::Constant), 3, 1), &[0.5, 1.0, 1.0]);
        let floor = ScheduleConfig {
            kind: ScheduleKind::Linear,
            min_lr: 0.2,
            warmup_fraction: Some(0.25),
            ..ScheduleConfig::default()
        };
        close(
            &lrs(floor, 2, 2),
            &[1.0, 1.0, 0.2 + 0.8 * 2.0 / 3.0, 0.2 + 0.8 / 3.0],
        );
    }

    #[test]
    fn step_decay_every_step_size_epochs() {
        let cfg = ScheduleConfig {
            kind: ScheduleKind::Step,
            step_size: 2,
            gamma: 0.5,
            ..ScheduleConfig::default()
        };
        close(
            &lrs(cfg, 2, 5),
            &[1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25],
        );
    }

    #[test]
    fn plateau_reduces_after_patience_epochs_without_improvement() {
        let cfg = ScheduleConfig {
            kind: ScheduleKind::Plateau,
            patience: 1,
            gamma: 0.5,
            min_lr: 0.2,
            ..ScheduleConfig::default()
        };
        let mut s = Schedule::new(&cfg, 1.0, 10, 10);
        let mut seen = Vec::new();
        for v in [0.5, 0.6, 0.6, 0.6, 0.55, 0.7, 0.1, 0.1, 0.1, 0.1] {
            s.end_epoch(Some(v), Goal::Maximize);
            seen.push(s.lr(0));
        }
        // Two epochs without a better value reduce the rate; a better one resets the count.
        close(&seen, &[1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2]);
    }
}
