use gradgen::prelude::*;

#[differentiable]
fn leaky(w: f64, k: u8) -> f64 {
    match k {
        0 => w,
        _ => 0.01 * w,
    }
}

fn main() {}
