use gradgen::prelude::*;

#[differentiable]
fn loss(w: f64, x: f64) -> f64 {
    let y = unsafe { std::ptr::read(&w) } * x;
    y.sin()
}

fn main() {}
