use gradgen::prelude::*;

#[differentiable]
fn loss(w: f64, x: f64) -> f64 {
    let square = |v: f64| v * v;
    square(w * x)
}

fn main() {}
