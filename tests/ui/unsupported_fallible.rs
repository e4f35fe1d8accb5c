use gradgen::ndarray::Array1;
use gradgen::prelude::*;

// `?` in a function whose result is not an `Option` or `Result`.
#[differentiable]
fn question_mark(x: &Array1<f64>) -> f64 {
    x.mean()?
}

// `?` on an `Option` of an active value made some other way.
#[differentiable]
fn question_mark_on_option(x: f64) -> Option<f64> {
    let y = Some(x * 2.0);
    Some(y?)
}

// `mean()` without unwrapping it.
#[differentiable]
fn mean_kept(x: &Array1<f64>) -> Option<f64> {
    let m = x.mean();
    Some(m.unwrap_or(0.0) + x.sum())
}

fn main() {}
