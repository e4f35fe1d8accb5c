use gradgen::prelude::*;

#[differentiable]
fn power(w: f64, n: usize) -> f64 {
    let mut y = 1.0;
    for _ in 0..n {
        y *= w;
    }
    y
}

fn main() {}
