//! The array side of the helpers that generated code calls
//! (`gradgen::__private`), called directly as generated code calls them.
//!
//! Every reverse step is checked against central finite differences: for a
//! forward `y = f(x)` and a random adjoint `d` of `y`, the adjoint the helper
//! returns for `x` must be the gradient of `x -> <d, f(x)>`, whose `i`-th
//! entry is `(<d, f(x + h e_i)> - <d, f(x - h e_i)>) / 2h`. Forward values
//! must equal what ndarray itself computes, bit for bit.

use gradgen::__private as gg;
use gradgen::ndarray::{
    Array, Array1, Array2, ArrayD, ArrayView2, Axis, CowArray, Dimension, IxDyn, ShapeBuilder,
    array,
};
use gradgen::prelude::*;

// ----- the harness ------------------------------------------------------

/// A seeded generator (SplitMix64): the same points on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`, in the given shape.
    fn array<Sh: gradgen::ndarray::ShapeBuilder>(
        &mut self,
        shape: Sh,
        lo: f64,
        hi: f64,
    ) -> Array<f64, Sh::Dim> {
        Array::from_shape_simple_fn(shape, || lo + (hi - lo) * self.next())
    }
}

/// `<a, b>`: the sum of the elementwise products.
fn inner<D: Dimension>(a: &Array<f64, D>, b: &Array<f64, D>) -> f64 {
    (a * b).sum()
}

/// Central differences of `x -> <d, f(x)>` at `x`, entry by entry.
fn numeric_grad<D: Dimension, E: Dimension>(
    x: &Array<f64, D>,
    d: &Array<f64, E>,
    f: impl Fn(&Array<f64, D>) -> Array<f64, E>,
) -> Array<f64, D> {
    let h = 1e-6;
    let mut g = Array::zeros(x.raw_dim());
    for (i, gi) in g.iter_mut().enumerate() {
        let mut plus = x.clone();
        let mut minus = x.clone();
        *plus.iter_mut().nth(i).unwrap() += h;
        *minus.iter_mut().nth(i).unwrap() -= h;
        *gi = (inner(d, &f(&plus)) - inner(d, &f(&minus))) / (2.0 * h);
    }
    g
}

/// Asserts that `got` is `want` to a relative-and-absolute tolerance.
#[track_caller]
fn assert_close<D: Dimension>(got: &Array<f64, D>, want: &Array<f64, D>, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-6 * (1.0 + w.abs()),
            "{what}: got\n{got}\nwant\n{want}"
        );
    }
}

/// The gradient of `x -> <d, f(x)>` for a scalar `x`, by central differences.
fn numeric_scalar_grad<E: Dimension>(
    x: f64,
    d: &Array<f64, E>,
    f: impl Fn(f64) -> Array<f64, E>,
) -> f64 {
    let h = 1e-6;
    (inner(d, &f(x + h)) - inner(d, &f(x - h))) / (2.0 * h)
}

// ----- values: Differentiable, Parameters, Accumulate --------------------

#[test]
fn arrays_differentiate_as_owned_standard_arrays() {
    let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let zero: Array2<f64> = a.zero_tangent();
    assert_eq!(zero, Array2::<f64>::zeros((2, 3)));
    // A transposed view's gradient is an owned array of its (transposed) shape.
    let t: Grad<ArrayView2<f64>> = a.t().zero_tangent();
    assert_eq!(t.shape(), &[3, 2]);
    assert!(t.is_standard_layout());
    // References, CowArrays and dynamic dimensions alike.
    let r: Grad<&Array2<f64>> = Differentiable::zero_tangent(&&a);
    assert_eq!(r.dim(), (2, 3));
    let c: Array2<f64> = CowArray::from(a.view()).zero_tangent();
    assert_eq!(c.dim(), (2, 3));
    let dynamic: ArrayD<f64> = a.clone().into_dyn().zero_tangent();
    assert_eq!(dynamic.shape(), &[2, 3]);
    assert_eq!(gg::zero_like(&a), Array2::<f64>::zeros((2, 3)));
    let in_f32: Array1<f32> = Array1::<f32>::ones(4).zero_tangent();
    assert_eq!(in_f32, Array1::<f32>::zeros(4));
}

#[test]
fn arrays_are_parameter_leaves_in_row_major_order() {
    let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    assert_eq!(a.shapes(), vec![vec![2, 3]]);
    assert_eq!(a.to_flat(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(a.zeros_like(), Array2::<f64>::zeros((2, 3)));
    assert_eq!(a.num_scalars(), 6);

    // Vecs of arrays: one leaf per array.
    let layers = vec![array![1.0, 2.0], array![3.0, 4.0, 5.0]];
    assert_eq!(layers.shapes(), vec![vec![2], vec![3]]);
    assert_eq!(layers.to_flat(), vec![1.0, 2.0, 3.0, 4.0, 5.0]);

    // A column-major array: its elements in memory order until a mutable
    // visit puts it in standard layout; then row-major.
    let mut f = Array2::<f64>::zeros((2, 3).f());
    f.assign(&a);
    assert!(!f.is_standard_layout());
    assert_eq!(f.to_flat(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    f.copy_from_flat(&[6.0, 5.0, 4.0, 3.0, 2.0, 1.0]).unwrap();
    assert!(f.is_standard_layout());
    assert_eq!(f, array![[6.0, 5.0, 4.0], [3.0, 2.0, 1.0]]);
    assert_eq!(f.to_flat(), vec![6.0, 5.0, 4.0, 3.0, 2.0, 1.0]);

    // zeros_like is standard whatever the layout of the original.
    let t = a.t().to_owned();
    assert!(t.zeros_like().is_standard_layout());

    // One step of gradient descent through the leaves.
    let mut p = array![1.0_f32, 2.0];
    let g = array![0.5_f32, 0.25];
    for (phi, grad) in p.leaves_mut().into_iter().zip(g.leaves()) {
        for (phi, grad) in phi.iter_mut().zip(grad) {
            *phi -= 2.0 * grad;
        }
    }
    assert_eq!(p, array![0.0, 1.5]);
}

#[test]
fn array_adjoints_accumulate_in_place() {
    let mut d = array![[1.0, 2.0], [3.0, 4.0]];
    let before = d.as_ptr();
    gg::acc(&mut d, array![[1.0, 1.0], [1.0, 1.0]]);
    gg::acc(&mut d, &array![[0.5, 0.5], [0.5, 0.5]]);
    gg::acc(&mut d, array![[1.0, 2.0], [3.0, 4.0]].t());
    assert_eq!(d, array![[3.5, 6.5], [6.5, 9.5]]);
    assert_eq!(d.as_ptr(), before);
}

// ----- operators -------------------------------------------------------------

/// Checks `+ - * /` on operands of the two shapes, in every form (owned,
/// borrowed, view), for the forward value and both adjoints.
fn check_operators(lshape: &[usize], rshape: &[usize], seed: u64) {
    let mut rng = Rng(seed);
    let l: ArrayD<f64> = rng.array(IxDyn(lshape), 0.5, 2.0);
    let r: ArrayD<f64> = rng.array(IxDyn(rshape), 0.5, 2.0);
    let what = |op: &str| format!("{lshape:?} {op} {rshape:?}");

    macro_rules! check {
        ($op:tt, $fwd:path, $lform:expr, $rform:expr) => {{
            let want = &l $op &r;
            let (y, tape) = $fwd($lform, $rform);
            assert_eq!(y, want, "{}: value", what(stringify!($op)));
            let d = rng.array(IxDyn(y.shape()), -1.0, 1.0);
            let dl = tape.lhs(&d);
            let dr = tape.rhs(&d);
            assert!(dl.is_standard_layout() && dr.is_standard_layout());
            assert_close(&dl, &numeric_grad(&l, &d, |l| l $op &r), &what(concat!("d lhs of ", stringify!($op))));
            assert_close(&dr, &numeric_grad(&r, &d, |r| &l $op r), &what(concat!("d rhs of ", stringify!($op))));
        }};
    }
    macro_rules! forms {
        ($op:tt, $fwd:path) => {
            check!($op, $fwd, &l, &r);
            check!($op, $fwd, l.clone(), &r);
            check!($op, $fwd, &l, r.clone());
            check!($op, $fwd, l.clone(), r.clone());
            check!($op, $fwd, l.view(), r.view());
            let lv = l.view();
            check!($op, $fwd, &lv, CowArray::from(r.view()));
        };
    }
    forms!(+, gg::add);
    forms!(-, gg::sub);
    forms!(*, gg::mul);
    forms!(/, gg::div);
}

#[test]
fn operators_broadcast_in_both_directions() {
    let shapes: &[(&[usize], &[usize])] = &[
        (&[3, 4], &[3, 4]),
        (&[3, 1], &[3, 4]),
        (&[3, 4], &[3, 1]),
        (&[4], &[3, 4]),
        (&[3, 4], &[4]),
        (&[1, 4], &[3, 1]),
        (&[2, 1, 4], &[3, 1]),
        (&[], &[3, 4]),
        (&[3, 4], &[]),
        (&[1], &[2, 3]),
    ];
    for (i, (l, r)) in shapes.iter().enumerate() {
        check_operators(l, r, 17 + i as u64);
    }
}

#[test]
fn operators_take_scalars_on_either_side() {
    let mut rng = Rng(3);
    let x: Array2<f64> = rng.array((3, 4), 0.5, 2.0);
    let s = 1.7;
    let d = rng.array((3, 4), -1.0, 1.0);
    macro_rules! check {
        ($op:tt, $fwd:path) => {{
            // scalar op array
            let (y, tape) = $fwd(s, &x);
            assert_eq!(y, s $op &x);
            let ds: f64 = tape.lhs(&d);
            let dx: Array2<f64> = tape.rhs(&d);
            assert!((ds - numeric_scalar_grad(s, &d, |s| s $op &x)).abs() < 1e-6);
            assert_close(&dx, &numeric_grad(&x, &d, |x| s $op x), "d x");
            let (y, _) = $fwd(s, x.clone());
            assert_eq!(y, s $op x.clone());
            // array op scalar
            let (y, tape) = $fwd(&x, s);
            assert_eq!(y, &x $op s);
            let dx: Array2<f64> = tape.lhs(&d);
            let ds: f64 = tape.rhs(&d);
            assert!((ds - numeric_scalar_grad(s, &d, |s| &x $op s)).abs() < 1e-6);
            assert_close(&dx, &numeric_grad(&x, &d, |x| x $op s), "d x");
            let (y, _) = $fwd(x.clone(), s);
            assert_eq!(y, x.clone() $op s);
        }};
    }
    check!(+, gg::add);
    check!(-, gg::sub);
    check!(*, gg::mul);
    check!(/, gg::div);
}

#[test]
fn add_and_sub_reuse_an_owned_operand_and_keep_only_shapes() {
    let x = array![[1.0, 2.0], [3.0, 4.0]];
    let b = array![10.0, 20.0];
    let ptr = x.as_ptr();
    let (y, tape) = gg::add(x, &b);
    assert_eq!(y.as_ptr(), ptr, "the result reuses the moved-in buffer");
    assert_eq!(y, array![[11.0, 22.0], [13.0, 24.0]]);
    // The tape holds no array: only the two shapes.
    assert!(std::mem::size_of_val(&tape) <= 4 * std::mem::size_of::<usize>());
    let d = array![[1.0, 2.0], [3.0, 4.0]];
    assert_eq!(tape.rhs(&d), array![4.0, 6.0]);
    let dptr = d.as_ptr();
    let dx = tape.lhs_owned(d);
    assert_eq!(dx.as_ptr(), dptr, "lhs_owned reuses the adjoint's buffer");

    let (y, tape) = gg::sub(&b, y);
    assert_eq!(y.as_ptr(), ptr, "an owned right operand's buffer, too");
    assert_eq!(y, array![[-1.0, -2.0], [-3.0, -4.0]]);
    assert_eq!(tape.lhs(&Array2::ones((2, 2))), array![2.0, 2.0]);
    assert_eq!(
        tape.rhs_owned(Array2::ones((2, 2))),
        -Array2::<f64>::ones((2, 2))
    );
}

#[test]
fn operators_in_f32() {
    let l = array![[1.0_f32, 2.0], [3.0, 4.0]];
    let r = array![0.5_f32, 4.0];
    let d = array![[1.0_f32, -1.0], [2.0, 0.5]];
    let (y, tape) = gg::mul(&l, &r);
    assert_eq!(y, &l * &r);
    assert_eq!(tape.lhs(&d), &d * &r);
    assert_eq!(tape.rhs(&d), (&d * &l).sum_axis(Axis(0)));
    let (y, tape) = gg::div(2.0_f32, &r);
    assert_eq!(y, 2.0_f32 / &r);
    assert_eq!(tape.rhs(&array![1.0_f32, 1.0]), array![-8.0_f32, -0.125]);
}

#[test]
#[should_panic(expected = "do not broadcast together")]
fn incompatible_shapes_panic_as_in_ndarray() {
    let _ = gg::add(Array2::<f64>::zeros((2, 3)), &Array1::<f64>::zeros(4));
}

// ----- elementwise rules -------------------------------------------------

/// A one-input rule: `f` the forward, `rule(d, x, y)` the reverse step.
fn check_unary(
    name: &str,
    lo: f64,
    hi: f64,
    f: impl Fn(&Array2<f64>) -> Array2<f64>,
    rule: impl Fn(Array2<f64>, &Array2<f64>, &Array2<f64>) -> Array2<f64>,
    scalar: impl Fn(f64, f64, f64) -> f64,
) {
    let mut rng = Rng(name.len() as u64 * 7919);
    let x = rng.array((3, 4), lo, hi);
    let y = f(&x);
    let d = rng.array((3, 4), -1.0, 1.0);
    let ptr = d.as_ptr();
    let dx = rule(d.clone(), &x, &y);
    assert_close(&dx, &numeric_grad(&x, &d, &f), name);
    // The array rule is the scalar rule at every element, bit for bit.
    for ((&dx, &d), (&x, &y)) in dx.iter().zip(&d).zip(x.iter().zip(&y)) {
        assert_eq!(dx.to_bits(), scalar(d, x, y).to_bits(), "{name}");
    }
    // And it writes into the adjoint's buffer.
    let d2 = d;
    let out = rule(d2, &x, &y);
    assert_eq!(out.as_ptr(), ptr, "{name} reuses d");
}

macro_rules! unary {
    ($name:ident, $arg:ident, $lo:expr, $hi:expr) => {
        check_unary(
            stringify!($name),
            $lo,
            $hi,
            |x| x.$name(),
            |d, x, y| {
                let _ = (&x, &y);
                paste_rule!($name)(d, unary!(@arg $arg, x, y))
            },
            |d, x, y| {
                let _ = (x, y);
                paste_rule!($name)(d, unary!(@arg $arg, &x, &y))
            },
        )
    };
    (@arg x, $x:expr, $y:expr) => { $x };
    (@arg y, $x:expr, $y:expr) => { $y };
}

macro_rules! paste_rule {
    (sin) => {
        gg::d_sin
    };
    (cos) => {
        gg::d_cos
    };
    (tan) => {
        gg::d_tan
    };
    (asin) => {
        gg::d_asin
    };
    (acos) => {
        gg::d_acos
    };
    (atan) => {
        gg::d_atan
    };
    (sinh) => {
        gg::d_sinh
    };
    (cosh) => {
        gg::d_cosh
    };
    (tanh) => {
        gg::d_tanh
    };
    (asinh) => {
        gg::d_asinh
    };
    (acosh) => {
        gg::d_acosh
    };
    (atanh) => {
        gg::d_atanh
    };
    (exp) => {
        gg::d_exp
    };
    (exp2) => {
        gg::d_exp2
    };
    (exp_m1) => {
        gg::d_exp_m1
    };
    (ln) => {
        gg::d_ln
    };
    (log2) => {
        gg::d_log2
    };
    (log10) => {
        gg::d_log10
    };
    (ln_1p) => {
        gg::d_ln_1p
    };
    (sqrt) => {
        gg::d_sqrt
    };
    (cbrt) => {
        gg::d_cbrt
    };
    (recip) => {
        gg::d_recip
    };
    (abs) => {
        gg::d_abs
    };
    (signum) => {
        gg::d_signum
    };
}

#[test]
fn every_one_input_rule_works_elementwise_on_arrays() {
    unary!(sin, x, -2.0, 2.0);
    unary!(cos, x, -2.0, 2.0);
    unary!(tan, y, -1.0, 1.0);
    unary!(asin, x, -0.9, 0.9);
    unary!(acos, x, -0.9, 0.9);
    unary!(atan, x, -2.0, 2.0);
    unary!(sinh, x, -2.0, 2.0);
    unary!(cosh, x, -2.0, 2.0);
    unary!(tanh, y, -2.0, 2.0);
    unary!(asinh, x, -2.0, 2.0);
    unary!(acosh, x, 1.1, 3.0);
    unary!(atanh, x, -0.9, 0.9);
    unary!(exp, y, -2.0, 2.0);
    unary!(exp2, y, -2.0, 2.0);
    unary!(exp_m1, y, -2.0, 2.0);
    unary!(ln, x, 0.2, 3.0);
    unary!(log2, x, 0.2, 3.0);
    unary!(log10, x, 0.2, 3.0);
    unary!(ln_1p, x, -0.5, 3.0);
    unary!(sqrt, y, 0.2, 3.0);
    unary!(cbrt, y, 0.2, 3.0);
    unary!(recip, y, 0.5, 3.0);
    unary!(abs, x, -2.0, 2.0);
    unary!(signum, x, -2.0, 2.0);
    check_unary(
        "powi",
        -2.0,
        2.0,
        |x| x.powi(3),
        |d, x, _| gg::d_powi(d, x, 3),
        |d, x, _| gg::d_powi(d, &x, 3),
    );
    check_unary(
        "mapv tanh",
        -2.0,
        2.0,
        |x| x.mapv(f64::tanh),
        |d, _, y| gg::d_tanh(d, y),
        |d, _, y| gg::d_tanh(d, &y),
    );
    check_unary(
        "neg",
        -2.0,
        2.0,
        |x| -x,
        |d, _, _| gg::d_neg(d),
        |d, _, _| gg::d_neg(d),
    );
}

#[test]
fn elementwise_rules_read_views_cows_and_references() {
    let x = array![[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]];
    let d = Array2::<f64>::ones((3, 2));
    let want = x.t().mapv(f64::cos);
    assert_eq!(gg::d_sin(d.clone(), &x.t()), want);
    assert_eq!(gg::d_sin(d.clone(), &CowArray::from(x.t())), want);
    let xt = x.t().to_owned();
    let reference = &xt;
    assert_eq!(gg::d_sin(d.clone(), &reference), want);
    assert_eq!(
        gg::d_sin(d.into_dyn(), &xt.view().into_dyn()),
        want.into_dyn()
    );
    // f32 too.
    let x32 = array![0.5_f32, 1.0];
    assert_eq!(gg::d_exp(array![1.0_f32, 2.0], &x32), array![0.5_f32, 2.0]);
}

#[test]
fn powf_clamp_log_hypot_take_an_array_and_scalars() {
    let mut rng = Rng(99);
    let x: Array2<f64> = rng.array((2, 3), 0.3, 2.0);
    let d = rng.array((2, 3), -1.0, 1.0);

    let e = 2.5;
    let y = x.powf(e);
    assert_close(
        &gg::d_powf_0(&d, &x, &e, &y),
        &numeric_grad(&x, &d, |x| x.powf(e)),
        "powf x",
    );
    let de: f64 = gg::d_powf_1(&d, &x, &e, &y);
    assert!((de - numeric_scalar_grad(e, &d, |e| x.powf(e))).abs() < 1e-6);

    let b = 3.0;
    let y = x.log(b);
    assert_close(
        &gg::d_log_0(&d, &x, &b, &y),
        &numeric_grad(&x, &d, |x| x.log(b)),
        "log x",
    );
    let db: f64 = gg::d_log_1(&d, &x, &b, &y);
    assert!((db - numeric_scalar_grad(b, &d, |b| x.log(b))).abs() < 1e-6);

    let y = x.hypot(b);
    assert_close(
        &gg::d_hypot_0(&d, &x, &b, &y),
        &numeric_grad(&x, &d, |x| x.hypot(b)),
        "hypot x",
    );
    let db: f64 = gg::d_hypot_1(&d, &x, &b, &y);
    assert!((db - numeric_scalar_grad(b, &d, |b| x.hypot(b))).abs() < 1e-6);

    let (lo, hi) = (0.7, 1.5);
    let dx = gg::d_clamp_0(&d, &x, &lo, &hi);
    assert_close(&dx, &numeric_grad(&x, &d, |x| x.clamp(lo, hi)), "clamp x");
    let dlo: f64 = gg::d_clamp_1(&d, &x, &lo, &hi);
    let dhi: f64 = gg::d_clamp_2(&d, &x, &lo, &hi);
    assert!((dlo - numeric_scalar_grad(lo, &d, |lo| x.clamp(lo, hi))).abs() < 1e-6);
    assert!((dhi - numeric_scalar_grad(hi, &d, |hi| x.clamp(lo, hi))).abs() < 1e-6);
}

// ----- array methods -----------------------------------------------------------

#[test]
fn dot_in_all_four_forms() {
    let mut rng = Rng(5);
    let m: Array2<f64> = rng.array((3, 4), -1.0, 1.0);
    let n: Array2<f64> = rng.array((4, 2), -1.0, 1.0);
    let u: Array1<f64> = rng.array(4, -1.0, 1.0);
    let v: Array1<f64> = rng.array(3, -1.0, 1.0);

    // matrix · matrix: d_A = d Bᵀ, d_B = Aᵀ d.
    let d = rng.array((3, 2), -1.0, 1.0);
    let da = gg::d_dot_0(&d, &m, &n);
    let db = gg::d_dot_1(&d, &m, &n);
    assert_close(&da, &numeric_grad(&m, &d, |m| m.dot(&n)), "mat·mat d_a");
    assert_close(&db, &numeric_grad(&n, &d, |n| m.dot(n)), "mat·mat d_b");
    assert!(da.is_standard_layout() && db.is_standard_layout());

    // matrix · vector: d_A = d uᵀ, d_u = Aᵀ d.
    let d = rng.array(3, -1.0, 1.0);
    assert_close(
        &gg::d_dot_0(&d, &m, &u),
        &numeric_grad(&m, &d, |m| m.dot(&u)),
        "mat·vec d_a",
    );
    assert_close(
        &gg::d_dot_1(&d, &m, &u),
        &numeric_grad(&u, &d, |u| m.dot(u)),
        "mat·vec d_b",
    );

    // vector · matrix: d_v = A d, d_A = v dᵀ.
    let d = rng.array(4, -1.0, 1.0);
    assert_close(
        &gg::d_dot_0(&d, &v, &m),
        &numeric_grad(&v, &d, |v| v.dot(&m)),
        "vec·mat d_a",
    );
    assert_close(
        &gg::d_dot_1(&d, &v, &m),
        &numeric_grad(&m, &d, |m| v.dot(m)),
        "vec·mat d_b",
    );

    // vector · vector: d_a = d b, d_b = d a.
    let w: Array1<f64> = rng.array(4, -1.0, 1.0);
    let d = 0.7;
    assert_eq!(gg::d_dot_0(&d, &u, &w), &w * d);
    assert_eq!(gg::d_dot_1(&d, &u, &w), &u * d);
}

#[test]
fn dot_of_views_and_transposed_operands() {
    let mut rng = Rng(6);
    let x: Array2<f64> = rng.array((5, 3), -1.0, 1.0);
    let w: Array2<f64> = rng.array((4, 3), -1.0, 1.0);
    // x · wᵀ, the row-major layer: b = w.t() is a transposed view.
    let d = rng.array((5, 4), -1.0, 1.0);
    let wt = w.t();
    let dx = gg::d_dot_0(&d, &x, &wt);
    let dwt = gg::d_dot_1(&d, &x, &wt);
    assert_close(&dx, &numeric_grad(&x, &d, |x| x.dot(&w.t())), "d x");
    let dw = gg::d_t(dwt, &w);
    // Laid out like wᵀ, so that it transposes back to a row-major gradient.
    assert!(dw.is_standard_layout());
    assert_close(
        &dw,
        &numeric_grad(&w, &d, |w| x.dot(&w.t())),
        "d w through t()",
    );

    // Column vectors (n, 1), the lecture's single-example form.
    let h: Array2<f64> = rng.array((3, 1), -1.0, 1.0);
    let omega: Array2<f64> = rng.array((4, 3), -1.0, 1.0);
    let d = rng.array((4, 1), -1.0, 1.0);
    let dom = gg::d_dot_0(&d, &omega.view(), &h.view());
    assert!(dom.is_standard_layout());
    assert_close(&dom, &numeric_grad(&omega, &d, |o| o.dot(&h)), "d omega");
    let dh = gg::d_dot_1(&d, &&omega, &h);
    assert_close(&dh, &numeric_grad(&h, &d, |h| omega.dot(h)), "d h");

    // Both factors transposed views, and column-major operands.
    let a = x.t(); // (3, 5)
    let b = x.clone(); // (5, 3)
    let d = rng.array((3, 3), -1.0, 1.0);
    let da = gg::d_dot_0(&d, &a, &b);
    let a_owned = a.to_owned();
    assert_close(&da, &numeric_grad(&a_owned, &d, |a| a.dot(&b)), "d aᵀ");
    let db = gg::d_dot_1(&d, &a, &b);
    assert_close(&db, &numeric_grad(&b, &d, |b| a.dot(b)), "d b");

    // f32.
    let a32 = array![[1.0_f32, 2.0], [3.0, 4.0]];
    let d32 = array![[1.0_f32, 0.0], [0.0, 1.0]];
    assert_eq!(gg::d_dot_0(&d32, &a32, &a32), a32.t().to_owned());
}

#[test]
fn transpose_reshape_and_axes() {
    let mut rng = Rng(7);
    let a: Array2<f64> = rng.array((2, 3), -1.0, 1.0);

    let d = rng.array((3, 2), -1.0, 1.0);
    let ptr = d.as_ptr();
    let da = gg::d_t(d.clone(), &a);
    assert_close(&da, &numeric_grad(&a, &d, |a| a.t().to_owned()), "t");
    assert_eq!(gg::d_t(d, &a).as_ptr(), ptr, "no copy");

    let d = rng.array((3, 2), -1.0, 1.0);
    let da = gg::d_to_shape(d.clone(), &a);
    assert_close(
        &da,
        &numeric_grad(&a, &d, |a| a.to_shape((3, 2)).unwrap().into_owned()),
        "to_shape",
    );
    let d = rng.array(6, -1.0, 1.0);
    let da = gg::d_to_shape(d.clone(), &a.t());
    let at = a.t().to_owned();
    assert_close(
        &da,
        &numeric_grad(&at, &d, |a| a.to_shape(6).unwrap().into_owned()),
        "to_shape of a view",
    );

    let d = rng.array((2, 1, 3), -1.0, 1.0);
    let da = gg::d_insert_axis(d.clone(), Axis(1));
    assert_close(
        &da,
        &numeric_grad(&a, &d, |a| a.clone().insert_axis(Axis(1))),
        "insert_axis",
    );

    let d = rng.array((2, 3), -1.0, 1.0);
    assert_eq!(gg::d_identity(d.clone()), d);
    assert_eq!(gg::d_identity(1.5), 1.5);
}

#[test]
fn reductions() {
    let mut rng = Rng(8);
    let a: Array2<f64> = rng.array((3, 4), -1.0, 1.0);
    fn scalar(
        f: impl Fn(&Array2<f64>) -> f64,
    ) -> impl Fn(&Array2<f64>) -> gradgen::ndarray::Array0<f64> {
        move |a| gradgen::ndarray::arr0(f(a))
    }
    let d0 = gradgen::ndarray::arr0(0.3);
    assert_close(
        &gg::d_sum(0.3, &a),
        &numeric_grad(&a, &d0, scalar(|a| a.sum())),
        "sum",
    );
    assert_close(
        &gg::d_mean(0.3, &a.view()),
        &numeric_grad(&a, &d0, scalar(|a| a.mean().unwrap())),
        "mean",
    );
    for axis in [Axis(0), Axis(1)] {
        let d = rng.array(a.sum_axis(axis).raw_dim(), -1.0, 1.0);
        let ds = gg::d_sum_axis(d.clone(), &a, axis);
        assert_close(&ds, &numeric_grad(&a, &d, |a| a.sum_axis(axis)), "sum_axis");
        let dm = gg::d_mean_axis(d.clone(), &a, axis);
        assert_close(
            &dm,
            &numeric_grad(&a, &d, |a| a.mean_axis(axis).unwrap()),
            "mean_axis",
        );
        assert!(ds.is_standard_layout() && dm.is_standard_layout());
    }
    // Dynamic dimensions.
    let ad = a.clone().into_dyn();
    let d = rng.array(IxDyn(&[3]), -1.0, 1.0);
    let ds = gg::d_sum_axis(d.clone(), &ad, Axis(1));
    assert_close(
        &ds,
        &numeric_grad(&ad, &d, |a| a.sum_axis(Axis(1))),
        "sum_axis dyn",
    );
    // f32.
    let a32 = Array2::<f32>::ones((2, 2));
    assert_eq!(
        gg::d_mean(1.0_f32, &a32),
        Array2::from_elem((2, 2), 0.25_f32)
    );
}

#[test]
fn rows_columns_and_selections() {
    let mut rng = Rng(9);
    let a: Array2<f64> = rng.array((3, 4), -1.0, 1.0);
    let d = rng.array(4, -1.0, 1.0);
    assert_close(
        &gg::d_row(d.clone(), &a, 1),
        &numeric_grad(&a, &d, |a| a.row(1).to_owned()),
        "row",
    );
    let d = rng.array(3, -1.0, 1.0);
    assert_close(
        &gg::d_column(d.clone(), &a.view(), 2),
        &numeric_grad(&a, &d, |a| a.column(2).to_owned()),
        "column",
    );
    // Repeated indices add.
    let indices = vec![2, 0, 2];
    for axis in [Axis(0), Axis(1)] {
        let mut shape = a.raw_dim();
        shape[axis.index()] = indices.len();
        let d = rng.array(shape, -1.0, 1.0);
        let ds = gg::d_select(d.clone(), &a, axis, &indices);
        assert_close(
            &ds,
            &numeric_grad(&a, &d, |a| a.select(axis, &indices)),
            "select",
        );
        let slice: &[usize] = &indices;
        assert_eq!(gg::d_select(d.clone(), &a, axis, &slice), ds);
        assert_eq!(gg::d_select(d, &a, axis, &[2, 0, 2]), ds);
    }
}
