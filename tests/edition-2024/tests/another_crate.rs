//! A differentiable function defined in another crate (the edition-2021
//! one), called inside this crate's differentiable bodies: its entry point
//! comes in with the same `use` as the function.

use gradgen::prelude::*;
use gradgen_edition_2021::product;

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
