//! Hyper-parameter search on problems whose best configuration is known.

use std::collections::HashSet;
use std::path::PathBuf;

use gradgen_runtime::search::{Config, Domain, Search, Space, Trial, Value, trial_seed};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Gradient descent on f(x) = (x - 3)^2 from x = 0, one step per epoch.
/// Each step multiplies the error by (1 - 2 lr), so after E epochs the loss
/// is 9 (1 - 2 lr)^(2E): lr = 0.5 is exact after one step, and every budget
/// ranks learning rates the same way, by |1 - 2 lr|.
struct Descent {
    x: f64,
    learning_rate: f64,
    epochs: usize,
    seed: u64,
}

impl Trial for Descent {
    fn run(&mut self, epochs: usize) -> f64 {
        for _ in 0..epochs {
            self.x -= self.learning_rate * 2.0 * (self.x - 3.0);
        }
        self.epochs += epochs;
        let loss = (self.x - 3.0).powi(2);
        if loss > 1e6 { f64::NAN } else { loss }
    }
}

fn descent(config: &Config, seed: u64) -> Descent {
    Descent {
        x: 0.0,
        learning_rate: config.float("learning_rate"),
        epochs: 0,
        seed,
    }
}

fn closed_form(learning_rate: f64, epochs: usize) -> f64 {
    9.0 * (1.0 - 2.0 * learning_rate).powi(2 * epochs as i32)
}

fn rates(result: &gradgen_runtime::search::Report) -> Vec<f64> {
    result
        .records()
        .iter()
        .map(|r| r.config.float("learning_rate"))
        .collect()
}

#[test]
fn grid_search_finds_the_best_rate_and_sorts_the_table() {
    let space = Space::new().choice("learning_rate", [0.05, 0.2, 0.5, 0.9, 1.2]);
    let result = Search::new(space).epochs(4).run(descent);
    assert_eq!(result.config.float("learning_rate"), 0.5);
    assert_eq!(result.best.x, 3.0);
    assert_eq!(result.best.epochs, 4);
    assert_eq!(rates(&result.report), [0.5, 0.2, 0.9, 0.05, 1.2]);
    let scores: Vec<f64> = result.report.records().iter().map(|r| r.score).collect();
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{scores:?}");
    for record in result.report.records() {
        let expected = closed_form(record.config.float("learning_rate"), 4);
        assert!((record.score - expected).abs() <= 1e-12 * expected.max(1.0));
        assert_eq!(record.epochs, 4);
        assert_eq!(record.rounds, [record.score]);
    }
}

#[test]
fn maximizing_a_score_ranks_the_other_way() {
    struct Negated(Descent);
    impl Trial for Negated {
        fn run(&mut self, epochs: usize) -> f64 {
            -self.0.run(epochs)
        }
    }
    let space = Space::new().choice("learning_rate", [0.05, 0.2, 0.5, 0.9]);
    let result = Search::new(space)
        .epochs(3)
        .maximize()
        .run(|c: &Config, s| Negated(descent(c, s)));
    assert_eq!(rates(&result.report), [0.5, 0.2, 0.9, 0.05]);
}

#[test]
fn failed_trials_rank_last() {
    // lr = 2 and 3 blow up (the trial reports NaN); the rest are finite.
    let space = Space::new().choice("learning_rate", [3.0, 0.1, 2.0, 0.4]);
    let result = Search::new(space).epochs(20).run(descent);
    let records = result.report.records();
    assert_eq!(rates(&result.report), [0.4, 0.1, 3.0, 2.0]);
    assert!(!records[1].failed());
    assert!(records[2].failed() && records[3].failed());
    assert!(result.report.to_string().contains("failed"));
}

#[test]
fn a_grid_spreads_ranges_evenly_and_log_ranges_evenly_in_the_logarithm() {
    let log = Domain::LogUniform {
        low: 1e-4,
        high: 1.0,
    }
    .grid(5);
    let expected = [1e-4, 1e-3, 1e-2, 1e-1, 1.0];
    for (value, expected) in log.iter().zip(expected) {
        let Value::Float(x) = value else {
            panic!("{value:?}")
        };
        assert!((x / expected - 1.0).abs() < 1e-12, "{x} vs {expected}");
    }
    assert_eq!(
        Domain::Uniform {
            low: 0.0,
            high: 1.0
        }
        .grid(3),
        [Value::Float(0.0), Value::Float(0.5), Value::Float(1.0)]
    );
    assert_eq!(
        Domain::IntRange { low: 1, high: 3 }.grid(5),
        [Value::Int(1), Value::Int(2), Value::Int(3)]
    );
    let space = Space::new()
        .choice("optimizer", ["sgd", "adam"])
        .log_uniform("learning_rate", 1e-3, 1e-1)
        .int_range("batch_size", 8, 64);
    let grid = space.grid(3);
    assert_eq!(grid.len(), 2 * 3 * 3);
    let distinct: HashSet<String> = grid.iter().map(ToString::to_string).collect();
    assert_eq!(distinct.len(), grid.len());
    assert_eq!(
        grid[0].to_string(),
        "optimizer=sgd learning_rate=0.001 batch_size=8"
    );
    assert_eq!(grid[17].text("optimizer"), "adam");
}

#[test]
fn random_draws_stay_in_their_ranges_and_spread_over_the_logarithm() {
    let space = Space::new()
        .log_uniform("learning_rate", 1e-4, 1.0)
        .uniform("momentum", 0.5, 0.99)
        .int_range("layers", 1, 3)
        .choice("nesterov", [true, false]);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let configs: Vec<Config> = (0..4000).map(|_| space.sample(&mut rng)).collect();
    let mut per_decade = [0usize; 4];
    for config in &configs {
        let lr = config.float("learning_rate");
        assert!((1e-4..=1.0).contains(&lr));
        per_decade[((-lr.log10()).floor() as usize).min(3)] += 1;
        assert!((0.5..=0.99).contains(&config.float("momentum")));
        assert!((1..=3).contains(&config.int("layers")));
        config.flag("nesterov");
    }
    // Log-uniform: about a quarter of the draws in each decade.
    assert!(
        per_decade.iter().all(|&n| (800..1200).contains(&n)),
        "{per_decade:?}"
    );
    let layers: HashSet<i64> = configs.iter().map(|c| c.int("layers")).collect();
    assert_eq!(layers, HashSet::from([1, 2, 3]));
}

#[test]
fn random_search_is_reproducible_by_seed_and_seeds_each_trial() {
    let space = Space::new().log_uniform("learning_rate", 1e-3, 0.99);
    let search = Search::new(space).random(12).epochs(3).seed(11);
    let a = search.clone().run(descent);
    let b = search.clone().run(descent);
    assert_eq!(a.report, b.report);
    let other = search.seed(12).run(descent);
    assert_ne!(rates(&a.report), rates(&other.report));

    let seeds: HashSet<u64> = a.report.records().iter().map(|r| r.seed).collect();
    assert_eq!(seeds.len(), 12);
    for record in a.report.records() {
        assert_eq!(record.seed, trial_seed(11, record.index));
    }
    assert_eq!(a.best.seed, a.report.best().seed);
    // The best of the draws: the rate nearest 0.5.
    let nearest = rates(&a.report)
        .into_iter()
        .min_by(|x, y| (1.0 - 2.0 * x).abs().total_cmp(&(1.0 - 2.0 * y).abs()))
        .unwrap();
    assert_eq!(a.config.float("learning_rate"), nearest);
}

#[test]
fn the_result_does_not_depend_on_the_number_of_threads() {
    let space = Space::new().log_uniform("learning_rate", 1e-3, 0.99);
    let search = Search::new(space)
        .random(27)
        .successive_halving(3, 1)
        .epochs(9)
        .seed(3);
    let one = search.clone().threads(1).run(descent);
    let two = search.threads(2).run(descent);
    assert_eq!(one.report, two.report);
}

#[test]
fn successive_halving_keeps_the_best_third_and_continues_them() {
    let space = Space::new().log_uniform("learning_rate", 1e-3, 0.99);
    let search = Search::new(space)
        .random(27)
        .successive_halving(3, 1)
        .epochs(9)
        .seed(21);
    let configs = search.configs();
    let result = search.run(descent);
    let records = result.report.records();

    // Rounds of 1, 3 and 9 epochs in all, for 27, 9 and 3 trials.
    let count = |epochs| records.iter().filter(|r| r.epochs == epochs).count();
    assert_eq!((count(1), count(3), count(9)), (18, 6, 3));
    assert!(
        records[..3]
            .iter()
            .all(|r| r.epochs == 9 && r.rounds.len() == 3)
    );
    assert!(
        records[3..9]
            .iter()
            .all(|r| r.epochs == 3 && r.rounds.len() == 2)
    );

    // Survivors were continued, not restarted: their score after 9 epochs
    // in all is the closed form for 9 steps.
    for record in records {
        let expected = closed_form(record.config.float("learning_rate"), record.epochs);
        assert!((record.score - expected).abs() <= 1e-12 * expected.max(1.0));
    }
    assert_eq!(result.best.epochs, 9);

    // Every budget ranks rates alike here, so halving finds the best draw.
    let nearest = configs
        .iter()
        .map(|c| c.float("learning_rate"))
        .min_by(|x, y| (1.0 - 2.0 * x).abs().total_cmp(&(1.0 - 2.0 * y).abs()))
        .unwrap();
    assert_eq!(result.config.float("learning_rate"), nearest);
    // The survivors of each round are the best of the round before.
    let worst_kept = records[..9].iter().map(|r| r.rounds[0]).fold(0.0, f64::max);
    let best_cut = records[9..]
        .iter()
        .map(|r| r.rounds[0])
        .fold(f64::INFINITY, f64::min);
    assert!(worst_kept <= best_cut);
}

#[test]
fn halving_budgets_stop_at_the_epoch_limit() {
    // eta 2 from 3 epochs up to 10: rounds end at 3, 6 and 10 epochs.
    let space = Space::new().choice("learning_rate", [0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7]);
    let result = Search::new(space)
        .successive_halving(2, 3)
        .epochs(10)
        .run(descent);
    let epochs: Vec<usize> = result.report.records().iter().map(|r| r.epochs).collect();
    assert_eq!(epochs, [10, 10, 6, 6, 3, 3, 3, 3]);
    assert_eq!(result.best.epochs, 10);
}

#[test]
fn the_table_prints_and_writes_csv_best_first() {
    let space = Space::new()
        .choice("optimizer", ["gd"])
        .choice("learning_rate", [0.2, 0.5, 0.05]);
    let result = Search::new(space).epochs(2).run(descent);
    let table = result.report.to_string();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        "rank  trial  optimizer  learning_rate  epochs  score (lower is better)"
    );
    // Numbers right-aligned to four significant digits, text left-aligned.
    assert_eq!(
        lines[1],
        "   1      1  gd                0.5000       2                        0"
    );
    assert_eq!(
        lines[3],
        "   3      2  gd               0.05000       2                    5.905"
    );

    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("search-results.csv");
    result.report.write_csv(&path).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<&str> = written.lines().collect();
    assert_eq!(
        rows[0],
        "rank,trial,seed,optimizer,learning_rate,epochs,score"
    );
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1], format!("1,1,{},gd,0.5,2,0", trial_seed(0, 1)));
    assert!(rows[2].starts_with("2,0,"));
    assert!(rows[3].starts_with("3,2,"));
}

#[test]
#[should_panic(expected = "no dimension \"momentum\"")]
fn a_missing_dimension_names_itself() {
    Config::from_iter([("learning_rate", Value::from(0.1))]).float("momentum");
}

#[test]
#[should_panic(expected = "already has a dimension \"lr\"")]
fn dimension_names_are_unique() {
    let _ = Space::new()
        .uniform("lr", 0.0, 1.0)
        .log_uniform("lr", 0.1, 1.0);
}
