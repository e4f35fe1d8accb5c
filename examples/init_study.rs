//! The lecture's initialisation experiment: how the variance of the weights
//! decides whether a deep ReLU network's signals vanish, stay level or
//! explode, forward and backward.
//!
//! ```text
//! cargo run --release --example init_study [OUTPUT_DIR]
//! ```
//!
//! The network has `K = 50` layers of width `D = 100`, in the lecture's
//! column-vector form: `f_1 = beta_0 + Omega_0 x`, then
//! `f_{k+1} = beta_k + Omega_k a[f_k]` with ReLU `a`, zero biases, and
//! weights drawn from `N(0, sigma^2)` for three variances: `1e-5`, He's
//! `2/D` and `1e5`. A batch of 1000 inputs with elements from `N(0, 1)`
//! goes through each network. The program prints, per layer, the standard
//! deviation (over the batch and the units) of the pre-activations `f_k`
//! and of the gradients `dL/df_k`, and plots both on a log scale:
//! `OUTPUT_DIR/forward.{png,svg}` and `OUTPUT_DIR/backward.{png,svg}`
//! (default `runs/init_study/`).
//!
//! A ReLU zeroes half of its inputs, so each layer multiplies the variance
//! of the pre-activations by `D * sigma^2 / 2`: by `5e-4` (vanishing), by
//! `1` for He's `sigma^2 = 2/D` (level), by `5e6` (exploding). The backward
//! pass multiplies by the same factor per layer, in the other direction.
//!
//! The loss is linear in the output, `L = sum_ij y_ij f_Kij` with fixed
//! `y_ij` from `N(0, 1)`, so `dL/df_K = y` starts every backward pass at
//! standard deviation 1 and the curves show what the backward pass itself
//! does. (A sum of squares would start it at `2 f_K`, carrying the forward
//! explosion into the backward pass: about `1e168 * 1e164`, more than an
//! `f64` holds.)
//!
//! The backward pass is the lecture's backpropagation, written out:
//! `dL/dh_k = Omega_k^T dL/df_{k+1}` and `dL/df_k = a'[f_k] * dL/dh_k`.

use std::error::Error;
use std::path::{Path, PathBuf};

use gradgen::init::{Init, Initializer};
use gradgen::ndarray::{Array1, Array2, Axis};
use gradgen::plot::LineChart;
use gradgen::prelude::*;

/// The number of layers (weight matrices).
const DEPTH: usize = 50;
/// The width of every layer, and of the input.
const WIDTH: usize = 100;
/// The number of inputs in the batch.
const BATCH: usize = 1000;

/// One layer, `f = beta + Omega h`; `omega` is stored `[out][in]`.
#[derive(Parameters, Clone, Debug)]
struct Layer {
    omega: Array2<f64>,
    beta: Array1<f64>,
}

/// `DEPTH` layers of `WIDTH` by `WIDTH`, biases zero, weights from
/// `N(0, variance)`.
fn network(variance: f64, seed: u64) -> Vec<Layer> {
    let layer = Layer {
        omega: Array2::zeros((WIDTH, WIDTH)),
        beta: Array1::zeros(WIDTH),
    };
    let mut layers = vec![layer; DEPTH];
    let weights = Init::Normal {
        mean: 0.0,
        std: variance.sqrt(),
    };
    Initializer::new(weights)
        .biases(Init::Zeros)
        .apply(&mut layers, seed);
    layers
}

/// A `WIDTH` by `BATCH` matrix with elements from `N(0, 1)`: one input (or
/// one output adjoint) per column.
fn standard_normal(seed: u64) -> Array2<f64> {
    let mut values = vec![0.0; WIDTH * BATCH];
    Init::Normal {
        mean: 0.0,
        std: 1.0,
    }
    .apply(&mut values, seed);
    Array2::from_shape_vec((WIDTH, BATCH), values).expect("WIDTH * BATCH values")
}

/// The standard deviation of all elements, computed on the elements scaled
/// by the largest magnitude: the exploding network's values near `1e168`
/// have squares beyond what an `f64` holds.
fn std(a: &Array2<f64>) -> f64 {
    let scale = a.fold(0.0, |m: f64, x| m.max(x.abs()));
    if scale == 0.0 {
        return 0.0;
    }
    (a / scale).std(0.0) * scale
}

/// The per-layer standard deviations of the pre-activations `f_1..f_K`
/// and of the gradients `dL/df_1..dL/df_K` for `L = sum(y * f_K)`.
fn study(layers: &[Layer], x: &Array2<f64>, y: &Array2<f64>) -> (Vec<f64>, Vec<f64>) {
    // Forward: keep every pre-activation, the backward pass needs them.
    let mut fs: Vec<Array2<f64>> = Vec::with_capacity(layers.len());
    for (k, layer) in layers.iter().enumerate() {
        let weighted = match k {
            0 => layer.omega.dot(x),
            _ => layer.omega.dot(&fs[k - 1].mapv(|f| f.max(0.0))),
        };
        fs.push(weighted + layer.beta.view().insert_axis(Axis(1)));
    }
    // Backward: dL/df_K = y, then through each layer's weights and ReLU.
    // d_fs is filled from the last layer down, then put in layer order.
    let mut d_fs = vec![y.clone()];
    for k in (1..layers.len()).rev() {
        let d_h = layers[k].omega.t().dot(&d_fs[d_fs.len() - 1]);
        let d_f = d_h * fs[k - 1].mapv(|f| if f > 0.0 { 1.0 } else { 0.0 });
        d_fs.push(d_f);
    }
    d_fs.reverse();
    (fs.iter().map(std).collect(), d_fs.iter().map(std).collect())
}

/// The three variances and their legend labels.
fn cases() -> [(f64, String); 3] {
    let he = 2.0 / WIDTH as f64;
    [
        (1e-5, "σ² = 1e-5: vanishing".to_string()),
        (he, format!("σ² = 2/D = {he} (He): level")),
        (1e5, "σ² = 1e5: exploding".to_string()),
    ]
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("runs/init_study"), PathBuf::from);
    std::fs::create_dir_all(&out)?;

    let x = standard_normal(1);
    let y = standard_normal(2);
    let mut forward = Vec::new();
    let mut backward = Vec::new();
    for (variance, _) in cases() {
        let layers = network(variance, 3);
        let (f, d_f) = study(&layers, &x, &y);
        forward.push(f);
        backward.push(d_f);
    }

    print_table(&forward, &backward);
    plot(
        &out,
        "forward",
        &format!("Forward pass: pre-activations of {DEPTH} ReLU layers of width {WIDTH}"),
        "standard deviation of f_k",
        &forward,
    )?;
    plot(
        &out,
        "backward",
        &format!("Backward pass: gradients through {DEPTH} ReLU layers of width {WIDTH}"),
        "standard deviation of dL/df_k",
        &backward,
    )?;
    println!(
        "\nwrote {}/forward.{{png,svg}} and {}/backward.{{png,svg}}",
        out.display(),
        out.display()
    );
    Ok(())
}

/// Prints the standard deviations at every tenth layer.
fn print_table(forward: &[Vec<f64>], backward: &[Vec<f64>]) {
    println!(
        "{DEPTH} ReLU layers of width {WIDTH}, zero biases, weights N(0, sigma^2), {BATCH} inputs from N(0, 1)"
    );
    println!("standard deviation per layer k: of the pre-activations f_k, and of dL/df_k\n");
    let names = ["1e-5", "2/D (He)", "1e5"];
    print!("{:>5}", "k");
    for name in names {
        print!(" {:>12}", format!("f: {name}"));
    }
    for name in names {
        print!(" {:>13}", format!("dL/df: {name}"));
    }
    println!();
    let mut rows: Vec<usize> = (0..DEPTH).step_by(10).collect();
    rows.push(DEPTH - 1);
    rows.dedup();
    for k in rows {
        print!("{:>5}", k + 1);
        for case in forward {
            print!(" {:>12.3e}", case[k]);
        }
        for case in backward {
            print!(" {:>13.3e}", case[k]);
        }
        println!();
    }
}

/// Draws one curve per variance over the layers, on a log axis, as PNG and SVG.
fn plot(
    out: &Path,
    name: &str,
    title: &str,
    y_label: &str,
    curves: &[Vec<f64>],
) -> Result<(), Box<dyn Error>> {
    let mut chart = LineChart::new(title)
        .x_label("layer k")
        .y_label(y_label)
        .log_y(true)
        .size(1000, 700);
    for ((_, label), ys) in cases().iter().zip(curves) {
        chart = chart.series(label.as_str(), ys);
    }
    for ext in ["png", "svg"] {
        chart.save(out.join(format!("{name}.{ext}")))?;
    }
    Ok(())
}
