//! The arithmetic operators, forward: each computes its result as the user
//! wrote it (operands owned or borrowed, scalars or arrays) and returns a
//! tape holding what its reverse step reads (`+` and `-` nothing for scalars
//! and the operands' shapes for arrays; `*` and `/` the operands). The
//! reverse steps are the tape's `lhs(&d)` and `rhs(&d)`: the adjoint of each
//! operand in its own shape, summed over the axes it was broadcast along.

use std::ops::Neg;

use ndarray::{Array, ArrayBase, ArrayRef, ArrayView, Data, DimMax, Dimension, Ix0, Zip};

use super::array::{Operand, co_broadcast, same_shape};
use crate::{Grad, Real};

macro_rules! forward_op {
    (@scalar $trait:ident, $method:ident, $tape:ident, $op:tt, $t:ty) => {
        impl $trait<$t> for $t {
            type Output = $t;
            type Tape = $tape<$t>;
            #[inline]
            fn $method(self, rhs: $t) -> ($t, $tape<$t>) {
                (self $op rhs, $tape::new(self, rhs))
            }
            #[inline]
            fn tape(self, rhs: $t) -> $tape<$t> {
                $tape::new(self, rhs)
            }
        }
        impl $trait<&$t> for $t {
            type Output = $t;
            type Tape = $tape<$t>;
            #[inline]
            fn $method(self, rhs: &$t) -> ($t, $tape<$t>) {
                (self $op *rhs, $tape::new(self, *rhs))
            }
            #[inline]
            fn tape(self, rhs: &$t) -> $tape<$t> {
                $tape::new(self, *rhs)
            }
        }
        impl $trait<$t> for &$t {
            type Output = $t;
            type Tape = $tape<$t>;
            #[inline]
            fn $method(self, rhs: $t) -> ($t, $tape<$t>) {
                (*self $op rhs, $tape::new(*self, rhs))
            }
            #[inline]
            fn tape(self, rhs: $t) -> $tape<$t> {
                $tape::new(*self, rhs)
            }
        }
        impl $trait<&$t> for &$t {
            type Output = $t;
            type Tape = $tape<$t>;
            #[inline]
            fn $method(self, rhs: &$t) -> ($t, $tape<$t>) {
                (*self $op *rhs, $tape::new(*self, *rhs))
            }
            #[inline]
            fn tape(self, rhs: &$t) -> $tape<$t> {
                $tape::new(*self, *rhs)
            }
        }
    };
    ($(#[$doc:meta])* $name:ident, $tape_fn:ident, $trait:ident, $method:ident, $tape:ident, $op:tt) => {
        $(#[$doc])*
        pub trait $trait<Rhs> {
            /// The result.
            type Output;
            /// What the reverse step reads.
            type Tape;
            /// The result and its tape.
            fn $method(self, rhs: Rhs) -> (Self::Output, Self::Tape);
            /// The tape alone, from operands kept since the forward pass:
            /// the reverse step of a loop's pass reads it without computing
            /// the result again.
            fn tape(self, rhs: Rhs) -> Self::Tape;
        }

        $(#[$doc])*
        #[inline]
        pub fn $name<A: $trait<B>, B>(lhs: A, rhs: B) -> (A::Output, A::Tape) {
            lhs.$method(rhs)
        }

        /// The tape of
        $(#[$doc])*
        #[inline]
        pub fn $tape_fn<A: $trait<B>, B>(lhs: A, rhs: B) -> A::Tape {
            lhs.tape(rhs)
        }

        forward_op!(@scalar $trait, $method, $tape, $op, f32);
        forward_op!(@scalar $trait, $method, $tape, $op, f64);
    };
}

forward_op!(
    /// `lhs + rhs`.
    add, add_tape, AddFwd, add_fwd, AddTape, +
);
forward_op!(
    /// `lhs - rhs`.
    sub, sub_tape, SubFwd, sub_fwd, SubTape, -
);
forward_op!(
    /// `lhs * rhs`.
    mul, mul_tape, MulFwd, mul_fwd, MulTape, *
);
forward_op!(
    /// `lhs / rhs`.
    div, div_tape, DivFwd, div_fwd, DivTape, /
);

/// The tape of a scalar `+` or `-`: nothing to keep. The adjoint of the
/// right operand is `rhs_of(d)`: `d` for `+`, `-d` for `-`.
macro_rules! shape_free_tape {
    ($(#[$doc:meta])* $tape:ident, $rhs_doc:literal, |$d:ident| $rhs_of:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $tape<T>(std::marker::PhantomData<T>);

        impl<T: Real> $tape<T> {
            #[inline]
            fn new(_: T, _: T) -> Self {
                $tape(std::marker::PhantomData)
            }
            /// `d lhs = d`.
            #[inline]
            pub fn lhs(&self, d: &T) -> T {
                *d
            }
            #[doc = $rhs_doc]
            #[inline]
            pub fn rhs(&self, d: &T) -> T {
                self.rhs_owned(*d)
            }
            /// `d lhs = d`, for the last reader of `d`.
            #[inline]
            pub fn lhs_owned(&self, d: T) -> T {
                d
            }
            #[doc = $rhs_doc]
            /// For the last reader of `d`.
            #[inline]
            pub fn rhs_owned(&self, $d: T) -> T {
                $rhs_of
            }
        }
    };
}

shape_free_tape!(
    /// The tape of a scalar `+`: nothing to keep.
    AddTape, "`d rhs = d`.", |d| d
);
shape_free_tape!(
    /// The tape of a scalar `-`: nothing to keep.
    SubTape, "`d rhs = -d`.", |d| -d
);

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

// ----- arrays -------------------------------------------------------------
//
// Operands are taken as the user wrote them (see `Operand`): an owned array
// moved in, a view, a reference to an array, or a scalar on either side.
// Results and broadcasting are ndarray's: both operands co-broadcast, and
// `+` and `-` reuse the buffer of an owned operand of the result's shape, as
// ndarray does. `*` and `/` keep their operands for the reverse step, so
// their result always gets its own buffer (the one `&a * &b` allocates).

/// The dimension of `L op R`: ndarray's co-broadcast of the two.
pub type OutDim<L, R> = <<L as Operand>::Dim as DimMax<<R as Operand>::Dim>>::Output;

/// The result of an array operator with operands `L` and `R`.
pub type OutArray<L, R> = Array<<L as Operand>::Elem, OutDim<L, R>>;

/// `f(l, r)` at every element of the co-broadcast shape `dim`, in a new array.
#[inline]
fn map_broadcast<A: Real, D: Dimension, E: Dimension, O: Dimension>(
    l: ArrayView<'_, A, D>,
    r: ArrayView<'_, A, E>,
    dim: O,
    f: impl Fn(A, A) -> A,
) -> Array<A, O> {
    let l = l.broadcast(dim.clone()).expect(BROADCAST);
    let r = r.broadcast(dim).expect(BROADCAST);
    Zip::from(l).and(r).map_collect(|&a, &b| f(a, b))
}

const BROADCAST: &str = "an operand broadcasts to the co-broadcast shape";

/// `l op r` for `+` and `-`: in the buffer of an owned operand of the
/// result's shape (the left one first), as ndarray does, else in a new one.
#[track_caller]
fn forward_reusing<L, R>(
    lhs: L,
    rhs: R,
    op: &str,
    f: impl Fn(L::Elem, L::Elem) -> L::Elem,
) -> OutArray<L, R>
where
    L: Operand,
    R: Operand<Elem = L::Elem>,
    L::Dim: DimMax<R::Dim>,
{
    let dim: OutDim<L, R> = co_broadcast(lhs.view().shape(), rhs.view().shape(), op);
    let lhs = if same_shape(&dim, lhs.view().shape()) {
        match lhs.try_into_array() {
            Ok(mut out) => {
                let r = rhs.view();
                let r = r.broadcast(out.raw_dim()).expect(BROADCAST);
                Zip::from(&mut out).and(r).for_each(|a, &b| *a = f(*a, b));
                return out.into_dimensionality().expect(BROADCAST);
            }
            Err(lhs) => lhs,
        }
    } else {
        lhs
    };
    let rhs = if same_shape(&dim, rhs.view().shape()) {
        match rhs.try_into_array() {
            Ok(mut out) => {
                let l = lhs.view();
                let l = l.broadcast(out.raw_dim()).expect(BROADCAST);
                Zip::from(&mut out).and(l).for_each(|b, &a| *b = f(a, *b));
                return out.into_dimensionality().expect(BROADCAST);
            }
            Err(rhs) => rhs,
        }
    } else {
        rhs
    };
    map_broadcast(lhs.view(), rhs.view(), dim, f)
}

/// `l op r` for `*` and `/`: in a new buffer, the operands left as they are.
#[track_caller]
fn forward_keeping<L, R>(
    lhs: &L,
    rhs: &R,
    op: &str,
    f: impl Fn(L::Elem, L::Elem) -> L::Elem,
) -> OutArray<L, R>
where
    L: Operand,
    R: Operand<Elem = L::Elem>,
    L::Dim: DimMax<R::Dim>,
{
    let (l, r) = (lhs.view(), rhs.view());
    let dim: OutDim<L, R> = co_broadcast(l.shape(), r.shape(), op);
    map_broadcast(l, r, dim, f)
}

macro_rules! array_forward {
    ($trait:ident, $method:ident, $tape:ident, $body:ident) => {
        impl<A, S, D, R> $trait<R> for ArrayBase<S, D>
        where
            A: Real,
            S: Data<Elem = A>,
            D: Dimension + DimMax<R::Dim>,
            R: Operand<Elem = A>,
        {
            type Output = OutArray<Self, R>;
            type Tape = $tape<Self, R>;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: R) -> (Self::Output, Self::Tape) {
                $tape::$body(self, rhs)
            }
            #[inline]
            fn tape(self, rhs: R) -> Self::Tape {
                $tape::of(self, rhs)
            }
        }
        impl<'a, A, S, D, R> $trait<R> for &'a ArrayBase<S, D>
        where
            A: Real,
            S: Data<Elem = A>,
            D: Dimension + DimMax<R::Dim>,
            R: Operand<Elem = A>,
        {
            type Output = OutArray<Self, R>;
            type Tape = $tape<Self, R>;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: R) -> (Self::Output, Self::Tape) {
                $tape::$body(self, rhs)
            }
            #[inline]
            fn tape(self, rhs: R) -> Self::Tape {
                $tape::of(self, rhs)
            }
        }
        impl<T, S, D> $trait<ArrayBase<S, D>> for T
        where
            T: Real,
            S: Data<Elem = T>,
            D: Dimension,
            Ix0: DimMax<D>,
        {
            type Output = OutArray<T, ArrayBase<S, D>>;
            type Tape = $tape<T, ArrayBase<S, D>>;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: ArrayBase<S, D>) -> (Self::Output, Self::Tape) {
                $tape::$body(self, rhs)
            }
            #[inline]
            fn tape(self, rhs: ArrayBase<S, D>) -> Self::Tape {
                $tape::of(self, rhs)
            }
        }
        impl<'a, T, S, D> $trait<&'a ArrayBase<S, D>> for T
        where
            T: Real,
            S: Data<Elem = T>,
            D: Dimension,
            Ix0: DimMax<D>,
        {
            type Output = OutArray<T, &'a ArrayBase<S, D>>;
            type Tape = $tape<T, &'a ArrayBase<S, D>>;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: &'a ArrayBase<S, D>) -> (Self::Output, Self::Tape) {
                $tape::$body(self, rhs)
            }
            #[inline]
            fn tape(self, rhs: &'a ArrayBase<S, D>) -> Self::Tape {
                $tape::of(self, rhs)
            }
        }
    };
}

array_forward!(AddFwd, add_fwd, AddArrayTape, forward);
array_forward!(SubFwd, sub_fwd, SubArrayTape, forward);
array_forward!(MulFwd, mul_fwd, MulArrayTape, forward);
array_forward!(DivFwd, div_fwd, DivArrayTape, forward);

/// The tape of an array `+`: the operands' shapes.
pub struct AddArrayTape<L: Operand, R: Operand> {
    lhs: L::Shape,
    rhs: R::Shape,
}

/// The tape of an array `-`: the operands' shapes.
pub struct SubArrayTape<L: Operand, R: Operand> {
    lhs: L::Shape,
    rhs: R::Shape,
}

/// The tape of an array `*`: the operands, as the user passed them
/// (borrowed where borrowed, owned where moved).
pub struct MulArrayTape<L, R> {
    lhs: L,
    rhs: R,
}

/// The tape of an array `/`: the operands, as the user passed them.
pub struct DivArrayTape<L, R> {
    lhs: L,
    rhs: R,
}

impl<L, R> AddArrayTape<L, R>
where
    L: Operand,
    R: Operand<Elem = L::Elem>,
    L::Dim: DimMax<R::Dim>,
{
    fn of(lhs: L, rhs: R) -> Self {
        AddArrayTape {
            lhs: lhs.shape_of(),
            rhs: rhs.shape_of(),
        }
    }

    #[track_caller]
    fn forward(lhs: L, rhs: R) -> (OutArray<L, R>, Self) {
        let tape = AddArrayTape {
            lhs: lhs.shape_of(),
            rhs: rhs.shape_of(),
        };
        (forward_reusing(lhs, rhs, "+", |a, b| a + b), tape)
    }
}

impl<L: Operand, R: Operand<Elem = L::Elem>> AddArrayTape<L, R> {
    /// `d lhs = d`, summed over the axes `lhs` was broadcast along.
    #[inline]
    pub fn lhs<S: Data<Elem = L::Elem>, E: Dimension>(&self, d: &ArrayBase<S, E>) -> Grad<L> {
        L::sum_view_to(&self.lhs, ArrayRef::view(d))
    }
    /// `d rhs = d`, summed over the axes `rhs` was broadcast along.
    #[inline]
    pub fn rhs<S: Data<Elem = L::Elem>, E: Dimension>(&self, d: &ArrayBase<S, E>) -> Grad<R> {
        R::sum_view_to(&self.rhs, ArrayRef::view(d))
    }
    /// [`lhs`](Self::lhs), reusing `d`'s buffer where nothing is summed.
    #[inline]
    pub fn lhs_owned<E: Dimension>(&self, d: Array<L::Elem, E>) -> Grad<L> {
        L::sum_owned_to(&self.lhs, d)
    }
    /// [`rhs`](Self::rhs), reusing `d`'s buffer where nothing is summed.
    #[inline]
    pub fn rhs_owned<E: Dimension>(&self, d: Array<L::Elem, E>) -> Grad<R> {
        R::sum_owned_to(&self.rhs, d)
    }
}

impl<L, R> SubArrayTape<L, R>
where
    L: Operand,
    R: Operand<Elem = L::Elem>,
    L::Dim: DimMax<R::Dim>,
{
    fn of(lhs: L, rhs: R) -> Self {
        SubArrayTape {
            lhs: lhs.shape_of(),
            rhs: rhs.shape_of(),
        }
    }

    #[track_caller]
    fn forward(lhs: L, rhs: R) -> (OutArray<L, R>, Self) {
        let tape = SubArrayTape {
            lhs: lhs.shape_of(),
            rhs: rhs.shape_of(),
        };
        (forward_reusing(lhs, rhs, "-", |a, b| a - b), tape)
    }
}

impl<L: Operand, R: Operand<Elem = L::Elem>> SubArrayTape<L, R>
where
    Grad<R>: Neg<Output = Grad<R>>,
{
    /// `d lhs = d`, summed over the axes `lhs` was broadcast along.
    #[inline]
    pub fn lhs<S: Data<Elem = L::Elem>, E: Dimension>(&self, d: &ArrayBase<S, E>) -> Grad<L> {
        L::sum_view_to(&self.lhs, ArrayRef::view(d))
    }
    /// `d rhs = -d`, summed over the axes `rhs` was broadcast along.
    #[inline]
    pub fn rhs<S: Data<Elem = L::Elem>, E: Dimension>(&self, d: &ArrayBase<S, E>) -> Grad<R> {
        -R::sum_view_to(&self.rhs, ArrayRef::view(d))
    }
    /// [`lhs`](Self::lhs), reusing `d`'s buffer where nothing is summed.
    #[inline]
    pub fn lhs_owned<E: Dimension>(&self, d: Array<L::Elem, E>) -> Grad<L> {
        L::sum_owned_to(&self.lhs, d)
    }
    /// [`rhs`](Self::rhs), reusing `d`'s buffer where nothing is summed.
    #[inline]
    pub fn rhs_owned<E: Dimension>(&self, d: Array<L::Elem, E>) -> Grad<R> {
        -R::sum_owned_to(&self.rhs, d)
    }
}

impl<L, R> MulArrayTape<L, R>
where
    L: Operand,
    R: Operand<Elem = L::Elem>,
    L::Dim: DimMax<R::Dim>,
{
    fn of(lhs: L, rhs: R) -> Self {
        MulArrayTape { lhs, rhs }
    }

    #[track_caller]
    fn forward(lhs: L, rhs: R) -> (OutArray<L, R>, Self) {
        let y = forward_keeping(&lhs, &rhs, "*", |a, b| a * b);
        (y, MulArrayTape { lhs, rhs })
    }
}

impl<L: Operand, R: Operand<Elem = L::Elem>> MulArrayTape<L, R> {
    /// `d lhs = d * rhs`, summed over the axes `lhs` was broadcast along.
    pub fn lhs<S: Data<Elem = L::Elem>, E: Dimension>(&self, d: &ArrayBase<S, E>) -> Grad<L> {
        let r = self.rhs.view();
        let r = r.broadcast(d.raw_dim()).expect(BROADCAST);
        L::sum_map_to(
            &self.lhs.shape_of(),
            ArrayRef::view(d),
            r.clone(),
            r,
            |d, r, _| d * r,
        )
    }
    /// `d rhs = d * lhs`, summed over the axes `rhs` was broadcast along.
    pub fn rhs<S: Data<Elem = L::Elem>, E: Dimension>(&self, d: &ArrayBase<S, E>) -> Grad<R> {
        let l = self.lhs.view();
        let l = l.broadcast(d.raw_dim()).expect(BROADCAST);
        R::sum_map_to(
            &self.rhs.shape_of(),
            ArrayRef::view(d),
            l.clone(),
            l,
            |d, l, _| d * l,
        )
    }
}

impl<L, R> DivArrayTape<L, R>
where
    L: Operand,
    R: Operand<Elem = L::Elem>,
    L::Dim: DimMax<R::Dim>,
{
    fn of(lhs: L, rhs: R) -> Self {
        DivArrayTape { lhs, rhs }
    }

    #[track_caller]
    fn forward(lhs: L, rhs: R) -> (OutArray<L, R>, Self) {
        let y = forward_keeping(&lhs, &rhs, "/", |a, b| a / b);
        (y, DivArrayTape { lhs, rhs })
    }
}

impl<L: Operand, R: Operand<Elem = L::Elem>> DivArrayTape<L, R> {
    /// `d lhs = d / rhs`, summed over the axes `lhs` was broadcast along.
    pub fn lhs<S: Data<Elem = L::Elem>, E: Dimension>(&self, d: &ArrayBase<S, E>) -> Grad<L> {
        let r = self.rhs.view();
        let r = r.broadcast(d.raw_dim()).expect(BROADCAST);
        L::sum_map_to(
            &self.lhs.shape_of(),
            ArrayRef::view(d),
            r.clone(),
            r,
            |d, r, _| d / r,
        )
    }
    /// `d rhs = -d * lhs / rhs^2`, summed over the axes `rhs` was broadcast along.
    pub fn rhs<S: Data<Elem = L::Elem>, E: Dimension>(&self, d: &ArrayBase<S, E>) -> Grad<R> {
        let (l, r) = (self.lhs.view(), self.rhs.view());
        let l = l.broadcast(d.raw_dim()).expect(BROADCAST);
        let r = r.broadcast(d.raw_dim()).expect(BROADCAST);
        R::sum_map_to(&self.rhs.shape_of(), ArrayRef::view(d), l, r, |d, l, r| {
            -d * l / (r * r)
        })
    }
}

/// The tape of a `+` or `-` in a loop's pass or an arm, kept for its
/// backward pass: the operands' shapes, without a borrow of the operands
/// (nothing at all for scalars), so the pass need not keep the operands.
pub struct ShapeTape<L: Operand, R: Operand, const SUB: bool> {
    lhs: L::Shape,
    rhs: R::Shape,
}

/// An operand of `+` or `-` as a [`ShapeTape`] sees it: its shape, and its
/// kind without a borrow (an owned array for a view or a reference, a
/// scalar for a reference to one).
pub trait Shaped {
    /// The operand's kind without its borrow.
    type Owned: Operand;
    /// The shape its adjoint is summed back to.
    fn shape(&self) -> <Self::Owned as Operand>::Shape;
}

impl<T: Real> Shaped for T {
    type Owned = T;
    #[inline]
    fn shape(&self) {}
}

macro_rules! shaped_reference {
    ($($t:ty),*) => {$(
        impl Shaped for &$t {
            type Owned = $t;
            #[inline]
            fn shape(&self) {}
        }
    )*};
}
shaped_reference!(f32, f64);

impl<A: Real, S: Data<Elem = A>, D: Dimension> Shaped for ArrayBase<S, D> {
    type Owned = Array<A, D>;
    #[inline]
    fn shape(&self) -> D {
        self.raw_dim()
    }
}

impl<A: Real, S: Data<Elem = A>, D: Dimension> Shaped for &ArrayBase<S, D> {
    type Owned = Array<A, D>;
    #[inline]
    fn shape(&self) -> D {
        self.raw_dim()
    }
}

/// The [`ShapeTape`] of `lhs + rhs`.
#[inline]
pub fn add_shapes<A: Shaped, B: Shaped>(lhs: &A, rhs: &B) -> ShapeTape<A::Owned, B::Owned, false> {
    ShapeTape {
        lhs: lhs.shape(),
        rhs: rhs.shape(),
    }
}

/// The [`ShapeTape`] of `lhs - rhs`.
#[inline]
pub fn sub_shapes<A: Shaped, B: Shaped>(lhs: &A, rhs: &B) -> ShapeTape<A::Owned, B::Owned, true> {
    ShapeTape {
        lhs: lhs.shape(),
        rhs: rhs.shape(),
    }
}

/// An adjoint of a `+` or `-`, summed back to an operand's shape: a scalar
/// as it is, an array over the axes the operand was broadcast along.
pub trait ReduceTo<L: Operand> {
    /// From a borrowed adjoint.
    fn reduce(&self, shape: &L::Shape) -> Grad<L>;
    /// From an owned one, reusing its buffer where nothing is summed.
    fn reduce_owned(self, shape: &L::Shape) -> Grad<L>;
}

impl<T: Real + Operand<Tangent = T>> ReduceTo<T> for T {
    #[inline]
    fn reduce(&self, _: &T::Shape) -> T {
        *self
    }
    #[inline]
    fn reduce_owned(self, _: &T::Shape) -> T {
        self
    }
}

impl<A: Real, E: Dimension, L: Operand<Elem = A>> ReduceTo<L> for Array<A, E> {
    #[inline]
    fn reduce(&self, shape: &L::Shape) -> Grad<L> {
        L::sum_view_to(shape, self.view())
    }
    #[inline]
    fn reduce_owned(self, shape: &L::Shape) -> Grad<L> {
        L::sum_owned_to(shape, self)
    }
}

impl<L: Operand, R: Operand, const SUB: bool> ShapeTape<L, R, SUB>
where
    Grad<R>: Neg<Output = Grad<R>>,
{
    /// `d lhs = d`, summed to `lhs`'s shape.
    #[inline]
    pub fn lhs<G: ReduceTo<L>>(&self, d: &G) -> Grad<L> {
        d.reduce(&self.lhs)
    }
    /// `d rhs = d` (`-d` for `-`), summed to `rhs`'s shape.
    #[inline]
    pub fn rhs<G: ReduceTo<R>>(&self, d: &G) -> Grad<R> {
        let d = d.reduce(&self.rhs);
        if SUB { -d } else { d }
    }
    /// [`lhs`](Self::lhs), for the last reader of `d`.
    #[inline]
    pub fn lhs_owned<G: ReduceTo<L>>(&self, d: G) -> Grad<L> {
        d.reduce_owned(&self.lhs)
    }
    /// [`rhs`](Self::rhs), for the last reader of `d`.
    #[inline]
    pub fn rhs_owned<G: ReduceTo<R>>(&self, d: G) -> Grad<R> {
        let d = d.reduce_owned(&self.rhs);
        if SUB { -d } else { d }
    }
}
