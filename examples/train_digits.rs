//! The main job: the lecture's network — three hidden ReLU layers,
//! `h1 = a[beta0 + Omega0 x]`, `h2 = a[beta1 + Omega1 h1]`,
//! `h3 = a[beta2 + Omega2 h2]`, `f = beta3 + Omega3 h3` — trained on the
//! handwritten digits (8x8 images, 10 classes) with the gradient that
//! `#[differentiable]` generates.
//!
//! Minibatch Adam with a step schedule, He initialisation, seeded. 25 % of
//! the images are held out as a test set and 10 % of the rest for
//! validation. Prints per-epoch loss and accuracy (a progress bar on a
//! terminal), the final test accuracy, and writes a loss/accuracy plot and a
//! checkpoint to the output directory.
//!
//! ```text
//! cargo run --release --example train_digits -- --help
//! ```
//!
//! A CSV of your own (features, then an integer label, no header; gzip'd or
//! not) works with `--data`.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use gradgen::data::{CsvOptions, Dataset};
use gradgen::init::{Init, Initializer};
use gradgen::ndarray::{Array1, Array2, Axis};
use gradgen::optim::{Adam, Momentum, Optimizer, Sgd};
use gradgen::plot::LineChart;
use gradgen::prelude::*;
use gradgen::schedule::StepDecay;
use gradgen::train::{Checkpoints, Evaluation, Progress, Run, Trainer};

/// The network's weights `[out][in]` and biases, as in the lecture.
#[derive(Parameters, Clone, Debug)]
struct Mlp {
    omega0: Array2<f64>,
    beta0: Array1<f64>,
    omega1: Array2<f64>,
    beta1: Array1<f64>,
    omega2: Array2<f64>,
    beta2: Array1<f64>,
    omega3: Array2<f64>,
    beta3: Array1<f64>,
}

impl Mlp {
    /// He-initialised weights, zero biases.
    fn new(inputs: usize, hidden: usize, outputs: usize, seed: u64) -> Self {
        let mut mlp = Mlp {
            omega0: Array2::zeros((hidden, inputs)),
            beta0: Array1::zeros(hidden),
            omega1: Array2::zeros((hidden, hidden)),
            beta1: Array1::zeros(hidden),
            omega2: Array2::zeros((hidden, hidden)),
            beta2: Array1::zeros(hidden),
            omega3: Array2::zeros((outputs, hidden)),
            beta3: Array1::zeros(outputs),
        };
        Initializer::new(Init::HeNormal).apply(&mut mlp, seed);
        mlp
    }
}

/// The network's output for a batch, one example per row (`F = X W^T + b`
/// is the lecture's `f = beta + Omega x` for every row at once).
fn forward(p: &Mlp, x: &Array2<f64>) -> Array2<f64> {
    let h1 = relu(&(x.dot(&p.omega0.t()) + &p.beta0));
    let h2 = relu(&(h1.dot(&p.omega1.t()) + &p.beta1));
    let h3 = relu(&(h2.dot(&p.omega2.t()) + &p.beta2));
    h3.dot(&p.omega3.t()) + &p.beta3
}

/// The mean softmax cross-entropy of a batch; `#[differentiable]` writes
/// `loss_grad`, its backward pass.
#[differentiable(wrt(p))]
fn loss(p: &Mlp, x: &Array2<f64>, labels: &[usize]) -> f64 {
    let f0 = x.dot(&p.omega0.t()) + &p.beta0;
    let h1 = relu(&f0);
    let f1 = h1.dot(&p.omega1.t()) + &p.beta1;
    let h2 = relu(&f1);
    let f2 = h2.dot(&p.omega2.t()) + &p.beta2;
    let h3 = relu(&f2);
    let f3 = h3.dot(&p.omega3.t()) + &p.beta3;
    softmax_cross_entropy(&f3, labels) / labels.len() as f64
}

/// The share of examples whose largest output is their label.
fn accuracy(p: &Mlp, data: &Dataset) -> f64 {
    let outputs = forward(p, data.features());
    let correct = outputs
        .axis_iter(Axis(0))
        .zip(data.targets())
        .filter(|(row, label)| {
            let best = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| i);
            best == Some(**label)
        })
        .count();
    correct as f64 / data.len() as f64
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OptimizerKind {
    Adam,
    Momentum,
    Sgd,
}

/// Train the lecture's three-hidden-layer ReLU network on handwritten digits.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Passes over the training data.
    #[arg(long, default_value_t = 40)]
    epochs: usize,
    /// Examples per minibatch.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// The learning rate (multiplied by 0.5 every 15 epochs).
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// The update rule.
    #[arg(long, value_enum, default_value_t = OptimizerKind::Adam)]
    optimizer: OptimizerKind,
    /// Units in each of the three hidden layers.
    #[arg(long, default_value_t = 256)]
    hidden: usize,
    /// Seeds the split, the initialisation and the minibatch order.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Features then an integer label per line; gzip'd or not.
    #[arg(long, default_value = "data/digits.csv.gz")]
    data: PathBuf,
    /// Where the plot and the checkpoint go.
    #[arg(long, default_value = "runs/train_digits")]
    out: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let started = Instant::now();
    let data = Dataset::from_csv(&args.data, &CsvOptions::new())?;
    let classes = data.num_classes();
    let mut splits = data.split(0.1, 0.25, args.seed)?;
    splits.standardize();
    let (train, validation, test) = (&splits.train, &splits.validation, &splits.test);
    println!(
        "{}: {} examples of {} features, {classes} classes; {} train, {} validation, {} test",
        args.data.display(),
        data.len(),
        data.num_features(),
        train.len(),
        validation.len(),
        test.len()
    );

    std::fs::create_dir_all(&args.out)?;
    let params = Mlp::new(data.num_features(), args.hidden, classes, args.seed);
    let trainer = Trainer {
        epochs: args.epochs,
        batch_size: args.batch_size,
        seed: args.seed,
        progress: Progress::Auto,
        checkpoints: Some(Checkpoints {
            path: args.out.join("checkpoint.json"),
            every: 10,
        }),
        ..Trainer::default()
    };
    let schedule = StepDecay {
        every: 15,
        factor: 0.5,
    };
    let lr = args.lr;
    let history = match args.optimizer {
        OptimizerKind::Adam => fit(
            trainer.start(
                params,
                Adam {
                    lr,
                    ..Adam::default()
                },
                schedule,
                train.len(),
            ),
            &splits,
        ),
        OptimizerKind::Momentum => fit(
            trainer.start(
                params,
                Momentum {
                    lr,
                    ..Momentum::default()
                },
                schedule,
                train.len(),
            ),
            &splits,
        ),
        OptimizerKind::Sgd => fit(
            trainer.start(params, Sgd { lr }, schedule, train.len()),
            &splits,
        ),
    }?;

    let (params, records) = history;
    let test_accuracy = accuracy(&params, test);
    println!(
        "test accuracy {:.2} % after {} epochs in {:.1} s",
        100.0 * test_accuracy,
        records.len(),
        started.elapsed().as_secs_f64()
    );

    let train_loss: Vec<f64> = records.iter().map(|r| r.0).collect();
    let val_loss: Vec<f64> = records.iter().map(|r| r.1).collect();
    let val_accuracy: Vec<f64> = records.iter().map(|r| 100.0 * r.2).collect();
    for ext in ["png", "svg"] {
        LineChart::loss_curves(&train_loss, Some(&val_loss))
            .title("Digits: mean cross-entropy per epoch")
            .log_y(true)
            .save(args.out.join(format!("loss.{ext}")))?;
        LineChart::new("Digits: validation accuracy per epoch")
            .x_label("epoch")
            .y_label("accuracy (%)")
            .series("validation", &val_accuracy)
            .save(args.out.join(format!("accuracy.{ext}")))?;
    }
    println!("plots and checkpoint in {}", args.out.display());
    Ok(())
}

/// Per-epoch (train loss, validation loss, validation accuracy).
type Records = Vec<(f64, f64, f64)>;

/// Trains a run to the end and returns its parameters and history.
fn fit<O: Optimizer<Mlp>>(
    mut run: Run<Mlp, O, StepDecay>,
    splits: &gradgen::data::Splits,
) -> Result<(Mlp, Records), Box<dyn Error>> {
    let (train, validation) = (&splits.train, &splits.validation);
    let mut batch = Dataset::default();
    run.fit(
        |p, b| {
            train.select_into(b.rows, &mut batch);
            let labels = batch.targets().as_slice().expect("labels are contiguous");
            loss_grad(p, batch.features(), labels)
        },
        |p| {
            let labels = validation
                .targets()
                .as_slice()
                .expect("labels are contiguous");
            let l = loss(p, validation.features(), labels);
            Evaluation::with_metric(l, accuracy(p, validation))
        },
    )?;
    let records = run
        .history
        .epochs
        .iter()
        .map(|r| {
            (
                r.train_loss,
                r.val_loss.unwrap_or(f64::NAN),
                r.val_metric.unwrap_or(f64::NAN),
            )
        })
        .collect();
    Ok((run.params, records))
}
