use gradgen::prelude::*;

struct Settings {
    scale: f64,
}

#[differentiable]
fn loss(w: f64, settings: &Settings) -> f64 {
    w * settings.scale
}

fn main() {}
