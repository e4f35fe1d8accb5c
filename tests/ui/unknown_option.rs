use gradgen::prelude::*;

#[differentiable(with_respect_to(w))]
fn loss(w: f64) -> f64 {
    w * w
}

fn main() {}
