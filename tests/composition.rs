//! Differentiable functions calling differentiable functions: the callee's
//! pullback adds into the caller's adjoints, whatever the path that names it.

use gradgen::prelude::*;

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Toy {
    beta: [f64; 2],
}

#[differentiable]
fn square(x: f64) -> f64 {
    x * x
}

mod inner {
    use gradgen::prelude::*;

    /// `sin(a) * b`, for a call through a module path.
    #[differentiable]
    pub fn wave(a: f64, b: f64) -> f64 {
        a.sin() * b
    }
}

#[differentiable(wrt(p))]
fn chain(p: &Toy, x: f64) -> f64 {
    let h = square(p.beta[0] * x);
    let g = crate::square(h) + square(p.beta[1]);
    g * h + inner::wave(h, p.beta[1])
}

fn chain_by_hand(p: &Toy, x: f64) -> (f64, [f64; 2]) {
    let (b0, b1) = (p.beta[0], p.beta[1]);
    let h = (b0 * x).powi(2);
    let g = h * h + b1 * b1;
    let value = g * h + h.sin() * b1;
    // d value / d h = g + h * dg/dh + cos(h) * b1, with dg/dh = 2h.
    let d_h = g + h * 2.0 * h + h.cos() * b1;
    let d_b0 = d_h * 2.0 * b0 * x * x;
    let d_b1 = h * 2.0 * b1 + h.sin();
    (value, [d_b0, d_b1])
}

#[test]
fn calls_compose_like_the_chain_rule() {
    for (b0, b1, x) in [(0.3, -0.7, 1.1), (1.2, 0.4, -0.5), (-0.8, 2.0, 0.9)] {
        let p = Toy { beta: [b0, b1] };
        let (value, grad) = chain_grad(&p, x);
        let (expected, d) = chain_by_hand(&p, x);
        assert!((value - expected).abs() < 1e-12, "{value} vs {expected}");
        for (k, (got, want)) in grad.beta.iter().zip(d).enumerate() {
            assert!(
                (got - want).abs() < 1e-10 * (1.0 + want.abs()),
                "d beta[{k}]: {got} vs {want}"
            );
        }
    }
}

#[differentiable]
fn twice(x: f64) -> f64 {
    // The same callee twice on one value: both contributions add up.
    square(x) + square(square(x))
}

#[test]
fn repeated_calls_accumulate() {
    for x in [-1.5, -0.2, 0.0, 0.7, 2.0] {
        let (value, d) = twice_grad(x);
        assert_eq!(value, x * x + x.powi(4));
        let expected = 2.0 * x + 4.0 * x.powi(3);
        assert!(
            (d - expected).abs() < 1e-12 * (1.0 + expected.abs()),
            "{d} vs {expected}"
        );
    }
}

#[differentiable]
fn product(a: f64, b: f64) -> f64 {
    a * b
}

#[differentiable]
fn same_value_twice(x: f64) -> f64 {
    // One value in two slots of one call: both adjoints arrive.
    let h = x.sin();
    product(h, h) + product(x, x)
}

#[test]
fn one_value_in_two_slots_of_a_call() {
    for x in [-1.2, 0.3, 2.0] {
        let (value, d) = same_value_twice_grad(x);
        assert_eq!(value, x.sin() * x.sin() + x * x);
        let expected = 2.0 * x.sin() * x.cos() + 2.0 * x;
        assert!((d - expected).abs() < 1e-12, "{d} vs {expected}");
    }
}

#[differentiable]
fn scaled<T: Real>(x: T, k: T) -> T {
    x * k
}

#[differentiable]
fn with_turbofish(x: f32) -> f32 {
    // A call with explicit generic arguments.
    scaled::<f32>(x, 3.0) * x
}

#[test]
fn calls_with_generic_arguments() {
    let (value, d) = with_turbofish_grad(2.0);
    assert_eq!(value, 12.0);
    assert_eq!(d, 12.0);
}
