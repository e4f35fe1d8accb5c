//! One-hot encoding of class labels.

use ndarray::{Array2, ArrayView1};

use crate::Real;

/// The one-hot encoding of `labels`: row `i` is all zeros but a one in
/// column `labels[i]`.
///
/// Take `num_classes` from the whole dataset
/// ([`Dataset::num_classes`](super::Dataset::num_classes)), not from a
/// minibatch that may lack the largest label.
///
/// ```
/// use gradgen_runtime::data::one_hot;
/// use gradgen_runtime::ndarray::array;
///
/// let y = one_hot::<f64>(array![2, 0].view(), 3);
/// assert_eq!(y, array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
/// ```
///
/// # Panics
///
/// When a label is `num_classes` or more.
pub fn one_hot<T: Real>(labels: ArrayView1<'_, usize>, num_classes: usize) -> Array2<T> {
    let mut out = Array2::zeros((labels.len(), num_classes));
    for (mut row, &label) in out.rows_mut().into_iter().zip(labels) {
        assert!(
            label < num_classes,
            "label {label} is out of range for {num_classes} classes"
        );
        row[label] = T::one();
    }
    out
}
