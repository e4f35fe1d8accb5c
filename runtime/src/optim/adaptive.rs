//! Per-coordinate step sizes from the squared gradients: RMSProp, AdaGrad,
//! and the lecture's sign-normalised steps.

use ndarray::azip;
use num_traits::{Float, One};
use serde::{Deserialize, Serialize};

use super::{Optimizer, OptimizerState, real};
use crate::Parameters;

/// RMSProp (Hinton 2012): `v <- rho*v + (1-rho)*g^2; phi <- phi - alpha*g/(sqrt(v)+eps)`.
///
/// The form of `torch.optim.RMSprop` without momentum or centring (its
/// `alpha` is our `rho`).
///
/// ```
/// use gradgen_runtime::optim::{Optimizer, RmsProp};
///
/// let rmsprop = RmsProp { lr: 0.1, rho: 0.75, eps: 0.0 };
/// let mut phi = 1.0;
/// let mut state = rmsprop.init(&phi);
/// rmsprop.step(&mut state, &mut phi, 4.0);
/// // v = 0.25*16 = 4; phi = 1 - 0.1*4/2
/// assert!((phi - 0.8f64).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RmsProp {
    /// The learning rate `alpha` (default 0.01).
    pub lr: f64,
    /// The decay `rho` of the squared gradient's average (default 0.99).
    pub rho: f64,
    /// The `eps` added to `sqrt(v)` (default 1e-8).
    pub eps: f64,
}

impl Default for RmsProp {
    fn default() -> Self {
        RmsProp {
            lr: 0.01,
            rho: 0.99,
            eps: 1e-8,
        }
    }
}

/// The state of [`RmsProp`]: the average `v` of the squared gradient.
#[derive(Clone, Debug, PartialEq)]
pub struct RmsPropState<P> {
    /// The average of the squared gradient.
    pub v: P,
}

impl<P: Parameters> OptimizerState<P> for RmsPropState<P> {
    fn buffers(&self) -> Vec<(&'static str, &P)> {
        vec![("v", &self.v)]
    }
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut P)> {
        vec![("v", &mut self.v)]
    }
}

impl<P: Parameters> Optimizer<P> for RmsProp {
    type State = RmsPropState<P>;

    fn init(&self, params: &P) -> Self::State {
        RmsPropState {
            v: params.zeros_like(),
        }
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn update(&self, state: &mut Self::State, params: &mut P, grad: P) {
        let (lr, rho, eps): (P::Scalar, P::Scalar, P::Scalar) =
            (real(self.lr), real(self.rho), real(self.eps));
        let one = P::Scalar::one();
        for ((phi, v), g) in params
            .leaves_mut()
            .into_iter()
            .zip(state.v.leaves_mut())
            .zip(grad.leaves())
        {
            azip!((phi in phi, v in v, &g in g) {
                *v = rho * *v + (one - rho) * g * g;
                *phi -= lr * g / (v.sqrt() + eps);
            });
        }
    }
}

/// AdaGrad (Duchi et al. 2011): `s <- s + g^2; phi <- phi - alpha*g/(sqrt(s)+eps)`.
///
/// The form of `torch.optim.Adagrad` with no rate decay and a zero initial
/// accumulator.
///
/// ```
/// use gradgen_runtime::optim::{AdaGrad, Optimizer};
///
/// let adagrad = AdaGrad { lr: 0.5, eps: 0.0 };
/// let mut phi = 1.0;
/// let mut state = adagrad.init(&phi);
/// adagrad.step(&mut state, &mut phi, 3.0);
/// adagrad.step(&mut state, &mut phi, 4.0);
/// // s = 9, then 25: phi = 1 - 0.5*3/3 - 0.5*4/5
/// assert!((phi - 0.1f64).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdaGrad {
    /// The learning rate `alpha` (default 0.01).
    pub lr: f64,
    /// The `eps` added to `sqrt(s)` (default 1e-10, as PyTorch).
    pub eps: f64,
}

impl Default for AdaGrad {
    fn default() -> Self {
        AdaGrad {
            lr: 0.01,
            eps: 1e-10,
        }
    }
}

/// The state of [`AdaGrad`]: the running sum `s` of squared gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaGradState<P> {
    /// The sum of the squared gradients so far.
    pub s: P,
}

impl<P: Parameters> OptimizerState<P> for AdaGradState<P> {
    fn buffers(&self) -> Vec<(&'static str, &P)> {
        vec![("s", &self.s)]
    }
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut P)> {
        vec![("s", &mut self.s)]
    }
}

impl<P: Parameters> Optimizer<P> for AdaGrad {
    type State = AdaGradState<P>;

    fn init(&self, params: &P) -> Self::State {
        AdaGradState {
            s: params.zeros_like(),
        }
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn update(&self, state: &mut Self::State, params: &mut P, grad: P) {
        let (lr, eps): (P::Scalar, P::Scalar) = (real(self.lr), real(self.eps));
        for ((phi, s), g) in params
            .leaves_mut()
            .into_iter()
            .zip(state.s.leaves_mut())
            .zip(grad.leaves())
        {
            azip!((phi in phi, s in s, &g in g) {
                *s += g * g;
                *phi -= lr * g / (s.sqrt() + eps);
            });
        }
    }
}

/// The lecture's sign-normalised steps (UDL eqs. 6.13-6.14):
/// `phi <- phi - alpha*g/(sqrt(g^2)+eps)`, a step of `alpha` in every
/// coordinate, in the direction of the gradient's sign.
///
/// The step before Adam in the lecture: it moves as fast in a flat direction
/// as in a steep one, and never settles.
///
/// ```
/// use gradgen_runtime::optim::{NormalizedGradient, Optimizer};
///
/// let signs = NormalizedGradient { lr: 0.5, eps: 1e-20 };
/// let mut phi = [1.0, 1.0];
/// let mut state = signs.init(&phi);
/// signs.step(&mut state, &mut phi, [64.0, -0.25]);
/// assert_eq!(phi, [0.5, 1.5]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NormalizedGradient {
    /// The step `alpha` in each coordinate (default 0.01).
    pub lr: f64,
    /// The `eps` added to `sqrt(g^2)` (default 1e-20, as the lecture's notebook).
    pub eps: f64,
}

impl Default for NormalizedGradient {
    fn default() -> Self {
        NormalizedGradient {
            lr: 0.01,
            eps: 1e-20,
        }
    }
}

impl<P: Parameters> Optimizer<P> for NormalizedGradient {
    type State = ();

    fn init(&self, _params: &P) -> Self::State {}

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn update(&self, _state: &mut (), params: &mut P, grad: P) {
        let (lr, eps): (P::Scalar, P::Scalar) = (real(self.lr), real(self.eps));
        for (phi, g) in params.leaves_mut().into_iter().zip(grad.leaves()) {
            azip!((phi in phi, &g in g) *phi -= lr * g / ((g * g).sqrt() + eps));
        }
    }
}
