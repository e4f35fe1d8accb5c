use gradgen::prelude::*;

#[differentiable]
fn halve_until_small(w: f64) -> f64 {
    let mut y = w;
    while y > 1.0 {
        y /= 2.0;
        if y < 0.1 {
            break;
        }
    }
    y
}

fn main() {}
