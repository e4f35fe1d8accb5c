//! The record a run keeps of every epoch.

use serde::{Deserialize, Serialize};

/// What one epoch did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The epoch (0-based).
    pub epoch: usize,
    /// The mean of the minibatch losses over the epoch (each as the gradient
    /// closure returned it, at the point its gradient was taken).
    pub train_loss: f64,
    /// The validation loss after the epoch, when an evaluation was given.
    pub val_loss: Option<f64>,
    /// The validation metric (such as accuracy) after the epoch, when the
    /// evaluation computes one.
    pub val_metric: Option<f64>,
    /// The learning rate of the epoch's last step.
    pub lr: f64,
    /// The mean over the epoch's steps of the global gradient norm (before
    /// any clipping).
    pub grad_norm: f64,
    /// The number of optimizer steps in the epoch.
    pub steps: usize,
    /// Wall-clock seconds the epoch took, evaluation included (the one field
    /// that differs between otherwise identical runs).
    pub seconds: f64,
}

/// The per-epoch records of a run, oldest first.
///
/// ```
/// use gradgen_runtime::train::{EpochRecord, History};
///
/// let mut history = History::default();
/// for (epoch, val) in [0.9, 0.5, 0.7].into_iter().enumerate() {
///     history.epochs.push(EpochRecord {
///         epoch,
///         train_loss: 1.0,
///         val_loss: Some(val),
///         val_metric: None,
///         lr: 0.1,
///         grad_norm: 1.0,
///         steps: 10,
///         seconds: 0.0,
///     });
/// }
/// assert_eq!(history.val_losses(), [0.9, 0.5, 0.7]);
/// assert_eq!(history.last().unwrap().epoch, 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// One record per completed epoch.
    pub epochs: Vec<EpochRecord>,
}

impl History {
    /// The training losses, one per epoch.
    pub fn train_losses(&self) -> Vec<f64> {
        self.epochs.iter().map(|e| e.train_loss).collect()
    }

    /// The validation losses of the epochs that have one.
    pub fn val_losses(&self) -> Vec<f64> {
        self.epochs.iter().filter_map(|e| e.val_loss).collect()
    }

    /// The record of the last completed epoch.
    pub fn last(&self) -> Option<&EpochRecord> {
        self.epochs.last()
    }

    /// The number of completed epochs.
    pub fn len(&self) -> usize {
        self.epochs.len()
    }

    /// Whether no epoch has completed.
    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }
}
