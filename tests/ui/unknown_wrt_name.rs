use gradgen::prelude::*;

#[differentiable(wrt(weight))]
fn loss(w: f64, x: f64) -> f64 {
    w * x
}

fn main() {}
