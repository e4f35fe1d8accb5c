use gradgen::prelude::*;

#[differentiable]
fn total(w: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in w {
        s += v;
    }
    s
}

fn main() {}
