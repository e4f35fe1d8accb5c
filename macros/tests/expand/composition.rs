//! A differentiable function calling another: the callee's pullback adds
//! into the caller's adjoints in place.

#[differentiable]
fn square(x: f64) -> f64 {
    x * x
}

#[differentiable(wrt(p))]
fn chain(p: &Toy, x: f64) -> f64 {
    let h = square(p.beta[0] * x);
    let g = crate::square(h) + square(p.beta[1]);
    g * h
}
