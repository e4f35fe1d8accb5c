//! A hyper-parameter search on a small real problem: softmax regression on
//! Fisher's iris data.
//!
//! ```text
//! cargo run --release --example hyper_search [OUTPUT_DIR]
//! ```
//!
//! The data are split 60/20/20 into train, validation and test sets and
//! standardised with the training statistics. The search draws 81
//! configurations of optimizer (plain gradient descent, momentum, Adam),
//! learning rate (log-uniform), batch size, momentum and learning-rate
//! schedule, and cuts them by successive halving: every trial trains one
//! epoch, the best third go on to 3 epochs in all, then 9, then 27. Trials
//! run in parallel on all cores. The results table (best first, by
//! validation cross-entropy) is printed and written to
//! `OUTPUT_DIR/results.csv` (default `runs/hyper_search/`); the best trial's
//! parameters are then scored on the test set.
//!
//! The gradient of the cross-entropy is written out by hand.

use std::error::Error;
use std::path::PathBuf;

use gradgen::data::{BatchSampler, CsvOptions, Dataset};
use gradgen::ndarray::{Array1, Array2, ArrayView2, Axis};
use gradgen::optim::{Adam, AdamState, Momentum, MomentumState, Optimizer, Sgd};
use gradgen::prelude::*;
use gradgen::schedule::{Constant, Cosine, Schedule};
use gradgen::search::{Config, Search, Space, Trial};

/// Softmax regression: class scores `x W + b`, with `W` stored row-major,
/// one row per feature and one column per class.
#[derive(Parameters, Clone, Debug)]
struct Softmax {
    w: Vec<f64>,
    b: Vec<f64>,
}

impl Softmax {
    fn zeros(features: usize, classes: usize) -> Self {
        Softmax {
            w: vec![0.0; features * classes],
            b: vec![0.0; classes],
        }
    }

    fn classes(&self) -> usize {
        self.b.len()
    }

    /// Class probabilities, one row per example.
    fn probabilities(&self, x: &Array2<f64>) -> Array2<f64> {
        let w = ArrayView2::from_shape((x.ncols(), self.classes()), &self.w)
            .expect("w holds features x classes weights");
        let mut scores = x.dot(&w) + &Array1::from(self.b.clone());
        for mut row in scores.rows_mut() {
            let max = row.fold(f64::NEG_INFINITY, |m, &s| m.max(s));
            row.mapv_inplace(|s| (s - max).exp());
            let total = row.sum();
            row /= total;
        }
        scores
    }

    /// Mean cross-entropy of the labels `y`.
    fn loss(&self, data: &Dataset) -> f64 {
        let p = self.probabilities(data.features());
        let total: f64 = data
            .targets()
            .iter()
            .enumerate()
            .map(|(i, &y)| -p[[i, y]].ln())
            .sum();
        total / data.len() as f64
    }

    /// The mean cross-entropy and its gradient: with probabilities `P` and
    /// one-hot labels `Y`, `dL/dscores = (P - Y) / n`, so
    /// `dL/dW = x^T (P - Y) / n` and `dL/db` sums `(P - Y) / n` over examples.
    fn loss_grad(&self, data: &Dataset) -> (f64, Softmax) {
        let n = data.len() as f64;
        let mut d_scores = self.probabilities(data.features());
        let mut loss = 0.0;
        for (i, &y) in data.targets().iter().enumerate() {
            loss -= d_scores[[i, y]].ln();
            d_scores[[i, y]] -= 1.0;
        }
        d_scores /= n;
        let d_w = data.features().t().dot(&d_scores);
        let d_b = d_scores.sum_axis(Axis(0));
        let grad = Softmax {
            w: d_w.iter().copied().collect(),
            b: d_b.to_vec(),
        };
        (loss / n, grad)
    }

    fn accuracy(&self, data: &Dataset) -> f64 {
        let p = self.probabilities(data.features());
        let correct = p
            .rows()
            .into_iter()
            .zip(data.targets())
            .filter(|(row, y)| {
                let predicted = row
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(class, _)| class);
                predicted == Some(**y)
            })
            .count();
        correct as f64 / data.len() as f64
    }
}

/// The update rule a configuration names, with its state.
enum Rule {
    Sgd(Sgd),
    Momentum(Momentum, MomentumState<Softmax>),
    Adam(Adam, AdamState<Softmax>),
}

impl Rule {
    fn new(config: &Config, params: &Softmax) -> Self {
        let lr = config.float("learning_rate");
        match config.text("optimizer") {
            "sgd" => Rule::Sgd(Sgd { lr }),
            "momentum" => {
                let momentum = Momentum {
                    lr,
                    beta: config.float("momentum"),
                    ..Momentum::default()
                };
                let state = momentum.init(params);
                Rule::Momentum(momentum, state)
            }
            "adam" => {
                let adam = Adam {
                    lr,
                    ..Adam::default()
                };
                let state = adam.init(params);
                Rule::Adam(adam, state)
            }
            other => panic!("no optimizer {other:?} in this example"),
        }
    }

    fn step(&mut self, lr: f64, params: &mut Softmax, grad: Softmax) {
        match self {
            Rule::Sgd(sgd) => {
                sgd.lr = lr;
                sgd.step(&mut (), params, grad);
            }
            Rule::Momentum(momentum, state) => {
                momentum.lr = lr;
                momentum.step(state, params, grad);
            }
            Rule::Adam(adam, state) => {
                adam.lr = lr;
                adam.step(state, params, grad);
            }
        }
    }
}

/// One configuration in training: continued by each `run`.
struct IrisTrial<'a> {
    train: &'a Dataset,
    validation: &'a Dataset,
    params: Softmax,
    rule: Rule,
    lr0: f64,
    schedule: Box<dyn Schedule + Send + Sync>,
    sampler: BatchSampler,
    batch: Dataset,
}

impl<'a> IrisTrial<'a> {
    fn new(
        config: &Config,
        seed: u64,
        train: &'a Dataset,
        validation: &'a Dataset,
        classes: usize,
        max_epochs: usize,
    ) -> Self {
        let params = Softmax::zeros(train.num_features(), classes);
        let schedule: Box<dyn Schedule + Send + Sync> = match config.text("schedule") {
            "constant" => Box::new(Constant),
            "cosine" => Box::new(Cosine {
                period: max_epochs,
                min_lr: 0.0,
            }),
            other => panic!("no schedule {other:?} in this example"),
        };
        IrisTrial {
            train,
            validation,
            rule: Rule::new(config, &params),
            params,
            lr0: config.float("learning_rate"),
            schedule,
            sampler: BatchSampler::new(train.len(), config.usize("batch_size"), seed),
            batch: Dataset::default(),
        }
    }
}

impl Trial for IrisTrial<'_> {
    fn run(&mut self, epochs: usize) -> f64 {
        for _ in 0..epochs {
            let lr = self.schedule.lr(self.lr0, self.sampler.epoch() as usize);
            while let Some(rows) = self.sampler.next_batch() {
                self.train.select_into(rows, &mut self.batch);
                let (loss, grad) = self.params.loss_grad(&self.batch);
                if !loss.is_finite() || !grad.all_finite() {
                    return f64::NAN;
                }
                self.rule.step(lr, &mut self.params, grad);
            }
        }
        self.params.loss(self.validation)
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("runs/hyper_search"), PathBuf::from);
    std::fs::create_dir_all(&out)?;

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/iris.csv");
    let iris: Dataset = Dataset::from_csv(path, &CsvOptions::new().header(true))?;
    let classes = iris.num_classes();
    let mut splits = iris.split(0.2, 0.2, 0)?;
    splits.standardize();
    println!(
        "iris: {} examples, {} features, {} classes; {} train, {} validation, {} test",
        iris.len(),
        iris.num_features(),
        classes,
        splits.train.len(),
        splits.validation.len(),
        splits.test.len()
    );

    let space = Space::new()
        .choice("optimizer", ["sgd", "momentum", "adam"])
        .log_uniform("learning_rate", 1e-3, 3.0)
        .choice("batch_size", [4, 16, 64])
        .uniform("momentum", 0.5, 0.95)
        .choice("schedule", ["constant", "cosine"]);
    let max_epochs = 27;
    let search = Search::new(space)
        .random(81)
        .successive_halving(3, 1)
        .epochs(max_epochs)
        .seed(2024);
    let (train, validation) = (&splits.train, &splits.validation);
    let result = search.run(|config: &Config, seed| {
        IrisTrial::new(config, seed, train, validation, classes, max_epochs)
    });

    let table = result.report.to_string();
    let shown = 20;
    println!(
        "\nthe best {shown} of {} trials:",
        result.report.records().len()
    );
    for line in table.lines().take(shown + 1) {
        println!("{line}");
    }
    let csv = out.join("results.csv");
    result.report.write_csv(&csv)?;
    println!("(all trials in {})", csv.display());

    let best = &result.best.params;
    println!("\nbest: {}", result.config);
    println!(
        "validation cross-entropy {:.4}, accuracy {:.1} %; test accuracy {:.1} %",
        best.loss(&splits.validation),
        100.0 * best.accuracy(&splits.validation),
        100.0 * best.accuracy(&splits.test)
    );
    Ok(())
}
