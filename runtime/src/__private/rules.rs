//! The reverse steps of the float methods, one function per rule.
//!
//! `d` is the adjoint of the result; the other arguments are what the rule
//! saved in the forward sweep (the input `x`, the result `y`, or both). A
//! rule of one input is `d_NAME(d, saved...)` and may reuse `d`'s storage; a
//! rule of several inputs has one function per input, `d_NAME_I(&d,
//! saved...)` for input `I` (the receiver is 0), so a reverse step computes
//! only the adjoints that something needs. Derivatives at kinks follow
//! PyTorch: `abs` has derivative 0 at 0, `min`/`max`/`clamp` send the whole
//! adjoint to the argument they selected (the receiver on ties).

use crate::Real;

/// `y = -x`: `d_x = -d`.
#[inline]
pub fn d_neg<T: Real>(d: T) -> T {
    -d
}

/// `y = sin x`: `d_x = d cos x`.
#[inline]
pub fn d_sin<T: Real>(d: T, x: &T) -> T {
    d * x.cos()
}

/// `y = cos x`: `d_x = -d sin x`.
#[inline]
pub fn d_cos<T: Real>(d: T, x: &T) -> T {
    -d * x.sin()
}

/// `y = tan x`: `d_x = d (1 + y^2)`.
#[inline]
pub fn d_tan<T: Real>(d: T, y: &T) -> T {
    d * (T::one() + *y * *y)
}

/// `y = asin x`: `d_x = d / sqrt(1 - x^2)`.
#[inline]
pub fn d_asin<T: Real>(d: T, x: &T) -> T {
    d / (T::one() - *x * *x).sqrt()
}

/// `y = acos x`: `d_x = -d / sqrt(1 - x^2)`.
#[inline]
pub fn d_acos<T: Real>(d: T, x: &T) -> T {
    -d / (T::one() - *x * *x).sqrt()
}

/// `y = atan x`: `d_x = d / (1 + x^2)`.
#[inline]
pub fn d_atan<T: Real>(d: T, x: &T) -> T {
    d / (T::one() + *x * *x)
}

/// `y = sinh x`: `d_x = d cosh x`.
#[inline]
pub fn d_sinh<T: Real>(d: T, x: &T) -> T {
    d * x.cosh()
}

/// `y = cosh x`: `d_x = d sinh x`.
#[inline]
pub fn d_cosh<T: Real>(d: T, x: &T) -> T {
    d * x.sinh()
}

/// `y = tanh x`: `d_x = d (1 - y^2)`.
#[inline]
pub fn d_tanh<T: Real>(d: T, y: &T) -> T {
    d * (T::one() - *y * *y)
}

/// `y = asinh x`: `d_x = d / sqrt(x^2 + 1)`.
#[inline]
pub fn d_asinh<T: Real>(d: T, x: &T) -> T {
    d / (*x * *x + T::one()).sqrt()
}

/// `y = acosh x`: `d_x = d / sqrt(x^2 - 1)`.
#[inline]
pub fn d_acosh<T: Real>(d: T, x: &T) -> T {
    d / (*x * *x - T::one()).sqrt()
}

/// `y = atanh x`: `d_x = d / (1 - x^2)`.
#[inline]
pub fn d_atanh<T: Real>(d: T, x: &T) -> T {
    d / (T::one() - *x * *x)
}

/// `y = exp x`: `d_x = d y`.
#[inline]
pub fn d_exp<T: Real>(d: T, y: &T) -> T {
    d * *y
}

/// `y = 2^x`: `d_x = d y ln 2`.
#[inline]
pub fn d_exp2<T: Real>(d: T, y: &T) -> T {
    d * *y * T::LN_2()
}

/// `y = exp x - 1`: `d_x = d (y + 1)`.
#[inline]
pub fn d_exp_m1<T: Real>(d: T, y: &T) -> T {
    d * (*y + T::one())
}

/// `y = ln x`: `d_x = d / x`.
#[inline]
pub fn d_ln<T: Real>(d: T, x: &T) -> T {
    d / *x
}

/// `y = log2 x`: `d_x = d / (x ln 2)`.
#[inline]
pub fn d_log2<T: Real>(d: T, x: &T) -> T {
    d / (*x * T::LN_2())
}

/// `y = log10 x`: `d_x = d / (x ln 10)`.
#[inline]
pub fn d_log10<T: Real>(d: T, x: &T) -> T {
    d / (*x * T::LN_10())
}

/// `y = ln(1 + x)`: `d_x = d / (1 + x)`.
#[inline]
pub fn d_ln_1p<T: Real>(d: T, x: &T) -> T {
    d / (T::one() + *x)
}

/// `y = sqrt x`: `d_x = d / (2 y)`.
#[inline]
pub fn d_sqrt<T: Real>(d: T, y: &T) -> T {
    d / (*y + *y)
}

/// `y = cbrt x`: `d_x = d / (3 y^2)`.
#[inline]
pub fn d_cbrt<T: Real>(d: T, y: &T) -> T {
    d / (T::from_f64_lossy(3.0) * *y * *y)
}

/// `y = x^n`, `n` an integer: `d_x = d n x^(n-1)`.
#[inline]
pub fn d_powi<T: Real>(d: T, x: &T, n: i32) -> T {
    match n {
        0 => T::zero(),
        _ => d * T::from_f64_lossy(f64::from(n)) * x.powi(n - 1),
    }
}

/// `y = 1 / x`: `d_x = -d y^2`.
#[inline]
pub fn d_recip<T: Real>(d: T, y: &T) -> T {
    -d * *y * *y
}

/// `y = |x|`: `d_x = d sign(x)`, 0 at 0.
#[inline]
pub fn d_abs<T: Real>(d: T, x: &T) -> T {
    if x.is_zero() {
        T::zero()
    } else {
        d * x.signum()
    }
}

/// `y = sign(x)`: `d_x = 0`.
#[inline]
pub fn d_signum<T: Real>(_d: T, _x: &T) -> T {
    T::zero()
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
pub fn d_log_0<T: Real>(d: &T, x: &T, b: &T, _y: &T) -> T {
    *d / (*x * b.ln())
}

/// `y = log_b x`: `d_b = -d y / (b ln b)`.
#[inline]
pub fn d_log_1<T: Real>(d: &T, _x: &T, b: &T, y: &T) -> T {
    -*d * *y / (*b * b.ln())
}

/// `y = x^e`: `d_x = d e x^(e-1)` (0 where `e` is 0).
#[inline]
pub fn d_powf_0<T: Real>(d: &T, x: &T, e: &T, _y: &T) -> T {
    if e.is_zero() {
        T::zero()
    } else {
        *d * *e * x.powf(*e - T::one())
    }
}

/// `y = x^e`: `d_e = d y ln x`, and 0 where `x` is 0 and `e >= 0` (PyTorch:
/// `y ln x` is `0 * -inf` or, at `0^0 = 1`, `-inf` there).
#[inline]
pub fn d_powf_1<T: Real>(d: &T, x: &T, e: &T, y: &T) -> T {
    if x.is_zero() && *e >= T::zero() {
        T::zero()
    } else {
        *d * *y * x.ln()
    }
}

/// `z = sqrt(a^2 + b^2)`: `d_a = d a / z` (0 at the origin).
#[inline]
pub fn d_hypot_0<T: Real>(d: &T, a: &T, _b: &T, z: &T) -> T {
    if z.is_zero() { T::zero() } else { *d * *a / *z }
}

/// `z = sqrt(a^2 + b^2)`: `d_b = d b / z` (0 at the origin).
#[inline]
pub fn d_hypot_1<T: Real>(d: &T, _a: &T, b: &T, z: &T) -> T {
    if z.is_zero() { T::zero() } else { *d * *b / *z }
}

/// Whether `a.min(b)` selects `a`: on ties and when `b` is NaN.
#[inline]
fn min_selects_receiver<T: Real>(a: &T, b: &T) -> bool {
    *a <= *b || b.is_nan()
}

/// Whether `a.max(b)` selects `a`: on ties and when `b` is NaN.
#[inline]
fn max_selects_receiver<T: Real>(a: &T, b: &T) -> bool {
    *a >= *b || b.is_nan()
}

/// `z = a.min(b)`: `d_a = d` where `a` is selected (ties included), else 0.
#[inline]
pub fn d_min_0<T: Real>(d: &T, a: &T, b: &T) -> T {
    if min_selects_receiver(a, b) {
        *d
    } else {
        T::zero()
    }
}

/// `z = a.min(b)`: `d_b = d` where `b` is selected, else 0.
#[inline]
pub fn d_min_1<T: Real>(d: &T, a: &T, b: &T) -> T {
    if min_selects_receiver(a, b) {
        T::zero()
    } else {
        *d
    }
}

/// `z = a.max(b)`: `d_a = d` where `a` is selected (ties included), else 0.
#[inline]
pub fn d_max_0<T: Real>(d: &T, a: &T, b: &T) -> T {
    if max_selects_receiver(a, b) {
        *d
    } else {
        T::zero()
    }
}

/// `z = a.max(b)`: `d_b = d` where `b` is selected, else 0.
#[inline]
pub fn d_max_1<T: Real>(d: &T, a: &T, b: &T) -> T {
    if max_selects_receiver(a, b) {
        T::zero()
    } else {
        *d
    }
}

/// `y = x.clamp(lo, hi)`: `d_x = d` inside the bounds, else 0.
#[inline]
pub fn d_clamp_0<T: Real>(d: &T, x: &T, lo: &T, hi: &T) -> T {
    if *x < *lo || *x > *hi { T::zero() } else { *d }
}

/// `y = x.clamp(lo, hi)`: `d_lo = d` where `x < lo`, else 0.
#[inline]
pub fn d_clamp_1<T: Real>(d: &T, x: &T, lo: &T, _hi: &T) -> T {
    if *x < *lo { *d } else { T::zero() }
}

/// `y = x.clamp(lo, hi)`: `d_hi = d` where `x > hi`, else 0.
#[inline]
pub fn d_clamp_2<T: Real>(d: &T, x: &T, _lo: &T, hi: &T) -> T {
    if *x > *hi { *d } else { T::zero() }
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
