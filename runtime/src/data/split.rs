//! Seeded train/validation/test splits.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{DataError, Dataset};

/// The row indices of a train/validation/test split.
///
/// Together the three parts hold every index below the number of examples
/// exactly once. Each part lists its indices in the shuffled order the
/// split drew them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitIndices {
    /// Rows for fitting the parameters.
    pub train: Vec<usize>,
    /// Rows for choosing hyper-parameters and stopping early.
    pub validation: Vec<usize>,
    /// Rows held out for the final estimate.
    pub test: Vec<usize>,
}

impl SplitIndices {
    /// Shuffles `0..len` with a generator seeded by `seed` and cuts it into
    /// a test part of `round(test * len)` rows, a validation part of
    /// `round(validation * len)` rows, and the rest for training.
    ///
    /// The same `len`, fractions and seed always give the same split, on
    /// every platform.
    ///
    /// ```
    /// use gradgen_runtime::data::SplitIndices;
    ///
    /// let split = SplitIndices::new(10, 0.2, 0.3, 1)?;
    /// assert_eq!((split.train.len(), split.validation.len(), split.test.len()), (5, 2, 3));
    /// assert_eq!(split, SplitIndices::new(10, 0.2, 0.3, 1)?);
    /// # Ok::<(), gradgen_runtime::data::DataError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`DataError::SplitFractions`] unless both fractions are at least 0,
    /// their sum is below 1, and at least one row is left for training
    /// (when `len > 0`).
    pub fn new(len: usize, validation: f64, test: f64, seed: u64) -> Result<Self, DataError> {
        let invalid = DataError::SplitFractions {
            len,
            validation,
            test,
        };
        // Written so that NaN fails too.
        if !(validation >= 0.0 && test >= 0.0 && validation + test < 1.0) {
            return Err(invalid);
        }
        let n_test = (test * len as f64).round() as usize;
        let n_validation = (validation * len as f64).round() as usize;
        if len > 0 && n_test + n_validation >= len {
            return Err(invalid);
        }
        let mut order: Vec<usize> = (0..len).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let mut validation = order.split_off(len - n_test - n_validation);
        let test = validation.split_off(n_validation);
        Ok(SplitIndices {
            train: order,
            validation,
            test,
        })
    }
}

/// A dataset cut into train, validation and test parts by
/// [`Dataset::split`].
#[derive(Clone, Debug, PartialEq)]
pub struct Splits<T = f64, Y = usize> {
    /// Examples for fitting the parameters.
    pub train: Dataset<T, Y>,
    /// Examples for choosing hyper-parameters and stopping early.
    pub validation: Dataset<T, Y>,
    /// Examples held out for the final estimate.
    pub test: Dataset<T, Y>,
    /// Which rows of the original dataset went where.
    pub indices: SplitIndices,
}

impl<T: Clone, Y: Clone> Dataset<T, Y> {
    /// Splits the examples at random into train, validation and test parts,
    /// as [`SplitIndices::new`] does with this dataset's length.
    ///
    /// ```
    /// use gradgen_runtime::data::Dataset;
    /// use gradgen_runtime::ndarray::{Array1, Array2};
    ///
    /// let data: Dataset<f64, f64> = Dataset::new(
    ///     Array2::from_shape_fn((100, 3), |(i, j)| (i * j) as f64),
    ///     Array1::from_shape_fn(100, |i| i as f64),
    /// )?;
    /// let splits = data.split(0.15, 0.15, 7)?;
    /// assert_eq!(splits.train.len(), 70);
    /// assert_eq!(splits.validation.len(), 15);
    /// assert_eq!(splits.test.len(), 15);
    /// # Ok::<(), gradgen_runtime::data::DataError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`DataError::SplitFractions`] as for [`SplitIndices::new`].
    pub fn split(&self, validation: f64, test: f64, seed: u64) -> Result<Splits<T, Y>, DataError> {
        let indices = SplitIndices::new(self.len(), validation, test, seed)?;
        Ok(Splits {
            train: self.select(&indices.train),
            validation: self.select(&indices.validation),
            test: self.select(&indices.test),
            indices,
        })
    }
}
