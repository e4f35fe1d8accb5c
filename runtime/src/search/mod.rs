//! Hyper-parameter search: grid and random search, and successive halving,
//! over a [`Space`] of named dimensions, with trials run in parallel.
//!
//! The user writes a [`Trial`] (build a model from a [`Config`] and a seed,
//! train it for some more epochs, return a validation score) and a function
//! that makes one; a [`Search`] draws the configurations, runs the trials on
//! all cores with rayon, and returns the best trial with a [`Report`] of
//! every trial, best first, to print or write as CSV.
//!
//! ```
//! use gradgen_runtime::search::{Config, Search, Space, Trial};
//!
//! /// Gradient descent on (x - 3)^2; the best learning rate is 0.5.
//! struct Descent {
//!     x: f64,
//!     learning_rate: f64,
//! }
//!
//! impl Trial for Descent {
//!     fn run(&mut self, epochs: usize) -> f64 {
//!         for _ in 0..epochs {
//!             self.x -= self.learning_rate * 2.0 * (self.x - 3.0);
//!         }
//!         (self.x - 3.0).powi(2)
//!     }
//! }
//!
//! let space = Space::new().choice("learning_rate", [0.01, 0.1, 0.5, 0.9]);
//! let result = Search::new(space).epochs(5).run(|config: &Config, _seed| Descent {
//!     x: 0.0,
//!     learning_rate: config.float("learning_rate"),
//! });
//! assert_eq!(result.config.float("learning_rate"), 0.5);
//! assert_eq!(result.best.x, 3.0);
//! println!("{}", result.report);
//! ```

mod report;
mod space;
mod trial;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

pub use report::{Report, TrialRecord};
pub use space::{Config, Dimension, Domain, Space, Value};
pub use trial::Trial;

/// Whether a search looks for the lowest score (a loss) or the highest (an
/// accuracy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Goal {
    /// Lower scores are better (the default).
    #[default]
    Minimize,
    /// Higher scores are better.
    Maximize,
}

/// Where the configurations of a search come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Candidates {
    /// Every combination of the dimensions, ranges spread over `points`
    /// values each (see [`Space::grid`]).
    Grid {
        /// Values per range dimension.
        points: usize,
    },
    /// `trials` configurations drawn at random (see [`Space::sample`]).
    Random {
        /// The number of configurations.
        trials: usize,
    },
}

/// Successive halving (Jamieson and Talwalkar 2016; one bracket of
/// Hyperband, Li et al. 2017; ASHA, Li et al. 2020, is its asynchronous
/// form): every trial trains `min_epochs`, the best `1/eta` go on to `eta`
/// times as many epochs in all, and so on until the search's epoch budget.
///
/// Rounds are synchronous here: all trials of a round finish (in parallel)
/// before the next round starts, so the result does not depend on timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Halving {
    /// The factor by which each round cuts the trials and grows their
    /// epochs (3 in the papers).
    pub eta: usize,
    /// The epochs of the first round.
    pub min_epochs: usize,
}

impl Default for Halving {
    fn default() -> Self {
        Halving {
            eta: 3,
            min_epochs: 1,
        }
    }
}

/// The best trial of a search, its configuration, and the table of all.
#[derive(Debug)]
pub struct SearchResult<T> {
    /// The best trial itself, as trained: take its parameters from it.
    pub best: T,
    /// The best trial's configuration.
    pub config: Config,
    /// Every trial, best first.
    pub report: Report,
}

/// The seed a search with seed `search_seed` gives its trial number `index`:
/// the first output of a ChaCha8 generator seeded with `search_seed` on
/// stream `index + 1` (stream 0 draws random configurations). Use it to
/// rerun one trial of a search on its own.
///
/// ```
/// use gradgen_runtime::search::trial_seed;
///
/// assert_eq!(trial_seed(7, 3), trial_seed(7, 3));
/// assert_ne!(trial_seed(7, 3), trial_seed(7, 4));
/// assert_ne!(trial_seed(7, 3), trial_seed(8, 3));
/// ```
pub fn trial_seed(search_seed: u64, index: usize) -> u64 {
    let mut rng = ChaCha8Rng::seed_from_u64(search_seed);
    rng.set_stream(index as u64 + 1);
    rng.next_u64()
}

/// A hyper-parameter search: where configurations come from, how many
/// epochs each trial gets, and how trials are cut (see [`Search::run`]).
///
/// The defaults: a grid of 5 points per range, 10 epochs per trial, no
/// halving, seed 0, lower scores better, all cores.
///
/// ```
/// use gradgen_runtime::search::{Search, Space};
///
/// let space = Space::new()
///     .choice("optimizer", ["momentum", "adam"])
///     .log_uniform("learning_rate", 1e-4, 1.0);
/// let search = Search::new(space)
///     .random(27)
///     .successive_halving(3, 1)
///     .epochs(9)
///     .maximize()
///     .seed(42);
/// # let _ = search;
/// ```
#[derive(Clone, Debug)]
pub struct Search {
    space: Space,
    candidates: Candidates,
    halving: Option<Halving>,
    epochs: usize,
    goal: Goal,
    seed: u64,
    threads: Option<usize>,
}

impl Search {
    /// A search over `space` with the defaults.
    pub fn new(space: Space) -> Self {
        Search {
            space,
            candidates: Candidates::Grid { points: 5 },
            halving: None,
            epochs: 10,
            goal: Goal::Minimize,
            seed: 0,
            threads: None,
        }
    }

    /// Tries every combination, ranges at `points` values each.
    pub fn grid(mut self, points: usize) -> Self {
        self.candidates = Candidates::Grid { points };
        self
    }

    /// Tries `trials` configurations drawn at random.
    pub fn random(mut self, trials: usize) -> Self {
        self.candidates = Candidates::Random { trials };
        self
    }

    /// Cuts trials by successive halving: `min_epochs` for all, then the
    /// best `1/eta` continue to `eta` times the epochs, up to the search's
    /// [`epochs`](Search::epochs).
    ///
    /// # Panics
    ///
    /// When `eta < 2` or `min_epochs == 0`.
    pub fn successive_halving(mut self, eta: usize, min_epochs: usize) -> Self {
        assert!(eta >= 2, "successive halving needs eta >= 2, not {eta}");
        assert!(min_epochs > 0, "successive halving needs min_epochs >= 1");
        self.halving = Some(Halving { eta, min_epochs });
        self
    }

    /// The epochs each trial trains (with successive halving: the epochs
    /// of the trials that survive every round).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Higher scores are better (accuracy).
    pub fn maximize(mut self) -> Self {
        self.goal = Goal::Maximize;
        self
    }

    /// Lower scores are better (a loss; the default).
    pub fn minimize(mut self) -> Self {
        self.goal = Goal::Minimize;
        self
    }

    /// The seed random configurations and every trial's seed derive from.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Runs trials on `threads` threads rather than on all cores. The
    /// result is the same either way.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// The configurations this search tries, in trial order.
    pub fn configs(&self) -> Vec<Config> {
        match self.candidates {
            Candidates::Grid { points } => self.space.grid(points),
            Candidates::Random { trials } => {
                let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
                (0..trials).map(|_| self.space.sample(&mut rng)).collect()
            }
        }
    }

    /// Runs the search: makes trial `i` with `make(&config_i, trial_seed(seed, i))`,
    /// trains the trials in parallel, and returns the best with the report.
    ///
    /// Without halving every trial trains [`epochs`](Search::epochs) in one
    /// call. With halving, round `k` trains the trials still in to
    /// `min(min_epochs * eta^k, epochs)` epochs in all, then keeps the best
    /// `max(1, n / eta)` of its `n` trials, until a round reaches the
    /// budget; failed trials never go on.
    ///
    /// The report lists trials best first: those that reached a later round
    /// before those cut earlier, then by score, failed trials last, ties in
    /// trial order. Configurations and seeds depend only on the search, so
    /// the whole result is reproducible, whatever the number of threads.
    ///
    /// # Panics
    ///
    /// When there is no configuration to try (`random(0)`, or a grid of 0
    /// points over a range), when the thread pool can't be started, or
    /// when a trial panics.
    pub fn run<T, F>(&self, make: F) -> SearchResult<T>
    where
        T: Trial,
        F: Fn(&Config, u64) -> T + Sync,
    {
        match self.threads {
            None => self.run_here(&make),
            Some(threads) => rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("could not start the search's threads")
                .install(|| self.run_here(&make)),
        }
    }

    fn run_here<T, F>(&self, make: &F) -> SearchResult<T>
    where
        T: Trial,
        F: Fn(&Config, u64) -> T + Sync,
    {
        let configs = self.configs();
        assert!(
            !configs.is_empty(),
            "the search has no configuration to try"
        );
        let mut slots: Vec<Slot<T>> = configs
            .into_par_iter()
            .enumerate()
            .map(|(index, config)| {
                let seed = trial_seed(self.seed, index);
                Slot {
                    trial: make(&config, seed),
                    record: TrialRecord {
                        index,
                        seed,
                        config,
                        epochs: 0,
                        score: f64::NAN,
                        rounds: Vec::new(),
                    },
                }
            })
            .collect();

        let rank = |a: &TrialRecord, b: &TrialRecord| report::rank(self.goal, a, b);
        let eta = self.halving.map_or(1, |h| h.eta);
        let mut alive: Vec<usize> = (0..slots.len()).collect();
        for (round, budget) in self.budgets().into_iter().enumerate() {
            if round > 0 {
                // Keep the best 1/eta of the round, never a failed trial.
                alive.sort_by(|&a, &b| rank(&slots[a].record, &slots[b].record));
                let finished = alive.iter().filter(|&&i| !slots[i].record.failed()).count();
                alive.truncate((alive.len() / eta).max(1).min(finished));
                alive.sort_unstable();
            }
            let mut running: Vec<&mut Slot<T>> = slots
                .iter_mut()
                .enumerate()
                .filter(|(i, _)| alive.binary_search(i).is_ok())
                .map(|(_, slot)| slot)
                .collect();
            running
                .par_iter_mut()
                .for_each(|slot| slot.train_to(budget));
        }

        let (mut trials, mut records): (Vec<T>, Vec<TrialRecord>) = slots
            .into_iter()
            .map(|slot| (slot.trial, slot.record))
            .unzip();
        records.sort_by(rank);
        let best = trials.swap_remove(records[0].index);
        SearchResult {
            best,
            config: records[0].config.clone(),
            report: Report {
                goal: self.goal,
                dimensions: self
                    .space
                    .dimensions()
                    .iter()
                    .map(|d| d.name.clone())
                    .collect(),
                records,
            },
        }
    }

    /// The epochs in all at the end of each round.
    fn budgets(&self) -> Vec<usize> {
        let Some(Halving { eta, min_epochs }) = self.halving else {
            return vec![self.epochs];
        };
        let mut budgets = Vec::new();
        let mut budget = min_epochs.min(self.epochs);
        loop {
            budgets.push(budget);
            if budget >= self.epochs {
                return budgets;
            }
            budget = budget.saturating_mul(eta).min(self.epochs);
        }
    }
}

/// A trial with its line of the report.
struct Slot<T> {
    trial: T,
    record: TrialRecord,
}

impl<T: Trial> Slot<T> {
    fn train_to(&mut self, budget: usize) {
        let score = self.trial.run(budget - self.record.epochs);
        self.record.epochs = budget;
        self.record.score = score;
        self.record.rounds.push(score);
    }
}
