//! What the integration tests share: central differences, and checks of a
//! generated gradient against them. Each test crate uses its own part.
#![allow(dead_code)]

use gradgen::ndarray::{Array, Dimension};

/// The step of the central differences: small enough for the truncation
/// error (h^2), large enough for the rounding error (eps / h).
const H: f64 = 1e-6;

/// The central difference of `f` at `x`.
pub fn central(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    (f(x + H) - f(x - H)) / (2.0 * H)
}

/// Central differences of `f` at every element of `x`.
pub fn central_array<D: Dimension>(
    x: &Array<f64, D>,
    f: impl Fn(&Array<f64, D>) -> f64,
) -> Array<f64, D> {
    let mut out = x.clone();
    for (i, v) in x.iter().enumerate() {
        let (mut plus, mut minus) = (x.clone(), x.clone());
        *plus.iter_mut().nth(i).unwrap() = v + H;
        *minus.iter_mut().nth(i).unwrap() = v - H;
        *out.iter_mut().nth(i).unwrap() = (f(&plus) - f(&minus)) / (2.0 * H);
    }
    out
}

/// Every element of `got` within `1e-6 (1 + |want|)` of `want`.
pub fn assert_close<D: Dimension>(got: &Array<f64, D>, want: &Array<f64, D>) {
    assert_eq!(got.shape(), want.shape());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-6 * (1.0 + w.abs()), "{got} vs {want}");
    }
}

/// The value and derivative of `f_grad` against `f` and its central
/// difference at every point.
pub fn check(f: impl Fn(f64) -> f64, f_grad: impl Fn(f64) -> (f64, f64), points: &[f64]) {
    for &x in points {
        let (value, d) = f_grad(x);
        assert_eq!(value, f(x), "value at {x}");
        let estimate = central(&f, x);
        assert!(
            (d - estimate).abs() < 1e-6 * (1.0 + estimate.abs()),
            "at {x}: {d} vs {estimate}"
        );
    }
}
