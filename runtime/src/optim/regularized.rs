//! Options for any optimizer: L2 weight decay and clipping by the global
//! gradient norm.

use ndarray::azip;
use serde::{Deserialize, Serialize};

use super::{
    AdaGrad, Adam, AdamW, Momentum, Nesterov, NormalizedGradient, Optimizer, RmsProp, Sgd, is_off,
    real,
};
use crate::{Parameters, Real};

/// An optimizer whose gradient is clipped and given an L2 term first.
///
/// Before the inner optimizer sees the gradient `g` (taken at `phi`, or at
/// the look-ahead point for Nesterov's look-ahead forms):
///
/// 1. clipping, when `max_grad_norm` is set: `g <- g * min(1, c/(|g| + 1e-6))`
///    with `|g|` the Euclidean norm of all of `g` together, exactly as
///    PyTorch's `clip_grad_norm_` (its `1e-6` included);
/// 2. L2 weight decay, when `weight_decay` is not zero: `g <- g + lambda*phi`,
///    the gradient of `lambda/2*|phi|^2` added to the loss (PyTorch's
///    `weight_decay` option of SGD and Adam). For Adam, [`AdamW`]'s decoupled
///    decay is usually the better choice.
///
/// Made by [`OptimizerExt`]:
///
/// ```
/// use gradgen_runtime::optim::{Optimizer, OptimizerExt, Sgd};
///
/// let sgd = Sgd { lr: 0.1 }.clip_grad_norm(1.0).weight_decay(0.5);
/// let mut phi: [f64; 2] = [2.0, 0.0];
/// let mut state = sgd.init(&phi);
/// sgd.step(&mut state, &mut phi, [300.0, 400.0]);
/// // g clipped to about [0.6, 0.8], plus 0.5*phi = [1, 0]
/// assert!((phi[0] - (2.0 - 0.1 * 1.6)).abs() < 1e-6);
/// assert!((phi[1] + 0.08).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Regularized<O> {
    /// The optimizer that takes the prepared gradient.
    pub inner: O,
    /// The L2 coefficient `lambda` (0: off).
    pub weight_decay: f64,
    /// The largest global gradient norm `c` (`None`: no clipping).
    pub max_grad_norm: Option<f64>,
}

impl<O> Regularized<O> {
    /// Sets the L2 weight decay `lambda`.
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        self.weight_decay = lambda;
        self
    }

    /// Sets the largest global gradient norm.
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.max_grad_norm = Some(max_norm);
        self
    }
}

/// Adds L2 weight decay and gradient clipping to an optimizer.
///
/// Implemented by every optimizer of this module; implement it (no methods
/// needed) for an optimizer of your own to get the same options.
///
/// ```
/// use gradgen_runtime::optim::{Adam, OptimizerExt};
///
/// let adam = Adam::default().weight_decay(1e-4).clip_grad_norm(5.0);
/// assert_eq!((adam.weight_decay, adam.max_grad_norm), (1e-4, Some(5.0)));
/// ```
pub trait OptimizerExt: Sized {
    /// This optimizer with L2 weight decay `lambda` (see [`Regularized`]).
    fn weight_decay(self, lambda: f64) -> Regularized<Self> {
        Regularized {
            inner: self,
            weight_decay: lambda,
            max_grad_norm: None,
        }
    }

    /// This optimizer with the gradient clipped to global norm `max_norm`
    /// (see [`Regularized`]).
    fn clip_grad_norm(self, max_norm: f64) -> Regularized<Self> {
        Regularized {
            inner: self,
            weight_decay: 0.0,
            max_grad_norm: Some(max_norm),
        }
    }
}

impl OptimizerExt for Sgd {}
impl OptimizerExt for Momentum {}
impl OptimizerExt for Nesterov {}
impl OptimizerExt for Adam {}
impl OptimizerExt for AdamW {}
impl OptimizerExt for RmsProp {}
impl OptimizerExt for AdaGrad {}
impl OptimizerExt for NormalizedGradient {}

impl<P: Parameters, O: Optimizer<P>> Optimizer<P> for Regularized<O> {
    type State = O::State;

    fn init(&self, params: &P) -> Self::State {
        self.inner.init(params)
    }

    fn lr(&self) -> f64 {
        self.inner.lr()
    }

    fn set_lr(&mut self, lr: f64) {
        self.inner.set_lr(lr);
    }

    fn lookahead(&self, state: &Self::State, params: &P) -> Option<P> {
        self.inner.lookahead(state, params)
    }

    fn update(&self, state: &mut Self::State, params: &mut P, mut grad: P) {
        if let Some(max_norm) = self.max_grad_norm {
            let norm = grad.norm().to_f64_exact();
            let coef = max_norm / (norm + 1e-6);
            if coef < 1.0 {
                let coef: P::Scalar = real(coef);
                for g in grad.leaves_mut() {
                    azip!((g in g) *g *= coef);
                }
            }
        }
        if !is_off(self.weight_decay) {
            let lambda: P::Scalar = real(self.weight_decay);
            let point = self.inner.lookahead(state, params);
            let point = point.as_ref().unwrap_or(params);
            for (g, phi) in grad.leaves_mut().into_iter().zip(point.leaves()) {
                azip!((g in g, &phi in phi) *g += lambda * phi);
            }
        }
        self.inner.update(state, params, grad);
    }
}
