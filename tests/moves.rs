//! Arrays passed by value, moved as users write: into a call, into the
//! function itself; and elements of array arguments read by index.

use gradgen::ndarray::{Array1, Array2, array};
use gradgen::prelude::*;

#[differentiable]
fn sumsq(a: Array1<f64>) -> f64 {
    (&a * &a).sum()
}

#[differentiable(wrt(w))]
fn layer(w: &Array2<f64>, x: &Array1<f64>) -> f64 {
    // The pre-activation moved into relu, as the lecture writes it.
    let h = relu(w.dot(x) + 0.5);
    sumsq(h * 2.0)
}

#[differentiable]
fn elements(w: &Array1<f64>) -> f64 {
    w[0] * w[1] + w[2]
}

#[derive(Parameters, Clone, Debug)]
struct P {
    w: Array2<f64>,
    b: Array1<f64>,
}

#[differentiable(wrt(p))]
fn indexed(p: &P) -> f64 {
    p.w[[0, 1]] * 3.0 + p.b[1]
}

#[test]
fn owned_arrays_move_as_written() {
    let a = array![1.0, -2.0, 3.0];
    let (value, d) = sumsq_grad(a.clone());
    assert_eq!(value, 14.0);
    assert_eq!(d, &a * 2.0);

    let w = array![[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]];
    let x = array![1.0, 0.5, -2.0];
    let (value, d_w) = layer_grad(&w, &x);
    assert_eq!(value, layer(&w, &x));
    // value = sum (2 relu(w x + 0.5))^2: d w_ij = 8 relu(f_i) [f_i > 0] x_j.
    let f = w.dot(&x) + 0.5;
    let expected = Array2::from_shape_fn(
        (2, 3),
        |(i, j)| if f[i] > 0.0 { 8.0 * f[i] * x[j] } else { 0.0 },
    );
    assert_eq!(d_w, expected);
}

#[test]
fn elements_of_array_arguments_differentiate() {
    let w = array![2.0, 3.0, 4.0];
    assert_eq!(elements_grad(&w), (10.0, array![3.0, 2.0, 1.0]));
    let p = P {
        w: array![[1.0, 2.0], [3.0, 4.0]],
        b: array![0.5, 0.25],
    };
    let (value, g) = indexed_grad(&p);
    assert_eq!(value, 6.25);
    assert_eq!(g.w, array![[0.0, 3.0], [0.0, 0.0]]);
    assert_eq!(g.b, array![0.0, 1.0]);
}
