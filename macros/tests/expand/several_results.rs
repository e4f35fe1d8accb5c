//! A tuple result: `_vjp` only, its pullback takes one adjoint per element.

#[differentiable]
fn polar(x: f32, y: f32) -> (f32, f32) {
    let r = x.hypot(y);
    (r, y.atan2(x))
}
