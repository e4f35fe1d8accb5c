//! Array gradients as a user receives them: the shape of what they
//! differentiate, zeros where nothing flows, row-major layout always.

use gradgen::ndarray::{Array1, Array2, array};
use gradgen::prelude::*;

#[derive(Parameters, Clone, Debug)]
struct Model {
    w: Array2<f64>,
    unused: Array2<f64>,
    b: Array1<f64>,
}

/// Reads `w` only through its transpose, and never reads `unused`.
#[differentiable(wrt(p))]
fn transposed(p: &Model, x: &Array2<f64>) -> f64 {
    let f = x.dot(&p.w.t()) + &p.b;
    (&f * &f).sum()
}

#[test]
fn gradients_are_whole_and_row_major() {
    let p = Model {
        w: array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
        unused: Array2::ones((4, 5)),
        b: array![0.5, -0.5],
    };
    let x = array![[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]];
    let (value, g) = transposed_grad(&p, &x);
    // By hand: f = x w^T + b, L = sum f^2, dL/df = 2f, dL/dw = (2f)^T x, dL/db = sum over rows of 2f.
    let f = x.dot(&p.w.t()) + &p.b;
    let d_f = &f * 2.0;
    assert_eq!(value, (&f * &f).sum());
    assert_eq!(g.w, d_f.t().dot(&x));
    assert_eq!(g.b, d_f.sum_axis(gradgen::ndarray::Axis(0)));
    assert!(g.w.is_standard_layout(), "gradients come row-major");
    assert_eq!(
        g.unused,
        Array2::<f64>::zeros((4, 5)),
        "a leaf nothing reaches is zeros of its shape"
    );
}
