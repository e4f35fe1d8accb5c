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
