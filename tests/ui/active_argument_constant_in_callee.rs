use gradgen::prelude::*;

#[differentiable(wrt(w))]
fn scaled(w: f64, x: f64) -> f64 {
    w * x
}

#[differentiable]
fn loss(w: f64, x: f64) -> f64 {
    scaled(w, x.sin())
}

fn main() {}
