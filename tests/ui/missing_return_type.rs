use gradgen::prelude::*;

#[differentiable]
fn loss(w: f64) {
    let _ = w * w;
}

fn main() {}
