//! A differentiable function defined in another crate (the edition-2021
//! one), called inside this crate's differentiable bodies: its entry point
//! comes in with the same `use` as the function.

use gradgen::prelude::*;
use gradgen_edition_2021::{checked_sqrt, product};

#[differentiable(wrt(x))]
fn twice_product(x: f64, y: f64) -> f64 {
    let mut total = 0.0;
    for n in 1..3 {
        total += product(x, y, n);
    }
    total.sin()
}

#[test]
fn a_call_into_another_crate_differentiates() {
    let (x, y) = (0.7, 1.3);
    let (value, d) = twice_product_grad(x, y);
    assert_eq!(value, twice_product(x, y));
    let h = 1e-6;
    let estimate = (twice_product(x + h, y) - twice_product(x - h, y)) / (2.0 * h);
    assert!((d - estimate).abs() < 1e-6, "{d} vs {estimate}");
}

/// A call of the other crate's function that returns an `Option`.
#[differentiable]
fn root_sum(x: f64, y: f64) -> Option<f64> {
    Some(checked_sqrt(x)? + checked_sqrt(x * y).unwrap())
}

#[test]
fn a_fallible_call_into_another_crate_differentiates() {
    let (value, (dx, dy)) = root_sum_grad(4.0, 1.0).unwrap();
    assert_eq!(value, 4.0);
    // d/dx (sqrt x + sqrt(x y)) = 1 / (2 sqrt x) + y / (2 sqrt(x y)).
    assert!(
        (dx - 0.5).abs() < 1e-12 && (dy - 1.0).abs() < 1e-12,
        "{dx} {dy}"
    );
    assert_eq!(root_sum_grad(-1.0, 1.0), None);
}
