//! Names the generated code introduces never clash with the user's, and
//! resolve when the function comes out of a `macro_rules!` macro.

use gradgen::prelude::*;

// The argument's name comes from the macro's caller, the attribute from
// the macro's own body: the names generated from both must agree.
macro_rules! square_of_sine {
    ($name:ident, $x:ident) => {
        #[differentiable]
        fn $name($x: f64) -> f64 {
            $x.sin() * $x.sin()
        }
    };
}
square_of_sine!(sin2, x);

#[test]
fn a_function_from_macro_rules_differentiates() {
    // y = sin^2 x;  dy/dx = 2 sin x cos x
    let (y, d_x) = sin2_grad(0.7);
    assert_eq!(y, sin2(0.7));
    assert!((d_x - 2.0 * 0.7f64.sin() * 0.7f64.cos()).abs() < 1e-15);
}

/// The user names a local like the argument's adjoint.
#[differentiable]
fn adjoint_lookalike(x: f64) -> f64 {
    let d_x = x * 3.0;
    d_x * x
}

#[test]
fn a_local_named_like_an_adjoint_does_not_take_its_place() {
    // y = 3x^2;  dy/dx = 6x
    let (y, d_x) = adjoint_lookalike_grad(2.0);
    assert_eq!(y, adjoint_lookalike(2.0));
    assert_eq!(y, 12.0);
    assert_eq!(d_x, 12.0);
}

/// The user names a local like the adjoint of another local.
#[differentiable]
fn local_adjoint_lookalike(x: f64) -> f64 {
    let a = x * 2.0;
    let d_a = a.exp();
    d_a.sin() + a.cos()
}

#[test]
fn a_local_named_like_a_locals_adjoint_keeps_its_value() {
    // a = 2x, b = e^a, y = sin b + cos a
    // dy/dx = (cos b * e^a - sin a) * 2
    let x = 0.3f64;
    let (a, b) = (2.0 * x, (2.0 * x).exp());
    let (y, d_x) = local_adjoint_lookalike_grad(x);
    assert_eq!(y, local_adjoint_lookalike(x));
    let expected = (b.cos() * b - a.sin()) * 2.0;
    assert!((d_x - expected).abs() < 1e-12, "{d_x} vs {expected}");
}
