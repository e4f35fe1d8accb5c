//! Data: a [`Dataset`] of features and targets, read from arrays or CSV, split,
//! standardised, one-hot encoded and served in shuffled minibatches.
//!
//! Each job lives in its own small module:
//!
//! - [`Dataset`] holds an `Array2` of features (one row per example) and an
//!   `Array1` of targets: class labels (`usize`) for classification, real
//!   values (`f32`/`f64`) for regression.
//! - [`CsvOptions`] and [`Dataset::from_csv`] read plain or gzip'd CSV; a
//!   malformed file is a [`DataError`] naming the line and column.
//! - [`Dataset::split`] makes a seeded train/validation/test [`Splits`].
//! - [`Standardizer`] is fitted on training features and applied to any.
//! - [`one_hot`] encodes class labels.
//! - [`BatchSampler`] shuffles without replacement each epoch, seeded, with a
//!   [`SamplerState`] to checkpoint and restore.
//!
//! ```
//! use gradgen_runtime::data::{BatchSampler, Dataset};
//! use gradgen_runtime::ndarray::{array, Array1};
//!
//! let data: Dataset = Dataset::new(
//!     array![[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0], [4.0, 0.5]],
//!     Array1::from(vec![0, 1, 0, 1, 1]),
//! )?;
//! let splits = data.split(0.2, 0.2, 42)?;
//! assert_eq!(splits.train.len(), 3);
//!
//! let mut sampler = BatchSampler::new(splits.train.len(), 2, 7);
//! let mut batch = Dataset::default();
//! let mut seen = 0;
//! while let Some(rows) = sampler.next_batch() {
//!     splits.train.select_into(rows, &mut batch);
//!     seen += batch.len();
//! }
//! assert_eq!(seen, 3);
//! # Ok::<(), gradgen_runtime::data::DataError>(())
//! ```

mod dataset;
mod error;
mod onehot;
mod read;
mod sampler;
mod split;
mod standardize;

pub use dataset::{Dataset, Target};
pub use error::DataError;
pub use onehot::one_hot;
pub use read::CsvOptions;
pub use sampler::{BatchSampler, SamplerState};
pub use split::{SplitIndices, Splits};
pub use standardize::Standardizer;
