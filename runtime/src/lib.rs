//! The runtime of gradgen.
//!
//! Generated derivative code calls into this crate through the facade
//! (`::gradgen::__private`); users meet it through `gradgen::prelude`: the
//! [`Parameters`] tree that optimizers and checkpoints are written against,
//! and the [`Differentiable`] trait that says what the gradient of a value is.
#![warn(missing_docs)]

pub use ndarray;
pub use num_traits;

mod params;
mod real;
mod stop;
mod value;

#[doc(hidden)]
pub mod __private;
pub mod data;
pub mod init;
pub mod nn;
pub mod optim;
#[cfg(feature = "plot")]
pub mod plot;
pub mod schedule;
pub mod search;
pub mod train;

pub use params::{LeafVisitor, LeafVisitorMut, Parameters};
pub use real::Real;
pub use stop::no_grad;
pub use value::{Differentiable, Grad};

/// The names a program that uses gradgen needs: `use gradgen::prelude::*;`.
pub mod prelude {
    pub use crate::nn::{
        binary_cross_entropy_with_logits, leaky_relu, log_softmax, logsumexp, mse, relu, sigmoid,
        softmax, softmax_cross_entropy, softmax_cross_entropy_mean, softplus, sum_of_squares,
    };
    pub use crate::{Differentiable, Grad, Parameters, Real, no_grad};
}
