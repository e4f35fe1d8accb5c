//! What a search runs: a trial the user implements.

/// One training run of a search, written by the user: typically it builds a
/// model and an optimizer from a [`Config`](super::Config) and its seed, and
/// trains on a training set while scoring on a validation set.
///
/// [`run`](Trial::run) continues training from where the previous call left
/// off, so successive halving can give the trials that survive a round more
/// epochs without starting them again. A search never looks inside a trial:
/// it ranks trials by the scores they return, and hands back the best trial
/// itself, with whatever it holds (its parameters, say).
///
/// ```
/// use gradgen_runtime::search::Trial;
///
/// /// Gradient descent on (x - 3)^2 with a given learning rate.
/// struct Descent {
///     x: f64,
///     learning_rate: f64,
/// }
///
/// impl Trial for Descent {
///     fn run(&mut self, epochs: usize) -> f64 {
///         for _ in 0..epochs {
///             self.x -= self.learning_rate * 2.0 * (self.x - 3.0);
///         }
///         (self.x - 3.0).powi(2)
///     }
/// }
///
/// let mut trial = Descent { x: 0.0, learning_rate: 0.25 };
/// assert_eq!(trial.run(1), 2.25);
/// assert_eq!(trial.run(1), 0.5625); // continued, not restarted
/// ```
pub trait Trial: Send {
    /// Trains for `epochs` more epochs and returns the validation score
    /// after them (lower is better unless the search maximises).
    ///
    /// A run that diverged returns a non-finite score (NaN or an infinity):
    /// the search ranks it last and marks it failed, and never runs it
    /// again.
    fn run(&mut self, epochs: usize) -> f64;
}
