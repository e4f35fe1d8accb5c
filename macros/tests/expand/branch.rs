//! An `if` on a value with a derivative: the forward pass runs the branch
//! taken; the backward pass runs it again with its own backward pass.

#[differentiable]
fn piecewise(x: f64, a: f64) -> f64 {
    let y = if x > 0.0 { a * x.ln_1p() } else { a * x * x };
    y + x
}
