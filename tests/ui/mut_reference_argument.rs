use gradgen::prelude::*;

#[differentiable(wrt(w))]
fn loss(w: f64, scale: &mut f64) -> f64 {
    w * *scale
}

fn main() {}
