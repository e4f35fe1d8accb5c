//! The training loop: epochs of minibatches, a history, early stopping,
//! checkpoints that resume bit for bit, and a clean stop on Ctrl-C.
//!
//! A [`Trainer`] is the configuration; [`Trainer::start`] (or
//! [`Trainer::resume`], from a checkpoint) makes a [`Run`], which owns the
//! parameters, the optimizer and its state, the schedule, the data order and
//! the history; [`Run::fit`] trains it, calling a gradient closure on each
//! minibatch (a generated `NAME_grad` with the data bound fits).
//!
//! ```
//! use gradgen_runtime::optim::Momentum;
//! use gradgen_runtime::schedule::Constant;
//! use gradgen_runtime::train::{Evaluation, Progress, Trainer};
//!
//! // Fit y = 1 + 2x by least squares, minibatches of 4.
//! let xs: Vec<f64> = (0..20).map(|i| i as f64 / 10.0).collect();
//! let ys: Vec<f64> = xs.iter().map(|x| 1.0 + 2.0 * x).collect();
//! let loss_grad = |phi: &[f64; 2], rows: &[usize]| {
//!     let (mut loss, mut g) = (0.0, [0.0; 2]);
//!     for &i in rows {
//!         let r = phi[0] + phi[1] * xs[i] - ys[i];
//!         loss += r * r / rows.len() as f64;
//!         g[0] += 2.0 * r / rows.len() as f64;
//!         g[1] += 2.0 * r * xs[i] / rows.len() as f64;
//!     }
//!     (loss, g)
//! };
//! let trainer = Trainer { epochs: 200, batch_size: 4, progress: Progress::Silent, ..Trainer::default() };
//! let optimizer = Momentum { lr: 0.1, beta: 0.9, ..Momentum::default() };
//! let mut run = trainer.start([0.0, 0.0], optimizer, Constant, xs.len());
//! let all: Vec<usize> = (0..xs.len()).collect();
//! run.fit(
//!     |phi, batch| loss_grad(phi, batch.rows),
//!     |phi| Evaluation::loss(loss_grad(phi, &all).0),
//! )?;
//! assert!((run.params[0] - 1.0).abs() < 1e-3 && (run.params[1] - 2.0).abs() < 1e-3);
//! assert_eq!(run.history.len(), 200);
//! # Ok::<(), gradgen_runtime::train::TrainError>(())
//! ```

mod checkpoint;
mod error;
mod history;
mod progress;

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use checkpoint::{BestRecord, Checkpoint, EpochSums, OptimizerRecord, Tensors};
pub use error::TrainError;
pub use history::{EpochRecord, History};
pub use progress::Progress;
use progress::Reporter;

use crate::data::BatchSampler;
use crate::optim::Optimizer;
use crate::schedule::{Mode, Schedule};
use crate::{Parameters, Real};

/// Whether the schedule's position counts epochs or optimizer steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SchedulePer {
    /// The rate is set once per epoch from the epoch number (the default;
    /// the lecture's step decay counts epochs).
    #[default]
    Epoch,
    /// The rate is set before every step from the global step number.
    Step,
}

/// Which number early stopping (and the best parameters) follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Monitor {
    /// The validation loss (the default); the training loss when there is
    /// no evaluation.
    #[default]
    ValLoss,
    /// The validation metric, such as accuracy.
    ValMetric,
}

/// Stop when the monitored number has not improved for `patience` epochs.
///
/// ```
/// use gradgen_runtime::schedule::Mode;
/// use gradgen_runtime::train::{EarlyStopping, Monitor};
///
/// // Stop when accuracy has not risen for 5 epochs.
/// let stop = EarlyStopping { monitor: Monitor::ValMetric, mode: Mode::Max, patience: 5, min_delta: 0.0 };
/// assert_eq!(stop.patience, 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// The number followed (default: the validation loss).
    pub monitor: Monitor,
    /// Whether smaller or larger is better (default: smaller).
    pub mode: Mode,
    /// Epochs without improvement before stopping (default 10).
    pub patience: usize,
    /// The relative improvement that counts (default 0: any).
    pub min_delta: f64,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping {
            monitor: Monitor::ValLoss,
            mode: Mode::Min,
            patience: 10,
            min_delta: 0.0,
        }
    }
}

/// Where and how often checkpoints are written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoints {
    /// The checkpoint file (replaced atomically each time).
    pub path: PathBuf,
    /// Write one every this many epochs (0: only at the end and on Ctrl-C).
    pub every: usize,
}

/// The configuration of a training run.
///
/// `Trainer::default()` trains 10 epochs of minibatches of 32, seed 0, the
/// schedule counting epochs, progress on stderr, no early stopping, no
/// checkpoints, Ctrl-C stopping the run cleanly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trainer {
    /// The number of epochs (passes over the data) to train for.
    pub epochs: usize,
    /// Examples per minibatch (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// The seed of the data order and of the run's random generator.
    pub seed: u64,
    /// What the schedule's position counts.
    pub schedule_per: SchedulePer,
    /// How progress is reported.
    pub progress: Progress,
    /// Stop early when the monitored number stops improving; the best
    /// parameters are kept in [`Run::best`] either way.
    pub early_stopping: Option<EarlyStopping>,
    /// Write checkpoints.
    pub checkpoints: Option<Checkpoints>,
    /// Catch Ctrl-C: finish the step under way, write a checkpoint (when
    /// configured) and return [`Outcome::Interrupted`].
    pub catch_ctrlc: bool,
}

impl Default for Trainer {
    fn default() -> Self {
        Trainer {
            epochs: 10,
            batch_size: 32,
            seed: 0,
            schedule_per: SchedulePer::Epoch,
            progress: Progress::Auto,
            early_stopping: None,
            checkpoints: None,
            catch_ctrlc: true,
        }
    }
}

/// What the gradient closure gets besides the parameters.
pub struct Batch<'a> {
    /// The indices of this minibatch's examples.
    pub rows: &'a [usize],
    /// The epoch (0-based).
    pub epoch: usize,
    /// The step within the epoch (0-based).
    pub step: usize,
    /// The run's random generator (for dropout, noise, ...): seeded from
    /// [`Trainer::seed`] and saved in checkpoints, so a resumed run draws
    /// the same numbers.
    pub rng: &'a mut ChaCha8Rng,
}

/// What the evaluation closure returns after each epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// The validation loss.
    pub loss: f64,
    /// A validation metric such as accuracy, if computed.
    pub metric: Option<f64>,
}

impl Evaluation {
    /// A validation loss without a metric.
    ///
    /// ```
    /// use gradgen_runtime::train::Evaluation;
    ///
    /// assert_eq!(Evaluation::loss(0.5).metric, None);
    /// ```
    pub fn loss(loss: f64) -> Self {
        Evaluation { loss, metric: None }
    }

    /// A validation loss and a metric.
    pub fn with_metric(loss: f64, metric: f64) -> Self {
        Evaluation {
            loss,
            metric: Some(metric),
        }
    }
}

/// How [`Run::fit`] ended, when it ended without an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// All epochs ran.
    Completed,
    /// Early stopping ended the run after this many epochs.
    EarlyStopped {
        /// The number of completed epochs.
        epochs: usize,
    },
    /// Ctrl-C (or [`interrupt`]) stopped the run after the step under way;
    /// the checkpoint, if configured, holds the position.
    Interrupted,
}

/// The best parameters seen, by the monitored number.
#[derive(Clone, Debug, PartialEq)]
pub struct Best<P> {
    /// The epoch (0-based) after which they were seen.
    pub epoch: usize,
    /// The monitored number then.
    pub score: f64,
    /// The parameters.
    pub params: P,
}

/// A training run: the parameters and everything that moves with them.
///
/// Made by [`Trainer::start`] or [`Trainer::resume`]; trained by
/// [`Run::fit`]. Its fields may be read (and the parameters used) at any
/// time.
pub struct Run<P: Parameters, O: Optimizer<P>, S: Schedule> {
    /// The configuration.
    pub config: Trainer,
    /// The current parameters.
    pub params: P,
    /// The optimizer (its learning rate is set from the schedule).
    pub optimizer: O,
    /// The optimizer's state.
    pub state: O::State,
    /// The learning-rate schedule.
    pub schedule: S,
    /// One record per completed epoch.
    pub history: History,
    /// The best parameters so far, by the monitored number.
    pub best: Option<Best<P>>,
    /// The run's random generator (also lent to the gradient closure).
    pub rng: ChaCha8Rng,
    lr0: f64,
    sampler: BatchSampler,
    epoch: usize,
    step: u64,
    partial: EpochSums,
    bad_epochs: usize,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static CTRLC: Once = Once::new();

/// Asks every running [`Run::fit`] to stop after its current step, as
/// Ctrl-C does. `fit` clears the request when it honours it.
///
/// ```
/// use gradgen_runtime::train::interrupt;
///
/// interrupt(); // the next `fit` with `catch_ctrlc` stops after one step
/// # gradgen_runtime::train::clear_interrupt();
/// ```
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Whether a stop has been requested (by Ctrl-C or [`interrupt`]) and not
/// yet honoured by a run.
///
/// ```
/// use gradgen_runtime::train::{clear_interrupt, interrupt, is_interrupted};
///
/// interrupt();
/// assert!(is_interrupted());
/// clear_interrupt();
/// assert!(!is_interrupted());
/// ```
pub fn is_interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Withdraws a request made by [`interrupt`] (or Ctrl-C) not yet honoured.
pub fn clear_interrupt() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}

fn catch_ctrlc() {
    CTRLC.call_once(|| {
        // Another handler may be installed by the program; then Ctrl-C is
        // its business and `interrupt` remains the way to stop a run.
        let _ = ctrlc::set_handler(interrupt);
    });
}

impl Trainer {
    /// A new run of `params` with `optimizer` and `schedule` over a data set
    /// of `examples` examples. The optimizer's learning rate is the base
    /// rate the schedule scales.
    pub fn start<P, O, S>(
        &self,
        params: P,
        optimizer: O,
        schedule: S,
        examples: usize,
    ) -> Run<P, O, S>
    where
        P: Parameters,
        O: Optimizer<P>,
        S: Schedule,
    {
        let state = optimizer.init(&params);
        Run {
            config: self.clone(),
            lr0: optimizer.lr(),
            state,
            optimizer,
            schedule,
            history: History::default(),
            best: None,
            rng: ChaCha8Rng::seed_from_u64(self.seed),
            sampler: BatchSampler::new(examples, self.batch_size.max(1), self.seed),
            epoch: 0,
            step: 0,
            partial: EpochSums::default(),
            bad_epochs: 0,
            params,
        }
    }

    /// The run saved in the checkpoint at `path`, ready to carry on: `fit`
    /// continues to bit for bit the result the uninterrupted run would have
    /// had. `params`, `optimizer`, `schedule` and `examples` are as for
    /// [`start`](Trainer::start); the checkpoint's values replace theirs
    /// (`params` gives the shapes), and this configuration's `epochs` (and
    /// the rest) apply from here on.
    ///
    /// # Errors
    ///
    /// [`TrainError::Io`] when the file cannot be read,
    /// [`TrainError::Corrupt`] when it is not a gradgen checkpoint, and
    /// [`TrainError::Mismatch`] when it was saved for other shapes, another
    /// scalar type, another optimizer, schedule, number of examples, batch
    /// size or seed.
    pub fn resume<P, O, S>(
        &self,
        path: impl AsRef<Path>,
        params: P,
        optimizer: O,
        schedule: S,
        examples: usize,
    ) -> Result<Run<P, O, S>, TrainError>
    where
        P: Parameters,
        O: Optimizer<P>,
        S: Schedule,
    {
        let path = path.as_ref();
        let saved = Checkpoint::load::<P::Scalar>(path)?;
        let mismatch = |reason: String| TrainError::Mismatch {
            path: path.to_owned(),
            reason,
        };
        let mut run = self.start(params, optimizer, schedule, examples);
        saved
            .params
            .load_into(&mut run.params, "its parameters")
            .map_err(mismatch)?;
        saved
            .optimizer
            .load_into(std::any::type_name::<O>(), &mut run.state)
            .map_err(mismatch)?;
        run.schedule
            .set_state(&saved.schedule)
            .map_err(|e| mismatch(format!("schedule: {e}")))?;
        if saved.sampler.seed != self.seed {
            return Err(mismatch(format!(
                "it was saved with seed {}, this run has {}",
                saved.sampler.seed, self.seed
            )));
        }
        run.sampler
            .restore(saved.sampler)
            .map_err(|e| mismatch(e.to_string()))?;
        if let Some(best) = saved.best {
            let mut params = run.params.clone();
            best.params
                .load_into(&mut params, "its best parameters")
                .map_err(mismatch)?;
            run.best = Some(Best {
                epoch: best.epoch,
                score: best.score,
                params,
            });
        }
        run.lr0 = saved.lr0;
        run.rng = saved.rng;
        run.epoch = saved.epoch;
        run.step = saved.step;
        run.partial = saved.partial;
        run.bad_epochs = saved.bad_epochs;
        run.history = saved.history;
        Ok(run)
    }
}

impl<P: Parameters, O: Optimizer<P>, S: Schedule> Run<P, O, S> {
    /// The number of completed epochs.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The number of optimizer steps taken over the whole run.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Trains until [`Trainer::epochs`] epochs are complete, early stopping
    /// ends the run, or Ctrl-C interrupts it.
    ///
    /// Each step calls `grad(point, batch)` for the loss and gradient of the
    /// minibatch `batch.rows` at `point` (the parameters, or the look-ahead
    /// point of a Nesterov form), then the optimizer's update. After each
    /// epoch, `eval(params)` gives the validation loss and metric (return
    /// `Evaluation::loss(f64::NAN)` to skip validation); the history records
    /// the epoch, the schedule observes the monitored number, early stopping
    /// and the best parameters follow it, and a checkpoint is written when
    /// due (every [`Checkpoints::every`] epochs, and at the end).
    ///
    /// # Errors
    ///
    /// [`TrainError::Diverged`] when a loss or gradient is not finite: the
    /// parameters and optimizer state stay as they were before that step,
    /// and no checkpoint is written over the last good one.
    /// [`TrainError::Io`] when a checkpoint cannot be written.
    /// [`TrainError::Config`] when there are no examples or the batch size
    /// is 0.
    pub fn fit<G, E>(&mut self, mut grad: G, mut eval: E) -> Result<Outcome, TrainError>
    where
        G: FnMut(&P, &mut Batch<'_>) -> (P::Scalar, P),
        E: FnMut(&P) -> Evaluation,
    {
        if self.sampler.is_empty() {
            return Err(TrainError::Config("the data set has no examples".into()));
        }
        if self.config.batch_size == 0 {
            return Err(TrainError::Config("the batch size is 0".into()));
        }
        if self.config.catch_ctrlc {
            catch_ctrlc();
        }
        let per_epoch = self.sampler.batches_per_epoch() as u64;
        let total = per_epoch * self.config.epochs as u64;
        let reporter = Reporter::new(self.config.progress, total, self.step);
        let result = self.epochs(&mut grad, &mut eval, &reporter);
        reporter.finish();
        result
    }

    fn epochs<G, E>(
        &mut self,
        grad: &mut G,
        eval: &mut E,
        reporter: &Reporter,
    ) -> Result<Outcome, TrainError>
    where
        G: FnMut(&P, &mut Batch<'_>) -> (P::Scalar, P),
        E: FnMut(&P) -> Evaluation,
    {
        while self.epoch < self.config.epochs {
            let started = Instant::now();
            if self.config.schedule_per == SchedulePer::Epoch {
                self.optimizer
                    .set_lr(self.schedule.lr(self.lr0, self.epoch));
            }
            let mut step_in_epoch = self.partial.steps;
            while let Some(rows) = self.sampler.next_batch() {
                if self.config.schedule_per == SchedulePer::Step {
                    let t = usize::try_from(self.step).unwrap_or(usize::MAX);
                    self.optimizer.set_lr(self.schedule.lr(self.lr0, t));
                }
                let point = self.optimizer.lookahead(&self.state, &self.params);
                let mut batch = Batch {
                    rows,
                    epoch: self.epoch,
                    step: step_in_epoch,
                    rng: &mut self.rng,
                };
                let (loss, g) = grad(point.as_ref().unwrap_or(&self.params), &mut batch);
                let loss = loss.to_f64_exact();
                let what = if !loss.is_finite() {
                    Some("loss")
                } else if !g.all_finite() {
                    Some("gradient")
                } else {
                    None
                };
                if let Some(what) = what {
                    return Err(TrainError::Diverged {
                        epoch: self.epoch,
                        step: step_in_epoch,
                        what,
                        loss,
                    });
                }
                self.partial.grad_norm += g.norm().to_f64_exact();
                self.optimizer.update(&mut self.state, &mut self.params, g);
                self.partial.loss += loss;
                self.partial.steps += 1;
                self.partial.lr = self.optimizer.lr();
                self.step += 1;
                step_in_epoch += 1;
                reporter.step(self.epoch, loss);
                if self.config.catch_ctrlc && INTERRUPTED.swap(false, Ordering::SeqCst) {
                    self.partial.seconds += started.elapsed().as_secs_f64();
                    self.save_checkpoint()?;
                    reporter.note(&format!(
                        "interrupted at epoch {}, step {step_in_epoch}",
                        self.epoch
                    ));
                    return Ok(Outcome::Interrupted);
                }
            }
            let stop = self.end_epoch(eval, started, reporter);
            let due = self
                .config
                .checkpoints
                .as_ref()
                .is_some_and(|c| c.every > 0 && self.epoch.is_multiple_of(c.every));
            if due || stop || self.epoch == self.config.epochs {
                self.save_checkpoint()?;
            }
            if stop {
                reporter.note(&format!("early stopping after epoch {}", self.epoch));
                return Ok(Outcome::EarlyStopped { epochs: self.epoch });
            }
        }
        Ok(Outcome::Completed)
    }

    /// Records the epoch just finished; returns whether to stop early.
    fn end_epoch<E: FnMut(&P) -> Evaluation>(
        &mut self,
        eval: &mut E,
        started: Instant,
        reporter: &Reporter,
    ) -> bool {
        let evaluation = eval(&self.params);
        let sums = std::mem::take(&mut self.partial);
        let steps = sums.steps.max(1) as f64;
        let record = EpochRecord {
            epoch: self.epoch,
            train_loss: sums.loss / steps,
            val_loss: Some(evaluation.loss).filter(|l| !l.is_nan()),
            val_metric: evaluation.metric,
            lr: sums.lr,
            grad_norm: sums.grad_norm / steps,
            steps: sums.steps,
            seconds: sums.seconds + started.elapsed().as_secs_f64(),
        };
        reporter.epoch(&record, self.config.epochs);
        let stopping = self.config.early_stopping.unwrap_or_default();
        let score = match stopping.monitor {
            Monitor::ValLoss => record.val_loss.unwrap_or(record.train_loss),
            Monitor::ValMetric => record.val_metric.unwrap_or(f64::NAN),
        };
        self.schedule
            .observe(record.val_loss.unwrap_or(record.train_loss));
        let improved = !score.is_nan()
            && self.best.as_ref().is_none_or(|best| {
                stopping
                    .mode
                    .improves(score, best.score, stopping.min_delta)
            });
        if improved {
            self.best = Some(Best {
                epoch: self.epoch,
                score,
                params: self.params.clone(),
            });
            self.bad_epochs = 0;
        } else {
            self.bad_epochs += 1;
        }
        self.history.epochs.push(record);
        self.epoch += 1;
        self.config
            .early_stopping
            .is_some_and(|s| self.bad_epochs >= s.patience.max(1))
    }

    /// Writes the checkpoint, when checkpoints are configured.
    fn save_checkpoint(&self) -> Result<(), TrainError> {
        let Some(config) = &self.config.checkpoints else {
            return Ok(());
        };
        self.checkpoint().save(&config.path)
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            format: checkpoint::FORMAT.to_owned(),
            version: checkpoint::VERSION,
            scalar: std::any::type_name::<P::Scalar>().to_owned(),
            params: Tensors::of(&self.params),
            optimizer: OptimizerRecord::of(std::any::type_name::<O>(), &self.state),
            lr0: self.lr0,
            schedule: self.schedule.state(),
            epoch: self.epoch,
            step: self.step,
            sampler: self.sampler.state(),
            rng: self.rng.clone(),
            partial: self.partial,
            best: self.best.as_ref().map(|b| BestRecord {
                epoch: b.epoch,
                score: b.score,
                params: Tensors::of(&b.params),
            }),
            bad_epochs: self.bad_epochs,
            history: self.history.clone(),
        }
    }

    /// Writes a checkpoint of the run as it stands to `path` (atomically),
    /// whatever the configuration says.
    ///
    /// # Errors
    ///
    /// [`TrainError::Io`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        self.checkpoint().save(path.as_ref())
    }
}
