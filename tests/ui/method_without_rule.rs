use gradgen::prelude::*;

#[differentiable]
fn loss(w: f64, x: f64) -> f64 {
    let y = w * x;
    let (s, c) = y.sin_cos();
    s * c
}

fn main() {}
