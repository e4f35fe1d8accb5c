use gradgen::prelude::*;

#[differentiable(wrt(w))]
fn scaled(w: f64, factor: Option<f64>) -> f64 {
    match factor {
        Some(f) => w * f,
        None => w,
    }
}

fn main() {}
