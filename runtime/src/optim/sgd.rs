//! Plain gradient descent.

use serde::{Deserialize, Serialize};

use super::{Optimizer, descend, real};
use crate::Parameters;

/// Gradient descent: `phi <- phi - alpha*g`.
///
/// The lecture's first optimizer (UDL eq. 6.3). Whether it is full-batch
/// gradient descent or stochastic gradient descent is the data's business:
/// pass the gradient of the whole loss or of a minibatch's.
///
/// ```
/// use gradgen_runtime::optim::{Optimizer, Sgd};
///
/// let sgd = Sgd { lr: 0.25 };
/// let mut phi = 2.0;
/// let mut state = sgd.init(&phi);
/// sgd.step_with(&mut state, &mut phi, |p: &f64| (p * p, 2.0 * p));
/// assert_eq!(phi, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    /// The learning rate `alpha` (default 0.01).
    pub lr: f64,
}

impl Default for Sgd {
    fn default() -> Self {
        Sgd { lr: 0.01 }
    }
}

impl<P: Parameters> Optimizer<P> for Sgd {
    type State = ();

    fn init(&self, _params: &P) -> Self::State {}

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn update(&self, _state: &mut (), params: &mut P, grad: P) {
        descend(params, &grad, real(self.lr));
    }
}
