use gradgen::prelude::*;

#[differentiable]
fn rounded(w: f64) -> f64 {
    match w {
        v if v > 0.0 => v * 2.0,
        _ => w,
    }
}

fn main() {}
