//! The scalar types gradgen differentiates: `f32` and `f64`.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

use num_traits::{Float, FloatConst, FromPrimitive};

use crate::__private::{AddFwd, AddTape, DivFwd, DivTape, MulFwd, MulTape, SubFwd, SubTape};
use crate::Differentiable;

/// A floating-point scalar: `f32` or `f64`.
///
/// Everything numeric in gradgen is generic over this trait, so one
/// derivative rule, optimizer or initialiser serves both precisions, and a
/// `#[differentiable]` function generic over `T: Real` differentiates for
/// both.
pub trait Real:
    Float
    + FloatConst
    + FromPrimitive
    + ndarray::ScalarOperand
    + ndarray::LinalgScalar
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + Differentiable<Tangent = Self>
    + AddFwd<Self, Output = Self, Tape = AddTape<Self>>
    + SubFwd<Self, Output = Self, Tape = SubTape<Self>>
    + MulFwd<Self, Output = Self, Tape = MulTape<Self>>
    + DivFwd<Self, Output = Self, Tape = DivTape<Self>>
{
    /// Converts an `f64` to this type (rounding for `f32`).
    fn from_f64_lossy(value: f64) -> Self;
    /// Converts this value to `f64` (exactly).
    fn to_f64_exact(self) -> f64;
}

impl Real for f32 {
    #[inline]
    fn from_f64_lossy(value: f64) -> Self {
        value as f32
    }
    #[inline]
    fn to_f64_exact(self) -> f64 {
        f64::from(self)
    }
}

impl Real for f64 {
    #[inline]
    fn from_f64_lossy(value: f64) -> Self {
        value
    }
    #[inline]
    fn to_f64_exact(self) -> f64 {
        self
    }
}
