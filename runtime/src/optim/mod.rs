//! Optimizers: a config, a state shaped like the parameters, and an update.
//!
//! Every optimizer here is written once against [`Parameters`], never per
//! model: the update visits the leaves of the parameters, the gradient and
//! the state (Adam's `m` and `v`, say) together, element by element.
//!
//! | optimizer | update (elementwise, `g` the gradient, `alpha` the learning rate) |
//! | --- | --- |
//! | [`Sgd`] | `phi <- phi - alpha*g` |
//! | [`Momentum`] | lecture: `m <- beta*m + (1-beta)*g; phi <- phi - alpha*m`; PyTorch: `b <- beta*b + (1-dampening)*g` (`b <- g` on the first step); `phi <- phi - alpha*b` |
//! | [`Nesterov`] | as the lecture's momentum, with `g` taken at a look-ahead point; three forms, see [`NesterovForm`] |
//! | [`Adam`] | `m <- b1*m + (1-b1)*g; v <- b2*v + (1-b2)*g^2; phi <- phi - alpha*m_hat/(sqrt(v_hat)+eps)` |
//! | [`AdamW`] | Adam plus decoupled decay `phi <- phi - alpha*lambda*phi` |
//! | [`RmsProp`] | `v <- rho*v + (1-rho)*g^2; phi <- phi - alpha*g/(sqrt(v)+eps)` |
//! | [`AdaGrad`] | `s <- s + g^2; phi <- phi - alpha*g/(sqrt(s)+eps)` |
//! | [`NormalizedGradient`] | `phi <- phi - alpha*g/(sqrt(g^2)+eps)` (sign-normalised steps) |
//!
//! Any optimizer takes L2 weight decay and clipping by the global gradient
//! norm through [`OptimizerExt`]: `Adam::default().clip_grad_norm(1.0)`.
//!
//! # Lecture and PyTorch forms
//!
//! The lecture (and *Understanding Deep Learning*, eq. 6.11) averages:
//! `m <- beta*m + (1-beta)*g; phi <- phi - alpha*m`. PyTorch's `SGD(momentum=beta)`
//! sums: `b <- beta*b + g; phi <- phi - lr*b`. With `b = m/(1-beta)` the two
//! are the same recurrence, so the lecture's form with rate `alpha` equals
//! PyTorch's with `lr = alpha*(1-beta)` and `dampening = 0`, exactly; a
//! naive port with the same number as `lr` takes steps `1/(1-beta)` times
//! larger. PyTorch's `dampening = beta` is *not* the lecture's form: PyTorch
//! never dampens the first step (`b_1 = g_1`, where the lecture has
//! `m_1 = (1-beta)*g_1`). Likewise PyTorch's `nesterov=True` with
//! `lr = alpha*(1-beta)` visits exactly the look-ahead points
//! `phi - alpha*beta*m` of the textbook's corrected Nesterov. Adam is the
//! same formula in both (PyTorch folds the bias corrections into the step
//! size, which changes only rounding).
//!
//! # Using an optimizer
//!
//! ```
//! use gradgen_runtime::optim::{Adam, Optimizer};
//!
//! // L(phi) = 0.5*phi0^2 + 50*phi1^2 and its gradient.
//! let grad = |p: &[f64; 2]| (0.5 * p[0] * p[0] + 50.0 * p[1] * p[1], [p[0], 100.0 * p[1]]);
//! let adam = Adam { lr: 0.1, ..Adam::default() };
//! let mut phi = [-3.0, 1.0];
//! let mut state = adam.init(&phi);
//! for _ in 0..500 {
//!     adam.step_with(&mut state, &mut phi, grad);
//! }
//! assert!(phi[0].abs() < 1e-2 && phi[1].abs() < 1e-2);
//! ```

use ndarray::azip;
use num_traits::Zero;

use crate::{Parameters, Real};

mod adam;
mod adaptive;
mod momentum;
mod regularized;
mod sgd;

pub use adam::{Adam, AdamState, AdamW};
pub use adaptive::{AdaGrad, AdaGradState, NormalizedGradient, RmsProp, RmsPropState};
pub use momentum::{Momentum, MomentumForm, MomentumState, Nesterov, NesterovForm};
pub use regularized::{OptimizerExt, Regularized};
pub use sgd::Sgd;

/// An update rule over any [`Parameters`], with its state kept apart.
///
/// The config (`self`: learning rate, betas, ...) is a plain value; the state
/// ([`Optimizer::State`], e.g. Adam's `m` and `v`) is made by
/// [`init`](Optimizer::init) from the parameters and passed to every step, so
/// it can be inspected, saved with a checkpoint and restored.
///
/// A step has two halves, so that a caller can check the gradient before the
/// parameters change (the training loop does):
/// [`lookahead`](Optimizer::lookahead) says where the gradient must be taken
/// (`None`: at the parameters themselves; Nesterov's look-ahead forms choose
/// another point) and [`update`](Optimizer::update) applies the gradient
/// taken there. [`step_with`](Optimizer::step_with) does both with a gradient
/// closure (such as a generated `NAME_grad`); [`step`](Optimizer::step) takes
/// a gradient already computed at the parameters.
///
/// ```
/// use gradgen_runtime::optim::{Nesterov, Optimizer};
///
/// let grad = |p: &f64| (p * p, 2.0 * p);
/// let nesterov = Nesterov { lr: 0.1, ..Nesterov::default() }; // the lecture's form
/// let mut phi = 1.0;
/// let mut state = nesterov.init(&phi);
/// for _ in 0..200 {
///     nesterov.step_with(&mut state, &mut phi, grad);
/// }
/// assert!(phi.abs() < 1e-3);
/// ```
pub trait Optimizer<P: Parameters> {
    /// The state the update carries from step to step.
    type State: OptimizerState<P>;

    /// A fresh state for `params`: zeros of their shape, step count 0.
    fn init(&self, params: &P) -> Self::State;

    /// The learning rate the next step uses.
    fn lr(&self) -> f64;

    /// Sets the learning rate (a schedule calls this before each step).
    fn set_lr(&mut self, lr: f64);

    /// The point at which the next gradient must be taken, when it is not
    /// `params` itself. The default is `None` (the gradient at `params`).
    fn lookahead(&self, state: &Self::State, params: &P) -> Option<P> {
        let _ = (state, params);
        None
    }

    /// Applies one step with `grad`, the gradient taken at the point
    /// [`lookahead`](Optimizer::lookahead) named (or at `params`).
    fn update(&self, state: &mut Self::State, params: &mut P, grad: P);

    /// One step with the gradient from `grad_fn`, which takes a point and
    /// returns the loss there and its gradient (a generated `NAME_grad`
    /// with the data bound fits). Returns the loss at the point the
    /// gradient was taken (the look-ahead point for Nesterov's look-ahead
    /// forms, otherwise the parameters before the step).
    fn step_with<F>(&self, state: &mut Self::State, params: &mut P, mut grad_fn: F) -> P::Scalar
    where
        F: FnMut(&P) -> (P::Scalar, P),
    {
        let (loss, grad) = match self.lookahead(state, params) {
            Some(point) => grad_fn(&point),
            None => grad_fn(params),
        };
        self.update(state, params, grad);
        loss
    }

    /// One step with `grad`, the gradient at `params`.
    ///
    /// ```
    /// use gradgen_runtime::optim::{Optimizer, Sgd};
    ///
    /// let sgd = Sgd { lr: 0.5 };
    /// let mut phi = [1.0, 2.0];
    /// let mut state = sgd.init(&phi);
    /// sgd.step(&mut state, &mut phi, [1.0, 1.0]);
    /// assert_eq!(phi, [0.5, 1.5]);
    /// ```
    ///
    /// # Panics
    ///
    /// When the optimizer takes its gradient at a look-ahead point (the
    /// lecture's and the textbook's Nesterov): a gradient at `params` is the
    /// wrong one there, so use [`step_with`](Optimizer::step_with).
    fn step(&self, state: &mut Self::State, params: &mut P, grad: P) {
        assert!(
            self.lookahead(state, params).is_none(),
            "this optimizer takes its gradient at a look-ahead point: call `step_with` with a gradient closure"
        );
        self.update(state, params, grad);
    }
}

/// An optimizer's state: named buffers shaped like the parameters and a step
/// count, which is all a checkpoint needs to save and restore it.
///
/// ```
/// use gradgen_runtime::optim::{Adam, Optimizer, OptimizerState};
///
/// let state = Adam::default().init(&[0.0f64; 3]);
/// let names: Vec<_> = state.buffers().iter().map(|(name, _)| *name).collect();
/// assert_eq!(names, ["m", "v"]);
/// assert_eq!(state.count(), 0);
/// ```
pub trait OptimizerState<P: Parameters>: Clone {
    /// The buffers, each with its name, in a fixed order.
    fn buffers(&self) -> Vec<(&'static str, &P)>;
    /// The buffers, mutably, in the same order.
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut P)>;
    /// The number of updates applied so far (0 where the rule needs none).
    fn count(&self) -> u64 {
        0
    }
    /// Sets the number of updates applied so far.
    fn set_count(&mut self, count: u64) {
        let _ = count;
    }
}

/// The state of an optimizer that keeps none (plain gradient descent).
impl<P: Parameters> OptimizerState<P> for () {
    fn buffers(&self) -> Vec<(&'static str, &P)> {
        Vec::new()
    }
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut P)> {
        Vec::new()
    }
}

/// A hyper-parameter as the parameters' scalar type.
#[inline]
pub(crate) fn real<S: Real>(x: f64) -> S {
    S::from_f64_lossy(x)
}

/// `phi <- phi - lr * d`, leaf by leaf.
pub(crate) fn descend<P: Parameters>(params: &mut P, direction: &P, lr: P::Scalar) {
    for (phi, d) in params.leaves_mut().into_iter().zip(direction.leaves()) {
        azip!((phi in phi, &d in d) *phi -= lr * d);
    }
}

/// `params - scale * d` as a new value (a look-ahead point).
pub(crate) fn offset<P: Parameters>(params: &P, direction: &P, scale: P::Scalar) -> P {
    let mut point = params.clone();
    descend(&mut point, direction, scale);
    point
}

/// `1 - beta^t`, the bias correction of a moving average started at zero.
pub(crate) fn bias_correction<S: Real>(beta: S, t: u64) -> S {
    S::one() - beta.powf(real(t as f64))
}

/// Whether `x` is zero, for options that are off at zero.
pub(crate) fn is_off(x: f64) -> bool {
    x.is_zero()
}
