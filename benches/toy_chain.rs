//! The toy chain: the forward pass, the generated gradient, and a gradient
//! written by hand, in one run, so their times can be compared as ratios.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gradgen::prelude::*;

#[derive(Parameters, Clone, Debug)]
struct Toy {
    beta: [f64; 4],
    omega: [f64; 4],
}

#[differentiable(wrt(p))]
fn toy_loss(p: &Toy, x: f64, y: f64) -> f64 {
    let f0 = p.beta[0] + p.omega[0] * x;
    let h1 = f0.sin();
    let f1 = p.beta[1] + p.omega[1] * h1;
    let h2 = f1.exp();
    let f2 = p.beta[2] + p.omega[2] * h2;
    let h3 = f2.cos();
    let f3 = p.beta[3] + p.omega[3] * h3;
    (f3 - y).powi(2)
}

/// The lecture's backward pass, written out by hand.
fn toy_loss_grad_by_hand(p: &Toy, x: f64, y: f64) -> (f64, Toy) {
    let [b0, b1, b2, b3] = p.beta;
    let [w0, w1, w2, w3] = p.omega;
    let f0 = b0 + w0 * x;
    let h1 = f0.sin();
    let f1 = b1 + w1 * h1;
    let h2 = f1.exp();
    let f2 = b2 + w2 * h2;
    let h3 = f2.cos();
    let f3 = b3 + w3 * h3;
    let loss = (f3 - y).powi(2);
    let d_f3 = 2.0 * (f3 - y);
    let d_h3 = w3 * d_f3;
    let d_f2 = -f2.sin() * d_h3;
    let d_h2 = w2 * d_f2;
    let d_f1 = h2 * d_h2;
    let d_h1 = w1 * d_f1;
    let d_f0 = f0.cos() * d_h1;
    let grad = Toy {
        beta: [d_f0, d_f1, d_f2, d_f3],
        omega: [x * d_f0, h1 * d_f1, h2 * d_f2, h3 * d_f3],
    };
    (loss, grad)
}

fn bench(c: &mut Criterion) {
    let p = Toy {
        beta: [1.0, 2.0, -3.0, 0.4],
        omega: [0.1, -0.4, 2.0, 3.0],
    };
    let (x, y) = (2.3, 2.0);
    assert_eq!(
        toy_loss_grad(&p, x, y).1.to_flat(),
        toy_loss_grad_by_hand(&p, x, y).1.to_flat()
    );
    let mut group = c.benchmark_group("toy_chain");
    group.bench_function("forward", |b| {
        b.iter(|| toy_loss(black_box(&p), black_box(x), black_box(y)))
    });
    group.bench_function("generated_grad", |b| {
        b.iter(|| toy_loss_grad(black_box(&p), black_box(x), black_box(y)))
    });
    group.bench_function("hand_written_grad", |b| {
        b.iter(|| toy_loss_grad_by_hand(black_box(&p), black_box(x), black_box(y)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
