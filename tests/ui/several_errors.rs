use gradgen::prelude::*;

#[differentiable]
fn loss(w: f64, x: f64) -> f64 {
    let (a, _) = w.sin_cos();
    let b = |v: f64| v * x;
    let _ = b;
    let c = unsafe { std::ptr::read(&w) };
    for _ in 0..3 {}
    a + c
}

fn main() {
    // The stand-ins keep the callers compiling: no second wave of errors.
    let _ = loss_grad(1.0, 2.0);
}
