//! A `for` loop carrying a value from one iteration to the next: the
//! forward pass pushes each iteration's inputs; the backward pass pops them
//! and runs each iteration again with its own backward pass, last first.

#[differentiable]
fn running(w: &[f64], x: f64) -> f64 {
    let mut total = 0.0;
    for k in 0..w.len() {
        total += w[k] * x;
    }
    total
}
