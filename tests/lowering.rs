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

#[differentiable]
fn pair_product(u: f64, w: f64) -> f64 {
    u * w
}

/// Two elements of one argument in one call, and constants named by the user
/// and changed by constant code kept as written.
#[differentiable(wrt(a))]
fn elements_and_constants(a: [f64; 3], k: usize) -> f64 {
    let mut v = no_grad(a[2]);
    if k > 0 {
        v += 1.0;
    }
    let mut c = 0.5;
    c += 1.0;
    if k > 1 {
        c *= 2.0;
    }
    pair_product(a[1], a[0]) * v + c * a[2]
}

#[test]
fn elements_of_one_argument_in_one_call() {
    let a = [2.0, 3.0, 5.0];
    for k in [0, 1, 2] {
        let (value, d) = elements_and_constants_grad(a, k);
        let v = 5.0 + if k > 0 { 1.0 } else { 0.0 };
        let c = 1.5 * if k > 1 { 2.0 } else { 1.0 };
        assert_eq!(value, 6.0 * v + c * 5.0);
        assert_eq!(d, [3.0 * v, 2.0 * v, c]);
    }
}

/// Prints and assertions read values with a derivative (in the forward
/// pass, once, with the names as rebound), and change nothing.
#[differentiable(wrt(x))]
fn observed(x: &gradgen::ndarray::Array1<f64>, log: &std::cell::RefCell<Vec<String>>) -> f64 {
    let h = x * 2.0;
    let g = &h + 1.0;
    println!("h = {h}, sum {}", h.sum());
    assert!(h.sum() > -1e9, "{}", h);
    let mut t = 0.0;
    for i in 0..2 {
        t += g[i] * x[i];
        assert!(t.is_finite(), "t = {t} at {i}");
        log.borrow_mut().push(format!("{i}"));
    }
    g.sum() + t
}

#[test]
fn prints_and_assertions_read_active_values() {
    let x = gradgen::ndarray::array![1.0, 2.0];
    let log = std::cell::RefCell::new(Vec::new());
    let (value, d) = observed_grad(&x, &log);
    assert_eq!(value, observed(&x, &std::cell::RefCell::new(Vec::new())));
    // f = sum(2x + 1) + sum((2x + 1) x): df/dx = 2 + 4x + 1.
    assert_eq!(d, gradgen::ndarray::array![7.0, 11.0]);
    // The loop's constant code ran once per pass.
    assert_eq!(*log.borrow(), ["0", "1"]);
}
