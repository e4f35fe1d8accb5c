//! What the gradient of a value is.

/// A value a generated derivative can differentiate with respect to.
///
/// `Tangent` is the type of its gradient. It looks like what it
/// differentiates, as `.grad` does in PyTorch: the tangent of a scalar is a
/// scalar, of a `[f64; 4]` a `[f64; 4]`, of a slice a `Vec`, and of a struct
/// deriving [`Parameters`](crate::Parameters) the struct itself. Generated
/// code relies on the tangent having the same fields and indices as the
/// value, so that the adjoint of `p.beta[0]` is `d_p.beta[0]`.
///
/// A reference differentiates as what it refers to: the gradient of a
/// `&Toy` argument is a `Toy`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a differentiable value",
    label = "gradgen cannot differentiate with respect to this argument",
    note = "derive `Parameters` for your own types, or leave the argument out of the gradient with `#[differentiable(wrt(...))]`"
)]
pub trait Differentiable {
    /// The type of the gradient of a value of this type.
    type Tangent;

    /// A gradient of zeros shaped like `self`.
    fn zero_tangent(&self) -> Self::Tangent;

    /// A gradient to accumulate into, whose array leaves may be empty
    /// placeholders that their first contribution moves into, so a gradient
    /// need not be zero-filled first. [`complete_tangent`] makes it whole.
    /// The default is [`zero_tangent`].
    ///
    /// [`complete_tangent`]: Differentiable::complete_tangent
    /// [`zero_tangent`]: Differentiable::zero_tangent
    #[inline]
    fn empty_tangent(&self) -> Self::Tangent {
        self.zero_tangent()
    }

    /// Turns the placeholders that no contribution reached into zeros, and
    /// array leaves into standard (row-major) layout.
    #[inline]
    fn complete_tangent(&self, tangent: &mut Self::Tangent) {
        let _ = tangent;
    }

    /// Makes a gradient ready for a contribution to one of its elements
    /// (`d_w[k]`, `d_p.layers[i]`): a container gets its elements (as
    /// placeholders), an array its zeros. The default makes it whole.
    #[inline]
    fn ready_to_index(&self, tangent: &mut Self::Tangent) {
        self.complete_tangent(tangent);
    }
}

/// The gradient type of `T`: `Grad<Toy>` is `Toy`, `Grad<[f64]>` is `Vec<f64>`.
pub type Grad<T> = <T as Differentiable>::Tangent;

macro_rules! scalar_tangent {
    ($($t:ty),*) => {$(
        impl Differentiable for $t {
            type Tangent = $t;
            #[inline]
            fn zero_tangent(&self) -> $t {
                0.0
            }
        }
    )*};
}
scalar_tangent!(f32, f64);

macro_rules! delegate_tangent {
    ($($ty:ty),*) => {$(
        impl<T: Differentiable + ?Sized> Differentiable for $ty {
            type Tangent = T::Tangent;
            #[inline]
            fn zero_tangent(&self) -> T::Tangent {
                (**self).zero_tangent()
            }
            #[inline]
            fn empty_tangent(&self) -> T::Tangent {
                (**self).empty_tangent()
            }
            #[inline]
            fn complete_tangent(&self, tangent: &mut T::Tangent) {
                (**self).complete_tangent(tangent)
            }
            #[inline]
            fn ready_to_index(&self, tangent: &mut T::Tangent) {
                (**self).ready_to_index(tangent)
            }
        }
    )*};
}
delegate_tangent!(&T, Box<T>);

impl<T: Differentiable, const N: usize> Differentiable for [T; N] {
    type Tangent = [T::Tangent; N];
    #[inline]
    fn zero_tangent(&self) -> Self::Tangent {
        std::array::from_fn(|i| self[i].zero_tangent())
    }
    #[inline]
    fn empty_tangent(&self) -> Self::Tangent {
        std::array::from_fn(|i| self[i].empty_tangent())
    }
    #[inline]
    fn complete_tangent(&self, tangent: &mut Self::Tangent) {
        self.iter()
            .zip(tangent)
            .for_each(|(x, t)| x.complete_tangent(t));
    }
    /// A fixed array's gradient has its elements from the start.
    #[inline]
    fn ready_to_index(&self, _: &mut Self::Tangent) {}
}

impl<T: Differentiable> Differentiable for [T] {
    type Tangent = Vec<T::Tangent>;
    fn zero_tangent(&self) -> Self::Tangent {
        self.iter().map(Differentiable::zero_tangent).collect()
    }
    fn empty_tangent(&self) -> Self::Tangent {
        self.iter().map(Differentiable::empty_tangent).collect()
    }
    fn complete_tangent(&self, tangent: &mut Self::Tangent) {
        self.iter()
            .zip(tangent)
            .for_each(|(x, t)| x.complete_tangent(t));
    }
    /// Elements as placeholders, if the gradient has none yet: what is
    /// already there stays as it is.
    fn ready_to_index(&self, tangent: &mut Self::Tangent) {
        if tangent.len() != self.len() {
            *tangent = self.empty_tangent();
        }
    }
}

impl<T: Differentiable> Differentiable for Vec<T> {
    type Tangent = Vec<T::Tangent>;
    fn zero_tangent(&self) -> Self::Tangent {
        self.as_slice().zero_tangent()
    }
    fn empty_tangent(&self) -> Self::Tangent {
        self.as_slice().empty_tangent()
    }
    fn complete_tangent(&self, tangent: &mut Self::Tangent) {
        self.as_slice().complete_tangent(tangent)
    }
    fn ready_to_index(&self, tangent: &mut Self::Tangent) {
        self.as_slice().ready_to_index(tangent)
    }
}

macro_rules! tuple_tangent {
    ($(($($t:ident $i:tt),+))*) => {$(
        impl<$($t: Differentiable),+> Differentiable for ($($t,)+) {
            type Tangent = ($($t::Tangent,)+);
            #[inline]
            fn zero_tangent(&self) -> Self::Tangent {
                ($(self.$i.zero_tangent(),)+)
            }
            #[inline]
            fn empty_tangent(&self) -> Self::Tangent {
                ($(self.$i.empty_tangent(),)+)
            }
            #[inline]
            fn complete_tangent(&self, tangent: &mut Self::Tangent) {
                $(self.$i.complete_tangent(&mut tangent.$i);)+
            }
        }
    )*};
}
tuple_tangent! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
}

/// An ndarray array (owned, a view, a `CowArray`, ...) differentiates as an
/// owned array of its shape, in standard (row-major) layout: the gradient
/// of an `ArrayView2<f64>` is an `Array2<f64>`.
impl<A, S, D> Differentiable for ndarray::ArrayBase<S, D>
where
    A: crate::Real,
    S: ndarray::Data<Elem = A>,
    D: ndarray::Dimension,
{
    type Tangent = ndarray::Array<A, D>;
    #[inline]
    fn zero_tangent(&self) -> Self::Tangent {
        ndarray::Array::zeros(self.raw_dim())
    }
    #[inline]
    fn empty_tangent(&self) -> Self::Tangent {
        empty_array(&self.raw_dim())
    }
    #[inline]
    fn complete_tangent(&self, tangent: &mut Self::Tangent) {
        complete_array(&self.raw_dim(), tangent);
    }
}

/// An array of no elements with as many axes as `dim`: a placeholder that
/// allocates nothing.
fn empty_array<A, D: ndarray::Dimension>(dim: &D) -> ndarray::Array<A, D> {
    let mut shape = dim.clone();
    shape.slice_mut().iter_mut().for_each(|n| *n = 0);
    ndarray::Array::from_shape_vec(shape, Vec::new())
        .unwrap_or_else(|_| unreachable!("no elements fit no elements"))
}

/// Zeros for a placeholder no contribution reached; standard layout for
/// what a transposed contribution left in column-major order.
fn complete_array<A: crate::Real, D: ndarray::Dimension>(
    dim: &D,
    tangent: &mut ndarray::Array<A, D>,
) {
    if tangent.raw_dim() != *dim {
        *tangent = ndarray::Array::zeros(dim.clone());
    } else if !tangent.is_standard_layout() {
        *tangent = tangent.as_standard_layout().into_owned();
    }
}

/// The borrowed form of an array (`&ArrayRef2<f64>`, what `&*a` gives)
/// differentiates as an owned array of its shape, like [`ndarray::ArrayBase`].
impl<A: crate::Real, D: ndarray::Dimension> Differentiable for ndarray::ArrayRef<A, D> {
    type Tangent = ndarray::Array<A, D>;
    #[inline]
    fn zero_tangent(&self) -> Self::Tangent {
        ndarray::Array::zeros(self.raw_dim())
    }
    #[inline]
    fn empty_tangent(&self) -> Self::Tangent {
        empty_array(&self.raw_dim())
    }
    #[inline]
    fn complete_tangent(&self, tangent: &mut Self::Tangent) {
        complete_array(&self.raw_dim(), tangent);
    }
}
