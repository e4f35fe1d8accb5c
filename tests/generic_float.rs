//! A function generic over the float type differentiates once for every
//! type it is used with.

use gradgen::prelude::*;

#[differentiable]
fn wave<T: Real>(x: T, a: T) -> T {
    a * x.sin() + x * x
}

#[test]
fn generic_functions_differentiate_in_both_precisions() {
    for x in [-1.3, 0.0, 0.4, 2.0] {
        let a = 0.7;
        let (value, (d_x, d_a)) = wave_grad(x, a);
        assert_eq!(value, a * f64::sin(x) + x * x);
        assert!((d_x - (a * f64::cos(x) + 2.0 * x)).abs() < 1e-12);
        assert!((d_a - f64::sin(x)).abs() < 1e-12);

        let (x32, a32) = (x as f32, a as f32);
        let (_, (d_x32, d_a32)) = wave_grad(x32, a32);
        assert!((d_x32 - (a32 * x32.cos() + 2.0 * x32)).abs() < 1e-5);
        assert!((d_a32 - x32.sin()).abs() < 1e-6);
    }
}
