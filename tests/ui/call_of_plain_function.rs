use gradgen::prelude::*;

fn helper(v: f64) -> f64 {
    v * v
}

#[differentiable]
fn loss(w: f64, x: f64) -> f64 {
    helper(w * x)
}

fn main() {}
