//! Momentum and Nesterov's accelerated momentum, in the lecture's and
//! PyTorch's forms.

use ndarray::azip;
use num_traits::Zero;
use serde::{Deserialize, Serialize};

use super::{Optimizer, OptimizerState, descend, offset, real};
use crate::{Parameters, Real};

/// Which recurrence [`Momentum`] follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum MomentumForm {
    /// The lecture's (UDL eq. 6.11), an average of the gradients:
    /// `m <- beta*m + (1-beta)*g; phi <- phi - alpha*m`, with `m_0 = 0`.
    #[default]
    Lecture,
    /// PyTorch's `torch.optim.SGD(lr, momentum=beta, dampening)`, a sum:
    /// `b <- g` on the first step, then `b <- beta*b + (1-dampening)*g`;
    /// `phi <- phi - alpha*b`. With `dampening = 0` and
    /// `alpha = alpha_lecture*(1-beta)` it equals [`MomentumForm::Lecture`]
    /// exactly; `dampening = beta` does not, because the first step is never
    /// dampened.
    PyTorch {
        /// The dampening (PyTorch's default is 0).
        dampening: f64,
    },
}

/// Gradient descent with momentum: a moving average of the gradients
/// decides the step.
///
/// The default is the lecture's form (see [`MomentumForm`] for PyTorch's,
/// and the [module docs](super) for how the two relate).
///
/// ```
/// use gradgen_runtime::optim::{Momentum, Optimizer};
///
/// let momentum = Momentum { lr: 0.5, beta: 0.5, ..Momentum::default() };
/// let mut phi = 1.0;
/// let mut state = momentum.init(&phi);
/// momentum.step(&mut state, &mut phi, 2.0);
/// // m = 0.5*0 + 0.5*2 = 1; phi = 1 - 0.5*1
/// assert_eq!((state.m, phi), (1.0, 0.5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Momentum {
    /// The learning rate `alpha` (default 0.01).
    pub lr: f64,
    /// The momentum `beta` of `m <- beta*m + (1-beta)*g` (default 0.9).
    pub beta: f64,
    /// The recurrence (default: the lecture's).
    pub form: MomentumForm,
}

impl Default for Momentum {
    fn default() -> Self {
        Momentum {
            lr: 0.01,
            beta: 0.9,
            form: MomentumForm::Lecture,
        }
    }
}

/// The state of [`Momentum`] and [`Nesterov`]: the momentum `m` (PyTorch's
/// buffer `b` in the PyTorch forms) and the number of steps taken.
#[derive(Clone, Debug, PartialEq)]
pub struct MomentumState<P> {
    /// The number of updates applied so far.
    pub t: u64,
    /// The momentum, shaped like the parameters.
    pub m: P,
}

impl<P: Parameters> MomentumState<P> {
    /// No updates yet: a zero momentum shaped like `params`.
    fn new(params: &P) -> Self {
        MomentumState {
            t: 0,
            m: params.zeros_like(),
        }
    }
}

impl<P: Parameters> OptimizerState<P> for MomentumState<P> {
    fn buffers(&self) -> Vec<(&'static str, &P)> {
        vec![("m", &self.m)]
    }
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut P)> {
        vec![("m", &mut self.m)]
    }
    fn count(&self) -> u64 {
        self.t
    }
    fn set_count(&mut self, count: u64) {
        self.t = count;
    }
}

/// `m <- beta*m + (1-beta)*g`.
fn average<P: Parameters>(m: &mut P, g: &P, beta: P::Scalar) {
    let one_minus_beta = P::Scalar::from_f64_lossy(1.0) - beta;
    for (m, g) in m.leaves_mut().into_iter().zip(g.leaves()) {
        azip!((m in m, &g in g) *m = beta * *m + one_minus_beta * g);
    }
}

/// PyTorch's buffer: `b <- g` on the first step, else `b <- beta*b + (1-dampening)*g`.
fn torch_buffer<P: Parameters>(b: &mut P, g: &P, t: u64, beta: P::Scalar, dampening: P::Scalar) {
    let one_minus_dampening = P::Scalar::from_f64_lossy(1.0) - dampening;
    for (b, g) in b.leaves_mut().into_iter().zip(g.leaves()) {
        if t == 0 {
            b.copy_from_slice(g);
        } else {
            azip!((b in b, &g in g) *b = beta * *b + one_minus_dampening * g);
        }
    }
}

impl<P: Parameters> Optimizer<P> for Momentum {
    type State = MomentumState<P>;

    fn init(&self, params: &P) -> Self::State {
        MomentumState::new(params)
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn update(&self, state: &mut Self::State, params: &mut P, grad: P) {
        let beta = real(self.beta);
        match self.form {
            MomentumForm::Lecture => average(&mut state.m, &grad, beta),
            MomentumForm::PyTorch { dampening } => {
                torch_buffer(&mut state.m, &grad, state.t, beta, real(dampening));
            }
        }
        descend(params, &state.m, real(self.lr));
        state.t += 1;
    }
}

/// Where [`Nesterov`] takes its gradient, and how it steps.
///
/// All three keep `m` as the lecture's momentum does; they differ in the
/// look-ahead point:
///
/// | form | gradient taken at | step |
/// | --- | --- | --- |
/// | `Lecture` | `phi - alpha*m` | `m <- beta*m + (1-beta)*g; phi <- phi - alpha*m` |
/// | `Corrected` | `phi - alpha*beta*m` | the same |
/// | `PyTorch` | `phi` | `b <- beta*b + g; phi <- phi - alpha*(g + beta*b)` |
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum NesterovForm {
    /// As the lecture prints it (and the first printing of UDL eq. 6.12):
    /// the gradient at `phi - alpha*m`, the point a whole step of the old
    /// momentum would reach.
    #[default]
    Lecture,
    /// As the textbook's author corrected eq. 6.12 (udlbook issue #149):
    /// the gradient at `phi - alpha*beta*m`, where the next step would land
    /// if the new gradient were zero (`m` is damped by `beta` before the
    /// step). This is Nesterov's method proper.
    Corrected,
    /// PyTorch's `SGD(lr, momentum=beta, nesterov=True)`: a change of
    /// variables that takes the gradient at the current point. With
    /// `alpha = alpha_lecture*(1-beta)` its iterates are exactly the
    /// look-ahead points of [`NesterovForm::Corrected`].
    PyTorch,
}

/// Nesterov's accelerated momentum: the gradient is taken where the
/// momentum is about to carry the parameters.
///
/// The look-ahead forms need a gradient at a point the optimizer chooses,
/// so use [`Optimizer::step_with`] with a gradient closure. The default is
/// the lecture's form (see [`NesterovForm`] for the others).
///
/// ```
/// use gradgen_runtime::optim::{Nesterov, NesterovForm, Optimizer};
///
/// let nesterov = Nesterov { lr: 0.1, beta: 0.5, form: NesterovForm::Lecture };
/// let mut phi = 1.0;
/// let mut state = nesterov.init(&phi);
/// state.m = 2.0;
/// let mut seen = 0.0;
/// nesterov.step_with(&mut state, &mut phi, |p: &f64| {
///     seen = *p;
///     (p * p, 2.0 * p)
/// });
/// assert_eq!(seen, 1.0 - 0.1 * 2.0); // phi - alpha*m
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Nesterov {
    /// The learning rate `alpha` (default 0.01).
    pub lr: f64,
    /// The momentum `beta` (default 0.9).
    pub beta: f64,
    /// Where the gradient is taken (default: the lecture's look-ahead).
    pub form: NesterovForm,
}

impl Default for Nesterov {
    fn default() -> Self {
        Nesterov {
            lr: 0.01,
            beta: 0.9,
            form: NesterovForm::Lecture,
        }
    }
}

impl<P: Parameters> Optimizer<P> for Nesterov {
    type State = MomentumState<P>;

    fn init(&self, params: &P) -> Self::State {
        MomentumState::new(params)
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn lookahead(&self, state: &Self::State, params: &P) -> Option<P> {
        match self.form {
            NesterovForm::Lecture => Some(offset(params, &state.m, real(self.lr))),
            NesterovForm::Corrected => Some(offset(params, &state.m, real(self.lr * self.beta))),
            NesterovForm::PyTorch => None,
        }
    }

    fn update(&self, state: &mut Self::State, params: &mut P, grad: P) {
        let beta: P::Scalar = real(self.beta);
        let lr = real(self.lr);
        match self.form {
            NesterovForm::Lecture | NesterovForm::Corrected => {
                average(&mut state.m, &grad, beta);
                descend(params, &state.m, lr);
            }
            NesterovForm::PyTorch => {
                torch_buffer(&mut state.m, &grad, state.t, beta, P::Scalar::zero());
                for ((phi, g), b) in params
                    .leaves_mut()
                    .into_iter()
                    .zip(grad.leaves())
                    .zip(state.m.leaves())
                {
                    azip!((phi in phi, &g in g, &b in b) *phi -= lr * (g + beta * b));
                }
            }
        }
        state.t += 1;
    }
}
