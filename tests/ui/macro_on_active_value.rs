use gradgen::prelude::*;

macro_rules! square {
    ($v:expr) => {
        $v * $v
    };
}

#[differentiable]
fn loss(w: f64, x: f64) -> f64 {
    println!("w = {}", w);
    let y = square!(w * x);
    y.sin()
}

fn main() {}
