//! Minibatches: a fresh shuffle without replacement every epoch.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::DataError;

/// Deals out the indices `0..len` in minibatches, shuffled afresh (without
/// replacement) every epoch; an epoch is one pass over all examples.
///
/// The order of epoch `e` depends only on the seed and `e` (a ChaCha8
/// generator seeded with `seed` on stream `e`), so a run is reproducible
/// and the whole position fits in a small [`SamplerState`] that a
/// checkpoint saves and [`restore`](BatchSampler::restore) brings back.
///
/// [`next_batch`](BatchSampler::next_batch) returns `None` once at the end of
/// every epoch, which ends a `while let` loop over that epoch; the next call
/// starts the next epoch.
///
/// ```
/// use gradgen_runtime::data::BatchSampler;
///
/// let mut sampler = BatchSampler::new(10, 4, 42);
/// for epoch in 0..3 {
///     assert_eq!(sampler.epoch(), epoch);
///     let mut sizes = Vec::new();
///     while let Some(rows) = sampler.next_batch() {
///         sizes.push(rows.len());
///     }
///     assert_eq!(sizes, [4, 4, 2]);
/// }
/// ```
#[derive(Clone, Debug)]
pub struct BatchSampler {
    state: SamplerState,
    /// The order of the epoch `order_epoch`, when it has been drawn.
    order: Vec<usize>,
    order_epoch: Option<u64>,
}

/// Where a [`BatchSampler`] stands: all it needs to carry on exactly where it
/// was. A plain value, serialisable with serde for checkpoints.
///
/// ```
/// use gradgen_runtime::data::BatchSampler;
///
/// let mut sampler = BatchSampler::new(100, 8, 7);
/// sampler.next_batch();
/// let saved = sampler.state();
/// let expected = sampler.next_batch().unwrap().to_vec();
///
/// let mut resumed = BatchSampler::new(100, 8, 0);
/// resumed.restore(saved)?;
/// assert_eq!(resumed.next_batch().unwrap(), expected);
/// # Ok::<(), gradgen_runtime::data::DataError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SamplerState {
    /// The number of examples per epoch.
    pub len: usize,
    /// The number of examples per batch (the last batch of an epoch may be
    /// smaller, unless `drop_last`).
    pub batch_size: usize,
    /// Whether a last batch smaller than `batch_size` is skipped.
    pub drop_last: bool,
    /// The seed every epoch's shuffle derives from.
    pub seed: u64,
    /// The epoch under way (0-based): the number of epochs completed.
    pub epoch: u64,
    /// How many examples of this epoch have been dealt out.
    pub position: usize,
}

impl BatchSampler {
    /// A sampler over `len` examples in batches of `batch_size`, shuffled
    /// with `seed`, at the start of epoch 0. The last batch of an epoch
    /// holds the remainder (see [`drop_last`](BatchSampler::drop_last)).
    ///
    /// # Panics
    ///
    /// When `batch_size` is 0.
    pub fn new(len: usize, batch_size: usize, seed: u64) -> Self {
        assert!(batch_size > 0, "a batch must hold at least one example");
        BatchSampler {
            state: SamplerState {
                len,
                batch_size,
                drop_last: false,
                seed,
                epoch: 0,
                position: 0,
            },
            order: Vec::new(),
            order_epoch: None,
        }
    }

    /// Whether to skip the last batch of an epoch when it is smaller than
    /// the batch size (PyTorch's `drop_last`). Off by default.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.state.drop_last = drop_last;
        self
    }

    /// The indices of the next minibatch, or `None` at the end of an epoch
    /// (after which the next epoch begins).
    pub fn next_batch(&mut self) -> Option<&[usize]> {
        let SamplerState {
            len,
            batch_size,
            drop_last,
            position,
            epoch,
            ..
        } = self.state;
        let left = len - position;
        if left == 0 || (drop_last && left < batch_size) {
            self.state.epoch += 1;
            self.state.position = 0;
            return None;
        }
        if self.order_epoch != Some(epoch) {
            self.order = epoch_order(len, self.state.seed, epoch);
            self.order_epoch = Some(epoch);
        }
        let end = position + left.min(batch_size);
        self.state.position = end;
        Some(&self.order[position..end])
    }

    /// The epoch under way (0-based): the number of completed epochs.
    pub fn epoch(&self) -> u64 {
        self.state.epoch
    }

    /// The number of examples per epoch.
    pub fn len(&self) -> usize {
        self.state.len
    }

    /// Whether there are no examples (every epoch is empty).
    pub fn is_empty(&self) -> bool {
        self.state.len == 0
    }

    /// The number of batches in every epoch.
    pub fn batches_per_epoch(&self) -> usize {
        let SamplerState {
            len,
            batch_size,
            drop_last,
            ..
        } = self.state;
        if drop_last {
            len / batch_size
        } else {
            len.div_ceil(batch_size)
        }
    }

    /// Where the sampler stands, to save in a checkpoint.
    pub fn state(&self) -> SamplerState {
        self.state
    }

    /// Carries on from a saved `state`: the next batch is the one that
    /// followed when the state was saved. The seed, epoch, position and
    /// `drop_last` are taken from `state`.
    ///
    /// # Errors
    ///
    /// [`DataError::SamplerMismatch`] when `state` is for another number of
    /// examples or another batch size, and [`DataError::SamplerPosition`]
    /// when its position is past the end of the epoch; the sampler is left
    /// unchanged then.
    pub fn restore(&mut self, state: SamplerState) -> Result<(), DataError> {
        if state.len != self.state.len || state.batch_size != self.state.batch_size {
            return Err(DataError::SamplerMismatch {
                saved_len: state.len,
                saved_batch: state.batch_size,
                len: self.state.len,
                batch: self.state.batch_size,
            });
        }
        if state.position > state.len {
            return Err(DataError::SamplerPosition {
                position: state.position,
                len: state.len,
            });
        }
        if state.seed != self.state.seed {
            self.order_epoch = None;
        }
        self.state = state;
        Ok(())
    }
}

/// The shuffled order of `0..len` for one epoch.
fn epoch_order(len: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch);
    let mut order: Vec<usize> = (0..len).collect();
    order.shuffle(&mut rng);
    order
}
