//! Functions that return their value in an `Option` or a `Result` and stop
//! early with `?`, `None` or `Err(..)`: their derivatives return the value
//! and gradient in the same `Option` or `Result`, and stop where they stop.

use gradgen::ndarray::{Array1, Array2, Axis, ShapeError, array};
use gradgen::prelude::*;

mod common;
use common::{assert_close, central, central_array};

// ----- `?` after ndarray's methods ------------------------------------------

/// Mean squared error, written as ndarray users write it: `mean()` is `None`
/// for an empty array.
#[differentiable(wrt(pred))]
fn mse(pred: &Array1<f64>, target: &Array1<f64>) -> Option<f64> {
    let e = pred - target;
    let m = (&e * &e).mean()?;
    Some(m)
}

#[test]
fn question_mark_after_mean_differentiates() {
    let pred = array![0.5, -1.0, 2.0, 0.25];
    let target = array![1.0, 0.0, 1.5, -0.5];
    let (value, d) = mse_grad(&pred, &target).expect("the arrays are not empty");
    assert_eq!(Some(value), mse(&pred, &target));
    let want = 2.0 / 4.0 * (&pred - &target);
    assert_close(&d, &want);
    assert_close(&d, &central_array(&pred, |p| mse(p, &target).unwrap()));
}

#[test]
fn the_derivative_stops_where_the_function_stops() {
    let empty = Array1::<f64>::zeros(0);
    assert_eq!(mse(&empty, &empty), None);
    assert!(mse_grad(&empty, &empty).is_none());
    assert!(mse_vjp(&empty, &empty).is_none());
}

/// The batched loss of a linear layer: `mean_axis(..)?` over the batch,
/// then `mean()?` over the outputs, and the tail an `Option` itself.
#[differentiable(wrt(w))]
fn batch_loss(w: &Array2<f64>, x: &Array2<f64>) -> Option<f64> {
    let y = x.dot(w).tanh();
    let per_output = y.mean_axis(Axis(0))?;
    (&per_output * &per_output).mean()
}

#[test]
fn mean_axis_and_a_tail_option_differentiate() {
    let w = array![[0.3, -0.2], [0.1, 0.4], [-0.5, 0.25]];
    let x = array![
        [1.0, 2.0, -1.0],
        [0.5, -0.5, 0.25],
        [0.0, 1.0, 2.0],
        [2.0, -1.0, 0.5]
    ];
    let (value, d) = batch_loss_grad(&w, &x).unwrap();
    assert_eq!(Some(value), batch_loss(&w, &x));
    assert_close(&d, &central_array(&w, |w| batch_loss(w, &x).unwrap()));
    // No examples: `mean_axis` is `None`.
    assert!(batch_loss_grad(&w, &Array2::zeros((0, 3))).is_none());
}

/// `?` on `Result`s: ndarray's shape errors pass through unchanged.
#[differentiable(wrt(x))]
fn folded(x: &Array1<f64>, rows: usize) -> Result<f64, ShapeError> {
    let m = x.to_shape((rows, 2))?;
    let col = m.sum_axis(Axis(0));
    Ok((&col * &col).sum() + m.sin().sum())
}

#[test]
fn shape_errors_pass_through() {
    let x = array![0.5, -1.0, 2.0, 0.25, 1.5, -0.75];
    let (value, d) = folded_grad(&x, 3).expect("6 elements fold into 3 rows");
    assert_eq!(value, folded(&x, 3).unwrap());
    assert_close(&d, &central_array(&x, |x| folded(x, 3).unwrap()));
    let error = folded_grad(&x, 4).map(|(v, _)| v).unwrap_err();
    assert_eq!(error, folded(&x, 4).unwrap_err());
}

#[derive(Debug, PartialEq)]
enum LossError {
    Empty,
    Negative(usize),
}

/// `.ok_or(e)?` turns `mean()`'s `None` into an error of the user's own;
/// `return Err(..)` stops with one, from inside a loop.
#[differentiable(wrt(x))]
fn checked(x: &Array1<f64>) -> Result<f64, LossError> {
    let mut total = 0.0;
    for i in 0..x.len() {
        if x[i] < 0.0 {
            return Err(LossError::Negative(i));
        }
        total += x[i].sqrt();
    }
    let m = x.mean().ok_or(LossError::Empty)?;
    Ok(total * m)
}

#[test]
fn errors_of_the_users_own_pass_through() {
    let x = array![0.5, 1.0, 2.0, 0.25];
    let (value, d) = checked_grad(&x).unwrap();
    assert_eq!(value, checked(&x).unwrap());
    assert_close(&d, &central_array(&x, |x| checked(x).unwrap()));
    let negative = array![0.5, -1.0, 2.0];
    assert_eq!(
        checked_grad(&negative).map(|(v, _)| v),
        Err(LossError::Negative(1))
    );
    assert_eq!(
        checked_grad(&Array1::zeros(0)).map(|(v, _)| v),
        Err(LossError::Empty)
    );
}

// ----- `None` and `Err(..)` where the function returns ---------------------

/// Stops in a branch, as a `match` arm, and as a tail.
#[differentiable]
fn guarded(x: f64, k: i32) -> Option<f64> {
    if x > 10.0 {
        return None;
    }
    let y = match k {
        0 => x.sin(),
        1 => x.exp(),
        _ => return None,
    };
    if y < -0.9 { None } else { Some(y * x) }
}

#[test]
fn none_in_branches_stops_the_derivative() {
    for k in 0..2 {
        for &x in &[0.5, -0.3, 2.0] {
            let (value, d) = guarded_grad(x, k).unwrap();
            assert_eq!(Some(value), guarded(x, k));
            let want = central(|x| guarded(x, k).unwrap(), x);
            assert!((d - want).abs() < 1e-6, "k = {k}, x = {x}: {d} vs {want}");
        }
    }
    assert_eq!(guarded_grad(11.0, 0), None);
    assert_eq!(guarded_grad(0.5, 2), None);
    // sin(-1.5) < -0.9.
    assert_eq!(guarded(-1.5, 0), None);
    assert_eq!(guarded_grad(-1.5, 0), None);
}

/// Stops from inside a loop with `?` on a constant, and with `None`.
#[differentiable(wrt(w))]
fn walk(w: &[f64], steps: &[usize]) -> Option<f64> {
    let mut h = 1.0;
    for t in 0..steps.len() {
        let i = steps.get(t).copied()?;
        if i >= w.len() || w[i] == 0.0 {
            return None;
        }
        let wi = w[i];
        h = (h * wi).tanh() + h;
    }
    Some(h)
}

#[test]
fn stops_inside_loops() {
    let w = [0.5, -1.25, 2.0];
    let steps = [0, 2, 1, 1, 0];
    let (value, d) = walk_grad(&w, &steps).unwrap();
    assert_eq!(Some(value), walk(&w, &steps));
    for i in 0..w.len() {
        let want = central(
            |v| {
                let mut w2 = w;
                w2[i] = v;
                walk(&w2, &steps).unwrap()
            },
            w[i],
        );
        assert!((d[i] - want).abs() < 1e-6, "{i}: {} vs {want}", d[i]);
    }
    // An index past the end, and a zero weight.
    assert_eq!(walk_grad(&w, &[0, 3]), None);
    assert_eq!(walk_grad(&[0.5, 0.0], &[0, 1]), None);
}

// ----- composition ---------------------------------------------------------

#[differentiable]
fn safe_ln(x: f64) -> Option<f64> {
    if x <= 0.0 {
        return None;
    }
    Some(x.ln())
}

/// Calls of a function that returns an `Option`: `?` and `.unwrap()`.
#[differentiable]
fn uses_safe_ln(x: f64, y: f64) -> Option<f64> {
    let a = safe_ln(x)?;
    let b = safe_ln(y * y + 1.0).unwrap();
    Some(a * b + safe_ln(x + y)?)
}

#[test]
fn calls_of_fallible_functions_compose() {
    let (x, y) = (1.5, 0.75);
    let (value, (dx, dy)) = uses_safe_ln_grad(x, y).unwrap();
    assert_eq!(Some(value), uses_safe_ln(x, y));
    let want_x = central(|x| uses_safe_ln(x, y).unwrap(), x);
    let want_y = central(|y| uses_safe_ln(x, y).unwrap(), y);
    assert!((dx - want_x).abs() < 1e-6, "{dx} vs {want_x}");
    assert!((dy - want_y).abs() < 1e-6, "{dy} vs {want_y}");
    assert_eq!(uses_safe_ln_grad(-1.0, 0.5), None);
    // `x + y <= 0` stops at the last call.
    assert_eq!(uses_safe_ln_grad(0.5, -2.0), None);
}

#[derive(Parameters, Clone, Debug)]
struct Layer {
    w: Array2<f64>,
}

impl Layer {
    /// A layer's mean activation per example, `None` for an empty batch.
    #[differentiable]
    fn forward(&self, x: &Array2<f64>) -> Option<Array1<f64>> {
        let y = x.dot(&self.w).tanh();
        y.t().mean_axis(Axis(0))
    }

    #[differentiable(wrt(self))]
    fn loss(&self, x: &Array2<f64>) -> Option<f64> {
        let m = self.forward(x)?;
        m.mapv(f64::exp).mean()
    }
}

#[test]
fn fallible_methods_compose() {
    let layer = Layer {
        w: array![[0.3, -0.2, 0.1], [0.1, 0.4, -0.3]],
    };
    let x = array![[1.0, 2.0], [0.5, -0.5], [0.0, 1.0]];
    let (value, d) = layer.loss_grad(&x).unwrap();
    assert_eq!(Some(value), layer.loss(&x));
    let want = central_array(&layer.w, |w| Layer { w: w.clone() }.loss(&x).unwrap());
    assert_close(&d.w, &want);
    // The vector-valued method's pullback, in an `Option` too.
    let (m, pullback) = layer.forward_vjp(&x).unwrap();
    let (d_layer, _d_x) = pullback(Array1::ones(m.len()));
    assert_eq!(d_layer.w.shape(), [2, 3]);
    assert!(layer.loss_grad(&Array2::zeros((0, 2))).is_none());
}

// ----- a rule of the user's own --------------------------------------------

#[differentiable(rule = safe_sqrt_rule)]
fn safe_sqrt(x: f64) -> Option<f64> {
    (x >= 0.0).then(|| x.sqrt())
}

fn safe_sqrt_rule(_x: f64, value: &f64, d: f64) -> f64 {
    d / (2.0 * value)
}

#[differentiable]
fn uses_safe_sqrt(x: f64) -> Option<f64> {
    Some(safe_sqrt(x)? * x)
}

#[test]
fn fallible_functions_with_rules_compose() {
    let (value, d) = uses_safe_sqrt_grad(4.0).unwrap();
    assert_eq!(value, 8.0);
    assert!((d - 3.0).abs() < 1e-12, "{d}");
    assert_eq!(safe_sqrt_grad(4.0), Some((2.0, 0.25)));
    assert_eq!(uses_safe_sqrt_grad(-1.0), None);
}

// ----- other shapes of results ---------------------------------------------

/// `return Some(..)` from inside a loop, and `None` after it.
#[differentiable]
fn first_above(x: f64, limit: f64) -> Option<f64> {
    let mut y = x;
    for _ in 0..20 {
        y = y * 1.5 + 0.1;
        if y > limit {
            return Some(y * y);
        }
    }
    None
}

#[test]
fn some_from_inside_a_loop() {
    let (x, limit) = (0.7, 5.0);
    let (value, (dx, dlimit)) = first_above_grad(x, limit).unwrap();
    assert_eq!(Some(value), first_above(x, limit));
    let want = central(|x| first_above(x, limit).unwrap(), x);
    assert!((dx - want).abs() < 1e-6 * want.abs(), "{dx} vs {want}");
    assert_eq!(dlimit, 0.0);
    assert_eq!(first_above_grad(-1.0, 5.0), None);
}

/// A tuple value, through `_vjp`; errors converted by `?` into a boxed error.
#[differentiable]
fn polar(v: &Array1<f64>) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    let m = v.to_shape((1, 2))?;
    let x = m.sum_axis(Axis(0));
    let r = (&x * &x).sum().sqrt();
    let first = v.mean().ok_or("empty")?;
    Ok((r, first * r))
}

#[test]
fn tuple_values_and_converted_errors() {
    let v = array![3.0, 4.0];
    let ((r, s), pullback) = polar_vjp(&v).unwrap();
    assert_eq!((r, s), (5.0, 17.5));
    // d r / d v = v / r.
    let d = pullback((1.0, 0.0));
    assert_close(&d, &array![0.6, 0.8]);
    let (_, pullback) = polar_vjp(&v).unwrap();
    let d = pullback((0.0, 1.0));
    assert_close(&d, &central_array(&v, |v| polar(v).unwrap().1));
    let error = polar_vjp(&array![1.0, 2.0, 3.0]).err().unwrap();
    assert_eq!(
        error.to_string(),
        polar(&array![1.0, 2.0, 3.0]).unwrap_err().to_string()
    );
}

// ----- what a review found -------------------------------------------------

/// A counter of calls: code that may stop early runs once, in the forward
/// pass, never again in the backward pass.
fn pick(calls: &std::cell::Cell<usize>, n: usize) -> Option<usize> {
    let k = calls.get();
    calls.set(k + 1);
    (k < n).then_some(k)
}

#[differentiable(wrt(w))]
fn picked(w: &[f64], calls: &std::cell::Cell<usize>) -> Option<f64> {
    let a = w[pick(calls, 1)?] * 2.0;
    let limit = pick(calls, 2)? as f64;
    Some(a * a + limit)
}

#[differentiable(wrt(w))]
#[allow(clippy::needless_range_loop)]
fn picked_in_loop(w: &[f64], rows: &[Vec<f64>], calls: &std::cell::Cell<usize>) -> Option<f64> {
    let mut total = 0.0;
    for t in 0..2 {
        let row = &rows[pick(calls, 2)?];
        total += w[t] * row[0] * total + w[t];
    }
    Some(total)
}

#[test]
fn code_that_stops_early_runs_once() {
    let calls = std::cell::Cell::new(0);
    let (value, d) = picked_grad(&[3.0, 5.0], &calls).unwrap();
    assert_eq!((value, d), (37.0, vec![24.0, 0.0]));
    assert_eq!(calls.get(), 2);

    let rows = vec![vec![2.0], vec![3.0]];
    let calls = std::cell::Cell::new(0);
    let want = picked_in_loop(&[0.5, 1.5], &rows, &calls);
    let calls = std::cell::Cell::new(0);
    let (value, d) = picked_in_loop_grad(&[0.5, 1.5], &rows, &calls).unwrap();
    assert_eq!(Some(value), want);
    assert_eq!(calls.get(), 2);
    // total1 = w0, total2 = w1 * 3 * w0 + w0 + w1.
    assert_eq!(d, vec![3.0 * 1.5 + 1.0, 3.0 * 0.5 + 1.0]);
}

#[derive(Debug, PartialEq)]
struct TooBig {
    n: usize,
}

/// The error of an early stop reads the names the body rebinds: in a
/// format string's captures and in a field shorthand.
#[differentiable(wrt(x))]
fn sized(x: f64, n: usize) -> Result<f64, String> {
    let n = n + 1;
    if n > 3 {
        return Err(format!("too big: {n}"));
    }
    Ok(x * n as f64)
}

#[differentiable(wrt(x))]
fn sized_struct(x: f64, n: usize) -> Result<f64, TooBig> {
    let n = n * 2;
    if n > 3 {
        return Err(TooBig { n });
    }
    Ok(x * n as f64)
}

#[test]
fn errors_read_the_names_as_rebound() {
    assert_eq!(sized(2.0, 5), Err("too big: 6".to_string()));
    assert_eq!(sized_grad(2.0, 5), Err("too big: 6".to_string()));
    assert_eq!(sized_grad(2.0, 1), Ok((4.0, 2.0)));
    assert_eq!(sized_struct_grad(2.0, 2), Err(TooBig { n: 4 }));
}

/// Captured names in format strings are the rebound ones too.
#[differentiable(wrt(x))]
fn printed(x: f64, log: &std::cell::RefCell<Vec<String>>) -> f64 {
    let y = x * 2.0;
    let y = y + 1.0;
    log.borrow_mut().push(format!("{y:.1}"));
    println!("y = {y}");
    y
}

#[test]
fn format_captures_read_the_rebound_names() {
    let log = std::cell::RefCell::new(Vec::new());
    assert_eq!(printed_grad(0.5, &log), (2.0, 2.0));
    assert_eq!(*log.borrow(), ["2.0"]);
}

/// A tail whose error type only the written result type decides.
#[differentiable(wrt(x))]
fn inferred_error(x: &Array1<f64>) -> Result<f64, String> {
    let y = x * 2.0;
    y.mean().ok_or("empty".into())
}

/// `.ok()?` on a `Result` in a function that returns an `Option`, and
/// `None::<f64>` with its type written.
#[differentiable(wrt(x))]
fn shaped_or_none(x: &Array1<f64>, rows: usize) -> Option<f64> {
    if rows == 0 {
        return None::<f64>;
    }
    let m = x.to_shape((rows, 2)).ok()?;
    Some(m.sum_axis(Axis(1)).mapv(f64::exp).sum())
}

/// An error type named only by the result.
#[differentiable(wrt(x))]
fn generic_error<E: From<&'static str>>(x: f64) -> Result<f64, E> {
    if x < 0.0 {
        return Err(E::from("negative"));
    }
    Ok(x.sqrt())
}

#[test]
fn results_whose_types_come_from_the_signature() {
    let x = array![1.0, 2.0];
    assert_eq!(inferred_error_grad(&x), Ok((3.0, array![1.0, 1.0])));
    assert_eq!(
        inferred_error_grad(&Array1::zeros(0)),
        Err("empty".to_string())
    );
    let x = array![0.5, -1.0, 2.0, 0.25];
    let (value, d) = shaped_or_none_grad(&x, 2).unwrap();
    assert_eq!(Some(value), shaped_or_none(&x, 2));
    assert_close(&d, &central_array(&x, |x| shaped_or_none(x, 2).unwrap()));
    assert_eq!(shaped_or_none_grad(&x, 3), None);
    assert_eq!(shaped_or_none_grad(&x, 0), None);
    assert_eq!(generic_error_grad::<String>(4.0), Ok((2.0, 0.25)));
    assert_eq!(
        generic_error_grad::<String>(-4.0),
        Err("negative".to_string())
    );
    let (value, pullback) = generic_error_vjp::<String>(4.0).unwrap();
    assert_eq!((value, pullback(1.0)), (2.0, 0.25));
}

// ----- elements that may be missing ----------------------------------------

/// `get`, `first` and `last` of a slice argument and of a container built in
/// the body, unwrapped in place.
#[differentiable(wrt(w))]
fn ends(w: &[f64], i: usize) -> Option<f64> {
    let a = *w.get(i)?;
    let b = w.first().copied()?;
    let c = *w.last().unwrap();
    let v = [a * b, c.sin()];
    let d = v.get(1).copied()?;
    let e = *v.last()?;
    Some(a * c + d + e * v.first().copied().unwrap())
}

#[test]
fn elements_that_may_be_missing() {
    let w = [0.5, -1.25, 2.0];
    for i in 0..3 {
        let (value, d) = ends_grad(&w, i).unwrap();
        assert_eq!(Some(value), ends(&w, i));
        for j in 0..3 {
            let want = central(
                |v| {
                    let mut w2 = w;
                    w2[j] = v;
                    ends(&w2, i).unwrap()
                },
                w[j],
            );
            assert!(
                (d[j] - want).abs() < 1e-6,
                "i = {i}, d/dw{j}: {} vs {want}",
                d[j]
            );
        }
    }
    assert_eq!(ends_grad(&w, 3), None);
}

/// Guards run once, in the forward pass: `?` in one, and one that counts.
#[differentiable(wrt(x))]
fn guarded_once(x: f64, k: usize, calls: &std::cell::Cell<usize>) -> Option<f64> {
    let y = match k {
        j if j > pick(calls, 3)? => x.sin() * j as f64,
        j => x.cos() + j as f64,
    };
    Some(y * x)
}

#[test]
fn guards_run_once() {
    for k in [0, 2] {
        let calls = std::cell::Cell::new(0);
        let (value, d) = guarded_once_grad(0.7, k, &calls).unwrap();
        assert_eq!(calls.get(), 1);
        assert_eq!(Some(value), guarded_once(0.7, k, &std::cell::Cell::new(0)));
        let want = central(
            |x| guarded_once(x, k, &std::cell::Cell::new(0)).unwrap(),
            0.7,
        );
        assert!((d - want).abs() < 1e-6, "k = {k}: {d} vs {want}");
    }
    // The guard's `?` stops it.
    let calls = std::cell::Cell::new(5);
    assert_eq!(guarded_once_grad(0.7, 1, &calls), None);
}
