//! The arithmetic operators, forward: each computes its result as the user
//! wrote it (operands owned or borrowed) and returns a tape holding what its
//! reverse step reads (`+` and `-` nothing for scalars; `*` and `/` the
//! operands).

use crate::Real;

macro_rules! forward_op {
    (@scalar $trait:ident, $method:ident, $tape:ident, $op:tt, $t:ty) => {
        impl $trait<$t> for $t {
            type Output = $t;
            type Tape = $tape<$t>;
            #[inline]
            fn $method(self, rhs: $t) -> ($t, $tape<$t>) {
                (self $op rhs, $tape::new(self, rhs))
            }
        }
        impl $trait<&$t> for $t {
            type Output = $t;
            type Tape = $tape<$t>;
            #[inline]
            fn $method(self, rhs: &$t) -> ($t, $tape<$t>) {
                (self $op *rhs, $tape::new(self, *rhs))
            }
        }
        impl $trait<$t> for &$t {
            type Output = $t;
            type Tape = $tape<$t>;
            #[inline]
            fn $method(self, rhs: $t) -> ($t, $tape<$t>) {
                (*self $op rhs, $tape::new(*self, rhs))
            }
        }
        impl $trait<&$t> for &$t {
            type Output = $t;
            type Tape = $tape<$t>;
            #[inline]
            fn $method(self, rhs: &$t) -> ($t, $tape<$t>) {
                (*self $op *rhs, $tape::new(*self, *rhs))
            }
        }
    };
    ($(#[$doc:meta])* $name:ident, $trait:ident, $method:ident, $tape:ident, $op:tt) => {
        $(#[$doc])*
        pub trait $trait<Rhs> {
            /// The result.
            type Output;
            /// What the reverse step reads.
            type Tape;
            /// The result and its tape.
            fn $method(self, rhs: Rhs) -> (Self::Output, Self::Tape);
        }

        $(#[$doc])*
        #[inline]
        pub fn $name<A: $trait<B>, B>(lhs: A, rhs: B) -> (A::Output, A::Tape) {
            lhs.$method(rhs)
        }

        forward_op!(@scalar $trait, $method, $tape, $op, f32);
        forward_op!(@scalar $trait, $method, $tape, $op, f64);
    };
}

forward_op!(
    /// `lhs + rhs`.
    add, AddFwd, add_fwd, AddTape, +
);
forward_op!(
    /// `lhs - rhs`.
    sub, SubFwd, sub_fwd, SubTape, -
);
forward_op!(
    /// `lhs * rhs`.
    mul, MulFwd, mul_fwd, MulTape, *
);
forward_op!(
    /// `lhs / rhs`.
    div, DivFwd, div_fwd, DivTape, /
);

/// The tape of a scalar `+`: nothing to keep.
#[derive(Clone, Copy, Debug)]
pub struct AddTape<T>(std::marker::PhantomData<T>);

impl<T: Real> AddTape<T> {
    #[inline]
    fn new(_: T, _: T) -> Self {
        AddTape(std::marker::PhantomData)
    }
    /// `d lhs = d`.
    #[inline]
    pub fn lhs(&self, d: &T) -> T {
        *d
    }
    /// `d rhs = d`.
    #[inline]
    pub fn rhs(&self, d: &T) -> T {
        *d
    }
}

/// The tape of a scalar `-`: nothing to keep.
#[derive(Clone, Copy, Debug)]
pub struct SubTape<T>(std::marker::PhantomData<T>);

impl<T: Real> SubTape<T> {
    #[inline]
    fn new(_: T, _: T) -> Self {
        SubTape(std::marker::PhantomData)
    }
    /// `d lhs = d`.
    #[inline]
    pub fn lhs(&self, d: &T) -> T {
        *d
    }
    /// `d rhs = -d`.
    #[inline]
    pub fn rhs(&self, d: &T) -> T {
        -*d
    }
}

/// The tape of a scalar `*`: both operands.
#[derive(Clone, Copy, Debug)]
pub struct MulTape<T> {
    lhs: T,
    rhs: T,
}

impl<T: Real> MulTape<T> {
    #[inline]
    fn new(lhs: T, rhs: T) -> Self {
        MulTape { lhs, rhs }
    }
    /// `d lhs = d * rhs`.
    #[inline]
    pub fn lhs(&self, d: &T) -> T {
        *d * self.rhs
    }
    /// `d rhs = d * lhs`.
    #[inline]
    pub fn rhs(&self, d: &T) -> T {
        *d * self.lhs
    }
}

/// The tape of a scalar `/`: both operands.
#[derive(Clone, Copy, Debug)]
pub struct DivTape<T> {
    lhs: T,
    rhs: T,
}

impl<T: Real> DivTape<T> {
    #[inline]
    fn new(lhs: T, rhs: T) -> Self {
        DivTape { lhs, rhs }
    }
    /// `d lhs = d / rhs`.
    #[inline]
    pub fn lhs(&self, d: &T) -> T {
        *d / self.rhs
    }
    /// `d rhs = -d * lhs / rhs^2`.
    #[inline]
    pub fn rhs(&self, d: &T) -> T {
        -*d * self.lhs / (self.rhs * self.rhs)
    }
}
