//! Adam with bias correction, and AdamW's decoupled weight decay.

use ndarray::azip;
use num_traits::{Float, One};
use serde::{Deserialize, Serialize};

use super::{Optimizer, OptimizerState, bias_correction, is_off, real};
use crate::Parameters;

/// Adam (Kingma & Ba 2015; UDL eqs. 6.15-6.17): moving averages of the
/// gradient and its square, corrected for starting at zero.
///
/// With `t` counting steps from 1, elementwise:
///
/// ```text
/// m <- beta1*m + (1-beta1)*g          v <- beta2*v + (1-beta2)*g^2
/// m_hat = m/(1-beta1^t)               v_hat = v/(1-beta2^t)
/// phi <- phi - alpha*m_hat/(sqrt(v_hat) + eps)
/// ```
///
/// `torch.optim.Adam` is the same rule (it folds the corrections into the
/// step size; only rounding differs).
///
/// ```
/// use gradgen_runtime::optim::{Adam, Optimizer};
///
/// let adam = Adam { lr: 0.1, ..Adam::default() };
/// let mut phi: [f64; 2] = [1.0, -1.0];
/// let mut state = adam.init(&phi);
/// adam.step(&mut state, &mut phi, [10.0, -0.001]);
/// // The first step moves every coordinate by about alpha, whatever its gradient's size.
/// assert!((phi[0] - 0.9).abs() < 1e-6 && (phi[1] + 0.9).abs() < 1e-4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    /// The learning rate `alpha` (default 0.001).
    pub lr: f64,
    /// The decay `beta1` of the gradient's average `m` (default 0.9).
    pub beta1: f64,
    /// The decay `beta2` of the squared gradient's average `v` (default 0.999;
    /// the lecture calls it `gamma`).
    pub beta2: f64,
    /// The `eps` added to `sqrt(v_hat)` against division by zero (default 1e-8).
    pub eps: f64,
}

impl Default for Adam {
    fn default() -> Self {
        Adam {
            lr: 0.001,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay.
///
/// Before the Adam step, `phi <- phi - alpha*lambda*phi`; the decay does not
/// pass through Adam's averages, unlike an L2 term added to the gradient
/// (which [`OptimizerExt::weight_decay`](super::OptimizerExt::weight_decay)
/// gives). Same as `torch.optim.AdamW`.
///
/// ```
/// use gradgen_runtime::optim::{AdamW, Optimizer};
///
/// let adamw = AdamW { lr: 0.1, weight_decay: 0.5, ..AdamW::default() };
/// let mut phi = 2.0;
/// let mut state = adamw.init(&phi);
/// adamw.step(&mut state, &mut phi, 0.0);
/// // A zero gradient leaves only the decay: 2 - 0.1*0.5*2.
/// assert!((phi - 1.9f64).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamW {
    /// The learning rate `alpha` (default 0.001).
    pub lr: f64,
    /// The decay `beta1` of the gradient's average (default 0.9).
    pub beta1: f64,
    /// The decay `beta2` of the squared gradient's average (default 0.999).
    pub beta2: f64,
    /// The `eps` added to `sqrt(v_hat)` (default 1e-8).
    pub eps: f64,
    /// The decoupled weight decay `lambda` (default 0.01, as PyTorch).
    pub weight_decay: f64,
}

impl Default for AdamW {
    fn default() -> Self {
        AdamW {
            lr: 0.001,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

/// The state of [`Adam`] and [`AdamW`]: the averages `m` and `v` and the
/// step count `t`.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamState<P> {
    /// The number of updates applied so far.
    pub t: u64,
    /// The average of the gradient.
    pub m: P,
    /// The average of the squared gradient.
    pub v: P,
}

impl<P: Parameters> OptimizerState<P> for AdamState<P> {
    fn buffers(&self) -> Vec<(&'static str, &P)> {
        vec![("m", &self.m), ("v", &self.v)]
    }
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut P)> {
        vec![("m", &mut self.m), ("v", &mut self.v)]
    }
    fn count(&self) -> u64 {
        self.t
    }
    fn set_count(&mut self, count: u64) {
        self.t = count;
    }
}

fn adam_init<P: Parameters>(params: &P) -> AdamState<P> {
    AdamState {
        t: 0,
        m: params.zeros_like(),
        v: params.zeros_like(),
    }
}

fn adam_update<P: Parameters>(
    config: &Adam,
    decay: f64,
    state: &mut AdamState<P>,
    params: &mut P,
    grad: &P,
) {
    state.t += 1;
    let one = P::Scalar::one();
    let (lr, beta1, beta2, eps): (P::Scalar, P::Scalar, P::Scalar, P::Scalar) = (
        real(config.lr),
        real(config.beta1),
        real(config.beta2),
        real(config.eps),
    );
    let (c1, c2) = (
        bias_correction(beta1, state.t),
        bias_correction(beta2, state.t),
    );
    let shrink = one - lr * real::<P::Scalar>(decay);
    let decoupled = !is_off(decay);
    let leaves = params
        .leaves_mut()
        .into_iter()
        .zip(state.m.leaves_mut())
        .zip(state.v.leaves_mut());
    for (((phi, m), v), g) in leaves.zip(grad.leaves()) {
        azip!((phi in phi, m in m, v in v, &g in g) {
            if decoupled {
                *phi *= shrink;
            }
            *m = beta1 * *m + (one - beta1) * g;
            *v = beta2 * *v + (one - beta2) * g * g;
            let m_hat = *m / c1;
            let v_hat = *v / c2;
            *phi -= lr * m_hat / (v_hat.sqrt() + eps);
        });
    }
}

impl<P: Parameters> Optimizer<P> for Adam {
    type State = AdamState<P>;

    fn init(&self, params: &P) -> Self::State {
        adam_init(params)
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn update(&self, state: &mut Self::State, params: &mut P, grad: P) {
        adam_update(self, 0.0, state, params, &grad);
    }
}

impl<P: Parameters> Optimizer<P> for AdamW {
    type State = AdamState<P>;

    fn init(&self, params: &P) -> Self::State {
        adam_init(params)
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn update(&self, state: &mut Self::State, params: &mut P, grad: P) {
        let adam = Adam {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
        };
        adam_update(&adam, self.weight_decay, state, params, &grad);
    }
}
