use gradgen::prelude::*;

#[differentiable]
fn pair(x: f64) -> (f64, f64) {
    (x * 2.0, x.sin())
}

// A call's tuple, held in one variable, taken apart by a branch.
#[differentiable]
fn taken_apart(x: f64, c: bool) -> f64 {
    let t = if c { pair(x) } else { (x, 1.0) };
    t.0 * t.1
}

fn main() {}
