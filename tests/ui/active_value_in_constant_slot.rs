//! A caller of the composition entry point hands an adjoint to a callee that
//! treats the argument as a constant.
use gradgen::__private::{IntoSlot, NoGrad};
use gradgen::prelude::*;

#[differentiable(wrt(w))]
fn scaled(w: f64, x: f64) -> f64 {
    w * x
}

fn main() {
    let (w, x) = (2.0, 3.0);
    let (mut d_w, mut d_x) = (0.0, 0.0);
    let gradgen::__private::Dropped = scaled::reverse(
        w,
        x,
        1.0,
        IntoSlot::into_slot(&mut d_w),
        IntoSlot::into_slot(&mut d_x),
    );
    let _ = NoGrad;
}
