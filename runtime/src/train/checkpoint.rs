//! Checkpoints: everything a run needs to carry on bit for bit, written
//! atomically as JSON.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{History, TrainError};
use crate::data::SamplerState;
use crate::optim::OptimizerState;
use crate::{Parameters, Real};

/// The format tag at the top of every checkpoint file.
pub(crate) const FORMAT: &str = "gradgen-checkpoint";
/// The version of the layout below.
pub(crate) const VERSION: u32 = 1;

/// A value of a [`Parameters`] type, flattened: its leaf shapes and scalars
/// (as `f64`, exact for `f32` too).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tensors {
    pub shapes: Vec<Vec<usize>>,
    pub values: Vec<f64>,
}

impl Tensors {
    pub fn of<P: Parameters>(p: &P) -> Self {
        Tensors {
            shapes: p.shapes(),
            values: p.to_flat().into_iter().map(Real::to_f64_exact).collect(),
        }
    }

    /// Writes these values into `p`, which must have the same shapes.
    pub fn load_into<P: Parameters>(&self, p: &mut P, what: &str) -> Result<(), String> {
        if self.shapes != p.shapes() {
            return Err(format!(
                "{what} have leaf shapes {:?}, the model has {:?}",
                self.shapes,
                p.shapes()
            ));
        }
        let flat: Vec<P::Scalar> = self
            .values
            .iter()
            .map(|&x| P::Scalar::from_f64_lossy(x))
            .collect();
        p.copy_from_flat(&flat)
            .map_err(|n| format!("{what} hold {} scalars, the model {n}", self.values.len()))
    }
}

/// The optimizer's part of a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct OptimizerRecord {
    /// The optimizer's type, to refuse a checkpoint of another.
    pub kind: String,
    pub count: u64,
    pub buffers: Vec<(String, Tensors)>,
}

impl OptimizerRecord {
    pub fn of<P: Parameters, St: OptimizerState<P>>(kind: &str, state: &St) -> Self {
        OptimizerRecord {
            kind: kind.to_owned(),
            count: state.count(),
            buffers: state
                .buffers()
                .into_iter()
                .map(|(name, b)| (name.to_owned(), Tensors::of(b)))
                .collect(),
        }
    }

    pub fn load_into<P: Parameters, St: OptimizerState<P>>(
        &self,
        kind: &str,
        state: &mut St,
    ) -> Result<(), String> {
        if self.kind != kind {
            return Err(format!(
                "it was saved by optimizer {}, this run uses {kind}",
                self.kind
            ));
        }
        let mut buffers = state.buffers_mut();
        if buffers.len() != self.buffers.len() {
            return Err(format!(
                "it holds {} optimizer buffers, this optimizer has {}",
                self.buffers.len(),
                buffers.len()
            ));
        }
        for ((name, saved), (expected, buffer)) in self.buffers.iter().zip(buffers.iter_mut()) {
            if name != expected {
                return Err(format!(
                    "it holds optimizer buffer `{name}` where `{expected}` belongs"
                ));
            }
            saved.load_into(*buffer, &format!("optimizer buffer `{name}`"))?;
        }
        state.set_count(self.count);
        Ok(())
    }
}

/// Sums over the steps of an epoch under way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct EpochSums {
    pub loss: f64,
    pub grad_norm: f64,
    pub steps: usize,
    pub seconds: f64,
    pub lr: f64,
}

/// Early stopping's memory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct BestRecord {
    pub epoch: usize,
    pub score: f64,
    pub params: Tensors,
}

/// A whole checkpoint file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub format: String,
    pub version: u32,
    /// `f32` or `f64`.
    pub scalar: String,
    pub params: Tensors,
    pub optimizer: OptimizerRecord,
    /// The base learning rate the schedule scales.
    pub lr0: f64,
    /// The schedule's own state (reduce-on-plateau's).
    pub schedule: Value,
    /// Completed epochs.
    pub epoch: usize,
    /// Optimizer steps taken over the whole run.
    pub step: u64,
    pub sampler: SamplerState,
    pub rng: ChaCha8Rng,
    pub partial: EpochSums,
    pub best: Option<BestRecord>,
    pub bad_epochs: usize,
    pub history: History,
}

impl Checkpoint {
    /// Writes the checkpoint to `path` atomically: a temporary file in the
    /// same directory, flushed to disk, renamed over `path`.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let io = |source| TrainError::Io {
            path: path.to_owned(),
            source,
        };
        let text = serde_json::to_vec(self).map_err(|e| io(std::io::Error::other(e)))?;
        let tmp = temporary_path(path);
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            fs::rename(&tmp, path)?;
            // Make the rename itself durable (best effort: not every
            // platform can open a directory).
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                && let Ok(dir) = File::open(dir)
            {
                let _ = dir.sync_all();
            }
            Ok(())
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io(e)
        })
    }

    /// Reads and checks a checkpoint written by [`save`](Checkpoint::save).
    pub fn load<S: Real>(path: &Path) -> Result<Self, TrainError> {
        let text = fs::read(path).map_err(|source| TrainError::Io {
            path: path.to_owned(),
            source,
        })?;
        let corrupt = |reason: String| TrainError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let value: Value =
            serde_json::from_slice(&text).map_err(|e| corrupt(format!("not JSON ({e})")))?;
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(corrupt(format!(
                "no `\"format\": \"{FORMAT}\"` at the top: not a gradgen checkpoint"
            )));
        }
        let version = value.get("version").and_then(Value::as_u64);
        if version != Some(u64::from(VERSION)) {
            return Err(corrupt(format!(
                "layout version {version:?}, this gradgen reads version {VERSION}"
            )));
        }
        let checkpoint = Checkpoint::deserialize(value).map_err(|e| corrupt(e.to_string()))?;
        let scalar = std::any::type_name::<S>();
        if checkpoint.scalar != scalar {
            return Err(TrainError::Mismatch {
                path: path.to_owned(),
                reason: format!(
                    "its parameters are {}, this model's are {scalar}",
                    checkpoint.scalar
                ),
            });
        }
        Ok(checkpoint)
    }
}

/// `dir/.name.tmp-PID`, beside `path` so the rename stays on one file system.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}
