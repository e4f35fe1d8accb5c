//! The prelude's activations, softmax family and losses, and their
//! hand-written companions (`NAME::reverse`, the calling convention of
//! generated functions), against central finite differences.
//!
//! For `y = f(x)` and a random adjoint `d` of `y`, the companion must add
//! the gradient of `x -> <d, f(x)>` into the slot it is given, return the
//! value `f(x)`, and leave a discarded slot alone.

use gradgen::__private as gg;
use gradgen::ndarray::{Array, Array1, Array2, ArrayView1, Axis, Dimension, array};
use gradgen::prelude::*;

/// A seeded generator (SplitMix64).
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

    fn array<Sh: gradgen::ndarray::ShapeBuilder>(
        &mut self,
        shape: Sh,
        lo: f64,
        hi: f64,
    ) -> Array<f64, Sh::Dim> {
        Array::from_shape_simple_fn(shape, || lo + (hi - lo) * self.next())
    }
}

/// Central differences of `x -> <d, f(x)>`.
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
        *gi = ((d * &f(&plus)).sum() - (d * &f(&minus)).sum()) / (2.0 * h);
    }
    g
}

/// Central differences of a scalar-valued `f`.
fn numeric_grad_scalar<D: Dimension>(
    x: &Array<f64, D>,
    f: impl Fn(&Array<f64, D>) -> f64,
) -> Array<f64, D> {
    let d = gradgen::ndarray::arr0(1.0);
    numeric_grad(x, &d, |x| gradgen::ndarray::arr0(f(x)))
}

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

/// The slot of a constant argument.
macro_rules! nograd {
    ($e:expr) => {
        gg::NoGrad
    };
}

/// Checks an elementwise function and its companion on arrays (moved in,
/// borrowed, as a view) and on scalars.
macro_rules! check_elementwise {
    ($name:ident $(, $extra:expr)?) => {{
        let mut rng = Rng(stringify!($name).len() as u64);
        // Away from the kink at 0, where differences are not derivatives.
        let x = rng.array((3, 4), 0.1, 2.0) * rng.array((3, 4), -1.0, 1.0).mapv(f64::signum);
        let d = rng.array((3, 4), -1.0, 1.0);
        let f = |x: &Array2<f64>| $name(x $(, $extra)?);
        let want = numeric_grad(&x, &d, f);

        // Borrowed: adds into the caller's adjoint, returns the value.
        let mut g = Array2::<f64>::ones((3, 4));
        let gg::Kept(y) = $name::reverse(&x $(, $extra)?, d.clone(), gg::slot(&mut g) $(, nograd!($extra))?);
        assert_eq!(y, f(&x), "value");
        assert_close(&(g - 1.0), &want, stringify!($name));
        // A view, and an array moved in.
        let mut g = Array2::<f64>::zeros((3, 4));
        let gg::Dropped = $name::reverse(x.view() $(, $extra)?, d.clone(), gg::slot(&mut g) $(, nograd!($extra))?);
        assert_close(&g, &want, stringify!($name));
        let mut g = Array2::<f64>::zeros((3, 4));
        let gg::Dropped = $name::reverse(x.clone() $(, $extra)?, d.clone(), gg::slot(&mut g) $(, nograd!($extra))?);
        assert_close(&g, &want, stringify!($name));
        assert_eq!($name(x.clone() $(, $extra)?), f(&x));
        assert_eq!($name(x.view() $(, $extra)?), f(&x));
        // A discarded slot: only the value, in the adjoint's buffer.
        let ptr = d.as_ptr();
        let gg::Kept(y) = $name::reverse(&x $(, $extra)?, d, gg::Slot::Discard $(, nograd!($extra))?);
        assert_eq!(y.as_ptr(), ptr);
        assert_eq!(y, f(&x));
        // Scalars, elementwise alike.
        for &s in &[-1.3_f64, 0.4, 2.0] {
            let mut g = 0.0_f64;
            let gg::Kept(y) = $name::reverse(s $(, $extra)?, 1.0, gg::slot(&mut g) $(, nograd!($extra))?);
            assert_eq!(y, $name(s $(, $extra)?));
            let h = 1e-6;
            let numeric = ($name(s + h $(, $extra)?) - $name(s - h $(, $extra)?)) / (2.0 * h);
            assert!((g - numeric).abs() < 1e-6, "{} at {s}", stringify!($name));
        }
    }};
}

#[test]
fn activations_and_their_companions() {
    check_elementwise!(relu);
    check_elementwise!(leaky_relu, 0.1);
    check_elementwise!(sigmoid);
    check_elementwise!(softplus);
}

#[test]
fn relu_has_derivative_zero_at_zero_and_keeps_nan() {
    let x = array![-1.0, 0.0, 2.0];
    let mut g = Array1::zeros(3);
    let gg::Dropped = relu::reverse(&x, Array1::ones(3), gg::slot(&mut g));
    assert_eq!(g, array![0.0, 0.0, 1.0]);
    let mut g = 0.0;
    let gg::Dropped = relu::reverse(0.0, 1.0, gg::slot(&mut g));
    assert_eq!(g, 0.0);
    assert!(relu(f64::NAN).is_nan());
    // leaky_relu's slope at 0, as PyTorch.
    let mut g = 0.0;
    let gg::Dropped = leaky_relu::reverse(0.0, 0.01, 1.0, gg::slot(&mut g), gg::NoGrad);
    assert_eq!(g, 0.01);
}

#[test]
fn activations_are_stable_and_work_in_f32() {
    assert_eq!(sigmoid(-1000.0_f64), 0.0);
    assert_eq!(sigmoid(1000.0_f64), 1.0);
    assert_eq!(softplus(-1000.0_f64), 0.0);
    assert_eq!(softplus(1000.0_f32), 1000.0);
    let x = array![-1.0_f32, 0.5];
    assert_eq!(relu(&x), array![0.0_f32, 0.5]);
    let mut g = Array1::<f32>::zeros(2);
    let gg::Dropped = sigmoid::reverse(&x, array![1.0_f32, 1.0], gg::slot(&mut g));
    let s = x.mapv(|x| 1.0 / (1.0 + (-x).exp()));
    assert!((&g - &(&s * &(1.0 - &s))).iter().all(|e| e.abs() < 1e-6));
}

#[test]
fn softmax_family_along_either_axis() {
    let mut rng = Rng(11);
    let x = rng.array((3, 4), -2.0, 2.0);
    for axis in [Axis(0), Axis(1)] {
        let d = rng.array((3, 4), -1.0, 1.0);

        let want = numeric_grad(&x, &d, |x| softmax(x, axis));
        let mut g = Array2::zeros((3, 4));
        let gg::Kept(y) = softmax::reverse(&x, axis, d.clone(), gg::slot(&mut g), gg::NoGrad);
        assert_close(&g, &want, "softmax");
        assert_eq!(y, softmax(&x, axis));
        assert_close(
            &y.sum_axis(axis),
            &Array1::ones(y.len_of(Axis(1 - axis.index()))),
            "sums to 1",
        );

        let want = numeric_grad(&x, &d, |x| log_softmax(x, axis));
        let mut g = Array2::zeros((3, 4));
        let gg::Kept(y) =
            log_softmax::reverse(x.view(), axis, d.clone(), gg::slot(&mut g), gg::NoGrad);
        assert_close(&g, &want, "log_softmax");
        assert_close(
            &y,
            &softmax(&x, axis).mapv(f64::ln),
            "log_softmax = ln softmax",
        );

        let d = rng.array(x.sum_axis(axis).raw_dim(), -1.0, 1.0);
        let want = numeric_grad(&x, &d, |x| logsumexp(x, axis));
        let mut g = Array2::zeros((3, 4));
        let gg::Kept(y) = logsumexp::reverse(&x, axis, d.clone(), gg::slot(&mut g), gg::NoGrad);
        assert_close(&g, &want, "logsumexp");
        assert_close(
            &y,
            &x.mapv(f64::exp).sum_axis(axis).mapv(f64::ln),
            "logsumexp value",
        );
    }
    // Large logits: no overflow.
    let big: Array2<f64> = array![[1000.0, 999.0], [-1000.0, -1000.0]];
    assert!(softmax(&big, Axis(1)).iter().all(|p: &f64| p.is_finite()));
    assert!(
        log_softmax(&big, Axis(1))
            .iter()
            .all(|p: &f64| p.is_finite())
    );
    assert!(logsumexp(&big, Axis(1)).iter().all(|p: &f64| p.is_finite()));
}

#[test]
fn sum_of_squares_and_mse() {
    let mut rng = Rng(12);
    let r = rng.array((3, 2), -1.0, 1.0);
    let mut g = Array2::zeros((3, 2));
    let gg::Kept(y) = sum_of_squares::reverse(&r, 0.5, gg::slot(&mut g));
    assert_eq!(y, sum_of_squares(&r));
    assert_close(
        &g,
        &(numeric_grad_scalar(&r, |r| sum_of_squares(r)) * 0.5),
        "sum_of_squares",
    );
    let mut g = 0.0;
    let gg::Kept(y) = sum_of_squares::reverse(3.0, 1.0, gg::slot(&mut g));
    assert_eq!(y, 9.0);
    assert_eq!(g, 6.0);

    let p = rng.array((3, 2), -1.0, 1.0);
    let t = rng.array((3, 2), -1.0, 1.0);
    let (mut gp, mut gt) = (Array2::zeros((3, 2)), Array2::zeros((3, 2)));
    let gg::Kept(y) = mse::reverse(&p, &t, 1.0, gg::slot(&mut gp), gg::slot(&mut gt));
    assert_eq!(y, mse(&p, &t));
    assert!((y - (&p - &t).mapv(|e| e * e).mean().unwrap()).abs() < 1e-15);
    assert_close(&gp, &numeric_grad_scalar(&p, |p| mse(p, &t)), "mse d_p");
    assert_close(&gt, &numeric_grad_scalar(&t, |t| mse(&p, t)), "mse d_t");
    // A constant target, and a broadcast one (one target per column).
    let mut gp = Array2::zeros((3, 2));
    let gg::Dropped = mse::reverse(
        p.view(),
        &t,
        1.0,
        gg::slot(&mut gp),
        gg::IntoSlot::into_slot(gg::NoGrad),
    );
    assert_close(
        &gp,
        &numeric_grad_scalar(&p, |p| mse(p, &t)),
        "mse, constant target",
    );
    let tc = array![0.5, -0.5];
    let mut gt = Array1::zeros(2);
    let gg::Dropped = mse::reverse(&p, &tc, 1.0, gg::Slot::Discard, gg::slot(&mut gt));
    assert_close(
        &gt,
        &numeric_grad_scalar(&tc, |tc| mse(&p, tc)),
        "mse, broadcast target",
    );
}

#[test]
fn softmax_cross_entropy_sums_over_examples() {
    let mut rng = Rng(13);
    let z = rng.array((4, 3), -2.0, 2.0);
    let labels = [2, 0, 1, 2];
    let by_hand: f64 = z
        .rows()
        .into_iter()
        .zip(labels)
        .map(|(row, y)| row.mapv(f64::exp).sum().ln() - row[y])
        .sum();
    assert!((softmax_cross_entropy(&z, labels) - by_hand).abs() < 1e-12);
    assert!((softmax_cross_entropy_mean(&z, labels) - by_hand / 4.0).abs() < 1e-12);

    let mut g = Array2::zeros((4, 3));
    let gg::Kept(y) =
        softmax_cross_entropy::reverse(&z, &labels, 2.0, gg::slot(&mut g), gg::NoGrad);
    assert_eq!(y, softmax_cross_entropy(&z, labels));
    assert_close(
        &g,
        &(numeric_grad_scalar(&z, |z| softmax_cross_entropy(z, labels)) * 2.0),
        "ce",
    );
    // d = softmax - onehot, row by row.
    let mut onehot = Array2::<f64>::zeros((4, 3));
    for (i, &y) in labels.iter().enumerate() {
        onehot[[i, y]] = 1.0;
    }
    assert_close(
        &g,
        &((softmax(&z, Axis(1)) - onehot) * 2.0),
        "softmax - onehot",
    );

    let mut g = Array2::zeros((4, 3));
    let gg::Dropped = softmax_cross_entropy_mean::reverse(
        z.view(),
        labels.to_vec(),
        1.0,
        gg::slot(&mut g),
        gg::NoGrad,
    );
    assert_close(
        &g,
        &numeric_grad_scalar(&z, |z| softmax_cross_entropy_mean(z, labels)),
        "ce mean",
    );

    // Every form of labels.
    let v = labels.to_vec();
    let a = Array1::from(v.clone());
    let s: &[usize] = &v;
    let want = softmax_cross_entropy(&z, s);
    assert_eq!(softmax_cross_entropy(&z, &v), want);
    assert_eq!(softmax_cross_entropy(&z, &a), want);
    assert_eq!(softmax_cross_entropy(&z, a.view()), want);
    assert_eq!(softmax_cross_entropy(z.view(), ArrayView1::from(s)), want);
}

#[test]
#[should_panic(expected = "is not below the 3 classes")]
fn cross_entropy_rejects_a_label_out_of_range() {
    softmax_cross_entropy(&Array2::<f64>::zeros((1, 3)), [3]);
}

#[test]
fn binary_cross_entropy_with_logits_is_stable() {
    let mut rng = Rng(14);
    let z = rng.array((2, 3), -3.0, 3.0);
    let t = rng.array((2, 3), 0.0, 1.0);
    let p = z.mapv(|z| 1.0 / (1.0 + (-z).exp()));
    let by_hand = (-(&t * &p.mapv(f64::ln)) - (1.0 - &t) * (1.0 - &p).mapv(f64::ln)).sum();
    assert!((binary_cross_entropy_with_logits(&z, &t) - by_hand).abs() < 1e-12);

    let (mut gz, mut gt) = (Array2::zeros((2, 3)), Array2::zeros((2, 3)));
    let gg::Kept(y) = binary_cross_entropy_with_logits::reverse(
        &z,
        &t,
        1.0,
        gg::slot(&mut gz),
        gg::slot(&mut gt),
    );
    assert_eq!(y, binary_cross_entropy_with_logits(&z, &t));
    assert_close(
        &gz,
        &numeric_grad_scalar(&z, |z| binary_cross_entropy_with_logits(z, &t)),
        "d z",
    );
    assert_close(
        &gt,
        &numeric_grad_scalar(&t, |t| binary_cross_entropy_with_logits(&z, t)),
        "d t",
    );
    assert_close(&gz, &(&p - &t), "sigmoid - t");

    assert!(binary_cross_entropy_with_logits(1000.0_f64, 0.0).is_finite());
    assert_eq!(binary_cross_entropy_with_logits(-1000.0_f64, 0.0), 0.0);
    let mut g = 0.0_f32;
    let gg::Dropped = binary_cross_entropy_with_logits::reverse(
        0.0_f32,
        1.0,
        1.0,
        gg::slot(&mut g),
        gg::IntoSlot::into_slot(gg::NoGrad),
    );
    assert_eq!(g, -0.5);
}

/// A caller without an adjoint yet lets the contribution move in; the value
/// is made only when kept.
#[test]
fn fill_slots_take_the_first_contribution() {
    let x = array![-1.0, 2.0, 0.5];
    let d = array![10.0, 20.0, 30.0];
    let mut first = None;
    let gg::Dropped = relu::reverse(&x, d.clone(), gg::IntoSlot::into_slot(&mut first));
    assert_eq!(first, Some(array![0.0, 20.0, 30.0]));
    let mut first = None;
    let gg::Kept(y) = relu::reverse(&x, d.clone(), gg::IntoSlot::into_slot(&mut first));
    assert_eq!(y, array![0.0, 2.0, 0.5]);
    assert_eq!(first, Some(array![0.0, 20.0, 30.0]));
    // A second contribution adds to the first.
    let gg::Dropped = relu::reverse(&x, d, gg::IntoSlot::into_slot(&mut first));
    assert_eq!(first, Some(array![0.0, 40.0, 60.0]));
    // Scalars, and a function that is not elementwise.
    let mut s = None;
    let gg::Dropped = sigmoid::reverse(0.0, 4.0, gg::IntoSlot::into_slot(&mut s));
    assert_eq!(s, Some(1.0));
    let mut g = None;
    let gg::Dropped = sum_of_squares::reverse(&x, 1.0, gg::IntoSlot::into_slot(&mut g));
    assert_eq!(g, Some(array![-2.0, 4.0, 1.0]));
}
