//! `break`, `continue`, `loop` and `return` from anywhere: the path taken
//! is what is differentiated.

use gradgen::ndarray::{Array1, array};
use gradgen::prelude::*;

mod common;
use common::{central, check};

/// `continue` skips the rest of a pass.
#[differentiable]
fn skip_odd(x: f64) -> f64 {
    let mut s = 0.0;
    for k in 0..6 {
        if k % 2 == 1 {
            continue;
        }
        let t = (x * k as f64).sin();
        s += t * x;
    }
    s
}

/// `break` leaves the loop in the pass that reaches it.
#[differentiable]
fn grow_until(x: f64) -> f64 {
    let mut y = x;
    for _ in 0..50 {
        y = y * 1.5 + 0.1 * x;
        if y > 10.0 {
            break;
        }
    }
    y
}

/// `loop` with a `break` deep in a branch, and a carried counter.
#[differentiable]
fn halve_loop(x: f64) -> f64 {
    let mut y = x * x + 1.0;
    let mut n = 0;
    loop {
        n += 1;
        if y < 1.0 {
            if n > 2 {
                break;
            }
            y *= 3.0;
        } else {
            y = y / 2.0 + x;
        }
        if n > 40 {
            break;
        }
    }
    y * n as f64
}

/// `while` with a `break` and a `continue`.
#[differentiable]
fn while_jumps(x: f64) -> f64 {
    let mut y = x;
    let mut k = 0;
    while k < 20 {
        k += 1;
        if k % 3 == 0 {
            continue;
        }
        y = y.sin() + x;
        if y > 1.9 {
            break;
        }
    }
    y
}

/// `return` from inside a loop and from nested branches.
#[differentiable]
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a;
    for _ in 0..100 {
        let next = 0.5 * (x + a / x);
        if (next - x).abs() < 1e-12 {
            return next;
        }
        x = next;
    }
    x
}

/// `return` from nested branches at any depth.
#[differentiable]
fn nested_returns(x: f64) -> f64 {
    let y = x * 2.0;
    if x > 0.0 {
        let t = y.exp();
        if t > 5.0 {
            return t.ln() * x;
        }
        if x > 0.5 {
            return y * t;
        }
    }
    let y = y * y;
    y + x
}

/// `return` from a loop inside a loop, with a `match` that jumps.
#[differentiable(wrt(x))]
fn search(x: f64, limit: u32) -> f64 {
    let mut acc = x;
    for i in 0..10 {
        for j in 0..10 {
            acc = acc * 1.01 + x * 0.001;
            match (i + j) % 4 {
                0 => continue,
                1 => acc += x,
                _ => {}
            }
            if (i * j) as u32 > limit {
                return acc * x;
            }
        }
        if acc > 1e6 {
            break;
        }
    }
    acc
}

#[test]
fn continue_skips_the_rest_of_a_pass() {
    check(skip_odd, skip_odd_grad, &[-1.0, 0.3, 1.7]);
}

#[test]
fn break_leaves_the_loop() {
    check(grow_until, grow_until_grad, &[0.2, 1.0, 3.0, 20.0]);
}

#[test]
fn loop_with_break_in_a_branch() {
    check(halve_loop, halve_loop_grad, &[-2.0, 0.1, 0.7, 3.0]);
}

#[test]
fn while_with_break_and_continue() {
    check(while_jumps, while_jumps_grad, &[0.1, 0.9, 1.4]);
}

#[test]
fn return_from_inside_a_loop() {
    for a in [0.5, 2.0, 9.0] {
        let (value, d) = newton_sqrt_grad(a);
        assert_eq!(value, newton_sqrt(a));
        assert!((value - a.sqrt()).abs() < 1e-12);
        assert!((d - 0.5 / a.sqrt()).abs() < 1e-9, "{a}: {d}");
    }
}

#[test]
fn return_from_nested_branches() {
    check(nested_returns, nested_returns_grad, &[-1.0, 0.3, 0.6, 1.5]);
}

#[test]
fn return_from_a_nested_loop() {
    for limit in [0, 5, 30, 100] {
        check(|x| search(x, limit), |x| search_grad(x, limit), &[0.2, 1.1]);
    }
}

/// Jumps over arrays: the rest of the pass keeps its borrowed operands.
#[differentiable(wrt(w))]
fn masked_rows(w: &Array1<f64>, rows: &gradgen::ndarray::Array2<f64>) -> f64 {
    let mut total = 0.0;
    for r in 0..rows.nrows() {
        if rows[[r, 0]] < 0.0 {
            continue;
        }
        let z = rows.row(r).dot(w);
        total += z.tanh();
        if total > 1.5 {
            break;
        }
    }
    total
}

#[test]
fn jumps_over_arrays() {
    let rows = array![[0.5, 0.2], [-1.0, 3.0], [0.3, 0.9], [1.0, 1.0], [2.0, 0.1]];
    let w: Array1<f64> = array![0.7, -0.4];
    let (value, d_w) = masked_rows_grad(&w, &rows);
    assert_eq!(value, masked_rows(&w, &rows));
    for i in 0..2 {
        let estimate = central(
            |v| {
                let mut w = w.clone();
                w[i] = v;
                masked_rows(&w, &rows)
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
