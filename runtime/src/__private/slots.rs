//! The composition convention: one adjoint slot per argument.
//!
//! Every generated function `f` has a hidden entry point
//! `f::reverse(args.., d_y, slots..) -> K`: it runs the forward pass and the
//! backward pass for the adjoint `d_y` of the result, adds the adjoint of
//! every argument into that argument's slot, and gives the value back as
//! the caller asks ([`Kept`] or [`Dropped`], see [`Keep`]). An argument the
//! function differentiates gets a [`Slot`]; a constant gets [`NoGrad`]. A
//! caller converts what it has with [`IntoSlot`], so passing an active value
//! where the callee keeps no gradient is a compile error that says what to do.

use ndarray::{Array, ArrayBase, Data, Dimension, Zip};

use crate::{Differentiable, Real};

/// The slot of an argument that has no gradient: a constant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoGrad;

/// Where a reverse pass adds the adjoint of an argument it differentiates.
#[derive(Debug)]
pub enum Slot<'a, G> {
    /// Add into the caller's adjoint.
    Add(&'a mut G),
    /// The caller has no adjoint for this argument yet: the first
    /// contribution moves in, later ones add to it.
    Fill(&'a mut Option<G>),
    /// The caller wants no gradient for this argument.
    Discard,
}

/// A slot that adds into `grad`.
#[inline]
pub fn slot<G>(grad: &mut G) -> Slot<'_, G> {
    Slot::Add(grad)
}

impl<'a, G> Slot<'a, G> {
    /// The adjoint to accumulate into: the caller's, or zeros in `scratch`
    /// shaped like `like` when the caller discards this gradient.
    #[inline]
    pub fn or_scratch<'s, T>(self, scratch: &'s mut Option<G>, like: &T) -> &'s mut G
    where
        'a: 's,
        T: Differentiable<Tangent = G> + ?Sized,
    {
        match self {
            Slot::Add(grad) => grad,
            // A placeholder the first contribution moves into; `filled`
            // makes it whole.
            Slot::Fill(first) => first.get_or_insert_with(|| like.empty_tangent()),
            Slot::Discard => scratch.insert(like.zero_tangent()),
        }
    }

    /// The adjoint to add into (zeros first, shaped like `like`, when the
    /// caller has none yet), or `None` when the caller discards it.
    #[inline]
    pub fn target<T>(self, like: &T) -> Option<&'a mut G>
    where
        T: Differentiable<Tangent = G> + ?Sized,
    {
        match self {
            Slot::Add(grad) => Some(grad),
            Slot::Fill(first) => Some(first.get_or_insert_with(|| like.zero_tangent())),
            Slot::Discard => None,
        }
    }

    /// Adds the contribution `make()` (made only if someone wants it): moved
    /// in when the caller has no adjoint yet.
    #[inline]
    pub fn put_with(self, make: impl FnOnce() -> G)
    where
        G: Accumulate,
    {
        match self {
            Slot::Add(grad) => grad.accumulate(make()),
            Slot::Fill(first) => match first {
                Some(grad) => grad.accumulate(make()),
                None => *first = Some(make()),
            },
            Slot::Discard => {}
        }
    }
}

/// The adjoint a [`Slot::Fill`] left: the contribution, or zeros shaped like
/// `like` when nothing arrived.
#[inline]
pub fn filled<T: Differentiable + ?Sized>(first: Option<T::Tangent>, like: &T) -> T::Tangent {
    match first {
        Some(mut tangent) => {
            like.complete_tangent(&mut tangent);
            tangent
        }
        None => like.zero_tangent(),
    }
}

/// What the caller of a composition entry point keeps of the value: the
/// value itself ([`Kept`], for `_grad`) or nothing ([`Dropped`], for a call
/// whose value the forward pass already has), so a callee need not compute
/// a value nobody reads.
pub trait Keep<T>: Sized {
    /// Whether the value is wanted.
    const WANTED: bool;
    /// What the entry point returns; `value` runs only if the value is wanted.
    fn keep(value: impl FnOnce() -> T) -> Self;
}

/// The value, kept.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Kept<T>(pub T);

/// No value: the caller has it already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dropped;

impl<T> Keep<T> for Kept<T> {
    const WANTED: bool = true;
    #[inline]
    fn keep(value: impl FnOnce() -> T) -> Self {
        Kept(value())
    }
}

impl<T> Keep<T> for Dropped {
    const WANTED: bool = false;
    #[inline]
    fn keep(_: impl FnOnce() -> T) -> Self {
        Dropped
    }
}

/// Converts what a caller has for an argument into the slot the callee takes.
#[diagnostic::on_unimplemented(
    message = "this argument carries a gradient, but the called function has no gradient slot for it",
    label = "active value passed where the callee treats the argument as constant",
    note = "add the argument to the callee's `#[differentiable(wrt(...))]`, or pass a constant (`no_grad(...)`)"
)]
pub trait IntoSlot<S> {
    /// Performs the conversion.
    fn into_slot(self) -> S;
}

impl<'a, G> IntoSlot<Slot<'a, G>> for &'a mut G {
    #[inline]
    fn into_slot(self) -> Slot<'a, G> {
        Slot::Add(self)
    }
}

/// Lets a caller hand its own adjoint straight to a callee that takes one.
impl<'a, G> IntoSlot<&'a mut G> for &'a mut G {
    #[inline]
    fn into_slot(self) -> &'a mut G {
        self
    }
}

/// A caller without an adjoint for the argument yet lets the callee's
/// contribution move in.
impl<'a, G> IntoSlot<Slot<'a, G>> for &'a mut Option<G> {
    #[inline]
    fn into_slot(self) -> Slot<'a, G> {
        Slot::Fill(self)
    }
}

impl<'a, G> IntoSlot<Slot<'a, G>> for Slot<'a, G> {
    #[inline]
    fn into_slot(self) -> Slot<'a, G> {
        self
    }
}

impl<'a, G> IntoSlot<Slot<'a, G>> for NoGrad {
    #[inline]
    fn into_slot(self) -> Slot<'a, G> {
        Slot::Discard
    }
}

impl IntoSlot<NoGrad> for NoGrad {
    #[inline]
    fn into_slot(self) -> NoGrad {
        self
    }
}

/// Adds a contribution into an adjoint.
///
/// For scalars this is `+=`; for arrays it adds in place, so a gradient
/// never needs a second buffer.
pub trait Accumulate<Rhs = Self> {
    /// `*self += rhs`.
    fn accumulate(&mut self, rhs: Rhs);
}

impl<T: Real> Accumulate for T {
    #[inline]
    fn accumulate(&mut self, rhs: T) {
        *self += rhs;
    }
}

/// An array adjoint adds a contribution of its shape (owned, a view or a
/// reference) in place: no second buffer.
///
/// # Panics
///
/// When the shapes differ: generated code only adds adjoints of one value.
impl<A, D, S> Accumulate<ArrayBase<S, D>> for Array<A, D>
where
    A: Real,
    D: Dimension,
    S: Data<Elem = A>,
{
    #[inline]
    fn accumulate(&mut self, rhs: ArrayBase<S, D>) {
        if is_placeholder(self, &rhs) {
            *self = rhs.into_owned();
        } else if !rhs.is_empty() {
            Zip::from(self).and(&rhs).for_each(|a, &b| *a += b);
        }
    }
}

impl<'r, A, D, S> Accumulate<&'r ArrayBase<S, D>> for Array<A, D>
where
    A: Real,
    D: Dimension,
    S: Data<Elem = A>,
{
    #[inline]
    fn accumulate(&mut self, rhs: &'r ArrayBase<S, D>) {
        if is_placeholder(self, rhs) {
            *self = rhs.to_owned();
        } else if !rhs.is_empty() {
            Zip::from(self).and(rhs).for_each(|a, &b| *a += b);
        }
    }
}

/// The adjoint of a `Vec` built in a body adds element by element; an
/// empty one (nothing arrived yet) takes the contribution whole.
impl<T: Accumulate> Accumulate for Vec<T> {
    #[inline]
    fn accumulate(&mut self, rhs: Vec<T>) {
        if self.is_empty() {
            *self = rhs;
        } else {
            assert_eq!(
                self.len(),
                rhs.len(),
                "adjoints of one Vec differ in length"
            );
            self.iter_mut().zip(rhs).for_each(|(a, b)| a.accumulate(b));
        }
    }
}

impl<T: Accumulate, const N: usize> Accumulate for [T; N] {
    #[inline]
    fn accumulate(&mut self, rhs: [T; N]) {
        self.iter_mut().zip(rhs).for_each(|(a, b)| a.accumulate(b));
    }
}

/// Whether `adjoint` is the empty placeholder of a gradient (see
/// [`Differentiable::empty_tangent`]) that the first contribution moves into.
#[inline]
fn is_placeholder<A, D: Dimension, S: Data<Elem = A>>(
    adjoint: &Array<A, D>,
    rhs: &ArrayBase<S, D>,
) -> bool {
    adjoint.is_empty() && !rhs.is_empty()
}

/// A gradient to accumulate into, with placeholders for its array leaves.
#[inline]
pub fn empty_tangent<T: Differentiable + ?Sized>(value: &T) -> T::Tangent {
    value.empty_tangent()
}

/// The gradient made whole: zeros where nothing arrived, row-major arrays.
#[inline]
pub fn complete_tangent<T: Differentiable + ?Sized>(value: &T, tangent: &mut T::Tangent) {
    value.complete_tangent(tangent);
}

/// A gradient made ready for a contribution to one of its elements.
#[inline]
pub fn ready_to_index<T: Differentiable + ?Sized>(value: &T, tangent: &mut T::Tangent) {
    value.ready_to_index(tangent);
}

/// `*adjoint += contribution`.
#[inline]
pub fn acc<T: Accumulate<R> + ?Sized, R>(adjoint: &mut T, contribution: R) {
    adjoint.accumulate(contribution);
}

/// A result `NAME_grad` can differentiate: a scalar, whose own adjoint is one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a scalar, so it has no gradient",
    label = "`_grad` needs an `f32` or `f64` result",
    note = "for other results, use `NAME_vjp` and give the pullback the adjoint of the result"
)]
pub trait ScalarResult: Sized {
    /// The adjoint of the result with respect to itself: one.
    fn one() -> Self;
}

impl<T: Real> ScalarResult for T {
    #[inline]
    fn one() -> T {
        T::one()
    }
}

/// The seed of a gradient: `dvalue/dvalue = 1`.
#[inline]
pub fn seed<T: ScalarResult>(_value: &T) -> T {
    T::one()
}

/// Zeros shaped like `value`: the adjoint a call's pullback first adds into.
#[inline]
pub fn zero_like<T: Differentiable + ?Sized>(value: &T) -> T::Tangent {
    value.zero_tangent()
}

/// The seed of a gradient, `dvalue/dvalue = 1`, of the type the result has.
#[inline]
pub fn one<T: ScalarResult>() -> T {
    T::one()
}
