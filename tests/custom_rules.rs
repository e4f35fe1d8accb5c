//! Derivative rules of a user's own, for functions the macro should not (or
//! cannot) differentiate: a foreign special function, a numerically better
//! formula, an array function written with a loop.

use gradgen::ndarray::{Array1, array};
use gradgen::prelude::*;

mod common;
use common::central;

/// The error function by its series, as a foreign crate might compute it:
/// the macro does not see inside, the rule gives its derivative.
#[differentiable(rule = erf_rule)]
fn erf(x: f64) -> f64 {
    let mut sum = 0.0;
    let mut term = x;
    for n in 0..60 {
        sum += term / (2 * n + 1) as f64;
        term *= -x * x / (n + 1) as f64;
    }
    2.0 / std::f64::consts::PI.sqrt() * sum
}

/// `d erf(x)/dx = 2/sqrt(pi) exp(-x^2)`.
fn erf_rule(x: f64, _erf: &f64, d: f64) -> f64 {
    d * 2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp()
}

/// `log(1 + exp(a) + exp(b))` of two arguments, with a rule for both.
#[differentiable(rule = softplus2_rule)]
fn softplus2(a: f64, b: f64) -> f64 {
    (1.0 + a.exp() + b.exp()).ln()
}

fn softplus2_rule(a: f64, b: f64, y: &f64, d: f64) -> (f64, f64) {
    // d/da = exp(a) / (1 + e^a + e^b) = exp(a - y).
    (d * (a - y).exp(), d * (b - y).exp())
}

/// A running sum, with an array rule: `d x_i = sum_{j >= i} d y_j`.
#[differentiable(rule = cumsum_rule)]
fn cumsum(x: &Array1<f64>) -> Array1<f64> {
    let mut total = 0.0;
    x.mapv(|v| {
        total += v;
        total
    })
}

fn cumsum_rule(_x: &Array1<f64>, _y: &Array1<f64>, d: Array1<f64>) -> Array1<f64> {
    let mut total = 0.0;
    let mut out: Vec<f64> = d
        .iter()
        .rev()
        .map(|v| {
            total += v;
            total
        })
        .collect();
    out.reverse();
    Array1::from(out)
}

/// A differentiable function that uses all three like built-ins.
#[differentiable]
fn uses_rules(x: f64, v: &Array1<f64>) -> f64 {
    let s = cumsum(v);
    erf(x) * softplus2(x, 2.0 * x) + (&s * &s).sum()
}

#[test]
fn a_rule_gives_the_derivative() {
    for x in [-1.5, -0.2, 0.0, 0.7, 1.9] {
        let (value, d) = erf_grad(x);
        assert_eq!(value, erf(x));
        assert!((d - central(erf, x)).abs() < 1e-8, "{d}");
        let (_, (d_a, d_b)) = softplus2_grad(x, 0.5);
        assert!((d_a - central(|a| softplus2(a, 0.5), x)).abs() < 1e-8);
        assert!((d_b - central(|b| softplus2(x, b), 0.5)).abs() < 1e-8);
    }
}

#[test]
fn rules_compose_inside_differentiable_bodies() {
    let v = array![0.5, -1.0, 2.0];
    for x in [-0.8, 0.3, 1.1] {
        let (value, (d_x, d_v)) = uses_rules_grad(x, &v);
        assert_eq!(value, uses_rules(x, &v));
        assert!(
            (d_x - central(|x| uses_rules(x, &v), x)).abs() < 1e-7,
            "{d_x}"
        );
        for i in 0..3 {
            let at = |t: f64| {
                let mut w = v.clone();
                w[i] = t;
                uses_rules(x, &w)
            };
            assert!((d_v[i] - central(at, v[i])).abs() < 1e-6, "{}", d_v[i]);
        }
    }
}
