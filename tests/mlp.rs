//! The lecture's network — three hidden ReLU layers — in the single-example
//! form (column vectors, as the lecture writes it) and the batched form,
//! against the `mlp` case of `oracles/oracles.json`, and against central
//! differences for the cross-entropy loss the oracle does not have.

use gradgen::ndarray::{Array1, Array2, Axis};
use gradgen::prelude::*;
use serde_json::Value;

/// Weights `[out][in]` and biases, as the lecture names them.
#[derive(Parameters, Clone, Debug)]
struct Mlp {
    omega0: Array2<f64>,
    beta0: Array1<f64>,
    omega1: Array2<f64>,
    beta1: Array1<f64>,
    omega2: Array2<f64>,
    beta2: Array1<f64>,
    omega3: Array2<f64>,
    beta3: Array1<f64>,
}

/// One example: `f0 = beta0 + Omega0 x; h1 = a[f0]; ...; f3 = beta3 + Omega3 h3`.
#[differentiable(wrt(p, x))]
fn single_loss(p: &Mlp, x: &Array1<f64>, y: &Array1<f64>) -> f64 {
    let f0 = &p.beta0 + &p.omega0.dot(x);
    let h1 = relu(&f0);
    let f1 = &p.beta1 + &p.omega1.dot(&h1);
    let h2 = relu(&f1);
    let f2 = &p.beta2 + &p.omega2.dot(&h2);
    let h3 = relu(&f2);
    let f3 = &p.beta3 + &p.omega3.dot(&h3);
    sum_of_squares(&(&f3 - y))
}

/// A batch, one example per row: `F = X Omega^T + beta`.
#[differentiable(wrt(p, x))]
fn batch_loss(p: &Mlp, x: &Array2<f64>, y: &Array2<f64>) -> f64 {
    let f0 = x.dot(&p.omega0.t()) + &p.beta0;
    let h1 = relu(&f0);
    let f1 = h1.dot(&p.omega1.t()) + &p.beta1;
    let h2 = relu(&f1);
    let f2 = h2.dot(&p.omega2.t()) + &p.beta2;
    let h3 = relu(&f2);
    let f3 = h3.dot(&p.omega3.t()) + &p.beta3;
    (&f3 - y).powi(2).sum()
}

/// The same network with the softmax cross-entropy of integer labels.
#[differentiable(wrt(p))]
fn cross_entropy(p: &Mlp, x: &Array2<f64>, labels: &[usize]) -> f64 {
    let f0 = x.dot(&p.omega0.t()) + &p.beta0;
    let h1 = relu(&f0);
    let f1 = h1.dot(&p.omega1.t()) + &p.beta1;
    let h2 = relu(&f1);
    let f2 = h2.dot(&p.omega2.t()) + &p.beta2;
    let h3 = relu(&f2);
    let f3 = h3.dot(&p.omega3.t()) + &p.beta3;
    softmax_cross_entropy(&f3, labels)
}

fn oracle() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/oracles/oracles.json"))
            .expect("oracles/oracles.json is in the repository");
    let all: Value = serde_json::from_str(&text).expect("the oracle file is JSON");
    all["cases"]["mlp"]["least_squares"].clone()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).expect("a matrix of numbers");
    let (r, c) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((r, c), rows.into_iter().flatten().collect()).expect("rectangular")
}

fn vector(v: &Value) -> Array1<f64> {
    Array1::from(serde_json::from_value::<Vec<f64>>(v.clone()).expect("a vector of numbers"))
}

/// A network from the oracle's lists of weights `W` and biases `b`.
fn network(weights_and_biases: &Value) -> Mlp {
    let (w, b) = (&weights_and_biases["W"], &weights_and_biases["b"]);
    Mlp {
        omega0: matrix(&w[0]),
        beta0: vector(&b[0]),
        omega1: matrix(&w[1]),
        beta1: vector(&b[1]),
        omega2: matrix(&w[2]),
        beta2: vector(&b[2]),
        omega3: matrix(&w[3]),
        beta3: vector(&b[3]),
    }
}

fn params(case: &Value) -> Mlp {
    network(case)
}

fn grads(case: &Value) -> Mlp {
    network(&case["grad"])
}

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

#[test]
fn batched_gradients_match_the_oracle() {
    let case = oracle();
    let p = params(&case);
    let (x, y) = (matrix(&case["X"]), matrix(&case["Y"]));
    let (loss, (d_p, d_x)) = batch_loss_grad(&p, &x, &y);
    assert_close(&[loss], &[case["loss"].as_f64().unwrap()], "loss");
    assert_close(&d_p.to_flat(), &grads(&case).to_flat(), "dL/dparams");
    assert_close(
        d_x.as_slice().unwrap(),
        matrix(&case["grad"]["X"]).as_slice().unwrap(),
        "dL/dX",
    );
}

#[test]
fn single_example_gradients_sum_to_the_oracle() {
    let case = oracle();
    let p = params(&case);
    let (x, y) = (matrix(&case["X"]), matrix(&case["Y"]));
    let mut total = p.zeros_like();
    let mut loss = 0.0;
    let mut d_x = Array2::zeros(x.raw_dim());
    for (i, (xi, yi)) in x.axis_iter(Axis(0)).zip(y.axis_iter(Axis(0))).enumerate() {
        let (l, (g, gx)) = single_loss_grad(&p, &xi.to_owned(), &yi.to_owned());
        loss += l;
        for (t, gi) in total.leaves_mut().into_iter().zip(g.leaves()) {
            t.iter_mut().zip(gi).for_each(|(t, gi)| *t += gi);
        }
        d_x.row_mut(i).assign(&gx);
    }
    assert_close(&[loss], &[case["loss"].as_f64().unwrap()], "loss");
    assert_close(&total.to_flat(), &grads(&case).to_flat(), "dL/dparams");
    assert_close(
        d_x.as_slice().unwrap(),
        matrix(&case["grad"]["X"]).as_slice().unwrap(),
        "dL/dX",
    );
}

#[test]
fn cross_entropy_gradients_match_central_differences() {
    let case = oracle();
    let p = params(&case);
    let x = matrix(&case["X"]);
    let labels = [1, 0, 1, 1, 0];
    let (loss, grad) = cross_entropy_grad(&p, &x, &labels);
    assert!(loss.is_finite() && loss > 0.0);
    let flat = p.to_flat();
    let analytic = grad.to_flat();
    let h = 1e-6;
    for k in 0..flat.len() {
        let at = |v: f64| {
            let mut q = p.clone();
            let mut moved = flat.clone();
            moved[k] = v;
            q.copy_from_flat(&moved).unwrap();
            cross_entropy(&q, &x, &labels)
        };
        let estimate = (at(flat[k] + h) - at(flat[k] - h)) / (2.0 * h);
        assert!(
            (analytic[k] - estimate).abs() <= 1e-6 * (1.0 + estimate.abs()),
            "parameter {k}: {} vs {estimate}",
            analytic[k]
        );
    }
}

/// The single-example network in forward-mode dual numbers, written with
/// loops: its derivative along a direction `v` of all parameters at once is
/// the gradient dotted with `v`.
fn single_loss_dual(
    p: &[num_dual::Dual64],
    shapes: &[Vec<usize>],
    x: &[f64],
    y: &[f64],
) -> num_dual::Dual64 {
    use num_dual::Dual64;
    let mut leaves = Vec::new();
    let mut at = 0;
    for shape in shapes {
        let n: usize = shape.iter().product();
        leaves.push(&p[at..at + n]);
        at += n;
    }
    let mut h: Vec<Dual64> = x.iter().map(|&v| Dual64::from(v)).collect();
    for layer in 0..4 {
        let (w, b) = (leaves[2 * layer], leaves[2 * layer + 1]);
        let outputs = b.len();
        let f: Vec<Dual64> = (0..outputs)
            .map(|o| {
                b[o] + (0..h.len())
                    .map(|i| w[o * h.len() + i] * h[i])
                    .sum::<Dual64>()
            })
            .collect();
        h = if layer < 3 {
            f.into_iter()
                .map(|v| if v.re > 0.0 { v } else { Dual64::from(0.0) })
                .collect()
        } else {
            f
        };
    }
    h.iter().zip(y).map(|(f, &t)| (*f - t) * (*f - t)).sum()
}

#[test]
fn single_example_gradients_match_forward_mode() {
    use num_dual::Dual64;
    let case = oracle();
    let p = params(&case);
    let (x, y) = (matrix(&case["X"]), matrix(&case["Y"]));
    let flat = p.to_flat();
    let shapes = p.shapes();
    for (row, (xi, yi)) in x.axis_iter(Axis(0)).zip(y.axis_iter(Axis(0))).enumerate() {
        let (_, (g, _)) = single_loss_grad(&p, &xi.to_owned(), &yi.to_owned());
        let g = g.to_flat();
        for direction in 0..3 {
            // A seeded direction with every component nonzero.
            let v: Vec<f64> = (0..flat.len())
                .map(|k| (((k * 7 + direction * 13 + row) % 11) as f64 - 5.0) / 5.0 + 0.05)
                .collect();
            let dual: Vec<Dual64> = flat
                .iter()
                .zip(&v)
                .map(|(&a, &e)| Dual64::new(a, e))
                .collect();
            let forward = single_loss_dual(
                &dual,
                &shapes,
                xi.as_slice().unwrap(),
                yi.as_slice().unwrap(),
            );
            let reverse: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
            assert!(
                (forward.eps - reverse).abs() <= 1e-10 * (1.0 + reverse.abs()),
                "example {row}, direction {direction}: forward mode {} vs reverse mode {reverse}",
                forward.eps
            );
        }
    }
}
