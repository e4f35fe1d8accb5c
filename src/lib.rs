//! gradgen: derivatives generated at compile time.
//!
//! Put [`differentiable`] on a forward pass and get its backward pass as plain
//! Rust: `NAME_grad` returns the value and the gradient, `NAME_vjp` the value
//! and a pullback. The runtime supplies what training needs around it.
#![warn(missing_docs)]

pub use gradgen_macros::{Parameters, differentiable};
pub use gradgen_runtime::*;

/// What a program that uses gradgen imports: `use gradgen::prelude::*;`.
pub mod prelude {
    pub use gradgen_macros::{Parameters, differentiable};
    pub use gradgen_runtime::prelude::*;
}
