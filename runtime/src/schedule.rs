//! Learning-rate schedules: the rate as a plain function of the step or epoch.
//!
//! A schedule maps the base rate `lr0` (the optimizer's configured rate) and
//! a position `t` (0-based; the training loop counts epochs or steps, as it
//! is told) to the rate to use there. Only [`ReduceOnPlateau`] has state: it
//! watches a validation metric through [`Schedule::observe`].
//!
//! ```
//! use gradgen_runtime::schedule::{Cosine, Schedule, StepDecay, Warmup};
//!
//! // Halve the rate every 10 epochs, as in the lecture.
//! let step = StepDecay { every: 10, factor: 0.5 };
//! assert_eq!(step.lr(0.1, 9), 0.1);
//! assert_eq!(step.lr(0.1, 10), 0.05);
//!
//! // Five epochs of linear warm-up, then cosine annealing over 20.
//! let warm = Warmup::new(5, Cosine { period: 20, min_lr: 0.0 });
//! assert!(warm.lr(0.1, 0) < warm.lr(0.1, 4));
//! assert_eq!(warm.lr(0.1, 5), 0.1);
//! assert!(warm.lr(0.1, 25).abs() < 1e-12);
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A learning rate as a function of the position in training.
pub trait Schedule {
    /// The rate at position `t` (0-based), given the base rate `lr0`.
    fn lr(&self, lr0: f64, t: usize) -> f64;

    /// Shows the schedule the validation metric at the end of an epoch. Only
    /// schedules that react to it ([`ReduceOnPlateau`]) do anything.
    fn observe(&mut self, metric: f64) {
        let _ = metric;
    }

    /// The state to save in a checkpoint (`Value::Null` for schedules
    /// without state).
    fn state(&self) -> Value {
        Value::Null
    }

    /// Restores a state saved by [`state`](Schedule::state).
    ///
    /// # Errors
    ///
    /// A message saying what was expected when `state` is not a state of
    /// this schedule.
    fn set_state(&mut self, state: &Value) -> Result<(), String> {
        match state {
            Value::Null => Ok(()),
            other => Err(format!("this schedule keeps no state, found {other}")),
        }
    }
}

/// The same rate throughout: `lr_t = lr0`.
///
/// ```
/// use gradgen_runtime::schedule::{Constant, Schedule};
///
/// assert_eq!(Constant.lr(0.3, 1000), 0.3);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Constant;

impl Schedule for Constant {
    fn lr(&self, lr0: f64, _t: usize) -> f64 {
        lr0
    }
}

/// Step decay: `lr_t = lr0 * factor^floor(t/every)` (PyTorch's `StepLR`).
///
/// ```
/// use gradgen_runtime::schedule::{Schedule, StepDecay};
///
/// let s = StepDecay { every: 25, factor: 0.5 };
/// assert_eq!([s.lr(1.0, 0), s.lr(1.0, 24), s.lr(1.0, 25), s.lr(1.0, 50)], [1.0, 1.0, 0.5, 0.25]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepDecay {
    /// How many steps (or epochs) pass between decays (default 10).
    pub every: usize,
    /// The factor the rate is multiplied by at each decay (default 0.1).
    pub factor: f64,
}

impl Default for StepDecay {
    fn default() -> Self {
        StepDecay {
            every: 10,
            factor: 0.1,
        }
    }
}

/// `factor^k` for a count `k`.
fn power(factor: f64, k: usize) -> f64 {
    factor.powi(i32::try_from(k).unwrap_or(i32::MAX))
}

impl Schedule for StepDecay {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        lr0 * power(self.factor, t / self.every.max(1))
    }
}

/// Exponential decay: `lr_t = lr0 * gamma^t` (PyTorch's `ExponentialLR`).
///
/// ```
/// use gradgen_runtime::schedule::{Exponential, Schedule};
///
/// assert_eq!(Exponential { gamma: 0.5 }.lr(1.0, 3), 0.125);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exponential {
    /// The factor per step or epoch (default 0.95).
    pub gamma: f64,
}

impl Default for Exponential {
    fn default() -> Self {
        Exponential { gamma: 0.95 }
    }
}

impl Schedule for Exponential {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        lr0 * power(self.gamma, t)
    }
}

/// Cosine annealing (Loshchilov & Hutter 2017, without restarts):
/// `lr_t = min_lr + (lr0 - min_lr) * (1 + cos(pi * t/period)) / 2`, and
/// `min_lr` after `period` (PyTorch's `CosineAnnealingLR` with `T_max =
/// period`, held at the minimum rather than rising again).
///
/// ```
/// use gradgen_runtime::schedule::{Cosine, Schedule};
///
/// let s = Cosine { period: 100, min_lr: 0.001 };
/// assert_eq!(s.lr(0.1, 0), 0.1);
/// assert!((s.lr(0.1, 50) - 0.0505).abs() < 1e-12);
/// assert_eq!(s.lr(0.1, 100), 0.001);
/// assert_eq!(s.lr(0.1, 500), 0.001);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cosine {
    /// The number of steps (or epochs) from `lr0` down to `min_lr` (default 100).
    pub period: usize,
    /// The rate at the end (default 0).
    pub min_lr: f64,
}

impl Default for Cosine {
    fn default() -> Self {
        Cosine {
            period: 100,
            min_lr: 0.0,
        }
    }
}

impl Schedule for Cosine {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        if t >= self.period {
            return self.min_lr;
        }
        let progress = t as f64 / self.period as f64;
        self.min_lr + (lr0 - self.min_lr) * (1.0 + (std::f64::consts::PI * progress).cos()) / 2.0
    }
}

/// Linear warm-up before another schedule: the rate rises linearly from
/// `start_factor * lr0` at `t = 0` to `lr0` at `t = steps`, then `then` runs
/// with its own position starting at 0 (so `Warmup::new(5, Cosine {..})`
/// anneals over the epochs after the warm-up).
///
/// ```
/// use gradgen_runtime::schedule::{Constant, Schedule, Warmup};
///
/// let s = Warmup { steps: 4, start_factor: 0.0, then: Constant };
/// let rates: Vec<f64> = (0..6).map(|t| s.lr(1.0, t)).collect();
/// assert_eq!(rates, [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Warmup<S> {
    /// The length of the warm-up, in steps (or epochs).
    pub steps: usize,
    /// The fraction of `lr0` at `t = 0`.
    pub start_factor: f64,
    /// The schedule after the warm-up.
    pub then: S,
}

impl<S> Warmup<S> {
    /// A warm-up of `steps` starting at a tenth of the rate, then `then`.
    pub fn new(steps: usize, then: S) -> Self {
        Warmup {
            steps,
            start_factor: 0.1,
            then,
        }
    }
}

impl<S: Schedule> Schedule for Warmup<S> {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        if t < self.steps {
            let progress = t as f64 / self.steps as f64;
            lr0 * (self.start_factor + (1.0 - self.start_factor) * progress)
        } else {
            self.then.lr(lr0, t - self.steps)
        }
    }

    fn observe(&mut self, metric: f64) {
        self.then.observe(metric);
    }

    fn state(&self) -> Value {
        self.then.state()
    }

    fn set_state(&mut self, state: &Value) -> Result<(), String> {
        self.then.set_state(state)
    }
}

/// Whether a smaller or a larger metric is better.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Smaller is better (a loss).
    #[default]
    Min,
    /// Larger is better (an accuracy).
    Max,
}

impl Mode {
    /// Whether `value` improves on `best` by more than the relative
    /// `threshold` (`1e-4`: by more than 0.01% of `best`).
    ///
    /// ```
    /// use gradgen_runtime::schedule::Mode;
    ///
    /// assert!(Mode::Min.improves(0.9, 1.0, 1e-4));
    /// assert!(!Mode::Min.improves(0.99999, 1.0, 1e-4));
    /// assert!(Mode::Max.improves(0.9, 0.5, 0.0));
    /// ```
    pub fn improves(self, value: f64, best: f64, threshold: f64) -> bool {
        match self {
            Mode::Min => value < best - threshold * best.abs(),
            Mode::Max => value > best + threshold * best.abs(),
        }
    }
}

/// Reduce-on-plateau (PyTorch's `ReduceLROnPlateau`, relative threshold):
/// multiplies the rate by `factor` when the observed metric has not improved
/// for more than `patience` epochs.
///
/// The rate is `max(lr0 * scale, min_lr)`, where `scale` starts at 1 and is
/// multiplied by `factor` at each reduction; the position `t` plays no part.
/// After a reduction, `cooldown` epochs pass before bad epochs count again.
///
/// ```
/// use gradgen_runtime::schedule::{ReduceOnPlateau, Schedule};
///
/// let mut s = ReduceOnPlateau { patience: 1, factor: 0.5, ..ReduceOnPlateau::default() };
/// for loss in [1.0, 0.5, 0.6, 0.6] {
///     s.observe(loss);
/// }
/// // Two epochs without improvement is more than the patience of one.
/// assert_eq!(s.lr(0.1, 0), 0.05);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReduceOnPlateau {
    /// Whether the metric is to be minimised or maximised (default: minimised).
    pub mode: Mode,
    /// The factor of each reduction (default 0.1).
    pub factor: f64,
    /// How many epochs without improvement are tolerated (default 10).
    pub patience: usize,
    /// The relative improvement that counts (default 1e-4).
    pub threshold: f64,
    /// Epochs after a reduction during which bad epochs are not counted (default 0).
    pub cooldown: usize,
    /// The smallest rate (default 0).
    pub min_lr: f64,
    /// The state: the factor applied to `lr0` so far, and the counters.
    pub state: PlateauState,
}

/// The state of [`ReduceOnPlateau`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlateauState {
    /// The product of the reductions so far.
    pub scale: f64,
    /// The best metric seen (`None` before the first).
    pub best: Option<f64>,
    /// Epochs since the last improvement.
    pub bad_epochs: usize,
    /// Epochs of cooldown left.
    pub cooldown_left: usize,
}

impl Default for ReduceOnPlateau {
    fn default() -> Self {
        ReduceOnPlateau {
            mode: Mode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            state: PlateauState {
                scale: 1.0,
                best: None,
                bad_epochs: 0,
                cooldown_left: 0,
            },
        }
    }
}

impl Schedule for ReduceOnPlateau {
    fn lr(&self, lr0: f64, _t: usize) -> f64 {
        (lr0 * self.state.scale).max(self.min_lr)
    }

    fn observe(&mut self, metric: f64) {
        let s = &mut self.state;
        let improved = s
            .best
            .is_none_or(|best| self.mode.improves(metric, best, self.threshold));
        if improved {
            s.best = Some(metric);
            s.bad_epochs = 0;
        } else {
            s.bad_epochs += 1;
        }
        if s.cooldown_left > 0 {
            s.cooldown_left -= 1;
            s.bad_epochs = 0;
        }
        if s.bad_epochs > self.patience {
            s.scale *= self.factor;
            s.cooldown_left = self.cooldown;
            s.bad_epochs = 0;
        }
    }

    fn state(&self) -> Value {
        serde_json::to_value(&self.state).unwrap_or(Value::Null)
    }

    fn set_state(&mut self, state: &Value) -> Result<(), String> {
        self.state =
            PlateauState::deserialize(state).map_err(|e| format!("not a plateau state: {e}"))?;
        Ok(())
    }
}

/// A schedule from a function `(lr0, t) -> lr`.
///
/// ```
/// use gradgen_runtime::schedule::{FromFn, Schedule};
///
/// let inverse = FromFn(|lr0: f64, t: usize| lr0 / (1.0 + t as f64));
/// assert_eq!(inverse.lr(1.0, 3), 0.25);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FromFn<F>(pub F);

impl<F: Fn(f64, usize) -> f64> Schedule for FromFn<F> {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        (self.0)(lr0, t)
    }
}

impl<S: Schedule + ?Sized> Schedule for Box<S> {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        (**self).lr(lr0, t)
    }
    fn observe(&mut self, metric: f64) {
        (**self).observe(metric);
    }
    fn state(&self) -> Value {
        (**self).state()
    }
    fn set_state(&mut self, state: &Value) -> Result<(), String> {
        (**self).set_state(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_and_step_agree_with_their_formulas() {
        let e = Exponential { gamma: 0.9 };
        for t in 0..50 {
            assert!((e.lr(0.2, t) - 0.2 * 0.9f64.powf(t as f64)).abs() < 1e-15);
        }
        let s = StepDecay {
            every: 3,
            factor: 0.1,
        };
        let epochs: Vec<f64> = (0..7).map(|t| s.lr(1.0, t)).collect();
        assert_eq!(epochs[..3], [1.0; 3]);
        assert_eq!(epochs[3..6], [0.1; 3]);
        assert!((epochs[6] - 0.01).abs() < 1e-17);
    }

    #[test]
    fn cosine_is_symmetric_about_its_midpoint_and_decreasing() {
        let c = Cosine {
            period: 10,
            min_lr: 0.0,
        };
        for t in 0..10 {
            assert!(c.lr(1.0, t + 1) < c.lr(1.0, t));
            // (1 + cos(pi*x))/2 + (1 + cos(pi*(1-x)))/2 = 1
            assert!((c.lr(1.0, t) + c.lr(1.0, 10 - t) - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn warmup_hands_over_to_the_inner_schedule() {
        let w = Warmup {
            steps: 3,
            start_factor: 0.1,
            then: StepDecay {
                every: 2,
                factor: 0.5,
            },
        };
        let rates: Vec<f64> = (0..8).map(|t| w.lr(1.0, t)).collect();
        assert!((rates[0] - 0.1).abs() < 1e-15 && (rates[1] - 0.4).abs() < 1e-15);
        assert_eq!(rates[3..], [1.0, 1.0, 0.5, 0.5, 0.25]);
    }

    #[test]
    fn plateau_waits_its_patience_then_reduces_and_cools_down() {
        let mut p = ReduceOnPlateau {
            patience: 2,
            factor: 0.5,
            cooldown: 1,
            min_lr: 0.3,
            ..Default::default()
        };
        let mut rates = Vec::new();
        for metric in [5.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0] {
            p.observe(metric);
            rates.push(p.lr(1.0, 0));
        }
        // Bad epochs 1, 2, 3 (> patience): reduce at the 5th observation;
        // one epoch of cooldown, then three more bad ones; the floor holds.
        assert_eq!(
            rates,
            [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]
        );
        assert_eq!(p.state.scale, 0.25);
    }

    #[test]
    fn plateau_in_max_mode_counts_gains() {
        let mut p = ReduceOnPlateau {
            mode: Mode::Max,
            patience: 0,
            factor: 0.1,
            ..Default::default()
        };
        p.observe(0.5);
        p.observe(0.6);
        assert_eq!(p.lr(1.0, 0), 1.0);
        p.observe(0.6);
        assert!((p.lr(1.0, 0) - 0.1).abs() < 1e-15);
    }

    #[test]
    fn plateau_state_round_trips() {
        let mut p = ReduceOnPlateau {
            patience: 0,
            ..Default::default()
        };
        p.observe(1.0);
        p.observe(2.0);
        let saved = p.state();
        let mut q = ReduceOnPlateau {
            patience: 0,
            ..Default::default()
        };
        q.set_state(&saved).unwrap();
        assert_eq!(p, q);
        assert!(q.set_state(&Value::from(3)).is_err());
        let mut constant = Constant;
        assert!(constant.set_state(&saved).is_err());
        assert!(constant.set_state(&Value::Null).is_ok());
    }
}
