//! The reverse steps of the float methods, one function per rule.
//!
//! `d` is the adjoint of the result; the other arguments are what the rule
//! saved in the forward sweep (the input `x`, the result `y`, or both). A
//! rule of one input is `d_NAME(d, saved...)` and may reuse `d`'s storage; a
//! rule of several inputs has one function per input, `d_NAME_I(&d,
//! saved...)` for input `I` (the receiver is 0), so a reverse step computes
//! only the adjoints that something needs.
//!
//! Every rule is one generic definition over [`Elementwise`] (rules of one
//! input) or [`Pointwise`] (rules of several), which serve scalars and, with
//! `d` an owned array, ndarray arrays elementwise; an array rule of one input
//! writes into `d`'s buffer. For arrays, `powf`, `log`, `hypot` and `clamp`
//! take their other inputs as scalars (as ndarray's methods do), whose
//! adjoints are summed over the elements. Derivatives at kinks follow
//! PyTorch: `abs` has derivative 0 at 0, `min`/`max` split the adjoint evenly
//! on a tie, `clamp` sends it to `x` on its bounds.

use std::ops::Neg;

use ndarray::{Array, Dimension, Zip};

use super::array::ArrayLike;
use crate::Real;

/// The adjoint of an elementwise result, combined element by element with a
/// value the rule saved (the input or the result, of the same shape): one
/// rule serves scalars and arrays.
///
/// A scalar adjoint `T` goes with a saved `T`; an array adjoint
/// `Array<A, D>` with any array of its shape (owned, a view, a `CowArray`,
/// a reference), and is updated in place.
pub trait Elementwise<X: ?Sized>: Sized {
    /// The element type.
    type Elem: Real;
    /// `f(d, x)` at every element, in `self`'s storage.
    fn zip_map(self, x: &X, f: impl FnMut(Self::Elem, Self::Elem) -> Self::Elem) -> Self;
}

impl<T: Real> Elementwise<T> for T {
    type Elem = T;
    #[inline]
    fn zip_map(self, x: &T, mut f: impl FnMut(T, T) -> T) -> T {
        f(self, *x)
    }
}

impl<A, D, X> Elementwise<X> for Array<A, D>
where
    A: Real,
    D: Dimension,
    X: ArrayLike<Elem = A, Dim = D> + ?Sized,
{
    type Elem = A;
    #[inline]
    fn zip_map(mut self, x: &X, mut f: impl FnMut(A, A) -> A) -> Self {
        Zip::from(&mut self)
            .and(x.view())
            .for_each(|d, &x| *d = f(*d, x));
        self
    }
}

/// The adjoint of a result of several inputs where one input is the array
/// (or scalar) and the others are scalars: `x.powf(e)`, `x.clamp(lo, hi)`,
/// `x.log(b)`, `x.hypot(b)`. Gives the adjoint of the array input (shaped
/// like `d`) and, summed over all elements, of a scalar input.
pub trait Pointwise<X: ?Sized, Y: ?Sized = X>: Sized {
    /// The element type.
    type Elem: Real;
    /// `f(d, x, y)` at every element, shaped like `self`.
    fn map_with(
        &self,
        x: &X,
        y: &Y,
        f: impl FnMut(Self::Elem, Self::Elem, Self::Elem) -> Self::Elem,
    ) -> Self;
    /// The sum of `f(d, x, y)` over all elements (for a scalar, `f(d, x, y)`).
    fn sum_with(
        &self,
        x: &X,
        y: &Y,
        f: impl FnMut(Self::Elem, Self::Elem, Self::Elem) -> Self::Elem,
    ) -> Self::Elem;
}

impl<T: Real> Pointwise<T, T> for T {
    type Elem = T;
    #[inline]
    fn map_with(&self, x: &T, y: &T, mut f: impl FnMut(T, T, T) -> T) -> T {
        f(*self, *x, *y)
    }
    #[inline]
    fn sum_with(&self, x: &T, y: &T, mut f: impl FnMut(T, T, T) -> T) -> T {
        f(*self, *x, *y)
    }
}

impl<A, D, X, Y> Pointwise<X, Y> for Array<A, D>
where
    A: Real,
    D: Dimension,
    X: ArrayLike<Elem = A, Dim = D> + ?Sized,
    Y: ArrayLike<Elem = A, Dim = D> + ?Sized,
{
    type Elem = A;
    fn map_with(&self, x: &X, y: &Y, mut f: impl FnMut(A, A, A) -> A) -> Self {
        Zip::from(self)
            .and(x.view())
            .and(y.view())
            .map_collect(|&d, &x, &y| f(d, x, y))
    }
    fn sum_with(&self, x: &X, y: &Y, mut f: impl FnMut(A, A, A) -> A) -> A {
        Zip::from(self)
            .and(x.view())
            .and(y.view())
            .fold(A::zero(), |sum, &d, &x, &y| sum + f(d, x, y))
    }
}

/// `y = -x`: `d_x = -d` (in place for an array).
#[inline]
pub fn d_neg<G: Neg<Output = G>>(d: G) -> G {
    -d
}

/// `y = sin x`: `d_x = d cos x`.
#[inline]
pub fn d_sin<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d * x.cos())
}

/// `y = cos x`: `d_x = -d sin x`.
#[inline]
pub fn d_cos<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| -d * x.sin())
}

/// `y = tan x`: `d_x = d (1 + y^2)`.
#[inline]
pub fn d_tan<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, y: &X) -> G {
    d.zip_map(y, |d, y| d * (T::one() + y * y))
}

/// `y = asin x`: `d_x = d / sqrt(1 - x^2)`.
#[inline]
pub fn d_asin<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d / (T::one() - x * x).sqrt())
}

/// `y = acos x`: `d_x = -d / sqrt(1 - x^2)`.
#[inline]
pub fn d_acos<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| -d / (T::one() - x * x).sqrt())
}

/// `y = atan x`: `d_x = d / (1 + x^2)`.
#[inline]
pub fn d_atan<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d / (T::one() + x * x))
}

/// `y = sinh x`: `d_x = d cosh x`.
#[inline]
pub fn d_sinh<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d * x.cosh())
}

/// `y = cosh x`: `d_x = d sinh x`.
#[inline]
pub fn d_cosh<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d * x.sinh())
}

/// `y = tanh x`: `d_x = d (1 - y^2)`.
#[inline]
pub fn d_tanh<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, y: &X) -> G {
    d.zip_map(y, |d, y| d * (T::one() - y * y))
}

/// `y = asinh x`: `d_x = d / sqrt(x^2 + 1)`.
#[inline]
pub fn d_asinh<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d / (x * x + T::one()).sqrt())
}

/// `y = acosh x`: `d_x = d / sqrt(x^2 - 1)`.
#[inline]
pub fn d_acosh<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d / (x * x - T::one()).sqrt())
}

/// `y = atanh x`: `d_x = d / (1 - x^2)`.
#[inline]
pub fn d_atanh<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d / (T::one() - x * x))
}

/// `y = exp x`: `d_x = d y`.
#[inline]
pub fn d_exp<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, y: &X) -> G {
    d.zip_map(y, |d, y| d * y)
}

/// `y = 2^x`: `d_x = d y ln 2`.
#[inline]
pub fn d_exp2<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, y: &X) -> G {
    d.zip_map(y, |d, y| d * y * T::LN_2())
}

/// `y = exp x - 1`: `d_x = d (y + 1)`.
#[inline]
pub fn d_exp_m1<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, y: &X) -> G {
    d.zip_map(y, |d, y| d * (y + T::one()))
}

/// `y = ln x`: `d_x = d / x`.
#[inline]
pub fn d_ln<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d / x)
}

/// `y = log2 x`: `d_x = d / (x ln 2)`.
#[inline]
pub fn d_log2<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d / (x * T::LN_2()))
}

/// `y = log10 x`: `d_x = d / (x ln 10)`.
#[inline]
pub fn d_log10<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d / (x * T::LN_10()))
}

/// `y = ln(1 + x)`: `d_x = d / (1 + x)`.
#[inline]
pub fn d_ln_1p<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| d / (T::one() + x))
}

/// `y = sqrt x`: `d_x = d / (2 y)`.
#[inline]
pub fn d_sqrt<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, y: &X) -> G {
    d.zip_map(y, |d, y| d / (y + y))
}

/// `y = cbrt x`: `d_x = d / (3 y^2)`.
#[inline]
pub fn d_cbrt<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, y: &X) -> G {
    d.zip_map(y, |d, y| d / (T::from_f64_lossy(3.0) * y * y))
}

/// `y = x^n`, `n` an integer: `d_x = d n x^(n-1)`.
#[inline]
pub fn d_powi<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X, n: i32) -> G {
    d.zip_map(x, |d, x| match n {
        0 => T::zero(),
        _ => d * T::from_f64_lossy(f64::from(n)) * x.powi(n - 1),
    })
}

/// `y = 1 / x`: `d_x = -d y^2`.
#[inline]
pub fn d_recip<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, y: &X) -> G {
    d.zip_map(y, |d, y| -d * y * y)
}

/// `y = |x|`: `d_x = d sign(x)`, 0 at 0.
#[inline]
pub fn d_abs<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |d, x| {
        if x.is_zero() {
            T::zero()
        } else {
            d * x.signum()
        }
    })
}

/// `y = sign(x)`: `d_x = 0`.
#[inline]
pub fn d_signum<T: Real, G: Elementwise<X, Elem = T>, X: ?Sized>(d: G, x: &X) -> G {
    d.zip_map(x, |_, _| T::zero())
}

/// `z = a.atan2(b)` (the angle of the point `(b, a)`): `d_a = d b / (a^2 + b^2)`.
#[inline]
pub fn d_atan2_0<T: Real>(d: &T, a: &T, b: &T) -> T {
    *d * *b / (*a * *a + *b * *b)
}

/// `z = a.atan2(b)`: `d_b = -d a / (a^2 + b^2)`.
#[inline]
pub fn d_atan2_1<T: Real>(d: &T, a: &T, b: &T) -> T {
    -*d * *a / (*a * *a + *b * *b)
}

/// `y = log_b x = ln x / ln b`: `d_x = d / (x ln b)`.
#[inline]
pub fn d_log_0<T: Real, G: Pointwise<X, Y, Elem = T>, X: ?Sized, Y: ?Sized>(
    d: &G,
    x: &X,
    b: &T,
    y: &Y,
) -> G {
    d.map_with(x, y, |d, x, _| d / (x * b.ln()))
}

/// `y = log_b x`: `d_b = -d y / (b ln b)`.
#[inline]
pub fn d_log_1<T: Real, G: Pointwise<X, Y, Elem = T>, X: ?Sized, Y: ?Sized>(
    d: &G,
    x: &X,
    b: &T,
    y: &Y,
) -> T {
    d.sum_with(x, y, |d, _, y| -d * y / (*b * b.ln()))
}

/// `y = x^e`: `d_x = d e x^(e-1)` (0 where `e` is 0).
#[inline]
pub fn d_powf_0<T: Real, G: Pointwise<X, Y, Elem = T>, X: ?Sized, Y: ?Sized>(
    d: &G,
    x: &X,
    e: &T,
    y: &Y,
) -> G {
    d.map_with(x, y, |d, x, _| {
        if e.is_zero() {
            T::zero()
        } else {
            d * *e * x.powf(*e - T::one())
        }
    })
}

/// `y = x^e`: `d_e = d y ln x`, and 0 where `x` is 0 and `e >= 0` (PyTorch:
/// `y ln x` is `0 * -inf` or, at `0^0 = 1`, `-inf` there).
#[inline]
pub fn d_powf_1<T: Real, G: Pointwise<X, Y, Elem = T>, X: ?Sized, Y: ?Sized>(
    d: &G,
    x: &X,
    e: &T,
    y: &Y,
) -> T {
    d.sum_with(x, y, |d, x, y| {
        if x.is_zero() && *e >= T::zero() {
            T::zero()
        } else {
            d * y * x.ln()
        }
    })
}

/// `z = sqrt(a^2 + b^2)`: `d_a = d a / z` (0 at the origin).
#[inline]
pub fn d_hypot_0<T: Real, G: Pointwise<X, Y, Elem = T>, X: ?Sized, Y: ?Sized>(
    d: &G,
    a: &X,
    _b: &T,
    z: &Y,
) -> G {
    d.map_with(
        a,
        z,
        |d, a, z| if z.is_zero() { T::zero() } else { d * a / z },
    )
}

/// `z = sqrt(a^2 + b^2)`: `d_b = d b / z` (0 at the origin).
#[inline]
pub fn d_hypot_1<T: Real, G: Pointwise<X, Y, Elem = T>, X: ?Sized, Y: ?Sized>(
    d: &G,
    a: &X,
    b: &T,
    z: &Y,
) -> T {
    d.sum_with(
        a,
        z,
        |d, _, z| if z.is_zero() { T::zero() } else { d * *b / z },
    )
}

/// The share of the adjoint of `a.min(b)` (`min`) or `a.max(b)` that goes
/// to the receiver `a`: all of it where `a` is selected, half on a tie (as
/// PyTorch's `minimum`/`maximum`), none where `b` is. A NaN operand is not
/// selected (`f64::min` and `max` return the other one).
#[inline]
fn receiver_share<T: Real>(a: &T, b: &T, min: bool) -> T {
    if b.is_nan() {
        T::one()
    } else if a.is_nan() {
        T::zero()
    } else if a == b {
        T::from_f64_lossy(0.5)
    } else if (*a < *b) == min {
        T::one()
    } else {
        T::zero()
    }
}

/// `z = a.min(b)`: `d_a = d` where `a < b`, `d/2` on a tie, else 0.
#[inline]
pub fn d_min_0<T: Real>(d: &T, a: &T, b: &T) -> T {
    *d * receiver_share(a, b, true)
}

/// `z = a.min(b)`: `d_b = d` where `b < a`, `d/2` on a tie, else 0.
#[inline]
pub fn d_min_1<T: Real>(d: &T, a: &T, b: &T) -> T {
    *d * (T::one() - receiver_share(a, b, true))
}

/// `z = a.max(b)`: `d_a = d` where `a > b`, `d/2` on a tie, else 0.
#[inline]
pub fn d_max_0<T: Real>(d: &T, a: &T, b: &T) -> T {
    *d * receiver_share(a, b, false)
}

/// `z = a.max(b)`: `d_b = d` where `b > a`, `d/2` on a tie, else 0.
#[inline]
pub fn d_max_1<T: Real>(d: &T, a: &T, b: &T) -> T {
    *d * (T::one() - receiver_share(a, b, false))
}

/// `y = x.clamp(lo, hi)`: `d_x = d` inside the bounds, else 0.
#[inline]
pub fn d_clamp_0<T: Real, G: Pointwise<X, X, Elem = T>, X: ?Sized>(
    d: &G,
    x: &X,
    lo: &T,
    hi: &T,
) -> G {
    d.map_with(
        x,
        x,
        |d, x, _| if x < *lo || x > *hi { T::zero() } else { d },
    )
}

/// `y = x.clamp(lo, hi)`: `d_lo = d` where `x < lo`, else 0.
#[inline]
pub fn d_clamp_1<T: Real, G: Pointwise<X, X, Elem = T>, X: ?Sized>(
    d: &G,
    x: &X,
    lo: &T,
    _hi: &T,
) -> T {
    d.sum_with(x, x, |d, x, _| if x < *lo { d } else { T::zero() })
}

/// `y = x.clamp(lo, hi)`: `d_hi = d` where `x > hi`, else 0.
#[inline]
pub fn d_clamp_2<T: Real, G: Pointwise<X, X, Elem = T>, X: ?Sized>(
    d: &G,
    x: &X,
    _lo: &T,
    hi: &T,
) -> T {
    d.sum_with(x, x, |d, x, _| if x > *hi { d } else { T::zero() })
}

/// `y = a.mul_add(b, c) = a b + c`: `d_a = d b`.
#[inline]
pub fn d_mul_add_0<T: Real>(d: &T, _a: &T, b: &T) -> T {
    *d * *b
}

/// `y = a.mul_add(b, c)`: `d_b = d a`.
#[inline]
pub fn d_mul_add_1<T: Real>(d: &T, a: &T, _b: &T) -> T {
    *d * *a
}

/// `y = a.mul_add(b, c)`: `d_c = d`.
#[inline]
pub fn d_mul_add_2<T: Real>(d: &T, _a: &T, _b: &T) -> T {
    *d
}

/// `y = x.view()`, `x.to_owned()`, `x.clone()`, `x.into_owned()`: the same
/// values, so `d_x = d`.
#[inline]
pub fn d_identity<G>(d: G) -> G {
    d
}
