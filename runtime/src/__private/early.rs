//! Functions that return their value in an `Option` or a `Result`, and stop
//! early with `?`, `None` or `Err(..)`.

/// `return residual`: where a differentiable body returns `None` or
/// `Err(..)`, its derivative's entry point returns the same. A macro, so
/// that the macro's jump rewriting, which knows `return` only as a jump
/// inside the function's own value, leaves it alone.
#[doc(hidden)]
#[macro_export]
macro_rules! __gradgen_bail {
    ($residual:expr) => {
        return $residual
    };
}

/// What a fallible entry point returns once the forward pass ran through.
pub trait Finished<K> {
    /// The value inside. The backward pass of a call runs the callee again
    /// on what its forward pass succeeded with, so stopping now means the
    /// callee computes something else from the same arguments.
    fn finished(self) -> K;
}

impl<K> Finished<K> for Option<K> {
    #[inline]
    fn finished(self) -> K {
        match self {
            Some(k) => k,
            None => stopped(),
        }
    }
}

impl<K, E> Finished<K> for Result<K, E> {
    #[inline]
    fn finished(self) -> K {
        match self {
            Ok(k) => k,
            Err(_) => stopped(),
        }
    }
}

/// [`Finished::finished`] as a function.
#[inline]
pub fn finished<K>(outcome: impl Finished<K>) -> K {
    outcome.finished()
}

#[cold]
#[inline(never)]
fn stopped() -> ! {
    panic!(
        "a differentiable function stopped early when its derivative ran it again on the same arguments: it must compute the same value from the same arguments"
    )
}

/// A value of any type for code that never runs: an element of what an arm
/// gives after the arm stopped (`return None`), whose type the other arms
/// decide.
#[cold]
pub fn never<T>() -> T {
    unreachable!("an arm that stopped gave no value")
}

/// What code that does not end (`panic!(..)`, typed `!`) gives, as a value
/// of any type: `!` becomes the argument's type, and the result takes the
/// type the other arms decide.
pub fn diverged<T>(never: std::convert::Infallible) -> T {
    match never {}
}

/// What `first()` and `last()` index by: a slice's, a `Vec`'s or an
/// array's `usize`, an ndarray array's pattern (`(0, 0)` for a matrix).
pub trait Ends {
    /// The index of an element.
    type Index;
    /// The index of the first element.
    fn first_index(&self) -> Self::Index;
    /// The index of the last element (of the first, for an empty value:
    /// the caller checked it is not empty).
    fn last_index(&self) -> Self::Index;
}

impl<T> Ends for [T] {
    type Index = usize;
    fn first_index(&self) -> usize {
        0
    }
    fn last_index(&self) -> usize {
        self.len().saturating_sub(1)
    }
}

impl<T> Ends for Vec<T> {
    type Index = usize;
    fn first_index(&self) -> usize {
        0
    }
    fn last_index(&self) -> usize {
        self.as_slice().last_index()
    }
}

impl<T, const N: usize> Ends for [T; N] {
    type Index = usize;
    fn first_index(&self) -> usize {
        0
    }
    fn last_index(&self) -> usize {
        N.saturating_sub(1)
    }
}

impl<X: Ends + ?Sized> Ends for &X {
    type Index = X::Index;
    fn first_index(&self) -> X::Index {
        (**self).first_index()
    }
    fn last_index(&self) -> X::Index {
        (**self).last_index()
    }
}

impl<S: ndarray::RawData, D: ndarray::Dimension> Ends for ndarray::ArrayBase<S, D> {
    type Index = D::Pattern;
    fn first_index(&self) -> D::Pattern {
        D::zeros(self.ndim()).into_pattern()
    }
    /// In the order `last()` takes: the logical order, the last index of
    /// every axis.
    fn last_index(&self) -> D::Pattern {
        let mut index = self.raw_dim();
        for i in index.slice_mut() {
            *i = i.saturating_sub(1);
        }
        index.into_pattern()
    }
}

/// [`Ends::first_index`] as a function.
pub fn first_index<X: Ends + ?Sized>(x: &X) -> X::Index {
    x.first_index()
}

/// [`Ends::last_index`] as a function.
pub fn last_index<X: Ends + ?Sized>(x: &X) -> X::Index {
    x.last_index()
}
