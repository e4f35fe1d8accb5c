use gradgen::prelude::*;

#[differentiable(wrt(w, k))]
fn loss(w: f64, k: i32) -> f64 {
    w.powi(k)
}

fn main() {}
