use gradgen::prelude::*;

#[differentiable]
fn leaky(w: f64) -> f64 {
    if w > 0.0 { w } else { 0.01 * w }
}

fn main() {}
