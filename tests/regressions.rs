//! Programs that once differentiated wrongly or did not compile: constant
//! code that changes variables in place (counters, flags, indices), jumps
//! in every position, views of values local to a pass, containers written
//! in branches. Each checks its value against the function and its
//! derivative against central differences. They are written as users write
//! them, which is not always as clippy would.

#![allow(
    clippy::needless_range_loop,
    clippy::assign_op_pattern,
    clippy::needless_return,
    clippy::let_and_return,
    clippy::get_first,
    clippy::useless_vec
)]

use gradgen::ndarray::{Array1, Array2, array};
use gradgen::prelude::*;

mod common;
use common::{assert_close, central, central_array, check};

#[differentiable]
fn cs(x: f64) -> f64 {
    let mut n = 0;
    let mut y = x;
    for k in 0..10 {
        if k % 3 == 0 {
            n += 1;
        }
        y = y * 0.9 + x;
    }
    y * n as f64
}

#[differentiable]
fn cs_last(x: f64) -> f64 {
    let mut n = 0;
    let mut y = x;
    for k in 0..10 {
        y = y * 0.9 + x;
        if k % 3 == 0 {
            n += 1;
        }
    }
    y * n as f64
}

#[differentiable]
fn inner_const(x: f64) -> f64 {
    let mut y = x;
    let mut steps = 0.0;
    for k in 0..5 {
        for _ in 0..k {
            steps += 1.0;
        }
        y = y * 0.9 + x;
    }
    y * steps
}

#[differentiable]
fn nested(x: f64) -> f64 {
    let mut outer = x;
    for i in 0..4 {
        let mut inner = outer * 0.5;
        for j in 0..10 {
            inner = inner * x + 0.1 * (j as f64);
            if inner > 3.0 {
                break;
            }
        }
        outer = outer + inner * (i as f64 + 1.0);
        if outer > 50.0 {
            break;
        }
    }
    outer
}

// while with break, condition reads a carried value
#[differentiable]
fn while_cond(x: f64) -> f64 {
    let mut y = x;
    let mut n = 0;
    while y < 10.0 {
        y = y * 1.3 + x * 0.1;
        n += 1;
        if n > 30 {
            break;
        }
        if y * x > 7.0 {
            break;
        }
    }
    y * (n as f64)
}

// integer counter only carried; used after
#[differentiable]
fn counter(x: f64) -> f64 {
    let mut n = 0usize;
    let mut k = 0;
    while k < 10 {
        k += 1;
        if (k as f64) > x * 3.0 {
            n += 2;
        }
    }
    x * n as f64
}

// a constant read by a step, then changed in place by constant code in the same pass
#[differentiable]
fn mutated_const(x: f64) -> f64 {
    let mut y = x;
    for k in 0..3 {
        let mut c = 2.0;
        y = y * c;
        if k < 100 {
            c = 5.0;
        }
        y = y + c * 0.0;
    }
    y
}

// constant code after an early return mutates a variable declared before it
#[differentiable]
fn twice(x: f64) -> f64 {
    let mut n = 0.0;
    if x > 10.0 {
        return x;
    }
    for _ in 0..3 {
        n += 1.0;
    }
    n * x
}

#[differentiable]
fn twice_loop(x: f64) -> f64 {
    let mut y = x;
    for k in 0..3 {
        let mut c = 1.0;
        if k == 1 {
            continue;
        }
        for _ in 0..2 {
            c += 1.0;
        }
        y = y * c;
    }
    y
}

#[differentiable(wrt(x))]
fn tail_match_return(x: f64, k: u32) -> f64 {
    let y = x * x;
    match k {
        0 => return y * 2.0,
        _ => y + x,
    }
}

// in-place mutation of an index by constant code, container built in the body
#[differentiable]
fn idx_mut(x: f64) -> f64 {
    let mut v = vec![0.0; 2];
    let mut j = 0;
    v[j] = x * 2.0;
    if v.len() > 1 {
        j = 1;
    }
    v[j] += x * x;
    v[0] * 3.0 + v[1]
}

// continue in a match inside a while whose condition reads a carried value
#[differentiable]
fn while_match(x: f64) -> f64 {
    let mut y = x;
    let mut k = 0;
    while y < 5.0 && k < 30 {
        k += 1;
        match k % 3 {
            0 => continue,
            1 => y = y * 1.2,
            _ => y = y + x * 0.1,
        }
        y = y + 0.01;
    }
    y
}

// Vec of arrays written in a loop
#[differentiable(wrt(w))]
fn vec_of_arrays(w: &Array1<f64>) -> f64 {
    let mut hs = vec![Array1::<f64>::zeros(2); 3];
    let mut h = w.clone();
    for t in 0..3 {
        h = (&h * w).tanh();
        hs[t] = h.clone();
    }
    hs[0] = w * 3.0;
    let mut s = 0.0;
    for t in 0..3 {
        s += hs[t].sum() * (t as f64 + 1.0);
    }
    s
}

// `loop` as the tail expression, left only by `return`
#[differentiable]
fn newton_tail(a: f64) -> f64 {
    let mut x = a;
    loop {
        let next = 0.5 * (x + a / x);
        if (next - x).abs() < 1e-12 {
            return next;
        }
        x = next;
    }
}

#[differentiable]
fn wild(x: f64) -> f64 {
    let mut y = x;
    for k in 0..3 {
        let _ = k;
        for _ in 0..2 {
            y = y * x + 0.1;
        }
    }
    y
}

#[differentiable(wrt(w))]
fn const_local_view(w: &Array1<f64>, xs: &Array2<f64>) -> f64 {
    let mut s = 0.0;
    for t in 0..xs.nrows() {
        let m = xs * (t as f64 + 1.0);
        let z = m.row(t).dot(w);
        s += z.tanh();
    }
    s
}

// writes inside branches and loops
#[differentiable]
fn write_branch(x: f64) -> f64 {
    let mut v = vec![0.0; 4];
    for i in 0..4 {
        if i % 2 == 0 {
            v[i] = x * i as f64;
        } else {
            v[i] -= x.sin();
        }
    }
    if x > 0.5 {
        v[0] = x.exp();
    }
    let mut s = 0.0;
    for i in 0..4 {
        s += v[i] * v[i];
    }
    s
}

#[test]
fn constant_code_changes_copies() {
    check(cs, cs_grad, &[0.3, 1.7]);
    check(cs_last, cs_last_grad, &[0.3, 1.7]);
    check(inner_const, inner_const_grad, &[0.7, 2.0]);
    check(counter, counter_grad, &[0.3, 1.2, 2.5]);
    check(mutated_const, mutated_const_grad, &[0.7]);
    check(twice, twice_grad, &[0.7, 11.0]);
    check(twice_loop, twice_loop_grad, &[0.7]);
    check(idx_mut, idx_mut_grad, &[0.4, 1.3]);
}

#[test]
fn jumps_everywhere() {
    check(nested, nested_grad, &[0.3, 0.9, 1.4]);
    check(while_cond, while_cond_grad, &[0.5, 1.5]);
    check(while_match, while_match_grad, &[0.3, 1.7]);
    check(newton_tail, newton_tail_grad, &[2.0, 9.0]);
    check(wild, wild_grad, &[0.7]);
    for k in [0, 3] {
        check(
            |x| tail_match_return(x, k),
            |x| tail_match_return_grad(x, k),
            &[0.7],
        );
    }
}

#[test]
fn arrays_local_to_a_pass() {
    let xs = array![[1.0, 2.0], [3.0, 4.0]];
    let w: Array1<f64> = array![0.3, -0.2];
    let (value, d_w) = const_local_view_grad(&w, &xs);
    assert_eq!(value, const_local_view(&w, &xs));
    let (_, d_v) = vec_of_arrays_grad(&w);
    for i in 0..2 {
        let at = |f: &dyn Fn(&Array1<f64>) -> f64| {
            central(
                |t| {
                    let mut w = w.clone();
                    w[i] = t;
                    f(&w)
                },
                w[i],
            )
        };
        assert!((d_w[i] - at(&|w| const_local_view(w, &xs))).abs() < 1e-6);
        assert!((d_v[i] - at(&|w| vec_of_arrays(w))).abs() < 1e-6);
    }
    check(write_branch, write_branch_grad, &[0.3, 0.9]);
}

static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn tick() -> f64 {
    CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    1.0
}

/// Constant code after an early return sits in an arm: it runs once.
#[differentiable]
fn side_effect(x: f64) -> f64 {
    if x < -10.0 {
        return 0.0;
    }
    let c = tick();
    x * x * c
}

/// A loop inside an arm keeps its stack with the arm's values.
#[differentiable]
fn loop_in_arm(x: f64) -> f64 {
    let mut y = x;
    if x > 0.0 {
        for k in 0..4 {
            y = y * x + k as f64;
        }
    } else {
        y = y.sin();
    }
    y
}

#[test]
fn arms_run_once() {
    CALLS.store(0, std::sync::atomic::Ordering::SeqCst);
    let (value, d) = side_effect_grad(1.5);
    assert_eq!((value, d), (2.25, 3.0));
    assert_eq!(CALLS.load(std::sync::atomic::Ordering::SeqCst), 1);
    check(loop_in_arm, loop_in_arm_grad, &[-0.5, 0.8]);
}

/// Many statements whose arms partly jump: the rest of the pass follows each
/// once (behind a flag), not copied into every arm, so the code stays small.
#[differentiable]
fn many_partial_jumps(x: f64) -> f64 {
    let mut y = x;
    for k in 0..20 {
        if k % 2 == 0 {
            if k % 3 == 0 {
                continue;
            }
            y = y * 1.01;
        }
        if k % 5 == 0 {
            if k % 7 == 0 {
                continue;
            }
            y = y * 1.02;
        }
        if k % 4 == 0 {
            if k % 9 == 0 {
                break;
            }
            y = y * 1.03;
        }
        if k % 6 == 0 {
            if k % 11 == 0 {
                continue;
            }
            y = y * 1.04;
        }
        if k % 8 == 0 {
            if k % 13 == 0 {
                continue;
            }
            y = y * 1.05;
        }
        y = y + x * 0.01;
    }
    y
}

#[test]
fn partial_jumps() {
    check(many_partial_jumps, many_partial_jumps_grad, &[0.7, 1.3]);
}

/// A constant updated in a nested block inside a loop, then again after it.
#[differentiable]
fn constant_updated_twice(x: f64) -> f64 {
    let mut v: f64 = 0.5;
    for _ in 0..3 {
        if x > 0.0 {
            v += 1.0;
        }
        v *= 2.0;
    }
    v * x
}

/// A constant assigned, then updated in a branch.
#[differentiable(wrt(x))]
fn constant_assigned_then_updated(x: f64, k: usize) -> f64 {
    let mut v: f64 = 0.5;
    v = 2.0 * v;
    if k > 0 {
        v += 1.0;
    }
    v * x
}

/// A constant changed in a block nested in a branch, then read.
#[differentiable(wrt(x))]
fn constant_in_nested_block(x: f64, k: usize) -> f64 {
    let mut v: f64 = 2.0;
    let mut r = x;
    if k == 0 {
        if k < 5 {
            v += 0.5;
        }
        r = v * x;
    }
    r
}

/// A loop whose body ends in a jump.
#[differentiable]
fn ends_in_continue(x: f64) -> f64 {
    let mut y = x;
    for _ in 0..2 {
        y = y * x;
        if x > 0.5 {
            continue;
        }
    }
    y
}

#[test]
fn constants_updated_anywhere() {
    check(
        constant_updated_twice,
        constant_updated_twice_grad,
        &[-0.4, 0.3],
    );
    for k in [0, 1, 7] {
        check(
            |x| constant_assigned_then_updated(x, k),
            |x| constant_assigned_then_updated_grad(x, k),
            &[0.3],
        );
        check(
            |x| constant_in_nested_block(x, k),
            |x| constant_in_nested_block_grad(x, k),
            &[0.3],
        );
    }
    check(ends_in_continue, ends_in_continue_grad, &[0.3, 0.8]);
}

/// Constant code with names of its own that shadow renamed outer ones.
#[differentiable]
fn own_names_in_constant_code(x: f64) -> f64 {
    let n = 2.0;
    let n = n * 3.0;
    let mut count = 0.0;
    for k in 0..3 {
        let n = k as f64;
        count += n;
    }
    let picked = match Some(4.0) {
        Some(n) if n > 1.0 => n,
        _ => 0.0,
    };
    x * (n + count + picked)
}

#[test]
fn constant_code_keeps_its_own_names() {
    // n = 6, count = 0 + 1 + 2, picked = 4: d/dx = 13.
    let (value, d) = own_names_in_constant_code_grad(0.5);
    assert_eq!(value, own_names_in_constant_code(0.5));
    assert_eq!(d, 13.0);
}

/// A statement whose arms jump and fall through (the rest of the loop body
/// runs after it behind a flag), holding in an arm another such statement:
/// the inner one's `continue` must tell the outer flag too.
#[differentiable]
fn nested_jump_flags(x: f64, n: usize) -> f64 {
    let mut y = x;
    let mut c = 0;
    while c < n {
        c += 1;
        if c % 3 == 0 {
            if c == 6 {
                y = y * 0.5;
                break;
            } else {
                y = y + 1.0;
            }
            y = y.sin();
        } else {
            match c {
                1 => {
                    y = y * 3.0;
                    continue;
                }
                2 => y = y.cos(),
                _ => y = y + 0.5,
            }
            y = y * 1.1;
        }
        y = y.tanh();
    }
    y
}

#[test]
fn nested_flags_of_jumps_are_kept_apart() {
    for n in [1, 2, 4, 8] {
        let (value, d) = nested_jump_flags_grad(0.3, n);
        assert_eq!(value, nested_jump_flags(0.3, n), "n = {n}");
        let want = central(|x| nested_jump_flags(x, n), 0.3);
        assert!((d - want).abs() < 1e-6, "n = {n}: {d} vs {want}");
    }
}

/// A view out of a branch inside a loop, of an array the pass made: the
/// stack keeps a copy of what the view sees (the view would borrow what the
/// stack holds).
#[differentiable]
fn row_of_branch(m: &Array2<f64>, n: usize) -> f64 {
    let mut t: f64 = 0.5;
    for i in 0..n {
        let local = m * 2.0;
        let r = if i % 2 == 0 {
            local.row(0)
        } else {
            local.row(1)
        };
        t = t + (&r * &r).sum() * t.sin();
    }
    t
}

#[test]
fn views_out_of_branches_in_loops() {
    let m = array![[0.3, -0.2], [0.5, 0.1]];
    let (value, d) = row_of_branch_grad(&m, 3);
    assert_eq!(value, row_of_branch(&m, 3));
    common::assert_close(&d, &common::central_array(&m, |m| row_of_branch(m, 3)));
}

/// The same inside an arm, which hands out what its backward pass reads.
#[differentiable]
fn row_of_nested_branch(m: &Array2<f64>, a: bool, b: bool) -> f64 {
    let t = if a {
        let local = m * 2.0;
        let r = if b { local.row(0) } else { local.row(1) };
        (&r * &r).sum()
    } else {
        m.sum()
    };
    t * t.sin()
}

#[test]
fn views_out_of_branches_in_arms() {
    let m = array![[0.3, -0.2], [0.5, 0.1]];
    for (a, b) in [(true, true), (true, false), (false, true)] {
        let (value, d) = row_of_nested_branch_grad(&m, a, b);
        assert_eq!(value, row_of_nested_branch(&m, a, b));
        let want = common::central_array(&m, |m| row_of_nested_branch(m, a, b));
        common::assert_close(&d, &want);
    }
}

// ----- found by a review of tuples, arrays, get, prints and match slots -----

// From review: tuple7.
#[differentiable(wrt(x))]
fn t7(x: f64, ks: &[u8]) -> Option<(f64, f64)> {
    let mut acc = (x, 0.0);
    for i in 0..ks.len() {
        let k = ks[i];
        acc = match k {
            0 => return None,
            1 => (acc.0 * x, acc.1),
            n if n > 5 => {
                let t = (acc.1, acc.0);
                t
            }
            n => (acc.0 + n as f64, acc.1 + acc.0.sin()),
        };
    }
    Some(acc)
}
#[test]
fn t_t7() {
    let ks = [1, 3, 7, 1, 2];
    let (v, pb) = t7_vjp(0.6, &ks).unwrap();
    assert_eq!(Some(v), t7(0.6, &ks));
    let d0 = pb((1.0, 0.0));
    let d1 = t7_vjp(0.6, &ks).unwrap().1((0.0, 1.0));
    let w0 = central(|x| t7(x, &ks).unwrap().0, 0.6);
    let w1 = central(|x| t7(x, &ks).unwrap().1, 0.6);
    assert!(
        (d0 - w0).abs() < 1e-6 && (d1 - w1).abs() < 1e-6,
        "{d0} {w0} {d1} {w1}"
    );
    assert!(t7_vjp(0.6, &[1, 0]).is_none());
}

// From review: tuple8.
#[differentiable]
fn t13(p: (f64, f64), x: f64, c: bool) -> f64 {
    let t = if c { p } else { (x, x * x) };
    t.0 * t.1
}
#[test]
fn t_t13() {
    let (v, (dp, dx)) = t13_grad((0.5, 2.0), 0.3, true);
    assert_eq!(v, 1.0);
    assert_eq!(dx, 0.0);
    assert_eq!(dp, (2.0, 0.5), "dp = {dp:?}");
}

// From review: match4.
enum Layer {
    Dense(Array1<f64>),
    Id,
}
#[differentiable(wrt(x))]
fn m4(x: &Array1<f64>, l: &Layer) -> f64 {
    match l {
        Layer::Dense(w) => (x * w).sum(),
        Layer::Id => x.sum(),
    }
}
#[differentiable(wrt(x))]
fn m12(x: f64, o: Option<Array1<f64>>) -> f64 {
    match o {
        Some(v) => (v * x).sum(),
        None => x,
    }
}
#[test]
fn t_m4() {
    let x = array![1.0, 2.0];
    let (v, d) = m4_grad(&x, &Layer::Dense(array![3.0, 4.0]));
    assert_eq!(v, 11.0);
    assert_eq!(d, array![3.0, 4.0]);
    assert_eq!(m4_grad(&x, &Layer::Id), (3.0, array![1.0, 1.0]));
    let (v, d) = m12_grad(2.0, Some(array![3.0, 4.0]));
    assert_eq!((v, d), (14.0, 7.0));
}

// From review: match7.
#[differentiable(wrt(x))]
fn m21(x: &Array1<f64>, o: Option<Array1<f64>>) -> f64 {
    match o {
        Some(ref w) => (x * w).sum(),
        None => x.sum(),
    }
}
#[test]
fn t_m21() {
    let x = array![1.0, 2.0];
    let (v, d) = m21_grad(&x, Some(array![3.0, 4.0]));
    assert_eq!(v, 11.0);
    assert_eq!(d, array![3.0, 4.0]);
}

// From review: view4.
#[differentiable(wrt(m))]
fn w6(m: &Array2<f64>, x: &Array1<f64>, c: &[bool], s: f64) -> f64 {
    let mut acc = 0.0;
    for i in 0..c.len() {
        let m2 = m * (acc + s);
        let r = if c[i] {
            if acc > 1.0 { m2.row(0) } else { m2.column(0) }
        } else {
            if acc > 2.0 { m2.row(1) } else { m2.column(1) }
        };
        acc = acc + (&r * x).sum();
    }
    acc
}
#[test]
fn t_w6() {
    let m = array![[1.0, 2.0], [3.0, -4.0]];
    let x = array![0.3, 0.5];
    let c = [true, false, true];
    let (v, d) = w6_grad(&m, &x, &c, 0.5);
    assert_eq!(v, w6(&m, &x, &c, 0.5));
    assert_close(&d, &central_array(&m, |m| w6(m, &x, &c, 0.5)));
}

// From review: vec1.
#[differentiable]
fn v3(x: f64, y: f64) -> f64 {
    let m = vec![vec![x, y], vec![y * x, x.sin()]];
    m[0][1] * m[1][0] + m[1][1]
}
#[test]
fn t_v3() {
    let (v, (dx, dy)) = v3_grad(0.5, 1.5);
    assert_eq!(v, v3(0.5, 1.5));
    assert!((dx - central(|x| v3(x, 1.5), 0.5)).abs() < 1e-6);
    assert!((dy - central(|y| v3(0.5, y), 1.5)).abs() < 1e-6);
}
#[differentiable]
fn v5(x: f64, n: usize) -> f64 {
    let mut v = vec![x, 0.5];
    for _ in 0..n {
        v = vec![v[0] * v[1] + x, v[1] + v[0]];
    }
    v[0] + v[1]
}
#[test]
fn t_v5() {
    for n in [0, 1, 3] {
        let (v, d) = v5_grad(0.7, n);
        assert_eq!(v, v5(0.7, n));
        let want = central(|x| v5(x, n), 0.7);
        assert!((d - want).abs() < 1e-6, "{n}: {d} {want}");
    }
}
#[differentiable]
fn v7(x: f64, y: f64, c: bool) -> f64 {
    let v = if c { vec![x, y * y] } else { vec![y, x] };
    let a = if c { [x, y] } else { [y * x, 1.0] };
    v[0] * v[1] + a[0] * a[1]
}
#[test]
fn t_v7() {
    for c in [true, false] {
        let (v, (dx, dy)) = v7_grad(0.5, 1.5, c);
        assert_eq!(v, v7(0.5, 1.5, c));
        assert!((dx - central(|x| v7(x, 1.5, c), 0.5)).abs() < 1e-6);
        assert!((dy - central(|y| v7(0.5, y, c), 1.5)).abs() < 1e-6);
    }
}
#[differentiable]
fn v12(x: f64, y: f64) -> f64 {
    let v = [x, y];
    let mut w = v;
    w[0] = w[0] * 3.0;
    v[0] * w[0] + w[1]
}
#[test]
fn t_v12() {
    let (v, (dx, dy)) = v12_grad(0.5, 1.5);
    assert_eq!(v, v12(0.5, 1.5));
    assert!((dx - 3.0).abs() < 1e-12, "{dx}");
    assert!((dy - 1.0).abs() < 1e-12, "{dy}");
}

// From review: vec2.
#[differentiable]
fn v13(x: &Array1<f64>, y: &Array1<f64>) -> f64 {
    let rows = [x, y];
    (rows[0] * rows[1]).sum()
}
#[test]
fn t_v13() {
    let (v, (dx, dy)) = v13_grad(&array![1.0, 2.0], &array![3.0, 4.0]);
    assert_eq!(v, 11.0);
    assert_eq!(dx, array![3.0, 4.0]);
    assert_eq!(dy, array![1.0, 2.0]);
}

// From review: vec3.
#[differentiable]
fn v2(m: &Array2<f64>) -> f64 {
    let rows = [m.row(0), m.row(1)];
    (&rows[0] * &rows[1]).sum()
}
#[test]
fn t_v2() {
    let (v, d) = v2_grad(&array![[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!(v, 11.0);
    assert_eq!(d, array![[3.0, 4.0], [1.0, 2.0]]);
}

// From review: vec7.
#[differentiable]
fn v17(x: f64, y: f64, c: bool) -> f64 {
    let a = [x, y];
    let b = if c { a } else { [y, x * x] };
    a[0] * b[1]
}
#[test]
fn t_v17() {
    assert_eq!(v17_grad(2.0, 3.0, true), (6.0, (3.0, 2.0)));
    assert_eq!(v17_grad(2.0, 3.0, false), (8.0, (12.0, 0.0)));
}

// From review: print2.
#[differentiable(wrt(w))]
fn p2(w: &[f64]) -> f64 {
    let a = w[0];
    println!("{a}");
    a * 2.0
}
#[test]
fn t_p2() {
    let (v, d) = p2_grad(&[1.0, 2.0]);
    assert_eq!(v, 2.0);
    assert_eq!(d[0], 2.0);
}
#[differentiable]
fn p2b(x: f64) -> f64 {
    let mut y = x;
    y = y * 2.0;
    println!("{v}", v = y);
    y
}
#[test]
fn t_p2b() {
    check(p2b, p2b_grad, &[0.5]);
}

// From review: print3.
#[differentiable]
fn p3(x: f64) -> f64 {
    let t = (x, x * 2.0);
    println!("{t:?}");
    t.0 * t.1
}
#[test]
fn t_p3() {
    check(p3, p3_grad, &[0.5]);
}

// From review: get2.
fn bump(c: &std::cell::Cell<usize>) -> usize {
    let v = c.get();
    c.set(v + 1);
    v
}
#[differentiable(wrt(w))]
fn g6(w: &[f64], c: &std::cell::Cell<usize>) -> Option<f64> {
    let a = *w.get(bump(c))?;
    Some(a * a)
}
#[test]
fn t_g6() {
    let c = std::cell::Cell::new(0);
    let (v, d) = g6_grad(&[3.0, 5.0], &c).unwrap();
    assert_eq!(c.get(), 1, "index evaluated {} times", c.get());
    assert_eq!(v, 9.0);
    assert_eq!(d, vec![6.0, 0.0]);
}

// From review: get3.
#[differentiable(wrt(a))]
fn g9(a: &Array2<f64>) -> Option<f64> {
    let x = *a.first()?;
    let y = *a.last()?;
    Some(x * y)
}
#[test]
fn t_g9() {
    let a = array![[1.0, 2.0], [3.0, 4.0]];
    let (v, d) = g9_grad(&a).unwrap();
    assert_eq!(v, 4.0);
    assert_eq!(d, array![[4.0, 0.0], [0.0, 1.0]]);
}

// From review: get5.
#[derive(Parameters, Clone, Debug, PartialEq)]
struct P {
    w: Array1<f64>,
    v: Vec<f64>,
}
impl P {
    #[differentiable(wrt(self))]
    fn pick(&self, i: usize, x: f64) -> Option<f64> {
        let a = *self.w.get(i)?;
        let b = self.v.last().copied()?;
        Some(a * b * x)
    }
}
#[test]
fn t_g5() {
    let p = P {
        w: array![1.0, 2.0],
        v: vec![3.0, 4.0],
    };
    let (val, d) = p.pick_grad(1, 2.0).unwrap();
    assert_eq!(val, 16.0);
    assert_eq!(d.w, array![0.0, 8.0]);
    assert_eq!(d.v, vec![0.0, 4.0]);
}
#[differentiable]
fn g8<T: Real>(x: T, y: T) -> Option<T> {
    let v = vec![x * y, x];
    let a = [y, x * x];
    Some(*v.get(0)? * a.last().copied()? + *a.first()?)
}
#[test]
fn t_g8() {
    let (val, (dx, dy)) = g8_grad(2.0f32, 3.0f32).unwrap();
    assert_eq!(val, 6.0 * 4.0 + 3.0);
    assert_eq!((dx, dy), (3.0 * 4.0 + 6.0 * 4.0, 2.0 * 4.0 + 1.0));
    let (val, (dx, dy)) = g8_grad(2.0f64, 3.0f64).unwrap();
    assert_eq!(val, 27.0);
    assert_eq!((dx, dy), (36.0, 9.0));
}

// From review: get6.
#[differentiable(wrt(v))]
fn g11a(v: &Vec<Array1<f64>>, x: f64) -> Option<f64> {
    let r = v.get(1)?;
    Some((r * x).sum())
}
#[test]
fn t_g11a() {
    let v = vec![array![1.0, 2.0], array![3.0, 4.0]];
    let (val, d) = g11a_grad(&v, 2.0).unwrap();
    assert_eq!(val, 14.0);
    assert_eq!(d[1], array![2.0, 2.0]);
}

// From review: panic_arm.
#[differentiable]
fn p(x: f64, k: u8) -> f64 {
    let t = match k {
        0 => panic!("no"),
        1 => (x, 2.0),
        _ => (x * x, x),
    };
    t.0 * t.1
}
#[test]
fn t() {
    assert_eq!(p_grad(3.0, 1), (6.0, 2.0));
    assert_eq!(p_grad(3.0, 2), (27.0, 27.0));
    let r = std::panic::catch_unwind(|| p_grad(3.0, 0));
    let msg = r.unwrap_err();
    assert_eq!(msg.downcast_ref::<&str>(), Some(&"no"));
}

/// An index that calls something is computed once: the element read and
/// the element the backward pass adds into are the same.
fn next_index(calls: &std::cell::Cell<usize>) -> usize {
    let k = calls.get();
    calls.set(k + 1);
    k % 3
}

#[differentiable(wrt(w))]
fn indexed_by_call(w: &[f64], calls: &std::cell::Cell<usize>) -> f64 {
    let a = w[next_index(calls)];
    let b = w[next_index(calls)];
    a * b * b
}

#[test]
fn indices_that_call_run_once() {
    let calls = std::cell::Cell::new(0);
    let (value, d) = indexed_by_call_grad(&[2.0, 3.0, 5.0], &calls);
    assert_eq!(calls.get(), 2);
    assert_eq!(value, 18.0);
    assert_eq!(d, vec![9.0, 12.0, 0.0]);
}
