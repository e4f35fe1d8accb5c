//! Stopping the gradient.

/// Returns `value` unchanged, as a constant: inside a `#[differentiable]`
/// body, no derivative flows through it (PyTorch's `detach`, JAX's
/// `stop_gradient`).
///
/// ```
/// use gradgen::prelude::*;
///
/// #[differentiable]
/// fn scaled(x: f64) -> f64 {
///     x * no_grad(x)
/// }
///
/// // d/dx (x * c) with c = x held constant is c.
/// assert_eq!(scaled_grad(3.0), (9.0, 3.0));
/// ```
#[inline]
pub fn no_grad<T>(value: T) -> T {
    value
}
