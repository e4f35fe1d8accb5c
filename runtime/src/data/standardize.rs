//! Standardisation: zero mean and unit variance per feature, fitted on the
//! training data only.

use ndarray::{Array1, Array2, ArrayBase, Axis, DataMut, Ix2, Zip};

use super::{Dataset, Splits};
use crate::Real;

/// Per-feature shift and scale that give the data it was fitted on zero mean
/// and unit variance in every column (as scikit-learn's `StandardScaler`).
///
/// Fit it on the training features only and apply the same transform to
/// validation and test data, so no statistic of held-out data leaks into
/// training. A feature constant on the training data keeps scale 1 (it
/// becomes 0 there rather than NaN).
///
/// ```
/// use gradgen_runtime::data::Standardizer;
/// use gradgen_runtime::ndarray::array;
///
/// let train = array![[1.0, 10.0], [3.0, 10.0]];
/// let scaler = Standardizer::fit(&train);
/// assert_eq!(scaler.mean(), &array![2.0, 10.0]);
/// assert_eq!(scaler.scale(), &array![1.0, 1.0]);
/// assert_eq!(scaler.transform(&train), array![[-1.0, 0.0], [1.0, 0.0]]);
/// assert_eq!(scaler.transform(&array![[5.0, 12.0]]), array![[3.0, 2.0]]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer<T = f64> {
    mean: Array1<T>,
    scale: Array1<T>,
}

impl<T: Real> Standardizer<T> {
    /// Fits the mean and the (population) standard deviation of every
    /// column of `features`.
    ///
    /// # Panics
    ///
    /// When `features` has no rows.
    pub fn fit(features: &Array2<T>) -> Self {
        let mean = features
            .mean_axis(Axis(0))
            .expect("cannot fit a Standardizer on data with no rows");
        let scale = features
            .std_axis(Axis(0), T::zero())
            .mapv(|s| if s > T::zero() { s } else { T::one() });
        Standardizer { mean, scale }
    }

    /// The per-feature means subtracted.
    pub fn mean(&self) -> &Array1<T> {
        &self.mean
    }

    /// The per-feature standard deviations divided by (1 for constant features).
    pub fn scale(&self) -> &Array1<T> {
        &self.scale
    }

    /// `(x - mean) / scale`, column by column, in a new array.
    ///
    /// # Panics
    ///
    /// When `features` has another number of columns than the data fitted.
    pub fn transform(&self, features: &Array2<T>) -> Array2<T> {
        let mut out = features.clone();
        self.transform_inplace(&mut out);
        out
    }

    /// `(x - mean) / scale`, column by column, in place.
    ///
    /// # Panics
    ///
    /// When `features` has another number of columns than the data fitted.
    pub fn transform_inplace<S: DataMut<Elem = T>>(&self, features: &mut ArrayBase<S, Ix2>) {
        self.check(features.ncols());
        for mut row in features.rows_mut() {
            Zip::from(&mut row)
                .and(&self.mean)
                .and(&self.scale)
                .for_each(|x, &mean, &scale| *x = (*x - mean) / scale);
        }
    }

    /// `x * scale + mean`: undoes [`transform`](Standardizer::transform).
    ///
    /// # Panics
    ///
    /// When `features` has another number of columns than the data fitted.
    pub fn inverse_transform(&self, features: &Array2<T>) -> Array2<T> {
        self.check(features.ncols());
        let mut out = features.clone();
        for mut row in out.rows_mut() {
            Zip::from(&mut row)
                .and(&self.mean)
                .and(&self.scale)
                .for_each(|x, &mean, &scale| *x = *x * scale + mean);
        }
        out
    }

    /// Standardises the features of `data` in place.
    ///
    /// # Panics
    ///
    /// When `data` has another number of features than the data fitted.
    pub fn apply<Y: Clone>(&self, data: &mut Dataset<T, Y>) {
        self.transform_inplace(&mut data.features_mut());
    }

    fn check(&self, columns: usize) {
        assert_eq!(
            columns,
            self.mean.len(),
            "the Standardizer was fitted on {} features, not {columns}",
            self.mean.len()
        );
    }
}

impl<T: Real, Y: Clone> Splits<T, Y> {
    /// Fits a [`Standardizer`] on the training part and applies it to all
    /// three parts; returns it, to apply to new data later.
    ///
    /// ```
    /// use gradgen_runtime::data::Dataset;
    /// use gradgen_runtime::ndarray::{Array1, Array2, Axis};
    ///
    /// let data: Dataset = Dataset::new(
    ///     Array2::from_shape_fn((20, 2), |(i, j)| (i * (j + 1)) as f64),
    ///     Array1::from_shape_fn(20, |i| i % 2),
    /// )?;
    /// let mut splits = data.split(0.25, 0.25, 3)?;
    /// let scaler = splits.standardize();
    /// let mean = splits.train.features().mean_axis(Axis(0)).unwrap();
    /// assert!(mean.iter().all(|m| m.abs() < 1e-12));
    /// # let _ = scaler;
    /// # Ok::<(), gradgen_runtime::data::DataError>(())
    /// ```
    ///
    /// # Panics
    ///
    /// When the training part is empty.
    pub fn standardize(&mut self) -> Standardizer<T> {
        let scaler = Standardizer::fit(self.train.features());
        scaler.apply(&mut self.train);
        scaler.apply(&mut self.validation);
        scaler.apply(&mut self.test);
        scaler
    }
}
