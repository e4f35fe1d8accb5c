//! ndarray forms that select, reshape and join, differentiated as written and
//! checked against central differences.

use gradgen::ndarray::{Array1, Array2, Axis, array, concatenate, s, stack};
use gradgen::prelude::*;

mod common;
use common::{assert_close, central_array};

#[differentiable]
fn sliced(x: &Array2<f64>) -> f64 {
    let corner = x.slice(s![..2, 1..]);
    (&corner * &corner).sum() + x.sum()
}

#[differentiable]
fn reshaped(x: &Array1<f64>) -> f64 {
    let m = x.to_owned().into_shape_with_order((2, 3)).unwrap();
    let w = array![[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]];
    (&m * &m * &w).sum()
}

#[differentiable]
fn joined(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    let both = concatenate(Axis(0), &[a.view(), b.view()]).unwrap();
    let layers = stack(Axis(0), &[a.view(), a.view()]).unwrap();
    (&both * &both).sum() + layers.sum_axis(Axis(0)).mapv(f64::sin).sum()
}

#[test]
fn slices_differentiate() {
    let x = array![[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [3.0, 1.0, -2.0]];
    let (value, d) = sliced_grad(&x);
    assert_eq!(value, sliced(&x));
    assert_close(&d, &central_array(&x, sliced));
}

#[test]
fn reshapes_differentiate() {
    let x = array![0.5, -1.0, 2.0, 1.5, 0.25, -0.75];
    let (value, d) = reshaped_grad(&x);
    assert_eq!(value, reshaped(&x));
    assert_close(&d, &central_array(&x, reshaped));
}

#[test]
fn concatenation_and_stacking_differentiate() {
    let a = array![[0.5, -1.0], [2.0, 1.5]];
    let b = array![[0.25, -0.75], [3.0, 1.0], [-2.0, 0.1]];
    let (value, (d_a, d_b)) = joined_grad(&a, &b);
    assert_eq!(value, joined(&a, &b));
    assert_close(&d_a, &central_array(&a, |a| joined(a, &b)));
    assert_close(&d_b, &central_array(&b, |b| joined(&a, b)));
}
