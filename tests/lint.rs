//! Generated code must never give a user a warning they did not write.
//!
//! This file denies every warning and every default clippy lint (CI runs
//! `cargo clippy --all-targets -- -D warnings`, which checks it), and defines
//! the kinds of differentiable functions users write: public and private,
//! some never called, with `wrt(...)` and without, with constant arguments,
//! tuple results, shadowing, reassignment, path forms and constants, lifetimes,
//! generics, many arguments. A warning from any of them fails the build of this
//! test. The tests below also check a few values, so the functions are real.

#![deny(warnings)]
#![deny(clippy::all)]
#![deny(missing_docs)]

use gradgen::prelude::*;

/// A parameter struct, as a model is written.
#[derive(Parameters, Clone, Debug, PartialEq)]
pub struct Line {
    /// Intercept.
    pub bias: f64,
    /// Slopes.
    pub slope: [f64; 2],
}

const HALF: f64 = 0.5;

/// Public, with `wrt`, borrowed parameters and constant data.
#[differentiable(wrt(p))]
pub fn squared_error(p: &Line, x: [f64; 2], y: f64) -> f64 {
    let prediction = p.bias + p.slope[0] * x[0] + p.slope[1] * x[1];
    HALF * (prediction - y).powi(2)
}

/// Private and never called: no dead-code warning for it or what it generates.
#[differentiable]
fn never_called(a: f64, b: f64) -> f64 {
    a.sin() * b.cos()
}

/// Private, never called, with a tuple result (no scalar `_grad`).
#[differentiable]
fn never_called_pair(a: f32, b: f32) -> (f32, f32) {
    (a * b, a - b)
}

/// Constant arguments of every kind besides the active ones.
#[differentiable]
fn with_constants(x: f64, n: usize, k: i32, flag: bool, label: &str, c: char) -> f64 {
    let scale = if flag { n as f64 } else { 1.0 };
    let bonus = (label.len() + c.len_utf8()) as f64;
    x.powi(k) * scale + bonus
}

/// Shadowing, `let mut` with reassignment and compound assignment, nested
/// blocks, a final `return` (the user's own `allow` for it carries over).
#[allow(clippy::needless_return)]
#[differentiable]
pub(crate) fn shadowing(x: f64, y: f64) -> f64 {
    let x = x * y;
    let mut acc = x;
    acc += y.exp();
    acc *= 2.0;
    acc = 3.0 * acc - x;
    let inner = {
        let t = acc.sqrt();
        t * t
    };
    return inner + acc;
}

/// Path forms of methods, std constants, a user's constant, type annotations.
#[differentiable]
fn path_forms(x: f64, y: f64) -> f64 {
    let angle: f64 = f64::atan2(y, x) + std::f64::consts::PI;
    let scaled = f64::mul_add(angle, HALF, f64::hypot(x, y));
    f64::ln(scaled.abs() + 1.0)
}

/// A tuple result, called through `_vjp`.
#[differentiable]
pub fn polar(x: f32, y: f32) -> (f32, f32) {
    let r = x.hypot(y);
    (r, y.atan2(x))
}

/// Explicit lifetimes and a slice.
#[differentiable(wrt(w))]
fn weighted<'a>(w: &'a [f64], x: &'a [f64]) -> f64 {
    w[0] * x[0] + w[1] * x[1]
}

/// Many arguments: the user's own `allow` carries over to what is generated.
#[allow(clippy::too_many_arguments)]
#[differentiable]
fn many(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, g: f64, h: f64) -> f64 {
    a * b + c * d + e * f + g * h
}

/// Generic over the float type.
#[differentiable]
fn generic_square<T: Real>(x: T) -> T {
    x * x
}

/// A value marked constant inside the body, and unused results of constants.
#[differentiable]
fn stopped(x: f64, y: f64) -> f64 {
    let frozen = no_grad(y * y);
    x * frozen + y
}

/// A function that stops early: `?`, and `None` as a statement, an arm and a tail.
#[differentiable(wrt(x))]
pub fn stops_early(x: f64, xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let first = xs.first().copied()?;
    let y = match xs.len() {
        1 => x * first,
        2 => return None,
        _ => x.sin(),
    };
    if y > 100.0 { None } else { Some(y * x) }
}

#[test]
fn the_linted_functions_compute_their_derivatives() {
    let p = Line {
        bias: 1.0,
        slope: [2.0, -1.0],
    };
    let (loss, grad) = squared_error_grad(&p, [1.0, 3.0], 2.0);
    // prediction = 1 + 2 - 3 = 0, residual -2: loss 2, d/dbias = -2, d/dslope = -2 * x.
    assert_eq!(loss, 2.0);
    assert_eq!(
        grad,
        Line {
            bias: -2.0,
            slope: [-2.0, -6.0],
        }
    );

    // d/dx x^k * n = k x^(k-1) n.
    let (value, dx) = with_constants_grad(2.0, 3, 2, true, "ab", 'c');
    assert_eq!((value, dx), (4.0 * 3.0 + 3.0, 12.0));

    let (value, (dx, dy)) = shadowing_grad(1.5, 0.5);
    let f = |x: f64, y: f64| {
        let acc = 3.0 * 2.0 * (x * y + y.exp()) - x * y;
        acc + acc
    };
    assert!((value - f(1.5, 0.5)).abs() < 1e-12);
    // f = 2 (6 (x y + e^y) - x y) = 10 x y + 12 e^y.
    assert!((dx - 10.0 * 0.5).abs() < 1e-9, "{dx}");
    assert!(
        (dy - (10.0 * 1.5 + 12.0 * 0.5f64.exp())).abs() < 1e-9,
        "{dy}"
    );

    let (value, (dx, dy)) = path_forms_grad(1.0, 1.0);
    assert!(value.is_finite() && dx.is_finite() && dy.is_finite());

    let ((r, theta), pullback) = polar_vjp(3.0, 4.0);
    assert_eq!(r, 5.0);
    assert!((theta - 4.0f32.atan2(3.0)).abs() < 1e-6);
    // d r/dx = x/r, d r/dy = y/r.
    let (dx, dy) = pullback((1.0, 0.0));
    assert!((dx - 0.6).abs() < 1e-6 && (dy - 0.8).abs() < 1e-6);

    let (value, dw) = weighted_grad(&[2.0, 3.0], &[5.0, 7.0]);
    assert_eq!((value, dw), (31.0, vec![5.0, 7.0]));

    let (value, grads) = many_grad(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0);
    assert_eq!(value, 2.0 + 12.0 + 30.0 + 56.0);
    assert_eq!(grads, (2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 8.0, 7.0));

    assert_eq!(generic_square_grad(3.0f32), (9.0, 6.0));
    assert_eq!(generic_square_grad(3.0f64), (9.0, 6.0));

    // d/dx = y^2, d/dy = 1 (the product's y^2 is constant).
    assert_eq!(stopped_grad(2.0, 3.0), (21.0, (9.0, 1.0)));

    // d/dx (x * 2) * x = 4 x.
    assert_eq!(stops_early_grad(3.0, &[2.0]), Some((18.0, 12.0)));
    assert_eq!(stops_early_grad(3.0, &[]), None);
}
