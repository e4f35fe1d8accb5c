//! Shadowing, reassignment, compound assignment, constants and tuples.

const SCALE: f64 = 0.5;

#[differentiable]
fn shadowing(x: f64, y: f64, n: usize) -> f64 {
    let k = n as f64 * SCALE;
    let mut acc = x * y;
    acc += x.sin();
    acc *= k;
    let x = x * x;
    let (a, b) = (acc, x.atan2(y));
    a / b + std::f64::consts::PI
}
