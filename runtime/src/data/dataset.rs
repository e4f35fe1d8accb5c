//! The dataset: features and targets, row by row.

use std::fmt::Debug;

use ndarray::{Array1, Array2, ArrayViewMut2, Axis};

use super::DataError;

/// Examples as rows of features with one target each.
///
/// `T` is the feature scalar (`f64` by default, or `f32`); `Y` the target:
/// `usize` class labels for classification (the default), `f64`/`f32` values
/// for regression. Row `i` of [`features`](Dataset::features) goes with
/// entry `i` of [`targets`](Dataset::targets).
///
/// A dataset is also the buffer a minibatch is gathered into: see
/// [`select_into`](Dataset::select_into).
///
/// ```
/// use gradgen_runtime::data::Dataset;
/// use gradgen_runtime::ndarray::array;
///
/// // Regression: real targets.
/// let data: Dataset<f64, f64> =
///     Dataset::new(array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], array![0.5, 1.5, 2.5])?;
/// assert_eq!(data.len(), 3);
/// assert_eq!(data.num_features(), 2);
/// let picked = data.select(&[2, 0]);
/// assert_eq!(picked.features(), &array![[5.0, 6.0], [1.0, 2.0]]);
/// assert_eq!(picked.targets(), &array![2.5, 0.5]);
/// # Ok::<(), gradgen_runtime::data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<T = f64, Y = usize> {
    features: Array2<T>,
    targets: Array1<Y>,
}

impl<T, Y> Default for Dataset<T, Y> {
    /// An empty dataset with no rows and no features: a buffer for
    /// [`select_into`](Dataset::select_into).
    fn default() -> Self {
        Dataset {
            features: Array2::from_shape_vec((0, 0), Vec::new())
                .expect("0x0 shape fits no elements"),
            targets: Array1::from(Vec::new()),
        }
    }
}

impl<T: Clone, Y: Clone> Dataset<T, Y> {
    /// A dataset from features (one row per example) and one target per row.
    ///
    /// # Errors
    ///
    /// [`DataError::LengthMismatch`] when the number of rows differs from the
    /// number of targets.
    pub fn new(features: Array2<T>, targets: Array1<Y>) -> Result<Self, DataError> {
        if features.nrows() != targets.len() {
            return Err(DataError::LengthMismatch {
                features: features.nrows(),
                targets: targets.len(),
            });
        }
        Ok(Dataset { features, targets })
    }

    /// The features, one row per example.
    pub fn features(&self) -> &Array2<T> {
        &self.features
    }

    /// The features, writable in place (their shape stays fixed).
    pub fn features_mut(&mut self) -> ArrayViewMut2<'_, T> {
        self.features.view_mut()
    }

    /// The targets, one per example.
    pub fn targets(&self) -> &Array1<Y> {
        &self.targets
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The number of features per example.
    pub fn num_features(&self) -> usize {
        self.features.ncols()
    }

    /// The features and targets, taken apart.
    pub fn into_parts(self) -> (Array2<T>, Array1<Y>) {
        (self.features, self.targets)
    }

    /// A new dataset of the rows at `indices`, in that order (repeats allowed).
    ///
    /// # Panics
    ///
    /// When an index is out of bounds.
    pub fn select(&self, indices: &[usize]) -> Self {
        Dataset {
            features: self.features.select(Axis(0), indices),
            targets: self.targets.select(Axis(0), indices),
        }
    }

    /// Gathers the rows at `indices` into `out`, reusing its memory when it
    /// already has that many rows and this many features (as every full
    /// minibatch of an epoch does), and reallocating otherwise.
    ///
    /// ```
    /// use gradgen_runtime::data::Dataset;
    /// use gradgen_runtime::ndarray::array;
    ///
    /// let data: Dataset = Dataset::new(array![[1.0], [2.0], [3.0]], array![0, 1, 2])?;
    /// let mut batch = Dataset::default();
    /// data.select_into(&[2, 1], &mut batch);
    /// assert_eq!(batch.features(), &array![[3.0], [2.0]]);
    /// assert_eq!(batch.targets(), &array![2, 1]);
    /// # Ok::<(), gradgen_runtime::data::DataError>(())
    /// ```
    ///
    /// # Panics
    ///
    /// When an index is out of bounds.
    pub fn select_into(&self, indices: &[usize], out: &mut Self) {
        if out.features.dim() != (indices.len(), self.num_features()) {
            *out = self.select(indices);
            return;
        }
        for ((mut row, target), &i) in out
            .features
            .rows_mut()
            .into_iter()
            .zip(out.targets.iter_mut())
            .zip(indices)
        {
            row.assign(&self.features.row(i));
            target.clone_from(&self.targets[i]);
        }
    }
}

impl<T> Dataset<T, usize> {
    /// The number of classes: one more than the largest label (0 when empty).
    ///
    /// A part of a split may lack the largest label: take the number of
    /// classes from the whole dataset.
    pub fn num_classes(&self) -> usize {
        self.targets.iter().max().map_or(0, |&max| max + 1)
    }
}

/// A target type a CSV column can be read as: `usize` class labels, or
/// `f64`/`f32` real values.
///
/// ```
/// use gradgen_runtime::data::Target;
///
/// assert_eq!(<usize as Target>::parse_field("7"), Some(7));
/// assert_eq!(<usize as Target>::parse_field("-1"), None);
/// assert_eq!(<f64 as Target>::parse_field("2.5"), Some(2.5));
/// assert_eq!(<f64 as Target>::parse_field("nan"), None);
/// ```
pub trait Target: Clone + Debug + Send + Sync + 'static {
    /// What a field of this type looks like, for error messages.
    const EXPECTED: &'static str;

    /// The value a CSV field holds, or `None` when it holds none.
    fn parse_field(field: &str) -> Option<Self>;
}

impl Target for usize {
    const EXPECTED: &'static str = "an integer label";

    fn parse_field(field: &str) -> Option<Self> {
        field.parse().ok()
    }
}

macro_rules! real_target {
    ($($t:ty),*) => {$(
        impl Target for $t {
            const EXPECTED: &'static str = "a finite number";

            fn parse_field(field: &str) -> Option<Self> {
                field.parse::<$t>().ok().filter(|x| x.is_finite())
            }
        }
    )*};
}
real_target!(f32, f64);
