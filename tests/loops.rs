//! `for` loops over constants, with values carried from one iteration to
//! the next: each iteration's backward pass runs last iteration first.
// Index loops and borrowed operands are the forms under test.
#![allow(clippy::needless_range_loop, clippy::op_ref)]

use gradgen::ndarray::{Array1, Array2, array};
use gradgen::prelude::*;

mod common;
use common::central;

/// A dot product and a running product, written as loops.
#[differentiable]
fn running(w: &[f64], x: f64) -> f64 {
    let mut total = 0.0;
    let mut power = 1.0;
    for k in 0..w.len() {
        total += w[k] * power;
        power *= x;
    }
    total * total
}

/// A recurrence on arrays: `h <- tanh(W h + x_t)` over a sequence.
#[differentiable(wrt(w, h0))]
fn recurrence(w: &Array2<f64>, h0: &Array1<f64>, xs: &Array2<f64>) -> f64 {
    let mut h = h0.to_owned();
    for t in 0..xs.nrows() {
        let f = w.dot(&h) + &xs.row(t);
        h = f.tanh();
    }
    (&h * &h).sum()
}

/// A loop with a branch inside and a carried value read before it is set.
#[differentiable]
fn clipped_sum(x: &[f64], limit: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if s > limit {
            s = limit + 0.5 * (s - limit);
        }
        s += x[i] * x[i];
    }
    s
}

#[test]
fn carried_scalars() {
    let w = [0.5, -1.0, 2.0, 0.25];
    for x in [-1.2, 0.3, 1.7] {
        let (value, (d_w, d_x)) = running_grad(&w, x);
        assert_eq!(value, running(&w, x));
        assert!((d_x - central(|x| running(&w, x), x)).abs() < 1e-6, "{d_x}");
        for k in 0..w.len() {
            let at = |v: f64| {
                let mut u = w;
                u[k] = v;
                running(&u, x)
            };
            assert!((d_w[k] - central(at, w[k])).abs() < 1e-6);
        }
    }
}

#[test]
fn carried_arrays() {
    let w = array![[0.5, -0.3], [0.2, 0.8]];
    let h0 = array![0.1, -0.4];
    let xs = array![[0.3, -0.2], [1.0, 0.5], [-0.7, 0.25]];
    let (value, (d_w, d_h0)) = recurrence_grad(&w, &h0, &xs);
    assert_eq!(value, recurrence(&w, &h0, &xs));
    for ((i, j), g) in d_w.indexed_iter() {
        let at = |v: f64| {
            let mut u = w.clone();
            u[[i, j]] = v;
            recurrence(&u, &h0, &xs)
        };
        assert!((g - central(at, w[[i, j]])).abs() < 1e-6, "{g}");
    }
    for (i, g) in d_h0.iter().enumerate() {
        let at = |v: f64| {
            let mut u = h0.clone();
            u[i] = v;
            recurrence(&w, &u, &xs)
        };
        assert!((g - central(at, h0[i])).abs() < 1e-6, "{g}");
    }
}

#[test]
fn branches_inside_loops() {
    let x = [0.5, 1.5, -2.0, 1.0];
    for limit in [0.5, 10.0] {
        let (value, (d_x, d_limit)) = clipped_sum_grad(&x, limit);
        assert_eq!(value, clipped_sum(&x, limit));
        assert!((d_limit - central(|l| clipped_sum(&x, l), limit)).abs() < 1e-6);
        for k in 0..x.len() {
            let at = |v: f64| {
                let mut u = x;
                u[k] = v;
                clipped_sum(&u, limit)
            };
            assert!((d_x[k] - central(at, x[k])).abs() < 1e-6, "{k}: {}", d_x[k]);
        }
    }
}

/// Newton's iteration for the square root, run until it settles: a `while`
/// loop whose condition reads a carried value.
#[differentiable]
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a;
    let mut step = 1.0;
    while step > 1e-12 {
        let next = 0.5 * (x + a / x);
        step = no_grad((next - x).abs());
        x = next;
    }
    x
}

#[test]
fn while_loops_carry_values_too() {
    for a in [0.5, 2.0, 9.0] {
        let (value, d) = newton_sqrt_grad(a);
        assert!((value - a.sqrt()).abs() < 1e-12);
        // The derivative of the iteration converges to that of sqrt.
        assert!((d - 0.5 / a.sqrt()).abs() < 1e-9, "{a}: {d}");
    }
}

/// A tuple carried through a loop, element by element.
#[differentiable]
fn tuple_accumulator(x: f64, n: usize) -> f64 {
    let mut acc = (0.0, 1.0);
    for k in 0..n {
        acc = (acc.0 + x * k as f64, acc.1 * x.sin());
        if acc.1 < -10.0 {
            break;
        }
    }
    let (sum, product) = acc;
    sum * product
}

/// A tuple returned from inside a loop.
#[differentiable]
fn pair_from_loop(x: f64, n: usize) -> (f64, f64) {
    let mut y = x;
    for k in 0..n {
        y = y * 1.5 + 0.1;
        if k == 2 {
            return (y * 2.0, y.sin());
        }
    }
    (y, y * y)
}

#[test]
fn tuples_through_loops() {
    for n in [0, 1, 4] {
        for x in [0.3, -1.2] {
            let (value, d) = tuple_accumulator_grad(x, n);
            assert_eq!(value, tuple_accumulator(x, n));
            let want = central(|x| tuple_accumulator(x, n), x);
            assert!(
                (d - want).abs() < 1e-6 * (1.0 + want.abs()),
                "n = {n}: {d} vs {want}"
            );
            let (pair, pullback) = pair_from_loop_vjp(x, n);
            assert_eq!(pair, pair_from_loop(x, n));
            let d0 = pullback((1.0, 0.0));
            let want0 = central(|x| pair_from_loop(x, n).0, x);
            assert!(
                (d0 - want0).abs() < 1e-6 * (1.0 + want0.abs()),
                "n = {n}: {d0} vs {want0}"
            );
            let (_, pullback) = pair_from_loop_vjp(x, n);
            let d1 = pullback((0.0, 1.0));
            let want1 = central(|x| pair_from_loop(x, n).1, x);
            assert!(
                (d1 - want1).abs() < 1e-6 * (1.0 + want1.abs()),
                "n = {n}: {d1} vs {want1}"
            );
        }
    }
}
