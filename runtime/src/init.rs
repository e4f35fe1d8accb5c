//! Initialisers: a whole [`Parameters`] value filled from a seed.
//!
//! [`Init`] says how to fill one leaf: zeros, a constant, a normal or uniform
//! distribution, or He's and Xavier's, whose spread comes from the leaf's
//! fan-in and fan-out (see [`fans`]). [`Initializer`] applies rules to every
//! leaf of a model: one for weights (leaves of rank 2 or more), one for
//! biases (rank 0 or 1), and rules for single leaves, chosen by index or by
//! shape.
//!
//! | rule | draws | standard deviation |
//! | --- | --- | --- |
//! | [`Init::Zeros`] | `0` | `0` |
//! | [`Init::Constant(c)`](Init::Constant) | `c` | `0` |
//! | [`Init::Normal { mean, std }`](Init::Normal) | `N(mean, std^2)` | `std` |
//! | [`Init::Uniform { low, high }`](Init::Uniform) | `U[low, high)` | `(high - low)/sqrt(12)` |
//! | [`Init::HeNormal`] | `N(0, 2/fan_in)` | `sqrt(2/fan_in)` |
//! | [`Init::HeUniform`] | `U[-b, b)`, `b = sqrt(6/fan_in)` | `sqrt(2/fan_in)` |
//! | [`Init::XavierNormal`] | `N(0, 2/(fan_in + fan_out))` | `sqrt(2/(fan_in + fan_out))` |
//! | [`Init::XavierUniform`] | `U[-b, b)`, `b = sqrt(6/(fan_in + fan_out))` | `sqrt(2/(fan_in + fan_out))` |
//!
//! He's variance `2/fan_in` keeps the spread of a ReLU network's
//! pre-activations the same from layer to layer: a ReLU zeroes half of its
//! inputs, so `Var[f'] = fan_in * sigma^2 * Var[f] / 2`, which is `Var[f]`
//! when `sigma^2 = 2/fan_in`. Smaller variances make the activations (and
//! the gradients) vanish with depth, larger ones make them explode; example
//! `init_study` shows it. Xavier's `2/(fan_in + fan_out)` is the compromise
//! between the forward pass (`1/fan_in`) and the backward pass (`1/fan_out`)
//! of a network without the ReLU's halving (tanh, linear).
//!
//! # Reproducibility
//!
//! [`Initializer::apply`] takes a seed. Leaf `i` draws from its own ChaCha8
//! stream (stream `i` of the seed), so its values depend on the seed, its
//! index, its shape and its rule only: giving another leaf a different rule
//! or shape changes nothing here. Values are drawn in `f64` and rounded to
//! the leaf's scalar type, so an `f32` model holds the rounded values of the
//! same `f64` model.
//!
//! ```
//! use gradgen::prelude::*;
//! use gradgen::init::{Init, Initializer};
//! use gradgen::ndarray::{Array1, Array2};
//!
//! #[derive(Parameters, Clone, Debug)]
//! struct Mlp {
//!     omega0: Array2<f64>, // [hidden][inputs]
//!     beta0: Array1<f64>,
//!     omega1: Array2<f64>, // [outputs][hidden]
//!     beta1: Array1<f64>,
//! }
//!
//! let mut mlp = Mlp {
//!     omega0: Array2::zeros((256, 784)),
//!     beta0: Array1::ones(256),
//!     omega1: Array2::zeros((10, 256)),
//!     beta1: Array1::ones(10),
//! };
//! // He normal weights, N(0, 2/fan_in) with fan_in = 784 and 256, zero biases.
//! Init::HeNormal.apply(&mut mlp, 7);
//! assert!(mlp.beta0.iter().chain(&mlp.beta1).all(|&b| b == 0.0));
//! let ratio = mlp.omega0.std(0.0) / (2.0f64 / 784.0).sqrt();
//! assert!((ratio - 1.0).abs() < 0.01);
//!
//! // The same seed draws the same values; leaf 2 (omega1) gets its own rule.
//! let mut again = mlp.zeros_like();
//! Initializer::new(Init::HeNormal)
//!     .leaf(2, Init::XavierUniform)
//!     .apply(&mut again, 7);
//! assert_eq!(again.omega0, mlp.omega0);
//! assert_ne!(again.omega1, mlp.omega1);
//! ```

use std::fmt;
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};

use crate::{Parameters, Real};

/// The fan-in and fan-out of a leaf of this shape, as `(fan_in, fan_out)`.
///
/// PyTorch's convention: a weight is stored `[out][in]` (an `Array2` of
/// shape `(out, in)` maps `in` inputs to `out` outputs by `omega.dot(&x)`),
/// and any further axes (a convolution's kernel) multiply both:
///
/// | shape | fan_in | fan_out |
/// | --- | --- | --- |
/// | `[]` (a scalar) | 1 | 1 |
/// | `[n]` | `n` | 1 |
/// | `[out, in]` | `in` | `out` |
/// | `[out, in, k1, k2, ...]` | `in * k1 * k2 * ...` | `out * k1 * k2 * ...` |
///
/// A scalar is one weight of one input. A vector of `n` is read as one
/// output of `n` inputs (a dot product `w.dot(&x)`, one row of a weight
/// stored row by row); it matters only when a rule of [`Initializer`] gives
/// a vector a He or Xavier rule, since vectors are biases by default.
///
/// ```
/// use gradgen::init::fans;
///
/// assert_eq!(fans(&[]), (1, 1));
/// assert_eq!(fans(&[5]), (5, 1));
/// assert_eq!(fans(&[100, 784]), (784, 100));
/// assert_eq!(fans(&[16, 3, 5, 5]), (75, 400));
/// ```
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (*n, 1),
        [out, inputs, kernel @ ..] => {
            let kernel: usize = kernel.iter().product();
            (inputs * kernel, out * kernel)
        }
    }
}

/// How to fill one leaf.
///
/// The plain rules ([`Zeros`](Init::Zeros), [`Constant`](Init::Constant),
/// [`Normal`](Init::Normal), [`Uniform`](Init::Uniform)) ignore the shape;
/// He's and Xavier's scale with the leaf's fans (see [`fans`] and the table
/// in the [module docs](self)). A rule applies to a single leaf with
/// [`fill`](Init::fill) and to a whole model with [`apply`](Init::apply).
///
/// ```
/// use gradgen::init::Init;
///
/// // He: variance 2/fan_in, for a weight of 50 outputs and 200 inputs.
/// assert_eq!(Init::HeNormal.std(&[50, 200]), 0.1);
/// // Xavier: variance 2/(fan_in + fan_out).
/// assert_eq!(Init::XavierUniform.std(&[100, 300]), (2.0f64 / 400.0).sqrt());
/// let std = Init::Uniform { low: -3.0, high: 3.0 }.std(&[7]);
/// assert!((std - 3.0f64.sqrt()).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Every element 0.
    Zeros,
    /// Every element the given value.
    Constant(f64),
    /// Draws from the normal distribution `N(mean, std^2)`.
    Normal {
        /// The mean.
        mean: f64,
        /// The standard deviation (not the variance); at least 0.
        std: f64,
    },
    /// Draws from the uniform distribution on `[low, high)`: mean
    /// `(low + high)/2`, variance `(high - low)^2/12`.
    Uniform {
        /// The smallest value drawn.
        low: f64,
        /// The bound above every value drawn; greater than `low`.
        high: f64,
    },
    /// He (Kaiming) normal: `N(0, 2/fan_in)`, for ReLU networks (He et al.
    /// 2015, "Delving deep into rectifiers"; PyTorch's `kaiming_normal_`
    /// with its defaults).
    HeNormal,
    /// He (Kaiming) uniform: `U[-b, b)` with `b = sqrt(6/fan_in)`, the same
    /// variance `2/fan_in` as [`HeNormal`](Init::HeNormal) (PyTorch's
    /// `kaiming_uniform_` with `a = 0`).
    HeUniform,
    /// Xavier (Glorot) normal: `N(0, 2/(fan_in + fan_out))` (Glorot and
    /// Bengio 2010; PyTorch's `xavier_normal_`).
    XavierNormal,
    /// Xavier (Glorot) uniform: `U[-b, b)` with
    /// `b = sqrt(6/(fan_in + fan_out))`, variance `2/(fan_in + fan_out)`
    /// (PyTorch's `xavier_uniform_`).
    XavierUniform,
}

/// What a rule draws for a leaf of a given shape.
#[derive(Clone, Copy, Debug)]
enum Draw {
    Constant(f64),
    Normal { mean: f64, std: f64 },
    Uniform { low: f64, high: f64 },
}

impl Init {
    /// Whether the rule's spread depends on the leaf's fans (He, Xavier).
    ///
    /// [`Initializer::new`] gives biases zeros under such a rule, and the
    /// weight rule itself otherwise.
    ///
    /// ```
    /// use gradgen::init::Init;
    ///
    /// assert!(Init::HeUniform.uses_fans());
    /// assert!(!Init::Normal { mean: 0.0, std: 0.1 }.uses_fans());
    /// ```
    pub fn uses_fans(&self) -> bool {
        matches!(
            self,
            Init::HeNormal | Init::HeUniform | Init::XavierNormal | Init::XavierUniform
        )
    }

    /// The standard deviation of the elements this rule gives a leaf of
    /// `shape` (0 for [`Zeros`](Init::Zeros) and
    /// [`Constant`](Init::Constant)); see the table in the
    /// [module docs](self).
    ///
    /// ```
    /// use gradgen::init::Init;
    ///
    /// assert_eq!(Init::HeUniform.std(&[10, 8]), 0.5);
    /// assert_eq!(Init::Constant(3.0).std(&[10, 8]), 0.0);
    /// ```
    pub fn std(&self, shape: &[usize]) -> f64 {
        match *self {
            Init::Zeros | Init::Constant(_) => 0.0,
            Init::Normal { std, .. } => std,
            Init::Uniform { low, high } => (high - low) / 12f64.sqrt(),
            Init::HeNormal | Init::HeUniform | Init::XavierNormal | Init::XavierUniform => {
                let (fan_in, fan_out) = fans(shape);
                let fan = match self {
                    Init::HeNormal | Init::HeUniform => fan_in,
                    _ => fan_in + fan_out,
                };
                (2.0 / fan as f64).sqrt()
            }
        }
    }

    /// What this rule draws for a leaf of `shape`.
    fn draw(&self, shape: &[usize]) -> Draw {
        // A uniform U[-b, b) has variance b^2/3: b = sqrt(3) * std.
        let bound = 3f64.sqrt() * self.std(shape);
        match *self {
            Init::Zeros => Draw::Constant(0.0),
            Init::Constant(c) => Draw::Constant(c),
            Init::Normal { mean, std } => Draw::Normal { mean, std },
            Init::Uniform { low, high } => Draw::Uniform { low, high },
            Init::HeNormal | Init::XavierNormal => Draw::Normal {
                mean: 0.0,
                std: self.std(shape),
            },
            Init::HeUniform | Init::XavierUniform => Draw::Uniform {
                low: -bound,
                high: bound,
            },
        }
    }

    /// Why the rule's numbers are unusable, if they are.
    fn invalid(&self) -> Option<String> {
        match *self {
            Init::Constant(c) if !c.is_finite() => {
                Some(format!("Init::Constant({c}): the value must be finite"))
            }
            Init::Normal { mean, std } if !(mean.is_finite() && std.is_finite() && std >= 0.0) => {
                Some(format!(
                    "Init::Normal {{ mean: {mean}, std: {std} }}: the mean must be finite and the standard deviation finite and at least 0"
                ))
            }
            Init::Uniform { low, high } if !(low.is_finite() && high.is_finite() && low < high) => {
                Some(format!(
                    "Init::Uniform {{ low: {low}, high: {high} }}: the bounds must be finite with low < high"
                ))
            }
            _ => None,
        }
    }

    /// Fills one leaf of `shape` with draws from `rng` (drawn in `f64`,
    /// rounded to `S`). An empty leaf draws nothing.
    ///
    /// ```
    /// use gradgen::init::Init;
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let mut leaf = [0.0f32; 6];
    /// Init::Uniform { low: 2.0, high: 3.0 }.fill(&[2, 3], &mut leaf, &mut rng);
    /// assert!(leaf.iter().all(|&x| (2.0..3.0).contains(&x)));
    /// ```
    ///
    /// # Panics
    ///
    /// If the rule's numbers are unusable: a constant or mean that is not
    /// finite, a negative or non-finite standard deviation, uniform bounds
    /// that are not finite or not `low < high`.
    pub fn fill<S: Real, R: Rng + ?Sized>(&self, shape: &[usize], leaf: &mut [S], rng: &mut R) {
        if let Some(why) = self.invalid() {
            panic!("{why}");
        }
        if leaf.is_empty() {
            return;
        }
        match self.draw(shape) {
            Draw::Constant(c) => leaf.fill(S::from_f64_lossy(c)),
            Draw::Normal { mean, std } => {
                for x in leaf {
                    let z: f64 = StandardNormal.sample(rng);
                    *x = S::from_f64_lossy(mean + std * z);
                }
            }
            Draw::Uniform { low, high } => {
                // `invalid` and the fan formulas guarantee low < high, finite.
                let uniform = Uniform::new(low, high).expect("finite bounds with low < high");
                for x in leaf {
                    *x = S::from_f64_lossy(uniform.sample(rng));
                }
            }
        }
    }

    /// Fills every leaf of `params` from `seed`: this rule for the weights
    /// (leaves of rank 2 or more) and, when the rule is He's or Xavier's,
    /// zeros for the biases (rank 0 or 1); the plain rules fill every leaf.
    /// Short for `Initializer::new(self).apply(params, seed)`; see
    /// [`Initializer`] for other rules per leaf.
    ///
    /// ```
    /// use gradgen::init::Init;
    ///
    /// let mut params = vec![1.0f64; 4];
    /// Init::Constant(0.5).apply(&mut params, 0);
    /// assert_eq!(params, [0.5; 4]);
    /// ```
    ///
    /// # Panics
    ///
    /// As [`Initializer::apply`].
    pub fn apply<P: Parameters>(self, params: &mut P, seed: u64) {
        Initializer::new(self).apply(params, seed);
    }
}

/// A predicate on a leaf's shape.
type ShapePredicate = Arc<dyn Fn(&[usize]) -> bool + Send + Sync>;

/// Which leaves a rule of an [`Initializer`] is for.
#[derive(Clone)]
enum Select {
    Leaf(usize),
    Shape(ShapePredicate),
}

impl fmt::Debug for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Select::Leaf(index) => f.debug_tuple("Leaf").field(index).finish(),
            Select::Shape(_) => f.write_str("Shape(..)"),
        }
    }
}

/// Rules for every leaf of a [`Parameters`] value, applied from a seed.
///
/// Leaf `i` (in the fixed order of [`Parameters::visit`]; print
/// [`Parameters::shapes`] to see it) of shape `s` gets the first of:
///
/// 1. the first rule added with [`leaf`](Self::leaf) for index `i` or with
///    [`when`](Self::when) whose predicate holds for `s`, in the order they
///    were added;
/// 2. the weight rule if `s` has 2 axes or more;
/// 3. the bias rule otherwise (vectors and scalars).
///
/// The bias rule is set with [`biases`](Self::biases); unless set, it is
/// [`Init::Zeros`] when the weight rule is He's or Xavier's (their fans are
/// a weight's, and zero biases are what He and Glorot used), and the weight
/// rule itself otherwise, so `Init::Normal { .. }` or `Init::Constant(..)`
/// fills every leaf.
///
/// Models whose weights are stored as vectors (`Vec<Vec<f64>>` rows,
/// `[f64; N]`) have only leaves of rank 1 or 0: give their weights a rule
/// by index or shape, as below.
///
/// ```
/// use gradgen::prelude::*;
/// use gradgen::init::{Init, Initializer};
///
/// #[derive(Parameters, Clone, Debug)]
/// struct Net {
///     hidden: Vec<Vec<f64>>, // one leaf of 4 inputs per hidden unit
///     bias: Vec<f64>,
///     out: Vec<f64>,         // one leaf: the output unit's 3 inputs
/// }
///
/// let mut net = Net {
///     hidden: vec![vec![0.0; 4]; 3],
///     bias: vec![0.0; 3],
///     out: vec![0.0; 3],
/// };
/// assert_eq!(net.shapes(), [vec![4], vec![4], vec![4], vec![3], vec![3]]);
/// Initializer::new(Init::HeNormal)
///     .when(|shape| shape == [4], Init::HeNormal) // rows of 4 inputs: fan_in 4
///     .leaf(4, Init::XavierUniform)               // the output unit
///     .biases(Init::Constant(0.01))
///     .apply(&mut net, 42);
/// assert!(net.hidden.iter().flatten().all(|&w| w != 0.0));
/// assert_eq!(net.bias, [0.01; 3]);
/// assert!(net.out.iter().all(|&w| w.abs() < (6.0f64 / 4.0).sqrt()));
/// ```
#[derive(Clone, Debug)]
pub struct Initializer {
    weights: Init,
    biases: Init,
    rules: Vec<(Select, Init)>,
}

impl Initializer {
    /// Rules with `weights` for every leaf of rank 2 or more, and for the
    /// others zeros if `weights` is He's or Xavier's, `weights` itself
    /// otherwise.
    ///
    /// ```
    /// use gradgen::init::{Init, Initializer};
    ///
    /// let init = Initializer::new(Init::XavierNormal);
    /// assert_eq!(init.rule_for(0, &[10, 20]), Init::XavierNormal);
    /// assert_eq!(init.rule_for(1, &[10]), Init::Zeros);
    /// ```
    pub fn new(weights: Init) -> Self {
        let biases = if weights.uses_fans() {
            Init::Zeros
        } else {
            weights
        };
        Initializer {
            weights,
            biases,
            rules: Vec::new(),
        }
    }

    /// Sets the rule for leaves of rank 0 or 1 (biases, scalars) that no
    /// rule by index or shape names.
    ///
    /// ```
    /// use gradgen::init::{Init, Initializer};
    ///
    /// let init = Initializer::new(Init::HeNormal).biases(Init::Constant(0.1));
    /// assert_eq!(init.rule_for(3, &[100]), Init::Constant(0.1));
    /// assert_eq!(init.rule_for(3, &[]), Init::Constant(0.1));
    /// ```
    pub fn biases(mut self, init: Init) -> Self {
        self.biases = init;
        self
    }

    /// Gives leaf `index` (in the order of [`Parameters::visit`]) its own
    /// rule.
    ///
    /// ```
    /// use gradgen::init::{Init, Initializer};
    ///
    /// let init = Initializer::new(Init::HeNormal).leaf(2, Init::XavierNormal);
    /// assert_eq!(init.rule_for(2, &[10, 100]), Init::XavierNormal);
    /// assert_eq!(init.rule_for(0, &[100, 10]), Init::HeNormal);
    /// ```
    pub fn leaf(mut self, index: usize, init: Init) -> Self {
        self.rules.push((Select::Leaf(index), init));
        self
    }

    /// Gives every leaf whose shape satisfies `predicate` its own rule.
    ///
    /// ```
    /// use gradgen::init::{Init, Initializer};
    ///
    /// // The output layer (10 outputs): Xavier, the hidden ones He.
    /// let init = Initializer::new(Init::HeNormal)
    ///     .when(|shape| shape.len() == 2 && shape[0] == 10, Init::XavierNormal);
    /// assert_eq!(init.rule_for(6, &[10, 100]), Init::XavierNormal);
    /// assert_eq!(init.rule_for(0, &[100, 784]), Init::HeNormal);
    /// ```
    pub fn when<F>(mut self, predicate: F, init: Init) -> Self
    where
        F: Fn(&[usize]) -> bool + Send + Sync + 'static,
    {
        self.rules.push((Select::Shape(Arc::new(predicate)), init));
        self
    }

    /// The rule that leaf `index` of `shape` gets (see the order on
    /// [`Initializer`]).
    ///
    /// ```
    /// use gradgen::init::{Init, Initializer};
    ///
    /// let init = Initializer::new(Init::HeUniform)
    ///     .leaf(0, Init::Zeros)
    ///     .when(|shape| shape == [3, 3], Init::Constant(1.0));
    /// assert_eq!(init.rule_for(0, &[3, 3]), Init::Zeros); // added first
    /// assert_eq!(init.rule_for(1, &[3, 3]), Init::Constant(1.0));
    /// assert_eq!(init.rule_for(2, &[3, 4]), Init::HeUniform);
    /// assert_eq!(init.rule_for(3, &[3]), Init::Zeros);
    /// ```
    pub fn rule_for(&self, index: usize, shape: &[usize]) -> Init {
        let chosen = self.rules.iter().find(|(select, _)| match select {
            Select::Leaf(i) => *i == index,
            Select::Shape(predicate) => predicate(shape),
        });
        match chosen {
            Some((_, init)) => *init,
            None if shape.len() >= 2 => self.weights,
            None => self.biases,
        }
    }

    /// Fills every leaf of `params` by its rule, leaf `i` from stream `i`
    /// of a ChaCha8 generator seeded with `seed` (see
    /// [Reproducibility](self#reproducibility)).
    ///
    /// ```
    /// use gradgen::init::{Init, Initializer};
    ///
    /// let mut a = vec![vec![0.0f64; 3]; 2];
    /// let mut b = a.clone();
    /// let init = Initializer::new(Init::Normal { mean: 0.0, std: 1.0 });
    /// init.apply(&mut a, 1);
    /// init.apply(&mut b, 1);
    /// assert_eq!(a, b);
    /// init.apply(&mut b, 2);
    /// assert_ne!(a, b);
    /// ```
    ///
    /// # Panics
    ///
    /// Before changing anything, if a rule's numbers are unusable (see
    /// [`Init::fill`]) or a rule names a leaf index that `params` does not
    /// have.
    pub fn apply<P: Parameters>(&self, params: &mut P, seed: u64) {
        let mut count = 0;
        params.visit(&mut |_, _| count += 1);
        let rules = self.rules.iter().map(|(_, init)| init);
        for init in [&self.weights, &self.biases].into_iter().chain(rules) {
            if let Some(why) = init.invalid() {
                panic!("{why}");
            }
        }
        for (select, _) in &self.rules {
            if let Select::Leaf(index) = select {
                assert!(
                    *index < count,
                    "a rule names leaf {index}, but the parameters have {count} leaves (indices 0 to {})",
                    count.saturating_sub(1)
                );
            }
        }
        let mut index = 0;
        params.visit_mut(&mut |shape, leaf| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(index as u64);
            self.rule_for(index, shape).fill(shape, leaf, &mut rng);
            index += 1;
        });
    }
}

#[cfg(test)]
mod tests;
