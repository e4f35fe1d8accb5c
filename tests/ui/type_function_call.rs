use gradgen::prelude::*;

// A function of a type (`Box::new`) called on a value with a derivative.
#[differentiable]
fn boxed(x: f64, v: &Vec<f64>) -> f64 {
    let b = Box::new(v.clone());
    x * b[0]
}

fn main() {}
