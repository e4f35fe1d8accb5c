//! What can stop a training run.

use std::path::PathBuf;

/// Why [`Run::fit`](super::Run::fit) or
/// [`Trainer::resume`](super::Trainer::resume) failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The loss or the gradient stopped being finite. The run's parameters
    /// are those before the failing step; checkpoints already written are
    /// untouched.
    #[error(
        "training diverged at epoch {epoch}, step {step} of the epoch: the {what} is not finite (loss {loss}); lower the learning rate or clip the gradient"
    )]
    Diverged {
        /// The epoch (0-based).
        epoch: usize,
        /// The step within the epoch (0-based).
        step: usize,
        /// `"loss"` or `"gradient"`.
        what: &'static str,
        /// The loss at the failing step.
        loss: f64,
    },
    /// A checkpoint could not be written or read.
    #[error("checkpoint {}: {source}", path.display())]
    Io {
        /// The checkpoint file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A checkpoint file is not a checkpoint gradgen can read.
    #[error("checkpoint {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A checkpoint is for another model, optimizer, data set or schedule.
    #[error("checkpoint {} does not match this run: {reason}", path.display())]
    Mismatch {
        /// The checkpoint file.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// The configuration cannot run (no examples, a batch size of zero).
    #[error("cannot train: {0}")]
    Config(String),
}
