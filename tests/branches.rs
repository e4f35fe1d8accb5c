//! `if`/`else` on values with a derivative: the branch taken is what is
//! differentiated, as statements and as expressions, on scalars and arrays.

use gradgen::ndarray::{Array1, array};
use gradgen::prelude::*;

mod common;
use common::central;

/// A piecewise function: the derivative is the taken branch's.
#[differentiable]
fn piecewise(x: f64, a: f64) -> f64 {
    let y = if x > 0.0 { a * x.ln_1p() } else { a * x * x };
    y + x
}

/// Assignments inside branches, an `else if` chain, no `else`.
#[differentiable]
fn assigned(x: f64, y: f64) -> f64 {
    let mut s = x * y;
    if s > 1.0 {
        s = s.sqrt();
    } else if s < -1.0 {
        s = -s * y;
    } else {
        s = s * s + x;
    }
    let mut t = s;
    if x > y {
        t *= 3.0;
    }
    t * s
}

/// A branch on arrays, reading the outer value in both branches.
#[differentiable(wrt(v))]
fn clipped_energy(v: &Array1<f64>, limit: f64) -> f64 {
    let e = (v * v).sum();
    let scaled = if e > limit {
        v * (limit / e).sqrt()
    } else {
        v.to_owned()
    };
    (&scaled * &scaled * 2.0).sum() + e
}

#[test]
fn the_taken_branch_is_differentiated() {
    for x in [-1.3, -0.2, 0.4, 2.0] {
        let a = 0.7;
        let (value, (d_x, d_a)) = piecewise_grad(x, a);
        assert_eq!(value, piecewise(x, a));
        assert!(
            (d_x - central(|x| piecewise(x, a), x)).abs() < 1e-7,
            "{x}: {d_x}"
        );
        assert!((d_a - central(|a| piecewise(x, a), a)).abs() < 1e-7);
    }
}

#[test]
fn assignments_in_branches_merge() {
    for (x, y) in [
        (2.0, 1.5),
        (-2.0, 1.5),
        (0.3, 0.4),
        (0.3, -0.2),
        (-0.5, 3.0),
    ] {
        let (value, (d_x, d_y)) = assigned_grad(x, y);
        assert_eq!(value, assigned(x, y));
        assert!(
            (d_x - central(|x| assigned(x, y), x)).abs() < 1e-6,
            "({x}, {y}): {d_x}"
        );
        assert!(
            (d_y - central(|y| assigned(x, y), y)).abs() < 1e-6,
            "({x}, {y}): {d_y}"
        );
    }
}

#[test]
fn branches_on_arrays() {
    let v = array![0.5, -1.0, 2.0];
    for limit in [1.0, 10.0] {
        let (value, d_v) = clipped_energy_grad(&v, limit);
        assert_eq!(value, clipped_energy(&v, limit));
        for i in 0..3 {
            let at = |t: f64| {
                let mut w = v.clone();
                w[i] = t;
                clipped_energy(&w, limit)
            };
            let estimate = central(at, v[i]);
            assert!(
                (d_v[i] - estimate).abs() < 1e-5 * (1.0 + estimate.abs()),
                "{limit}: {} vs {estimate}",
                d_v[i]
            );
        }
    }
}

/// Early returns from branches at the top of the body.
#[differentiable]
fn early(x: f64, y: f64) -> f64 {
    if x < -1.0 {
        return y * x;
    }
    let s = x.sin() * y;
    if s > 0.5 {
        let t = s * s;
        return t + y;
    }
    s + x * y
}

#[test]
fn early_returns_from_branches() {
    for (x, y) in [(-2.0, 0.5), (1.2, 2.0), (0.1, 0.3), (-0.5, -1.0)] {
        let (value, (d_x, d_y)) = early_grad(x, y);
        assert_eq!(value, early(x, y));
        assert!(
            (d_x - central(|x| early(x, y), x)).abs() < 1e-6,
            "({x}, {y}): {d_x}"
        );
        assert!(
            (d_y - central(|y| early(x, y), y)).abs() < 1e-6,
            "({x}, {y}): {d_y}"
        );
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Square,
    Cube,
    Root,
}

/// `match` on constants with values that have a derivative.
#[differentiable(wrt(x))]
fn shaped(x: f64, shape: Shape, k: u8) -> f64 {
    let y = match shape {
        Shape::Square => x * x,
        Shape::Cube => x * x * x,
        Shape::Root => x.sqrt(),
    };
    match k {
        0 => y,
        1 | 2 => 2.0 * y,
        n if n > 10 => y.sin(),
        _ => -y,
    }
}

#[test]
fn match_arms_are_branches() {
    let x = 1.7;
    for shape in [Shape::Square, Shape::Cube, Shape::Root] {
        for k in [0, 2, 5, 11] {
            let (value, d) = shaped_grad(x, shape, k);
            assert_eq!(value, shaped(x, shape, k));
            assert!(
                (d - central(|x| shaped(x, shape, k), x)).abs() < 1e-6,
                "{k}: {d}"
            );
        }
    }
}

#[derive(Clone, Copy)]
enum Scale {
    Power(i32),
    Factor { k: f64 },
    None,
}

/// `match` arms whose patterns bind names: the names are constants, the
/// arm taken is differentiated.
#[differentiable(wrt(x, w))]
fn scaled(x: f64, w: f64, scale: Scale, repeat: Option<usize>) -> f64 {
    let y = match scale {
        Scale::Power(n) if n > 2 => (w * x).powi(n) / n as f64,
        Scale::Power(n) => w * x.powi(n),
        Scale::Factor { k } => k * (w * x).sin(),
        Scale::None => w * x,
    };
    let mut total = y;
    match (repeat, scale) {
        (Some(times), Scale::Factor { k }) if k > 0.0 => {
            for _ in 0..times {
                total = total * w + k;
            }
        }
        (Some(times), _) => total *= times as f64,
        (None, _) => {}
    }
    total
}

#[test]
fn match_patterns_bind_constants() {
    let (x, w) = (0.8, 1.3);
    let scales = [
        Scale::Power(3),
        Scale::Power(2),
        Scale::Factor { k: 0.5 },
        Scale::Factor { k: -2.0 },
        Scale::None,
    ];
    for scale in scales {
        for repeat in [None, Some(0), Some(3)] {
            let (value, (d_x, d_w)) = scaled_grad(x, w, scale, repeat);
            assert_eq!(value, scaled(x, w, scale, repeat));
            let fx = central(|x| scaled(x, w, scale, repeat), x);
            let fw = central(|w| scaled(x, w, scale, repeat), w);
            assert!((d_x - fx).abs() < 1e-6, "{repeat:?}: {d_x} vs {fx}");
            assert!((d_w - fw).abs() < 1e-6, "{repeat:?}: {d_w} vs {fw}");
        }
    }
}

/// `if let` on a constant, with a jump inside.
#[differentiable(wrt(x))]
fn capped(x: f64, cap: Option<f64>) -> f64 {
    let mut y = x;
    for _ in 0..10 {
        y = y * 1.5 + x;
        if let Some(c) = cap {
            if y > c {
                break;
            }
        } else if y > 100.0 {
            y = y.sqrt();
        }
    }
    y
}

#[test]
fn if_let_on_constants() {
    for cap in [None, Some(5.0), Some(50.0)] {
        let x = 0.8;
        let (value, d) = capped_grad(x, cap);
        assert_eq!(value, capped(x, cap));
        assert!(
            (d - central(|x| capped(x, cap), x)).abs() < 1e-5,
            "{cap:?}: {d}"
        );
    }
}

/// Arms that give tuples, merged element by element.
#[differentiable]
fn swapped(x: f64, y: f64, flip: bool) -> f64 {
    let (a, b) = if flip { (y, x * x) } else { (x, y.sin()) };
    let mut pair = (a, 0.5);
    if a > 0.0 {
        pair = (pair.0 * b, pair.1 + a);
    }
    pair.0 + pair.1 * b
}

#[test]
fn arms_give_tuples() {
    for flip in [false, true] {
        for (x, y) in [(0.7, -0.4), (-0.3, 1.1)] {
            let (value, (dx, dy)) = swapped_grad(x, y, flip);
            assert_eq!(value, swapped(x, y, flip));
            let want_x = central(|x| swapped(x, y, flip), x);
            let want_y = central(|y| swapped(x, y, flip), y);
            assert!((dx - want_x).abs() < 1e-6, "{dx} vs {want_x}");
            assert!((dy - want_y).abs() < 1e-6, "{dy} vs {want_y}");
        }
    }
}
