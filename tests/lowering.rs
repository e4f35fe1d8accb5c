//! Forms of the body that lowering must keep exactly as the user meant them.

use gradgen::prelude::*;

/// A typed tuple `let` with an active and a constant element: the constant
/// keeps the written type (it is not a bare literal of unknown float type).
#[differentiable]
fn typed_tuple(x: f64) -> f64 {
    let (a, b): (f64, f64) = (x, 0.5);
    a * b.cos()
}

#[test]
fn typed_tuple_constants_keep_their_type() {
    for x in [-1.0, 0.0, 2.5] {
        let (value, d) = typed_tuple_grad(x);
        assert_eq!(value, x * 0.5f64.cos());
        assert_eq!(d, 0.5f64.cos());
    }
}

/// A shape query cast to a float is a constant, even inline.
#[differentiable]
fn mean_by_hand(a: &gradgen::ndarray::Array1<f64>) -> f64 {
    a.sum() / a.len() as f64
}

#[test]
fn shape_queries_cast_to_floats_are_constants() {
    let a = gradgen::ndarray::array![1.0, 2.0, 6.0];
    let (value, d) = mean_by_hand_grad(&a);
    assert_eq!(value, 3.0);
    assert_eq!(d, gradgen::ndarray::Array1::from_elem(3, 1.0 / 3.0));
}
