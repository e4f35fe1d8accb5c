//! The lecture's network (three hidden ReLU layers, least squares, one
//! example per row): the forward pass, and the forward and backward pass
//! with the generated gradient and with a backward pass written by hand in
//! ndarray, in one run, at two sizes.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gradgen::ndarray::{Array1, Array2, Axis};
use gradgen::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

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

#[differentiable(wrt(p))]
fn mlp_loss(p: &Mlp, x: &Array2<f64>, y: &Array2<f64>) -> f64 {
    let f0 = x.dot(&p.omega0.t()) + &p.beta0;
    let h1 = relu(&f0);
    let f1 = h1.dot(&p.omega1.t()) + &p.beta1;
    let h2 = relu(&f1);
    let f2 = h2.dot(&p.omega2.t()) + &p.beta2;
    let h3 = relu(&f2);
    let f3 = h3.dot(&p.omega3.t()) + &p.beta3;
    (&f3 - y).powi(2).sum()
}

/// The backward pass as one writes it by hand: keep the pre-activations,
/// then run the chain rule from the loss back to every weight and bias.
fn mlp_loss_grad_by_hand(p: &Mlp, x: &Array2<f64>, y: &Array2<f64>) -> (f64, Mlp) {
    let layer = |h: &Array2<f64>, w: &Array2<f64>, b: &Array1<f64>| h.dot(&w.t()) + b;
    let relu = |f: &Array2<f64>| f.mapv(|v| v.max(0.0));
    let f0 = layer(x, &p.omega0, &p.beta0);
    let h1 = relu(&f0);
    let f1 = layer(&h1, &p.omega1, &p.beta1);
    let h2 = relu(&f1);
    let f2 = layer(&h2, &p.omega2, &p.beta2);
    let h3 = relu(&f2);
    let f3 = layer(&h3, &p.omega3, &p.beta3);
    let r = f3 - y;
    let loss = r.iter().map(|v| v * v).sum();
    // Through a layer: dW = dF^T H, db = sum over rows of dF, dH = dF W.
    let d_f3 = r * 2.0;
    let (d_omega3, d_beta3) = (d_f3.t().dot(&h3), d_f3.sum_axis(Axis(0)));
    let mut d_f2 = d_f3.dot(&p.omega3);
    d_f2.zip_mut_with(&f2, |d, &f| {
        if f <= 0.0 {
            *d = 0.0
        }
    });
    let (d_omega2, d_beta2) = (d_f2.t().dot(&h2), d_f2.sum_axis(Axis(0)));
    let mut d_f1 = d_f2.dot(&p.omega2);
    d_f1.zip_mut_with(&f1, |d, &f| {
        if f <= 0.0 {
            *d = 0.0
        }
    });
    let (d_omega1, d_beta1) = (d_f1.t().dot(&h1), d_f1.sum_axis(Axis(0)));
    let mut d_f0 = d_f1.dot(&p.omega1);
    d_f0.zip_mut_with(&f0, |d, &f| {
        if f <= 0.0 {
            *d = 0.0
        }
    });
    let (d_omega0, d_beta0) = (d_f0.t().dot(x), d_f0.sum_axis(Axis(0)));
    let grad = Mlp {
        omega0: d_omega0,
        beta0: d_beta0,
        omega1: d_omega1,
        beta1: d_beta1,
        omega2: d_omega2,
        beta2: d_beta2,
        omega3: d_omega3,
        beta3: d_beta3,
    };
    (loss, grad)
}

fn random(rng: &mut ChaCha8Rng, rows: usize, cols: usize, scale: f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |_| scale * (rng.random::<f64>() * 2.0 - 1.0))
}

fn network(inputs: usize, hidden: usize, outputs: usize, rng: &mut ChaCha8Rng) -> Mlp {
    let he = |fan_in: usize| (6.0 / fan_in as f64).sqrt();
    let mut bias = |n: usize| Array1::from_shape_fn(n, |_| 0.1 * (rng.random::<f64>() - 0.5));
    let (b0, b1, b2, b3) = (bias(hidden), bias(hidden), bias(hidden), bias(outputs));
    Mlp {
        omega0: random(rng, hidden, inputs, he(inputs)),
        beta0: b0,
        omega1: random(rng, hidden, hidden, he(hidden)),
        beta1: b1,
        omega2: random(rng, hidden, hidden, he(hidden)),
        beta2: b2,
        omega3: random(rng, outputs, hidden, he(hidden)),
        beta3: b3,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("mlp");
    for (inputs, hidden, outputs, batch) in [(40, 100, 10, 32), (784, 256, 10, 128)] {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let p = network(inputs, hidden, outputs, &mut rng);
        let x = random(&mut rng, batch, inputs, 1.0);
        let y = random(&mut rng, batch, outputs, 1.0);
        // Both gradients agree before they are timed.
        let (generated, by_hand) = (mlp_loss_grad(&p, &x, &y), mlp_loss_grad_by_hand(&p, &x, &y));
        assert!((generated.0 - by_hand.0).abs() <= 1e-9 * by_hand.0.abs());
        for (a, b) in generated.1.to_flat().iter().zip(by_hand.1.to_flat()) {
            assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "{a} vs {b}");
        }
        let size = format!("{inputs}-{hidden}x3-{outputs}-batch{batch}");
        group.bench_function(BenchmarkId::new("forward", &size), |b| {
            b.iter(|| mlp_loss(black_box(&p), black_box(&x), black_box(&y)))
        });
        group.bench_function(BenchmarkId::new("generated_grad", &size), |b| {
            b.iter(|| mlp_loss_grad(black_box(&p), black_box(&x), black_box(&y)))
        });
        group.bench_function(BenchmarkId::new("hand_written_grad", &size), |b| {
            b.iter(|| mlp_loss_grad_by_hand(black_box(&p), black_box(&x), black_box(&y)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
