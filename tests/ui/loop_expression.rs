use gradgen::prelude::*;

#[differentiable]
fn grow(w: f64) -> f64 {
    let mut y = w;
    loop {
        y *= 2.0;
        if y > 10.0 {
            break;
        }
    }
    y
}

fn main() {}
