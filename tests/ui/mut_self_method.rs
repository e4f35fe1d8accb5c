use gradgen::prelude::*;

#[derive(Parameters, Clone, Debug)]
struct Model {
    w: f64,
}

impl Model {
    #[differentiable]
    fn loss(&mut self, x: f64) -> f64 {
        self.w * x
    }
}

fn main() {}
