//! The reverse steps of ndarray's own array methods: products, transposes,
//! reductions, axes, shapes and selections.
//!
//! As in [`rules`](super::rules), `d` is the adjoint of the result and the
//! other arguments are what the forward sweep saved: the receiver `a` (any
//! array: owned, a view, a `CowArray`, a reference), and constants such as
//! an axis or an index by value. Each returns the adjoint of `a` as an owned
//! array of `a`'s shape.

use ndarray::{
    Array, Array1, Array2, ArrayView, ArrayView1, ArrayView2, Axis, Dimension, Ix1, Ix2,
    RemoveAxis, linalg::general_mat_mul,
};

use super::array::ArrayLike;
use crate::Real;

// ----- dot -----------------------------------------------------------------

/// The four forms of `a.dot(&b)`, by the dimensions of `a` (`Self`) and `b`
/// (`E`): matrix·matrix, matrix·vector, vector·matrix and vector·vector.
pub trait DotDims<A: Real, E: Dimension>: Dimension {
    /// The adjoint of the product: a matrix, a vector, or a scalar.
    type Adjoint;
    /// The adjoint of `a`.
    fn d_lhs(
        d: &Self::Adjoint,
        a: ArrayView<'_, A, Self>,
        b: ArrayView<'_, A, E>,
    ) -> Array<A, Self>;
    /// The adjoint of `b`.
    fn d_rhs(d: &Self::Adjoint, a: ArrayView<'_, A, Self>, b: ArrayView<'_, A, E>) -> Array<A, E>;
}

/// `a · b` for matrices, in standard layout, through the GEMM kernel.
fn mat_mul<A: Real>(a: ArrayView2<'_, A>, b: ArrayView2<'_, A>) -> Array2<A> {
    if a.strides()[0] == 1 && b.strides()[0] == 1 && a.nrows() > 1 && b.ncols() > 1 {
        // `dot` would answer in column-major layout here; write into a
        // row-major array instead.
        let mut c = Array2::zeros((a.nrows(), b.ncols()));
        general_mat_mul(A::one(), &a, &b, A::zero(), &mut c);
        c
    } else {
        a.dot(&b)
    }
}

/// The outer product `u vᵀ`, in standard layout.
fn outer<A: Real>(u: ArrayView1<'_, A>, v: ArrayView1<'_, A>) -> Array2<A> {
    let mut out = Array2::zeros((u.len(), v.len()));
    for (mut row, &ui) in out.rows_mut().into_iter().zip(u) {
        row.zip_mut_with(&v, |o, &vj| *o = ui * vj);
    }
    out
}

/// Whether a matrix is column-major (and not also row-major): a transposed
/// view of a row-major matrix, whose adjoint is best laid out the same way.
fn column_major<A>(m: &ArrayView2<'_, A>) -> bool {
    !m.is_standard_layout() && m.t().is_standard_layout()
}

/// `a · b` laid out like `like`: row-major, or column-major when `like` is
/// column-major (computed as `(bᵀ · aᵀ)ᵀ`), so that the adjoint of a
/// transposed weight (`x.dot(&w.t())`) transposes back to a row-major
/// gradient without a copy.
fn mat_mul_like<A: Real>(
    a: ArrayView2<'_, A>,
    b: ArrayView2<'_, A>,
    like: &ArrayView2<'_, A>,
) -> Array2<A> {
    if column_major(like) {
        mat_mul(b.t(), a.t()).reversed_axes()
    } else {
        mat_mul(a, b)
    }
}

/// `C = A · B` with `A` (m, k), `B` (k, n): `d_A = d · Bᵀ`, `d_B = Aᵀ · d`,
/// each in the layout of its operand.
impl<A: Real> DotDims<A, Ix2> for Ix2 {
    type Adjoint = Array2<A>;
    fn d_lhs(d: &Array2<A>, a: ArrayView2<'_, A>, b: ArrayView2<'_, A>) -> Array2<A> {
        mat_mul_like(d.view(), b.t(), &a)
    }
    fn d_rhs(d: &Array2<A>, a: ArrayView2<'_, A>, b: ArrayView2<'_, A>) -> Array2<A> {
        mat_mul_like(a.t(), d.view(), &b)
    }
}

/// `c = A · b` with `A` (m, k), `b` (k): `d_A = d bᵀ`, `d_b = Aᵀ · d`.
impl<A: Real> DotDims<A, Ix1> for Ix2 {
    type Adjoint = Array1<A>;
    fn d_lhs(d: &Array1<A>, _a: ArrayView2<'_, A>, b: ArrayView1<'_, A>) -> Array2<A> {
        outer(d.view(), b)
    }
    fn d_rhs(d: &Array1<A>, a: ArrayView2<'_, A>, _b: ArrayView1<'_, A>) -> Array1<A> {
        a.t().dot(d)
    }
}

/// `c = a · B` with `a` (k), `B` (k, n): `d_a = B · d`, `d_B = a dᵀ`.
impl<A: Real> DotDims<A, Ix2> for Ix1 {
    type Adjoint = Array1<A>;
    fn d_lhs(d: &Array1<A>, _a: ArrayView1<'_, A>, b: ArrayView2<'_, A>) -> Array1<A> {
        b.dot(d)
    }
    fn d_rhs(d: &Array1<A>, a: ArrayView1<'_, A>, _b: ArrayView2<'_, A>) -> Array2<A> {
        outer(a, d.view())
    }
}

/// `c = a · b` for vectors (a scalar): `d_a = d b`, `d_b = d a`.
impl<A: Real> DotDims<A, Ix1> for Ix1 {
    type Adjoint = A;
    fn d_lhs(d: &A, _a: ArrayView1<'_, A>, b: ArrayView1<'_, A>) -> Array1<A> {
        b.mapv(|b| *d * b)
    }
    fn d_rhs(d: &A, a: ArrayView1<'_, A>, _b: ArrayView1<'_, A>) -> Array1<A> {
        a.mapv(|a| *d * a)
    }
}

/// The adjoint of a product with respect to its left factor.
pub type DotAdjoint<X, Y> =
    <<X as ArrayLike>::Dim as DotDims<<X as ArrayLike>::Elem, <Y as ArrayLike>::Dim>>::Adjoint;

/// `y = a.dot(&b)`: `d_a = d · bᵀ` (matrix·matrix; `d bᵀ` for matrix·vector,
/// `b · d` for vector·matrix, `d b` for vector·vector).
///
/// `a` and `b` may be any arrays: owned, views, transposed views.
#[inline]
pub fn d_dot_0<X, Y>(d: &DotAdjoint<X, Y>, a: &X, b: &Y) -> Array<X::Elem, X::Dim>
where
    X: ArrayLike + ?Sized,
    Y: ArrayLike<Elem = X::Elem> + ?Sized,
    X::Dim: DotDims<X::Elem, Y::Dim>,
{
    X::Dim::d_lhs(d, a.view(), b.view())
}

/// `y = a.dot(&b)`: `d_b = aᵀ · d` (matrix·matrix and matrix·vector; `a dᵀ`
/// for vector·matrix, `d a` for vector·vector).
#[inline]
pub fn d_dot_1<X, Y>(d: &DotAdjoint<X, Y>, a: &X, b: &Y) -> Array<X::Elem, Y::Dim>
where
    X: ArrayLike + ?Sized,
    Y: ArrayLike<Elem = X::Elem> + ?Sized,
    X::Dim: DotDims<X::Elem, Y::Dim>,
{
    X::Dim::d_rhs(d, a.view(), b.view())
}

// ----- shapes ----------------------------------------------------------------

/// `y = a.t()`: `d_a = dᵀ`, as an owned array without a copy (`d`'s buffer,
/// its axes reversed: column-major where `d` is row-major). Adjoints add
/// into row-major gradients whatever their layout.
#[inline]
pub fn d_t<A: Real, D: Dimension, X: ArrayLike<Elem = A, Dim = D> + ?Sized>(
    d: Array<A, D>,
    _a: &X,
) -> Array<A, D> {
    d.reversed_axes()
}

/// `y = a.insert_axis(axis)`: `d_a` is `d` without that axis (same buffer).
#[inline]
pub fn d_insert_axis<A: Real, E: RemoveAxis>(d: Array<A, E>, axis: Axis) -> Array<A, E::Smaller> {
    d.remove_axis(axis)
}

/// `y = a.to_shape(shape).unwrap()` (row-major order, ndarray's default):
/// `d_a` is `d` in `a`'s shape, in row-major order (`d`'s buffer when it is
/// row-major).
///
/// # Panics
///
/// When `d` does not have as many elements as `a`, which the forward call
/// rules out.
#[inline]
pub fn d_to_shape<A: Real, E: Dimension, X: ArrayLike<Elem = A> + ?Sized>(
    d: Array<A, E>,
    a: &X,
) -> Array<A, X::Dim> {
    let dim = a.view().raw_dim();
    let d = if d.is_standard_layout() {
        d
    } else {
        d.as_standard_layout().into_owned()
    };
    d.into_shape_with_order(dim)
        .expect("the adjoint of a reshaped array has as many elements as the array")
}

// ----- reductions --------------------------------------------------------------

/// `y = a.sum()`: `d_a = d` in every element.
#[inline]
pub fn d_sum<A: Real, X: ArrayLike<Elem = A> + ?Sized>(d: A, a: &X) -> Array<A, X::Dim> {
    Array::from_elem(a.view().raw_dim(), d)
}

/// `y = a.mean().unwrap()`: `d_a = d / n` in every element, `n` the number
/// of elements.
#[inline]
pub fn d_mean<A: Real, X: ArrayLike<Elem = A> + ?Sized>(d: A, a: &X) -> Array<A, X::Dim> {
    let a = a.view();
    Array::from_elem(a.raw_dim(), d / count(a.len()))
}

/// `n` as a float.
#[inline]
fn count<A: Real>(n: usize) -> A {
    A::from_usize(n).unwrap_or_else(A::nan)
}

/// `y = a.sum_axis(axis)`: `d_a` is `d` repeated along `axis`.
#[inline]
pub fn d_sum_axis<A, D, X>(d: Array<A, D::Smaller>, a: &X, axis: Axis) -> Array<A, D>
where
    A: Real,
    D: RemoveAxis,
    X: ArrayLike<Elem = A, Dim = D> + ?Sized,
{
    repeat_along(d.view(), a.view().raw_dim(), axis, |d| d)
}

/// `y = a.mean_axis(axis).unwrap()`: `d_a` is `d / n` repeated along
/// `axis`, `n` the length of that axis.
#[inline]
pub fn d_mean_axis<A, D, X>(d: Array<A, D::Smaller>, a: &X, axis: Axis) -> Array<A, D>
where
    A: Real,
    D: RemoveAxis,
    X: ArrayLike<Elem = A, Dim = D> + ?Sized,
{
    let dim = a.view().raw_dim();
    let n: A = count(dim[axis.index()]);
    repeat_along(d.view(), dim, axis, |d| d / n)
}

/// `f(d)` (`d` with `axis` removed) repeated along `axis` to `dim`, in a
/// new row-major array.
fn repeat_along<A: Real, D: RemoveAxis>(
    d: ArrayView<'_, A, D::Smaller>,
    dim: D,
    axis: Axis,
    f: impl FnMut(A) -> A,
) -> Array<A, D> {
    let d = d.insert_axis(axis);
    d.broadcast(dim)
        .expect("the adjoint of a reduction broadcasts back along the reduced axis")
        .mapv(f)
}

// ----- selections ----------------------------------------------------------------

/// `y = a.row(i)`: `d_a` is zeros of `a`'s shape with `d` in row `i`.
#[inline]
pub fn d_row<A: Real, X: ArrayLike<Elem = A, Dim = Ix2> + ?Sized>(
    d: Array1<A>,
    a: &X,
    i: usize,
) -> Array2<A> {
    let mut out = Array2::zeros(a.view().raw_dim());
    out.row_mut(i).assign(&d);
    out
}

/// `y = a.column(j)`: `d_a` is zeros of `a`'s shape with `d` in column `j`.
#[inline]
pub fn d_column<A: Real, X: ArrayLike<Elem = A, Dim = Ix2> + ?Sized>(
    d: Array1<A>,
    a: &X,
    j: usize,
) -> Array2<A> {
    let mut out = Array2::zeros(a.view().raw_dim());
    out.column_mut(j).assign(&d);
    out
}

/// `y = a.select(axis, &indices)`: `d_a` is zeros of `a`'s shape with
/// slice `k` of `d` added into slice `indices[k]` along `axis` (an index
/// that repeats gets the sum).
#[inline]
pub fn d_select<A, D, X, I>(d: Array<A, D>, a: &X, axis: Axis, indices: &I) -> Array<A, D>
where
    A: Real,
    D: RemoveAxis,
    X: ArrayLike<Elem = A, Dim = D> + ?Sized,
    I: AsRef<[usize]> + ?Sized,
{
    let mut out = Array::zeros(a.view().raw_dim());
    for (k, &i) in indices.as_ref().iter().enumerate() {
        let mut slice = out.index_axis_mut(axis, i);
        slice += &d.index_axis(axis, k);
    }
    out
}

// ----- reshaping by value, slicing, joining ---------------------------------------

/// The shape of a value, kept for a reverse step whose forward call consumes
/// the value (`x.into_shape_with_order(shape)`).
#[inline]
pub fn dim_of<X: ArrayLike + ?Sized>(x: &X) -> X::Dim {
    x.view().raw_dim()
}

/// `y = x.into_shape_with_order(shape)` (row-major order): `d_x` is `d` in
/// `x`'s shape `dim`.
///
/// # Panics
///
/// When `d` does not have as many elements as `x`, which the forward call
/// rules out.
#[inline]
pub fn d_into_shape_with_order<A: Real, E: Dimension, D: Dimension>(
    d: Array<A, E>,
    dim: &D,
) -> Array<A, D> {
    let d = if d.is_standard_layout() {
        d
    } else {
        d.as_standard_layout().into_owned()
    };
    d.into_shape_with_order(dim.clone())
        .expect("the adjoint of a reshaped array has as many elements as the array")
}

/// `y = x.slice(info)`: `d_x` is zeros of `x`'s shape with `d` in the slice.
#[inline]
pub fn d_slice<A, E, X, I>(d: Array<A, E>, x: &X, info: I) -> Array<A, X::Dim>
where
    A: Real,
    E: Dimension,
    X: ArrayLike<Elem = A> + ?Sized,
    I: ndarray::SliceArg<X::Dim, OutDim = E>,
{
    let mut d_x = Array::zeros(x.view().raw_dim());
    d_x.slice_mut(info).assign(&d);
    d_x
}

/// `y = concatenate(axis, &[x_0, x_1, ...])`: `d_x_k` is the part of `d`
/// along `axis` where `x_k` went.
#[inline]
pub fn d_concatenate<A, D, X>(d: &Array<A, D>, axis: Axis, parts: &[X], k: usize) -> Array<A, D>
where
    A: Real,
    D: Dimension,
    X: ArrayLike<Elem = A, Dim = D>,
{
    let start: usize = parts[..k].iter().map(|x| x.view().len_of(axis)).sum();
    let len = parts[k].view().len_of(axis);
    d.slice_axis(axis, ndarray::Slice::from(start..start + len))
        .to_owned()
}

/// `y = stack(axis, &[x_0, x_1, ...])`: `d_x_k` is `d` at index `k` of the
/// new `axis`.
#[inline]
pub fn d_stack<A, D>(d: &Array<A, D::Larger>, axis: Axis, k: usize) -> Array<A, D>
where
    A: Real,
    D: Dimension,
    D::Larger: ndarray::RemoveAxis,
{
    d.index_axis(axis, k)
        .to_owned()
        .into_dimensionality::<D>()
        .unwrap_or_else(|_| unreachable!("one axis fewer"))
}
