use gradgen::prelude::*;

trait Scale {
    fn scale(&self, x: f64) -> f64;
}

#[derive(Parameters, Clone)]
struct Factor {
    k: f64,
}

impl Scale for Factor {
    #[differentiable]
    fn scale(&self, x: f64) -> f64 {
        self.k * x
    }
}

fn main() {}
