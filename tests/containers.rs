//! Writes into containers built in the body: `v[i] = e`, `v[i] += e`,
//! `a[[i, j]] = e` and `push`, with `e` active. The backward pass hands each
//! written element's adjoint to `e`, and what `=` overwrote gets none.

// Index loops are the form a differentiable body writes into containers in.
#![allow(clippy::needless_range_loop)]

use gradgen::ndarray::{Array1, Array2, array};
use gradgen::prelude::*;
use num_dual::{Dual64, DualNum};

mod common;
use common::central;

/// A `Vec` filled in a loop, overwritten, read back and reduced.
#[differentiable]
fn filled(x: f64) -> f64 {
    let mut v = vec![0.0; 4];
    for i in 0..4 {
        v[i] = x * (i as f64 + 1.0);
    }
    v[2] = x.sin();
    v[3] += x * x;
    v[1] *= x;
    let mut s = 0.0;
    for i in 0..4 {
        s += v[i] * v[i];
    }
    s
}

fn filled_dual(x: Dual64) -> Dual64 {
    let mut v = [Dual64::from(0.0); 4];
    for (i, vi) in v.iter_mut().enumerate() {
        *vi = x * (i as f64 + 1.0);
    }
    v[2] = x.sin();
    v[3] += x * x;
    v[1] *= x;
    v.iter()
        .map(|&a| a * a)
        .fold(Dual64::from(0.0), |a, b| a + b)
}

/// `push` in a recurrence: the states are kept and combined after the loop.
#[differentiable]
fn recurrence(x: f64, a: f64) -> f64 {
    let mut states = Vec::new();
    let mut h = x;
    for _ in 0..5 {
        h = (a * h).tanh() + x;
        states.push(h);
    }
    let mut total = 0.0;
    for t in 0..states.len() {
        total += states[t] * (t as f64 + 1.0);
    }
    total
}

/// `a[[i, j]] = e` into an ndarray built in the body, then array arithmetic.
#[differentiable(wrt(w))]
fn outer(w: &Array1<f64>) -> f64 {
    let mut m = Array2::zeros((2, 2));
    for i in 0..2 {
        for j in 0..2 {
            m[[i, j]] = w[i] * w[j] + 1.0;
        }
    }
    m[[0, 1]] -= w[0];
    (&m * &m).sum()
}

#[test]
fn written_elements_hand_their_adjoints_to_the_values() {
    for x in [-0.7, 0.4, 1.3] {
        let (value, d) = filled_grad(x);
        assert_eq!(value, filled(x));
        let dual = filled_dual(Dual64::from(x).derivative());
        assert!((value - dual.re).abs() < 1e-12);
        assert!((d - dual.eps).abs() < 1e-10, "{x}: {d} vs {}", dual.eps);
        assert!((d - central(filled, x)).abs() < 1e-6);
    }
}

#[test]
fn pushed_values_are_differentiated() {
    for (x, a) in [(0.3, 0.8), (-1.2, 1.5)] {
        let (value, (d_x, d_a)) = recurrence_grad(x, a);
        assert_eq!(value, recurrence(x, a));
        assert!((d_x - central(|x| recurrence(x, a), x)).abs() < 1e-6);
        assert!((d_a - central(|a| recurrence(x, a), a)).abs() < 1e-6);
    }
}

#[test]
fn writes_into_arrays() {
    let w: Array1<f64> = array![0.6, -1.1];
    let (value, d_w) = outer_grad(&w);
    assert_eq!(value, outer(&w));
    for i in 0..2 {
        let estimate = central(
            |v| {
                let mut w = w.clone();
                w[i] = v;
                outer(&w)
            },
            w[i],
        );
        assert!(
            (d_w[i] - estimate).abs() < 1e-6,
            "{i}: {} vs {estimate}",
            d_w[i]
        );
    }
}

/// A `Vec` of arrays, pushed in a loop and written in a branch.
#[differentiable(wrt(w))]
fn states(w: &Array1<f64>, steps: usize) -> f64 {
    let mut hs = Vec::with_capacity(steps);
    let mut h = w.to_owned();
    for t in 0..steps {
        h = (&h * w).tanh() + w;
        if t % 2 == 0 {
            hs.push(h.clone());
        } else {
            hs.push(&h * 2.0);
        }
    }
    hs[0] = &hs[0] * &hs[1];
    let mut total = 0.0;
    for t in 0..hs.len() {
        total += hs[t].sum() * (t as f64 + 1.0);
    }
    total
}

#[test]
fn vecs_of_arrays() {
    let w: Array1<f64> = array![0.3, -0.5, 0.9];
    for steps in [2, 3] {
        let (value, d_w) = states_grad(&w, steps);
        assert_eq!(value, states(&w, steps));
        for i in 0..3 {
            let estimate = central(
                |v| {
                    let mut w = w.clone();
                    w[i] = v;
                    states(&w, steps)
                },
                w[i],
            );
            assert!(
                (d_w[i] - estimate).abs() < 1e-6,
                "{i}: {} vs {estimate}",
                d_w[i]
            );
        }
    }
}

/// `vec![a, b, ..]` and `[a, b, ..]` of values with a derivative: pushes,
/// and writes, one per element.
#[differentiable]
fn listed(x: f64, y: f64) -> f64 {
    let v = [x * y, x.sin(), 2.0];
    let mut w = vec![y, x];
    w.push(v[2]);
    w[1] += v[0];
    v[0] * v[1] + w[1] * v[2] + w[0]
}

#[test]
fn vec_literals_differentiate() {
    for (x, y) in [(0.5, 1.5), (-1.0, 0.25)] {
        let (value, (dx, dy)) = listed_grad(x, y);
        assert_eq!(value, listed(x, y));
        let want_x = central(|x| listed(x, y), x);
        let want_y = central(|y| listed(x, y), y);
        assert!((dx - want_x).abs() < 1e-6, "{dx} vs {want_x}");
        assert!((dy - want_y).abs() < 1e-6, "{dy} vs {want_y}");
    }
}

/// An array literal of ndarray values.
#[differentiable]
fn stacked_rows(x: &Array1<f64>) -> f64 {
    let rows = [x * 2.0, x.exp()];
    (&rows[0] * &rows[1]).sum() + rows[1].sum()
}

#[test]
fn array_literals_of_arrays_differentiate() {
    let x = array![0.5, -1.0];
    let (value, d) = stacked_rows_grad(&x);
    assert_eq!(value, stacked_rows(&x));
    // d/dx (2x e^x + e^x) = 2 e^x + 2x e^x + e^x.
    let want = x.mapv(|v| 3.0 * v.exp() + 2.0 * v * v.exp());
    for (g, w) in d.iter().zip(&want) {
        assert!((g - w).abs() < 1e-12, "{d} vs {want}");
    }
}
