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

// An `Option` made by a method of `bool`.
#[differentiable]
fn then_some(y: f64) -> Option<f64> {
    (y > 0.0).then_some(y)
}

// A borrowed error type whose lifetime is left to elision.
#[differentiable(wrt(x))]
fn tagged(x: f64, tag: &str) -> Result<f64, &str> {
    if x < 0.0 {
        return Err(tag);
    }
    Ok(x.sqrt())
}

// A result alias of another name is not recognised as an `Option` or `Result`.
type Fallible<T> = Result<T, String>;

#[differentiable]
fn aliased(x: f64) -> Fallible<f64> {
    Ok(x.sqrt())
}

fn main() {}
