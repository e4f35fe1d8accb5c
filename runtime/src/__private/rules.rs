//! The reverse steps of the float methods, one function per rule.
//!
//! `d` is the adjoint of the result; the other arguments are what the rule
//! saved in the forward sweep (the input `x`, the result `y`, or both). A
//! rule of several inputs returns one adjoint per input, in the method's
//! argument order, receiver first. Derivatives at kinks follow PyTorch:
//! `abs` has derivative 0 at 0, `min`/`max`/`clamp` send the whole adjoint
//! to the argument they selected (the receiver on ties).

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

/// `z = a.atan2(b)` (the angle of the point `(b, a)`):
/// `d_a = d b / (a^2 + b^2)`, `d_b = -d a / (a^2 + b^2)`.
#[inline]
pub fn d_atan2<T: Real>(d: T, a: &T, b: &T) -> (T, T) {
    let r2 = *a * *a + *b * *b;
    (d * *b / r2, -d * *a / r2)
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

/// `y = log_b x = ln x / ln b`: `d_x = d / (x ln b)`, `d_b = -d y / (b ln b)`.
#[inline]
pub fn d_log<T: Real>(d: T, x: &T, b: &T, y: &T) -> (T, T) {
    let ln_b = b.ln();
    (d / (*x * ln_b), -d * *y / (*b * ln_b))
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

/// `y = x^e`: `d_x = d e x^(e-1)`, `d_e = d y ln x` (0 where `y` is 0).
#[inline]
pub fn d_powf<T: Real>(d: T, x: &T, e: &T, y: &T) -> (T, T) {
    let d_x = if e.is_zero() {
        T::zero()
    } else {
        d * *e * x.powf(*e - T::one())
    };
    let d_e = if y.is_zero() {
        T::zero()
    } else {
        d * *y * x.ln()
    };
    (d_x, d_e)
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

/// `z = sqrt(a^2 + b^2)`: `d_a = d a / z`, `d_b = d b / z` (0 at the origin).
#[inline]
pub fn d_hypot<T: Real>(d: T, a: &T, b: &T, z: &T) -> (T, T) {
    if z.is_zero() {
        (T::zero(), T::zero())
    } else {
        (d * *a / *z, d * *b / *z)
    }
}

/// `z = a.min(b)`: the adjoint goes to the argument selected (`a` on ties).
#[inline]
pub fn d_min<T: Real>(d: T, a: &T, b: &T) -> (T, T) {
    if *a <= *b || b.is_nan() {
        (d, T::zero())
    } else {
        (T::zero(), d)
    }
}

/// `z = a.max(b)`: the adjoint goes to the argument selected (`a` on ties).
#[inline]
pub fn d_max<T: Real>(d: T, a: &T, b: &T) -> (T, T) {
    if *a >= *b || b.is_nan() {
        (d, T::zero())
    } else {
        (T::zero(), d)
    }
}

/// `y = x.clamp(lo, hi)`: the adjoint goes to the bound that was hit, or to `x`.
#[inline]
pub fn d_clamp<T: Real>(d: T, x: &T, lo: &T, hi: &T) -> (T, T, T) {
    let zero = T::zero();
    if *x < *lo {
        (zero, d, zero)
    } else if *x > *hi {
        (zero, zero, d)
    } else {
        (d, zero, zero)
    }
}

/// `y = a.mul_add(b, c) = a b + c`: `d_a = d b`, `d_b = d a`, `d_c = d`.
#[inline]
pub fn d_mul_add<T: Real>(d: T, a: &T, b: &T) -> (T, T, T) {
    (d * *b, d * *a, d)
}
