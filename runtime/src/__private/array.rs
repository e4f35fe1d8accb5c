//! What the array helpers share: viewing whatever the user wrote (an owned
//! array, a view, a reference, a scalar) as an array, co-broadcasting two
//! shapes as ndarray's operators do, and summing an adjoint back over the
//! axes an operand was broadcast along.

use ndarray::{
    Array, ArrayBase, ArrayRef, ArrayView, ArrayViewD, ArrayViewMutD, Axis, Data, Dimension, Ix0,
    Zip,
};

use crate::{Differentiable, Real};

/// A value that reads as an ndarray array: any `ArrayBase` (owned, view,
/// `CowArray`, ...), an `ArrayRef`, or a reference to one of those.
pub trait ArrayLike {
    /// The element type.
    type Elem: Real;
    /// The dimension type.
    type Dim: Dimension;
    /// A view of the elements.
    fn view(&self) -> ArrayView<'_, Self::Elem, Self::Dim>;
}

impl<A: Real, S: Data<Elem = A>, D: Dimension> ArrayLike for ArrayBase<S, D> {
    type Elem = A;
    type Dim = D;
    #[inline]
    fn view(&self) -> ArrayView<'_, A, D> {
        ArrayRef::view(self)
    }
}

impl<A: Real, D: Dimension> ArrayLike for ArrayRef<A, D> {
    type Elem = A;
    type Dim = D;
    #[inline]
    fn view(&self) -> ArrayView<'_, A, D> {
        ArrayRef::view(self)
    }
}

impl<T: ArrayLike + ?Sized> ArrayLike for &T {
    type Elem = T::Elem;
    type Dim = T::Dim;
    #[inline]
    fn view(&self) -> ArrayView<'_, T::Elem, T::Dim> {
        (**self).view()
    }
}

/// An operand of `+ - * /` as the user wrote it: a scalar (a 0-dimensional
/// array to broadcasting), an owned array (moved in), an array view, or a
/// reference to an array.
pub trait Operand: Differentiable + Sized {
    /// The element type.
    type Elem: Real;
    /// The dimension type (`Ix0` for a scalar).
    type Dim: Dimension;
    /// What undoes broadcasting: the array's dimension; nothing for a scalar.
    type Shape;
    /// The operand's kind without its borrow (an owned array for a view or
    /// a reference): what a tape that keeps only shapes is typed by.
    type Owned: Operand<Elem = Self::Elem, Shape = Self::Shape, Tangent = Self::Tangent>;

    /// The shape an adjoint of the operand is summed back to.
    fn shape_of(&self) -> Self::Shape;

    /// A view of the operand (0-dimensional for a scalar).
    fn view(&self) -> ArrayView<'_, Self::Elem, Self::Dim>;

    /// The operand as an owned array whose buffer a result may reuse, when
    /// it is one (an owned array moved in); itself otherwise.
    fn try_into_array(self) -> Result<Array<Self::Elem, Self::Dim>, Self>;

    /// The adjoint of the operand from `f(d, a, b)` at every element of the
    /// (co-broadcast) result: summed over the axes the operand was broadcast
    /// along, in the operand's shape (standard layout); the sum of all of
    /// them for a scalar.
    fn sum_map_to<O: Dimension>(
        shape: &Self::Shape,
        d: ArrayView<'_, Self::Elem, O>,
        a: ArrayView<'_, Self::Elem, O>,
        b: ArrayView<'_, Self::Elem, O>,
        f: impl FnMut(Self::Elem, Self::Elem, Self::Elem) -> Self::Elem,
    ) -> Self::Tangent;

    /// The elements of `d` summed back to the operand's shape (a copy where
    /// nothing is summed).
    fn sum_view_to<O: Dimension>(
        shape: &Self::Shape,
        d: ArrayView<'_, Self::Elem, O>,
    ) -> Self::Tangent;

    /// The elements of `d` summed back to the operand's shape, reusing `d`'s
    /// buffer where nothing is summed.
    fn sum_owned_to<O: Dimension>(shape: &Self::Shape, d: Array<Self::Elem, O>) -> Self::Tangent;
}

impl<T: Real> Operand for T {
    type Elem = T;
    type Dim = Ix0;
    type Shape = ();
    type Owned = T;

    #[inline]
    fn shape_of(&self) {}

    #[inline]
    fn view(&self) -> ArrayView<'_, T, Ix0> {
        ndarray::aview0(self)
    }

    #[inline]
    fn try_into_array(self) -> Result<Array<T, Ix0>, T> {
        Err(self)
    }

    #[inline]
    fn sum_map_to<O: Dimension>(
        _: &(),
        d: ArrayView<'_, T, O>,
        a: ArrayView<'_, T, O>,
        b: ArrayView<'_, T, O>,
        mut f: impl FnMut(T, T, T) -> T,
    ) -> T {
        Zip::from(d)
            .and(a)
            .and(b)
            .fold(T::zero(), |sum, &d, &a, &b| sum + f(d, a, b))
    }

    #[inline]
    fn sum_view_to<O: Dimension>(_: &(), d: ArrayView<'_, T, O>) -> T {
        d.sum()
    }

    #[inline]
    fn sum_owned_to<O: Dimension>(_: &(), d: Array<T, O>) -> T {
        d.sum()
    }
}

impl<A: Real, S: Data<Elem = A>, D: Dimension> Operand for ArrayBase<S, D> {
    type Elem = A;
    type Dim = D;
    type Shape = D;
    type Owned = Array<A, D>;

    #[inline]
    fn shape_of(&self) -> D {
        self.raw_dim()
    }

    #[inline]
    fn view(&self) -> ArrayView<'_, A, D> {
        ArrayRef::view(self)
    }

    #[inline]
    fn try_into_array(self) -> Result<Array<A, D>, Self> {
        self.try_into_owned_nocopy()
    }

    #[inline]
    fn sum_map_to<O: Dimension>(
        shape: &D,
        d: ArrayView<'_, A, O>,
        a: ArrayView<'_, A, O>,
        b: ArrayView<'_, A, O>,
        f: impl FnMut(A, A, A) -> A,
    ) -> Array<A, D> {
        array_sum_map_to(shape, d, a, b, f)
    }

    #[inline]
    fn sum_view_to<O: Dimension>(shape: &D, d: ArrayView<'_, A, O>) -> Array<A, D> {
        array_sum_view_to(shape, d)
    }

    #[inline]
    fn sum_owned_to<O: Dimension>(shape: &D, d: Array<A, O>) -> Array<A, D> {
        array_sum_owned_to(shape, d)
    }
}

impl<A: Real, S: Data<Elem = A>, D: Dimension> Operand for &ArrayBase<S, D> {
    type Elem = A;
    type Dim = D;
    type Shape = D;
    type Owned = Array<A, D>;

    #[inline]
    fn shape_of(&self) -> D {
        self.raw_dim()
    }

    #[inline]
    fn view(&self) -> ArrayView<'_, A, D> {
        ArrayRef::view(*self)
    }

    #[inline]
    fn try_into_array(self) -> Result<Array<A, D>, Self> {
        Err(self)
    }

    #[inline]
    fn sum_map_to<O: Dimension>(
        shape: &D,
        d: ArrayView<'_, A, O>,
        a: ArrayView<'_, A, O>,
        b: ArrayView<'_, A, O>,
        f: impl FnMut(A, A, A) -> A,
    ) -> Array<A, D> {
        array_sum_map_to(shape, d, a, b, f)
    }

    #[inline]
    fn sum_view_to<O: Dimension>(shape: &D, d: ArrayView<'_, A, O>) -> Array<A, D> {
        array_sum_view_to(shape, d)
    }

    #[inline]
    fn sum_owned_to<O: Dimension>(shape: &D, d: Array<A, O>) -> Array<A, D> {
        array_sum_owned_to(shape, d)
    }
}

/// Whether `shape` is the shape `full`.
#[inline]
pub(crate) fn same_shape<D: Dimension>(shape: &D, full: &[usize]) -> bool {
    shape.slice() == full
}

/// [`Operand::sum_map_to`] for an array operand.
fn array_sum_map_to<A: Real, D: Dimension, O: Dimension>(
    shape: &D,
    d: ArrayView<'_, A, O>,
    a: ArrayView<'_, A, O>,
    b: ArrayView<'_, A, O>,
    mut f: impl FnMut(A, A, A) -> A,
) -> Array<A, D> {
    let mapped = Zip::from(d)
        .and(a)
        .and(b)
        .map_collect(|&d, &a, &b| f(d, a, b));
    array_sum_owned_to(shape, mapped)
}

/// [`Operand::sum_view_to`] for an array operand.
fn array_sum_view_to<A: Real, D: Dimension, O: Dimension>(
    shape: &D,
    d: ArrayView<'_, A, O>,
) -> Array<A, D> {
    if same_shape(shape, d.shape()) {
        d.as_standard_layout()
            .into_owned()
            .into_dimensionality::<D>()
            .expect("an adjoint of the operand's shape has its number of axes")
    } else {
        sum_to_shape(d, shape)
    }
}

/// [`Operand::sum_owned_to`] for an array operand.
fn array_sum_owned_to<A: Real, D: Dimension, O: Dimension>(
    shape: &D,
    d: Array<A, O>,
) -> Array<A, D> {
    if !same_shape(shape, d.shape()) {
        return sum_to_shape(ArrayRef::view(&d), shape);
    }
    let d = if d.is_standard_layout() {
        d
    } else {
        d.as_standard_layout().into_owned()
    };
    d.into_dimensionality::<D>()
        .expect("an adjoint of the operand's shape has its number of axes")
}

/// `full` summed over the axes along which an array of shape `shape` was
/// broadcast to `full`'s shape: its leading extra axes, and the axes where
/// `shape` has length 1 and `full` does not. Standard layout.
pub(crate) fn sum_to_shape<A: Real, D: Dimension, O: Dimension>(
    full: ArrayView<'_, A, O>,
    shape: &D,
) -> Array<A, D> {
    // The common case, a bias broadcast over the batch: `shape` is `full`'s
    // trailing axes, so the leading ones sum away as the rows of a matrix.
    let extra = full.ndim() - shape.ndim();
    let inner = shape.size();
    if full.shape()[extra..] == *shape.slice()
        && inner > 0
        && let Ok(rows) = full.to_shape((full.len() / inner, inner))
    {
        return rows
            .sum_axis(Axis(0))
            .into_shape_with_order(shape.clone())
            .expect("the row sums have the operand's size");
    }
    let mut out = Array::<A, D>::zeros(shape.clone());
    let mut acc = out.view_mut().into_dyn();
    for _ in shape.ndim()..full.ndim() {
        acc = acc.insert_axis(Axis(0));
    }
    add_reduced(acc, full.into_dyn());
    out
}

/// `acc += full` summed over the axes where `acc` has length 1 and `full`
/// does not; the other axes agree.
fn add_reduced<A: Real>(mut acc: ArrayViewMutD<'_, A>, full: ArrayViewD<'_, A>) {
    let n = full.ndim();
    let reduced = |k: &usize| acc.len_of(Axis(*k)) == 1 && full.len_of(Axis(*k)) != 1;
    let first = (0..n).find(reduced);
    let only_innermost = first == Some(n.wrapping_sub(1));
    match first {
        None => Zip::from(&mut acc).and(&full).for_each(|a, &b| *a += b),
        Some(k) if only_innermost => {
            // Summing the innermost axis: one lane sum per output element.
            Zip::from(acc.lanes_mut(Axis(k)))
                .and(full.lanes(Axis(k)))
                .for_each(|mut a, lane| a[0] += lane.sum());
        }
        Some(k) => {
            for sub in full.axis_iter(Axis(k)) {
                add_reduced(acc.view_mut().index_axis_move(Axis(k), 0), sub);
            }
        }
    }
}

/// The shape that `a op b` has in ndarray: the two shapes co-broadcast
/// (aligned at their last axes; an axis of length 1 stretches).
///
/// # Panics
///
/// When the shapes do not broadcast together, as ndarray's operators do.
#[track_caller]
pub(crate) fn co_broadcast<O: Dimension>(a: &[usize], b: &[usize], op: &str) -> O {
    let n = a.len().max(b.len());
    let mut out = O::zeros(n);
    for k in 0..n {
        let from_end = n - k;
        let x = if from_end <= a.len() {
            a[a.len() - from_end]
        } else {
            1
        };
        let y = if from_end <= b.len() {
            b[b.len() - from_end]
        } else {
            1
        };
        out[k] = if x == y || y == 1 {
            x
        } else if x == 1 {
            y
        } else {
            panic!("the operands of `{op}` do not broadcast together: shapes {a:?} and {b:?}")
        };
    }
    out
}

/// An operand the backward pass reads again, as the forward pass passes it
/// to an operator: a scalar by copy, an array by reference.
pub trait Reuse {
    /// What the operator gets.
    type Ref<'a>
    where
        Self: 'a;
    /// `self` as the operator gets it.
    fn reuse(&self) -> Self::Ref<'_>;
}

impl<T: Real> Reuse for T {
    type Ref<'a>
        = T
    where
        T: 'a;
    #[inline]
    fn reuse(&self) -> T {
        *self
    }
}

impl<A: Real, S: Data<Elem = A>, D: Dimension> Reuse for ArrayBase<S, D> {
    type Ref<'a>
        = &'a ArrayBase<S, D>
    where
        Self: 'a;
    #[inline]
    fn reuse(&self) -> &ArrayBase<S, D> {
        self
    }
}

/// `x` as an operator gets it when the backward pass reads `x` again.
#[inline]
pub fn reuse<T: Reuse + ?Sized>(x: &T) -> T::Ref<'_> {
    x.reuse()
}
