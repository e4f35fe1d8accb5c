//! The lecture's pictures of optimizers, drawn on their loss surfaces.
//!
//! ```text
//! cargo run --release --example optimizers [OUTPUT_DIR]
//! ```
//!
//! Writes PNG and SVG files to `OUTPUT_DIR` (default `runs/optimizers/`):
//!
//! 1. `linear_regression_gd`: gradient descent on the loss of a straight-line
//!    fit, `L(phi) = sum_i (phi0 + phi1*x_i - y_i)^2`, over a small data set.
//! 2. `sgd_momentum`: stochastic gradient descent (minibatches of 3) without
//!    and with momentum, on the same surface.
//! 3. `momentum_nesterov`: momentum against Nesterov's look-ahead, full batch.
//! 4. `valley`: gradient descent, sign-normalised steps and Adam on a valley
//!    that is steep in one direction and flat in the other, and
//!    `valley_loss`: their losses per step.
//!
//! The updates are the runtime's optimizers in the lecture's forms; the
//! gradients are written out by hand.

use std::error::Error;
use std::path::{Path, PathBuf};

use gradgen::optim::{
    Adam, Momentum, MomentumForm, Nesterov, NesterovForm, NormalizedGradient, Optimizer, Sgd,
};
use gradgen::plot::{LineChart, Surface};

/// Parameters of the two-parameter models: `[phi0, phi1]`.
type Phi = [f64; 2];

/// A small data set for the straight-line fit `y = phi0 + phi1*x`.
const XS: [f64; 12] = [
    0.03, 0.19, 0.34, 0.46, 0.78, 0.81, 1.08, 1.18, 1.39, 1.60, 1.65, 1.90,
];
const YS: [f64; 12] = [
    0.67, 0.85, 1.05, 1.00, 1.40, 1.50, 1.30, 1.54, 1.55, 1.68, 1.73, 1.60,
];

/// The least-squares loss of the line over the samples `batch`, and its
/// gradient: `dL/dphi0 = 2 sum r_i`, `dL/dphi1 = 2 sum r_i x_i` with the
/// residual `r_i = phi0 + phi1*x_i - y_i`.
fn line_loss_grad(phi: &Phi, batch: &[usize]) -> (f64, Phi) {
    let mut loss = 0.0;
    let mut grad = [0.0, 0.0];
    for &i in batch {
        let r = phi[0] + phi[1] * XS[i] - YS[i];
        loss += r * r;
        grad[0] += 2.0 * r;
        grad[1] += 2.0 * r * XS[i];
    }
    (loss, grad)
}

/// The loss over the whole data set.
fn line_loss(phi0: f64, phi1: f64) -> f64 {
    let all: Vec<usize> = (0..XS.len()).collect();
    line_loss_grad(&[phi0, phi1], &all).0
}

/// The valley: flat along phi0, a hundred times steeper along phi1.
fn valley_loss_grad(phi: &Phi) -> (f64, Phi) {
    let loss = 0.5 * phi[0] * phi[0] + 50.0 * phi[1] * phi[1];
    (loss, [phi[0], 100.0 * phi[1]])
}

/// Runs `steps` steps of `optimizer` from `start`; returns every point
/// visited (start first) and the loss at each.
fn trajectory<O: Optimizer<Phi>>(
    optimizer: &O,
    start: Phi,
    steps: usize,
    mut grad: impl FnMut(usize, &Phi) -> (f64, Phi),
) -> (Vec<Phi>, Vec<f64>) {
    let mut phi = start;
    let mut state = optimizer.init(&phi);
    let mut path = vec![phi];
    for step in 0..steps {
        optimizer.step_with(&mut state, &mut phi, |p: &Phi| grad(step, p));
        path.push(phi);
    }
    let losses = path.iter().map(|p| grad(usize::MAX, p).0).collect();
    (path, losses)
}

/// Minibatches of `size` indices into the data, reshuffled every epoch with
/// a small seeded generator, so the run is the same every time.
fn minibatches(size: usize, steps: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut state = seed;
    let mut next = move || {
        // xorshift64*: plenty for choosing a data order.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut batches = Vec::new();
    while batches.len() < steps {
        let mut order: Vec<usize> = (0..XS.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        batches.extend(order.chunks(size).map(<[usize]>::to_vec));
    }
    batches.truncate(steps);
    batches
}

/// Saves a picture as PNG and SVG under `dir`, and says where.
fn save_both(
    dir: &Path,
    name: &str,
    save: impl Fn(&Path) -> Result<(), gradgen::plot::PlotError>,
) -> Result<(), Box<dyn Error>> {
    for ext in ["png", "svg"] {
        let path = dir.join(format!("{name}.{ext}"));
        save(&path)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("runs/optimizers"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;

    let all: Vec<usize> = (0..XS.len()).collect();
    let full_batch = |_: usize, p: &Phi| line_loss_grad(p, &all);
    let line_axes = ("intercept φ₀", "slope φ₁");
    let (phi0_range, phi1_range) = ((-0.5, 2.0), (-1.0, 2.0));
    let start = [1.8, -0.8];
    let minimum = least_squares();

    // 1. Gradient descent on the linear-regression loss.
    let gd = Sgd { lr: 0.02 };
    let (gd_path, _) = trajectory(&gd, start, 40, full_batch);
    save_both(&dir, "linear_regression_gd", |path| {
        Surface::new(line_loss, phi0_range, phi1_range)
            .title("Gradient descent on the least-squares loss")
            .axis_labels(line_axes.0, line_axes.1)
            .path("gradient descent, α = 0.02", &gd_path)
            .point("minimum", minimum)
            .save(path)
    })?;

    // 2. SGD without and with momentum, on minibatches of 3.
    let batches = minibatches(3, 48, 0x5eed);
    let minibatch = |step: usize, p: &Phi| match batches.get(step) {
        Some(batch) => line_loss_grad(p, batch),
        None => line_loss_grad(p, &all),
    };
    let sgd = Sgd { lr: 0.06 };
    let momentum = Momentum {
        lr: 0.06,
        beta: 0.9,
        form: MomentumForm::Lecture,
    };
    let (sgd_path, _) = trajectory(&sgd, start, 48, minibatch);
    let (momentum_path, _) = trajectory(&momentum, start, 48, minibatch);
    save_both(&dir, "sgd_momentum", |path| {
        Surface::new(line_loss, phi0_range, phi1_range)
            .title("Stochastic gradient descent, batches of 3")
            .axis_labels(line_axes.0, line_axes.1)
            .path("SGD, α = 0.06", &sgd_path)
            .path("SGD with momentum, β = 0.9", &momentum_path)
            .point("minimum", minimum)
            .save(path)
    })?;

    // 3. Momentum against Nesterov, full batch.
    let momentum = Momentum {
        lr: 0.1,
        beta: 0.9,
        form: MomentumForm::Lecture,
    };
    let nesterov = Nesterov {
        lr: 0.1,
        beta: 0.9,
        form: NesterovForm::Lecture,
    };
    let (momentum_path, _) = trajectory(&momentum, start, 40, full_batch);
    let (nesterov_path, _) = trajectory(&nesterov, start, 40, full_batch);
    save_both(&dir, "momentum_nesterov", |path| {
        Surface::new(line_loss, phi0_range, phi1_range)
            .title("Momentum and Nesterov momentum, α = 0.1, β = 0.9")
            .axis_labels(line_axes.0, line_axes.1)
            .path("momentum", &momentum_path)
            .path("Nesterov", &nesterov_path)
            .point("minimum", minimum)
            .save(path)
    })?;

    // 4. A valley steep in phi1, flat in phi0.
    let valley = |_: usize, p: &Phi| valley_loss_grad(p);
    let start = [-4.0, 0.7];
    let steps = 60;
    let (gd_path, gd_loss) = trajectory(&Sgd { lr: 0.019 }, start, steps, valley);
    let signs = NormalizedGradient {
        lr: 0.15,
        ..NormalizedGradient::default()
    };
    let (sign_path, sign_loss) = trajectory(&signs, start, steps, valley);
    let adam = Adam {
        lr: 0.15,
        ..Adam::default()
    };
    let (adam_path, adam_loss) = trajectory(&adam, start, steps, valley);
    save_both(&dir, "valley", |path| {
        Surface::new(|a, b| valley_loss_grad(&[a, b]).0, (-5.0, 5.0), (-1.0, 1.0))
            .title("A valley: L = φ₀²/2 + 50 φ₁², 60 steps each")
            .path("gradient descent, α = 0.019", &gd_path)
            .path("sign-normalised steps, α = 0.15", &sign_path)
            .path("Adam, α = 0.15", &adam_path)
            .point("minimum", [0.0, 0.0])
            .save(path)
    })?;
    save_both(&dir, "valley_loss", |path| {
        LineChart::new("Loss on the valley")
            .x_label("step")
            .y_label("loss")
            .log_y(true)
            .series_xy("gradient descent", &steps_axis(&gd_loss), &gd_loss)
            .series_xy("sign-normalised steps", &steps_axis(&sign_loss), &sign_loss)
            .series_xy("Adam", &steps_axis(&adam_loss), &adam_loss)
            .save(path)
    })?;
    Ok(())
}

/// Step numbers 0, 1, 2, ... for a list of losses (the start is step 0).
fn steps_axis(losses: &[f64]) -> Vec<f64> {
    (0..losses.len()).map(|s| s as f64).collect()
}

/// The exact minimum of the straight-line loss (the normal equations).
fn least_squares() -> Phi {
    let n = XS.len() as f64;
    let (sx, sy) = (XS.iter().sum::<f64>(), YS.iter().sum::<f64>());
    let sxx: f64 = XS.iter().map(|x| x * x).sum();
    let sxy: f64 = XS.iter().zip(&YS).map(|(x, y)| x * y).sum();
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    [(sy - slope * sx) / n, slope]
}
