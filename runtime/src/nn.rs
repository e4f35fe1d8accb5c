//! Activations, softmax and losses: what ndarray lacks, as free functions
//! that take scalars or arrays as users write them (`relu(x)`, `relu(&h)`,
//! `softmax_cross_entropy(&f3, labels)`).
//!
//! Each function ships a hand-written derivative under the calling
//! convention of generated functions, so a `#[differentiable]` body calls it
//! like any other differentiable function, and a user's own function of the
//! same name wins by ordinary name resolution. All are numerically stable:
//! exponentials only ever see `x - max(x) <= 0` or `-|x|`.
//!
//! ```
//! use gradgen::ndarray::{array, Axis};
//! use gradgen::prelude::*;
//!
//! let h = array![[-1.0_f64, 0.0, 2.0]];
//! assert_eq!(relu(&h), array![[0.0, 0.0, 2.0]]);
//! assert_eq!(relu(-3.0), 0.0);
//! let p = softmax(&h, Axis(1));
//! assert!((p.sum() - 1.0).abs() < 1e-12);
//! let loss = softmax_cross_entropy(&h, &[2]);
//! assert!((loss - (-p[[0, 2]].ln())).abs() < 1e-12);
//! ```

use ndarray::{
    Array, ArrayBase, ArrayRef, ArrayView, ArrayView1, ArrayViewMut1, Axis, Data, DimMax,
    Dimension, Ix1, Ix2, RemoveAxis, Zip,
};

use num_traits::{Float, One, Zero};

use crate::__private::array::{self, co_broadcast};
use crate::__private::{Accumulate, Keep, NoGrad, Slot};
use crate::{Differentiable, Grad, Real};

// ----- arguments -------------------------------------------------------------

/// A scalar or an array, as the elementwise functions here take it: `x`
/// (`f32`, `f64`), an array moved in, a view, or a reference to an array.
pub trait Elements: Differentiable + Sized {
    /// The element type.
    type Elem: Real;
    /// The result of an elementwise function: a scalar, or an owned array
    /// of the same shape.
    type Output: Differentiable<Tangent = Self::Output>;
    /// `f` at every element (in the buffer of an array moved in).
    fn map_elements(self, f: impl FnMut(Self::Elem) -> Self::Elem) -> Self::Output;
    /// With `(d_x, y) = f(d, x)` at every element: adds `d_x` into `grad`
    /// (unless it is discarded) and returns `y` if the caller keeps it,
    /// written into `d`'s buffer where it can be.
    fn reverse_elements<K: Keep<Self::Output>>(
        self,
        d: Self::Output,
        grad: Slot<'_, Grad<Self>>,
        f: impl FnMut(Self::Elem, Self::Elem) -> (Self::Elem, Self::Elem),
    ) -> K;
}

impl<T: Real> Elements for T {
    type Elem = T;
    type Output = T;
    #[inline]
    fn map_elements(self, mut f: impl FnMut(T) -> T) -> T {
        f(self)
    }
    #[inline]
    fn reverse_elements<K: Keep<T>>(
        self,
        d: T,
        grad: Slot<'_, T>,
        mut f: impl FnMut(T, T) -> (T, T),
    ) -> K {
        let (d_x, y) = f(d, self);
        grad.put_with(|| d_x);
        K::keep(|| y)
    }
}

impl<A: Real, S: Data<Elem = A>, D: Dimension> Elements for ArrayBase<S, D> {
    type Elem = A;
    type Output = Array<A, D>;
    #[inline]
    fn map_elements(self, f: impl FnMut(A) -> A) -> Array<A, D> {
        match self.try_into_owned_nocopy() {
            Ok(owned) => owned.mapv_into(f),
            Err(x) => x.mapv(f),
        }
    }
    #[inline]
    fn reverse_elements<K: Keep<Array<A, D>>>(
        self,
        d: Array<A, D>,
        grad: Slot<'_, Array<A, D>>,
        f: impl FnMut(A, A) -> (A, A),
    ) -> K {
        reverse_array(ArrayRef::view(&self), d, grad, f)
    }
}

impl<A: Real, S: Data<Elem = A>, D: Dimension> Elements for &ArrayBase<S, D> {
    type Elem = A;
    type Output = Array<A, D>;
    #[inline]
    fn map_elements(self, f: impl FnMut(A) -> A) -> Array<A, D> {
        self.mapv(f)
    }
    #[inline]
    fn reverse_elements<K: Keep<Array<A, D>>>(
        self,
        d: Array<A, D>,
        grad: Slot<'_, Array<A, D>>,
        f: impl FnMut(A, A) -> (A, A),
    ) -> K {
        reverse_array(ArrayRef::view(self), d, grad, f)
    }
}

/// [`Elements::reverse_elements`] for arrays: one pass, and no allocation
/// but for a value kept while the contribution moves into a new adjoint.
fn reverse_array<A: Real, D: Dimension, K: Keep<Array<A, D>>>(
    x: ArrayView<'_, A, D>,
    mut d: Array<A, D>,
    grad: Slot<'_, Array<A, D>>,
    mut f: impl FnMut(A, A) -> (A, A),
) -> K {
    let wanted = K::WANTED;
    let add_into =
        |g: &mut Array<A, D>, mut d: Array<A, D>, mut f: &mut dyn FnMut(A, A) -> (A, A)| {
            Zip::from(g).and(&mut d).and(&x).for_each(|g, d, &x| {
                let (d_x, y) = f(*d, x);
                *g += d_x;
                if wanted {
                    *d = y;
                }
            });
            let _ = &mut f;
            K::keep(|| d)
        };
    match grad {
        Slot::Add(g) => add_into(g, d, &mut f),
        Slot::Fill(Some(g)) => add_into(g, d, &mut f),
        Slot::Fill(first) => {
            // The caller has no adjoint yet: `d`'s buffer becomes it.
            if wanted {
                let y = Zip::from(&mut d).and(&x).map_collect(|d, &x| {
                    let (d_x, y) = f(*d, x);
                    *d = d_x;
                    y
                });
                *first = Some(d);
                K::keep(|| y)
            } else {
                Zip::from(&mut d).and(&x).for_each(|d, &x| *d = f(*d, x).0);
                *first = Some(d);
                K::keep(|| unreachable!("a dropped value is never made"))
            }
        }
        Slot::Discard => {
            if wanted {
                Zip::from(&mut d).and(&x).for_each(|d, &x| *d = f(*d, x).1);
            }
            K::keep(|| d)
        }
    }
}

/// An array argument whose gradient is an owned array of its shape: an
/// array moved in, a view, or a reference to an array.
pub trait ArrayArg:
    array::ArrayLike + Differentiable<Tangent = Array<Self::Elem, Self::Dim>>
{
}

impl<X: array::ArrayLike + Differentiable<Tangent = Array<X::Elem, X::Dim>>> ArrayArg for X {}

/// Integer class labels, one per row: `&[usize]`, `&Vec<usize>`,
/// `&[usize; N]`, an `ArrayView1<usize>` or a reference to an `Array1<usize>`.
pub trait Labels {
    /// The labels as a view.
    fn labels(&self) -> ArrayView1<'_, usize>;
}

impl Labels for [usize] {
    fn labels(&self) -> ArrayView1<'_, usize> {
        ArrayView1::from(self)
    }
}

impl Labels for Vec<usize> {
    fn labels(&self) -> ArrayView1<'_, usize> {
        ArrayView1::from(self.as_slice())
    }
}

impl<const N: usize> Labels for [usize; N] {
    fn labels(&self) -> ArrayView1<'_, usize> {
        ArrayView1::from(self.as_slice())
    }
}

impl<S: Data<Elem = usize>> Labels for ArrayBase<S, Ix1> {
    fn labels(&self) -> ArrayView1<'_, usize> {
        self.view()
    }
}

impl<T: Labels + ?Sized> Labels for &T {
    fn labels(&self) -> ArrayView1<'_, usize> {
        (**self).labels()
    }
}

/// Adds `contribution` into a slot, unless the caller discards it.
#[inline]
fn add_into<G: Accumulate>(slot: Slot<'_, G>, contribution: impl FnOnce() -> G) {
    slot.put_with(contribution);
}

// ----- activations -------------------------------------------------------------

#[inline]
fn relu_of<T: Real>(x: T) -> T {
    // NaN stays NaN, as in PyTorch.
    if x > T::zero() || x.is_nan() {
        x
    } else {
        T::zero()
    }
}

/// The rectified linear unit, elementwise: `relu(x) = max(x, 0)`.
///
/// Its derivative is 1 where `x > 0` and 0 elsewhere, 0 at `x = 0` included
/// (as PyTorch). Takes a scalar, an array moved in (whose buffer the result
/// reuses), a view or a reference: `relu(x)`, `relu(&h)`.
///
/// ```
/// use gradgen::ndarray::array;
/// use gradgen::prelude::*;
///
/// assert_eq!(relu(array![-1.0, 0.0, 3.0]), array![0.0, 0.0, 3.0]);
/// assert_eq!(relu(2.5_f32), 2.5);
/// ```
#[inline]
pub fn relu<X: Elements>(x: X) -> X::Output {
    x.map_elements(relu_of)
}

/// The composition entry point of [`relu`](fn@relu).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct relu {}

impl relu {
    /// Runs [`relu`](fn@relu) and its reverse step for the adjoint `d_y` of
    /// the result: adds `d_y` where `x > 0` into `d_x`; returns the value.
    #[inline]
    pub fn reverse<X: Elements, K: Keep<X::Output>>(
        x: X,
        d_y: X::Output,
        d_x: Slot<'_, Grad<X>>,
    ) -> K {
        x.reverse_elements(d_y, d_x, |d, x| {
            let d_x = if x > X::Elem::zero() {
                d
            } else {
                X::Elem::zero()
            };
            (d_x, relu_of(x))
        })
    }
}

/// The leaky rectified linear unit, elementwise: `x` where `x > 0`, else
/// `slope * x`.
///
/// Its derivative is 1 where `x > 0` and `slope` elsewhere (`x = 0`
/// included, as PyTorch). `slope` is a constant (PyTorch's
/// `negative_slope`, typically 0.01).
///
/// ```
/// use gradgen::ndarray::array;
/// use gradgen::prelude::*;
///
/// assert_eq!(leaky_relu(&array![-2.0, 3.0], 0.1), array![-0.2, 3.0]);
/// ```
#[inline]
pub fn leaky_relu<X: Elements>(x: X, slope: X::Elem) -> X::Output {
    x.map_elements(|x| if x > X::Elem::zero() { x } else { slope * x })
}

/// The composition entry point of [`leaky_relu`](fn@leaky_relu).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct leaky_relu {}

impl leaky_relu {
    /// Runs [`leaky_relu`](fn@leaky_relu) and its reverse step for the
    /// adjoint `d_y` of the result: `d_x += d_y` where `x > 0`, else
    /// `slope * d_y`; returns the value.
    #[inline]
    pub fn reverse<X: Elements, K: Keep<X::Output>>(
        x: X,
        slope: X::Elem,
        d_y: X::Output,
        d_x: Slot<'_, Grad<X>>,
        _: NoGrad,
    ) -> K {
        x.reverse_elements(d_y, d_x, |d, x| {
            if x > X::Elem::zero() {
                (d, x)
            } else {
                (slope * d, slope * x)
            }
        })
    }
}

#[inline]
fn sigmoid_of<T: Real>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// The logistic sigmoid, elementwise: `sigmoid(x) = 1 / (1 + e^-x)`.
///
/// Its derivative is `y (1 - y)` with `y = sigmoid(x)`. Stable for large
/// `|x|`: `e^x / (1 + e^x)` for negative `x`.
///
/// ```
/// use gradgen::prelude::*;
///
/// assert_eq!(sigmoid(0.0), 0.5);
/// assert!(sigmoid(-800.0_f64) >= 0.0);
/// ```
#[inline]
pub fn sigmoid<X: Elements>(x: X) -> X::Output {
    x.map_elements(sigmoid_of)
}

/// The composition entry point of [`sigmoid`](fn@sigmoid).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct sigmoid {}

impl sigmoid {
    /// Runs [`sigmoid`](fn@sigmoid) and its reverse step for the adjoint
    /// `d_y` of the result: `d_x += d_y y (1 - y)`; returns the value.
    #[inline]
    pub fn reverse<X: Elements, K: Keep<X::Output>>(
        x: X,
        d_y: X::Output,
        d_x: Slot<'_, Grad<X>>,
    ) -> K {
        x.reverse_elements(d_y, d_x, |d, x| {
            let y = sigmoid_of(x);
            (d * y * (X::Elem::one() - y), y)
        })
    }
}

#[inline]
fn softplus_of<T: Real>(x: T) -> T {
    x.max(T::zero()) + (-x.abs()).exp().ln_1p()
}

/// The softplus, elementwise: `softplus(x) = ln(1 + e^x)`, a smooth ReLU.
///
/// Its derivative is `sigmoid(x)`. Computed as `max(x, 0) + ln(1 + e^-|x|)`,
/// which neither overflows nor loses small values.
///
/// ```
/// use gradgen::prelude::*;
///
/// assert!((softplus(0.0_f64) - 2.0_f64.ln()).abs() < 1e-15);
/// assert_eq!(softplus(1000.0_f64), 1000.0);
/// ```
#[inline]
pub fn softplus<X: Elements>(x: X) -> X::Output {
    x.map_elements(softplus_of)
}

/// The composition entry point of [`softplus`](fn@softplus).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct softplus {}

impl softplus {
    /// Runs [`softplus`](fn@softplus) and its reverse step for the adjoint
    /// `d_y` of the result: `d_x += d_y sigmoid(x)`; returns the value.
    #[inline]
    pub fn reverse<X: Elements, K: Keep<X::Output>>(
        x: X,
        d_y: X::Output,
        d_x: Slot<'_, Grad<X>>,
    ) -> K {
        x.reverse_elements(d_y, d_x, |d, x| (d * sigmoid_of(x), softplus_of(x)))
    }
}

// ----- along an axis ----------------------------------------------------------------

/// `ln sum_j e^(x_j)` of one lane, stably: `m + ln sum_j e^(x_j - m)` with
/// `m = max_j x_j`.
#[inline]
fn logsumexp_of<A: Real>(lane: ArrayView1<'_, A>) -> A {
    let m = lane.fold(A::neg_infinity(), |m, &x| m.max(x));
    if m == A::infinity() {
        return m;
    }
    let s = lane.fold(A::zero(), |s, &x| s + (x - m).exp());
    m + s.ln()
}

/// Softmax of one lane, in place.
#[inline]
fn softmax_lane<A: Real>(mut lane: ArrayViewMut1<'_, A>) {
    let m = lane.fold(A::neg_infinity(), |m, &x| m.max(x));
    lane.mapv_inplace(|x| (x - m).exp());
    let s = lane.sum();
    lane.mapv_inplace(|e| e / s);
}

#[inline]
fn softmax_of<A: Real, D: Dimension>(x: ArrayView<'_, A, D>, axis: Axis) -> Array<A, D> {
    let mut y = x.as_standard_layout().into_owned();
    Zip::from(y.lanes_mut(axis)).for_each(softmax_lane);
    y
}

/// The softmax along `axis`: `y_i = e^(x_i) / sum_j e^(x_j)` over each lane
/// of `axis` (rows of a batch for `Axis(1)` when examples are rows).
///
/// Its derivative: `d_x = y * (d - sum_j d_j y_j)` per lane. Computed with
/// the lane's maximum subtracted first, so it never overflows.
///
/// # Panics
///
/// When `axis` is out of bounds.
///
/// ```
/// use gradgen::ndarray::{array, Axis};
/// use gradgen::prelude::*;
///
/// let y = softmax(&array![[1000.0, 1000.0]], Axis(1));
/// assert_eq!(y, array![[0.5, 0.5]]);
/// ```
pub fn softmax<X: array::ArrayLike>(x: X, axis: Axis) -> Array<X::Elem, X::Dim> {
    softmax_of(x.view(), axis)
}

/// The composition entry point of [`softmax`](fn@softmax).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct softmax {}

impl softmax {
    /// Runs [`softmax`](fn@softmax) and its reverse step for the adjoint
    /// `d_y` of the result: `d_x += y * (d_y - sum(d_y * y))` per lane;
    /// returns the value.
    pub fn reverse<X: ArrayArg, K: Keep<Array<X::Elem, X::Dim>>>(
        x: X,
        axis: Axis,
        d_y: Array<X::Elem, X::Dim>,
        d_x: Slot<'_, Grad<X>>,
        _: NoGrad,
    ) -> K {
        lanewise_reverse(x, axis, d_y, d_x, softmax_of, |mut g, y, d| {
            let s = Zip::from(&y)
                .and(&d)
                .fold(X::Elem::zero(), |s, &y, &d| s + y * d);
            Zip::from(&mut g)
                .and(&y)
                .and(&d)
                .for_each(|g, &y, &d| *g += y * (d - s));
        })
    }
}

/// The reverse step shared by the functions that map each lane along `axis`
/// to a lane of the same length: runs `forward`, lets `lane_grad(d_x, y, d_y)`
/// add each lane's `d_x` (unless the slot discards it) and keeps `y`.
fn lanewise_reverse<X, K, F, G>(
    x: X,
    axis: Axis,
    d_y: Array<X::Elem, X::Dim>,
    d_x: Slot<'_, Grad<X>>,
    forward: F,
    lane_grad: G,
) -> K
where
    X: ArrayArg,
    K: Keep<Array<X::Elem, X::Dim>>,
    F: FnOnce(ArrayView<'_, X::Elem, X::Dim>, Axis) -> Array<X::Elem, X::Dim>,
    G: FnMut(ArrayViewMut1<'_, X::Elem>, ArrayView1<'_, X::Elem>, ArrayView1<'_, X::Elem>),
{
    let y = forward(x.view(), axis);
    if let Some(g) = d_x.target(&x) {
        Zip::from(g.lanes_mut(axis))
            .and(y.lanes(axis))
            .and(d_y.lanes(axis))
            .for_each(lane_grad);
    }
    K::keep(move || y)
}

#[inline]
fn log_softmax_of<A: Real, D: Dimension>(x: ArrayView<'_, A, D>, axis: Axis) -> Array<A, D> {
    let mut y = x.as_standard_layout().into_owned();
    Zip::from(y.lanes_mut(axis)).for_each(|mut lane| {
        let lse = logsumexp_of(lane.view());
        lane.mapv_inplace(|x| x - lse);
    });
    y
}

/// The log of the softmax along `axis`: `y_i = x_i - ln sum_j e^(x_j)`.
///
/// Its derivative: `d_x = d - softmax(x) * sum_j d_j` per lane. Computed
/// through a stable log-sum-exp, so it is accurate where `softmax` would
/// round to 0.
///
/// # Panics
///
/// When `axis` is out of bounds.
///
/// ```
/// use gradgen::ndarray::{array, Axis};
/// use gradgen::prelude::*;
///
/// let y = log_softmax(&array![[0.0, -1000.0]], Axis(1));
/// assert_eq!(y, array![[0.0, -1000.0]]);
/// ```
pub fn log_softmax<X: array::ArrayLike>(x: X, axis: Axis) -> Array<X::Elem, X::Dim> {
    log_softmax_of(x.view(), axis)
}

/// The composition entry point of [`log_softmax`](fn@log_softmax).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct log_softmax {}

impl log_softmax {
    /// Runs [`log_softmax`](fn@log_softmax) and its reverse step for the
    /// adjoint `d_y` of the result: `d_x += d_y - e^y * sum(d_y)` per lane;
    /// returns the value.
    pub fn reverse<X: ArrayArg, K: Keep<Array<X::Elem, X::Dim>>>(
        x: X,
        axis: Axis,
        d_y: Array<X::Elem, X::Dim>,
        d_x: Slot<'_, Grad<X>>,
        _: NoGrad,
    ) -> K {
        lanewise_reverse(x, axis, d_y, d_x, log_softmax_of, |mut g, y, d| {
            let s = d.sum();
            Zip::from(&mut g)
                .and(&y)
                .and(&d)
                .for_each(|g, &y, &d| *g += d - y.exp() * s);
        })
    }
}

/// `ln sum_j e^(x_j)` along `axis`, stably (the maximum subtracted first):
/// the array without that axis.
///
/// Its derivative: `d_x = d * softmax(x)`, `d` repeated along `axis`.
///
/// # Panics
///
/// When `axis` is out of bounds.
///
/// ```
/// use gradgen::ndarray::{array, Axis};
/// use gradgen::prelude::*;
///
/// let y = logsumexp(&array![[1000.0, 1000.0], [0.0, 0.0]], Axis(1));
/// assert!((y[0] - (1000.0 + 2.0_f64.ln())).abs() < 1e-9);
/// assert!((y[1] - 2.0_f64.ln()).abs() < 1e-15);
/// ```
pub fn logsumexp<X: array::ArrayLike>(
    x: X,
    axis: Axis,
) -> Array<X::Elem, <X::Dim as Dimension>::Smaller>
where
    X::Dim: RemoveAxis,
{
    Zip::from(x.view().lanes(axis)).map_collect(logsumexp_of)
}

/// The composition entry point of [`logsumexp`](fn@logsumexp).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct logsumexp {}

impl logsumexp {
    /// Runs [`logsumexp`](fn@logsumexp) and its reverse step for the
    /// adjoint `d_y` of the result: `d_x += d_y * e^(x - y)` along `axis`;
    /// returns the value.
    pub fn reverse<X: ArrayArg, K: Keep<Array<X::Elem, <X::Dim as Dimension>::Smaller>>>(
        x: X,
        axis: Axis,
        d_y: Array<X::Elem, <X::Dim as Dimension>::Smaller>,
        d_x: Slot<'_, Grad<X>>,
        _: NoGrad,
    ) -> K
    where
        X::Dim: RemoveAxis,
    {
        let value = {
            let x = x.view();
            let y = Zip::from(x.lanes(axis)).map_collect(logsumexp_of);
            if let Some(g) = d_x.target(&x) {
                Zip::from(g.lanes_mut(axis))
                    .and(x.lanes(axis))
                    .and(&y)
                    .and(&d_y)
                    .for_each(|mut g, x, &y, &d| {
                        Zip::from(&mut g)
                            .and(&x)
                            .for_each(|g, &x| *g += d * (x - y).exp());
                    });
            }
            y
        };
        K::keep(move || value)
    }
}

// ----- losses ------------------------------------------------------------------

/// The sum of squares `sum_i r_i^2` of a scalar or an array (of residuals).
///
/// Its derivative: `d_r = 2 d r`. The lecture's least-squares loss is
/// `sum_of_squares(&(f - y))`.
///
/// ```
/// use gradgen::ndarray::array;
/// use gradgen::prelude::*;
///
/// assert_eq!(sum_of_squares(&array![1.0, -2.0]), 5.0);
/// assert_eq!(sum_of_squares(3.0), 9.0);
/// ```
pub fn sum_of_squares<R: array::Operand>(r: R) -> R::Elem {
    r.view().fold(R::Elem::zero(), |s, &r| s + r * r)
}

/// The composition entry point of [`sum_of_squares`](fn@sum_of_squares).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct sum_of_squares {}

impl sum_of_squares {
    /// Runs [`sum_of_squares`](fn@sum_of_squares) and its reverse step for
    /// the adjoint `d_y` of the result: `d_r += 2 d_y r`; returns the value.
    pub fn reverse<R: array::Operand, K: Keep<R::Elem>>(
        r: R,
        d_y: R::Elem,
        d_r: Slot<'_, Grad<R>>,
    ) -> K
    where
        Grad<R>: Accumulate,
    {
        let value = {
            let v = r.view();
            let two_d = d_y + d_y;
            add_into(d_r, || {
                R::sum_map_to(&r.shape_of(), v.view(), v.view(), v.view(), |r, _, _| {
                    two_d * r
                })
            });
            sum_of_squares(v)
        };
        K::keep(move || value)
    }
}

/// The views of `prediction` and `target` co-broadcast (as ndarray's
/// operators do), handed to `f`.
#[track_caller]
fn with_broadcast<P, T, R>(
    prediction: &P,
    target: &T,
    op: &str,
    f: impl FnOnce(
        ArrayView<'_, P::Elem, <P::Dim as DimMax<T::Dim>>::Output>,
        ArrayView<'_, P::Elem, <P::Dim as DimMax<T::Dim>>::Output>,
    ) -> R,
) -> R
where
    P: array::Operand,
    T: array::Operand<Elem = P::Elem>,
    P::Dim: DimMax<T::Dim>,
{
    let (p, t) = (prediction.view(), target.view());
    let dim: <P::Dim as DimMax<T::Dim>>::Output = co_broadcast(p.shape(), t.shape(), op);
    let pb = p
        .broadcast(dim.clone())
        .expect("broadcasts to the common shape");
    let tb = t.broadcast(dim).expect("broadcasts to the common shape");
    f(pb, tb)
}

/// The mean squared error `(1/n) sum_i (p_i - t_i)^2` over the `n` elements
/// of `prediction` and `target` (scalars or arrays, broadcast together as
/// ndarray's `-` does).
///
/// Its derivatives: `d_p = 2 d (p - t) / n` and `d_t = -d_p`, each summed
/// back to its argument's shape. The sum instead of the mean is
/// [`sum_of_squares`](fn@sum_of_squares) of the difference.
///
/// # Panics
///
/// When the shapes do not broadcast together.
///
/// ```
/// use gradgen::ndarray::array;
/// use gradgen::prelude::*;
///
/// assert_eq!(mse(&array![1.0, 2.0], &array![0.0, 0.0]), 2.5);
/// ```
#[track_caller]
pub fn mse<P, T>(prediction: P, target: T) -> P::Elem
where
    P: array::Operand,
    T: array::Operand<Elem = P::Elem>,
    P::Dim: DimMax<T::Dim>,
{
    with_broadcast(&prediction, &target, "mse", |p, t| squared_error(&p, &t))
}

/// `(1/n) sum_i (p_i - t_i)^2`.
fn squared_error<A: Real, D: Dimension>(p: &ArrayView<'_, A, D>, t: &ArrayView<'_, A, D>) -> A {
    let sum = Zip::from(p)
        .and(t)
        .fold(A::zero(), |s, &p, &t| s + (p - t) * (p - t));
    mean_of(p, sum)
}

/// `sum / n`, `n` the number of elements of `like` (NaN for none).
#[inline]
fn mean_of<A: Real, D: Dimension>(like: &ArrayView<'_, A, D>, sum: A) -> A {
    sum / A::from_usize(like.len()).unwrap_or_else(A::nan)
}

/// The composition entry point of [`mse`](fn@mse).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct mse {}

impl mse {
    /// Runs [`mse`](fn@mse) and its reverse step for the adjoint `d_y` of
    /// the result: `d_p += 2 d_y (p - t) / n`, `d_t -= 2 d_y (p - t) / n`;
    /// returns the value.
    #[track_caller]
    pub fn reverse<P, T, K: Keep<P::Elem>>(
        prediction: P,
        target: T,
        d_y: P::Elem,
        d_prediction: Slot<'_, Grad<P>>,
        d_target: Slot<'_, Grad<T>>,
    ) -> K
    where
        P: array::Operand,
        T: array::Operand<Elem = P::Elem>,
        P::Dim: DimMax<T::Dim>,
        Grad<P>: Accumulate,
        Grad<T>: Accumulate,
    {
        let value = {
            let shapes = (prediction.shape_of(), target.shape_of());
            with_broadcast(&prediction, &target, "mse", |p, t| {
                let scale = mean_of(&p, d_y + d_y);
                add_into(d_prediction, || {
                    P::sum_map_to(&shapes.0, p.clone(), t.clone(), p.clone(), |p, t, _| {
                        scale * (p - t)
                    })
                });
                add_into(d_target, || {
                    T::sum_map_to(&shapes.1, p.clone(), t.clone(), p.clone(), |p, t, _| {
                        scale * (t - p)
                    })
                });
                squared_error(&p, &t)
            })
        };
        K::keep(move || value)
    }
}

/// Softmax cross-entropy of each row of `logits` (examples in rows,
/// classes in columns), at scale `scale`, adding `scale * d * (softmax -
/// onehot)` into `grad` when given.
#[track_caller]
fn cross_entropy<A: Real, L: Labels + ?Sized>(
    logits: ArrayView<'_, A, Ix2>,
    labels: &L,
    scale: impl FnOnce(usize) -> A,
    mut grad: Option<(&mut Array<A, Ix2>, A)>,
) -> A {
    let labels = labels.labels();
    assert_eq!(
        labels.len(),
        logits.nrows(),
        "softmax_cross_entropy: {} labels for {} rows of logits",
        labels.len(),
        logits.nrows()
    );
    let classes = logits.ncols();
    let scale = scale(logits.nrows());
    let mut loss = A::zero();
    for (i, (z, &label)) in logits.rows().into_iter().zip(&labels).enumerate() {
        assert!(
            label < classes,
            "softmax_cross_entropy: label {label} of row {i} is not below the {classes} classes"
        );
        let lse = logsumexp_of(z);
        loss += lse - z[label];
        if let Some((g, d)) = grad.as_mut() {
            let d = *d * scale;
            let mut g = g.row_mut(i);
            Zip::from(&mut g)
                .and(&z)
                .for_each(|g, &z| *g += d * (z - lse).exp());
            g[label] -= d;
        }
    }
    loss * scale
}

/// The softmax cross-entropy of integer class labels, summed over examples
/// (the lecture's convention): `L = sum_i [ln sum_j e^(z_ij) - z_i,y_i]`,
/// the negative log-likelihood of the labels `y_i` under `softmax(z_i)`.
///
/// `logits` holds one example per row and one class per column; `labels`
/// one class index per row (`&[usize]`, `&Vec<usize>`, `ArrayView1<usize>`,
/// ...). Its derivative: `d_z_i = d (softmax(z_i) - onehot(y_i))`. For the
/// mean over examples (PyTorch's default) use
/// [`softmax_cross_entropy_mean`](fn@softmax_cross_entropy_mean).
///
/// # Panics
///
/// When there are not as many labels as rows, or a label is not below the
/// number of columns.
///
/// ```
/// use gradgen::ndarray::array;
/// use gradgen::prelude::*;
///
/// let logits = array![[0.0, 0.0], [0.0, 0.0]];
/// let loss = softmax_cross_entropy(&logits, &[0, 1]);
/// assert!((loss - 2.0 * 2.0_f64.ln()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn softmax_cross_entropy<X, L>(logits: X, labels: L) -> X::Elem
where
    X: array::ArrayLike<Dim = Ix2>,
    L: Labels,
{
    cross_entropy(logits.view(), &labels, |_| X::Elem::one(), None)
}

/// The composition entry point of
/// [`softmax_cross_entropy`](fn@softmax_cross_entropy).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct softmax_cross_entropy {}

impl softmax_cross_entropy {
    /// Runs [`softmax_cross_entropy`](fn@softmax_cross_entropy) and its
    /// reverse step for the adjoint `d_y` of the result: `d_z_i += d_y
    /// (softmax(z_i) - onehot(y_i))`; returns the value.
    #[track_caller]
    pub fn reverse<X, L, K: Keep<X::Elem>>(
        logits: X,
        labels: L,
        d_y: X::Elem,
        d_logits: Slot<'_, Grad<X>>,
        _: NoGrad,
    ) -> K
    where
        X: ArrayArg<Dim = Ix2>,
        L: Labels,
    {
        let value = {
            let grad = d_logits.target(&logits).map(|g| (g, d_y));
            cross_entropy(logits.view(), &labels, |_| X::Elem::one(), grad)
        };
        K::keep(move || value)
    }
}

/// [`softmax_cross_entropy`](fn@softmax_cross_entropy) divided by the
/// number of examples: the mean over rows, PyTorch's `cross_entropy`.
///
/// # Panics
///
/// As [`softmax_cross_entropy`](fn@softmax_cross_entropy).
///
/// ```
/// use gradgen::ndarray::array;
/// use gradgen::prelude::*;
///
/// let logits = array![[0.0, 0.0], [0.0, 0.0]];
/// let loss = softmax_cross_entropy_mean(&logits, &[0, 1]);
/// assert!((loss - 2.0_f64.ln()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn softmax_cross_entropy_mean<X, L>(logits: X, labels: L) -> X::Elem
where
    X: array::ArrayLike<Dim = Ix2>,
    L: Labels,
{
    cross_entropy(logits.view(), &labels, per_example, None)
}

/// `1 / n` (NaN for no examples).
#[inline]
fn per_example<A: Real>(n: usize) -> A {
    A::one() / A::from_usize(n).unwrap_or_else(A::nan)
}

/// The composition entry point of
/// [`softmax_cross_entropy_mean`](fn@softmax_cross_entropy_mean).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct softmax_cross_entropy_mean {}

impl softmax_cross_entropy_mean {
    /// Runs [`softmax_cross_entropy_mean`](fn@softmax_cross_entropy_mean)
    /// and its reverse step for the adjoint `d_y` of the result: `d_z_i +=
    /// d_y (softmax(z_i) - onehot(y_i)) / n`; returns the value.
    #[track_caller]
    pub fn reverse<X, L, K: Keep<X::Elem>>(
        logits: X,
        labels: L,
        d_y: X::Elem,
        d_logits: Slot<'_, Grad<X>>,
        _: NoGrad,
    ) -> K
    where
        X: ArrayArg<Dim = Ix2>,
        L: Labels,
    {
        let value = {
            let grad = d_logits.target(&logits).map(|g| (g, d_y));
            cross_entropy(logits.view(), &labels, per_example, grad)
        };
        K::keep(move || value)
    }
}

/// `max(z, 0) - z t + ln(1 + e^-|z|)`: the binary cross-entropy of target
/// `t` under `sigmoid(z)`, stably.
#[inline]
fn bce_of<A: Real>(z: A, t: A) -> A {
    z.max(A::zero()) - z * t + (-z.abs()).exp().ln_1p()
}

/// The binary cross-entropy of targets `t` in `[0, 1]` under probabilities
/// `sigmoid(z)` of the logits `z`, summed over elements (the lecture's
/// convention): `L = sum_i [-t_i ln sigmoid(z_i) - (1 - t_i) ln(1 -
/// sigmoid(z_i))]`.
///
/// Computed as `max(z, 0) - z t + ln(1 + e^-|z|)`, stable for any `z`.
/// Scalars or arrays, broadcast together as ndarray's operators do. Its
/// derivatives: `d_z = d (sigmoid(z) - t)` and `d_t = -d z`, each summed
/// back to its argument's shape. For the mean over elements (PyTorch's
/// default), divide by the number of elements.
///
/// # Panics
///
/// When the shapes do not broadcast together.
///
/// ```
/// use gradgen::ndarray::array;
/// use gradgen::prelude::*;
///
/// let loss = binary_cross_entropy_with_logits(&array![0.0, 0.0], &array![1.0, 0.0]);
/// assert!((loss - 2.0 * 2.0_f64.ln()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn binary_cross_entropy_with_logits<Z, T>(logits: Z, targets: T) -> Z::Elem
where
    Z: array::Operand,
    T: array::Operand<Elem = Z::Elem>,
    Z::Dim: DimMax<T::Dim>,
{
    with_broadcast(&logits, &targets, BCE, |z, t| bce_sum(&z, &t))
}

const BCE: &str = "binary_cross_entropy_with_logits";

/// The sum of [`bce_of`] over the elements.
fn bce_sum<A: Real, D: Dimension>(z: &ArrayView<'_, A, D>, t: &ArrayView<'_, A, D>) -> A {
    Zip::from(z)
        .and(t)
        .fold(A::zero(), |s, &z, &t| s + bce_of(z, t))
}

/// The composition entry point of
/// [`binary_cross_entropy_with_logits`](fn@binary_cross_entropy_with_logits).
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct binary_cross_entropy_with_logits {}

impl binary_cross_entropy_with_logits {
    /// Runs
    /// [`binary_cross_entropy_with_logits`](fn@binary_cross_entropy_with_logits)
    /// and its reverse step for the adjoint `d_y` of the result: `d_z +=
    /// d_y (sigmoid(z) - t)`, `d_t -= d_y z`; returns the value.
    #[track_caller]
    pub fn reverse<Z, T, K: Keep<Z::Elem>>(
        logits: Z,
        targets: T,
        d_y: Z::Elem,
        d_logits: Slot<'_, Grad<Z>>,
        d_targets: Slot<'_, Grad<T>>,
    ) -> K
    where
        Z: array::Operand,
        T: array::Operand<Elem = Z::Elem>,
        Z::Dim: DimMax<T::Dim>,
        Grad<Z>: Accumulate,
        Grad<T>: Accumulate,
    {
        let value = {
            let shapes = (logits.shape_of(), targets.shape_of());
            with_broadcast(&logits, &targets, BCE, |z, t| {
                add_into(d_logits, || {
                    Z::sum_map_to(&shapes.0, z.clone(), t.clone(), z.clone(), |z, t, _| {
                        d_y * (sigmoid_of(z) - t)
                    })
                });
                add_into(d_targets, || {
                    T::sum_map_to(&shapes.1, z.clone(), t.clone(), z.clone(), |z, _, _| {
                        -d_y * z
                    })
                });
                bce_sum(&z, &t)
            })
        };
        K::keep(move || value)
    }
}
