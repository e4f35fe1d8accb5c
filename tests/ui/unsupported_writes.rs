use gradgen::ndarray::Array1;
use gradgen::prelude::*;

#[differentiable(wrt(w))]
fn into_argument(w: &Array1<f64>, mut v: Vec<f64>) -> f64 {
    v[0] = w[0] * 2.0;
    v[0]
}

#[differentiable]
fn nested(w: f64) -> f64 {
    let mut grid = vec![vec![0.0; 2]; 2];
    grid[0][1] = w * 2.0;
    grid[0][1]
}

fn main() {}
