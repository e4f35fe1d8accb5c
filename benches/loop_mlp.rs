//! The lecture's network written as a loop over `Vec<Layer>`: the generated
//! gradient against a backward pass written by hand as the same loop, in one
//! run (784 -> 256x3 -> 10, batch 128, least squares).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gradgen::ndarray::{Array1, Array2, Axis};
use gradgen::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Parameters, Clone, Debug)]
struct Layer {
    w: Array2<f64>,
    b: Array1<f64>,
}

#[derive(Parameters, Clone, Debug)]
struct Net {
    hidden: Vec<Layer>,
    output: Layer,
}

#[differentiable(wrt(p))]
fn loss(p: &Net, x: &Array2<f64>, y: &Array2<f64>) -> f64 {
    let mut h = x.to_owned();
    for layer in &p.hidden {
        h = relu(&(h.dot(&layer.w.t()) + &layer.b));
    }
    let f = h.dot(&p.output.w.t()) + &p.output.b;
    (&f - y).powi(2).sum()
}

/// Keep every layer's input and pre-activation, then run the chain rule
/// back through the layers.
fn loss_grad_by_hand(p: &Net, x: &Array2<f64>, y: &Array2<f64>) -> (f64, Net) {
    let mut inputs = Vec::with_capacity(p.hidden.len());
    let mut pre = Vec::with_capacity(p.hidden.len());
    let mut h = x.to_owned();
    for layer in &p.hidden {
        let f = h.dot(&layer.w.t()) + &layer.b;
        let next = f.mapv(|v| v.max(0.0));
        inputs.push(h);
        pre.push(f);
        h = next;
    }
    let r = h.dot(&p.output.w.t()) + &p.output.b - y;
    let value = r.iter().map(|v| v * v).sum();
    let d_f = r * 2.0;
    let output = Layer {
        w: d_f.t().dot(&h),
        b: d_f.sum_axis(Axis(0)),
    };
    let mut d_h = d_f.dot(&p.output.w);
    let mut hidden = Vec::with_capacity(p.hidden.len());
    for ((layer, h), f) in p.hidden.iter().zip(&inputs).zip(&pre).rev() {
        d_h.zip_mut_with(f, |d, &f| {
            if f <= 0.0 {
                *d = 0.0
            }
        });
        hidden.push(Layer {
            w: d_h.t().dot(h),
            b: d_h.sum_axis(Axis(0)),
        });
        d_h = d_h.dot(&layer.w);
    }
    hidden.reverse();
    (value, Net { hidden, output })
}

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut layer = |out: usize, inp: usize| {
        let bound = (6.0 / inp as f64).sqrt();
        Layer {
            w: Array2::from_shape_fn((out, inp), |_| bound * (rng.random::<f64>() * 2.0 - 1.0)),
            b: Array1::from_shape_fn(out, |_| 0.1 * (rng.random::<f64>() - 0.5)),
        }
    };
    let p = Net {
        hidden: vec![layer(256, 784), layer(256, 256), layer(256, 256)],
        output: layer(10, 256),
    };
    let x = Array2::from_shape_fn((128, 784), |(i, j)| {
        (((i * 31 + j * 17) % 23) as f64 - 11.0) / 11.0
    });
    let y = Array2::from_shape_fn((128, 10), |(i, j)| {
        (((i * 7 + j * 5) % 13) as f64 - 6.0) / 6.0
    });
    let (generated, by_hand) = (loss_grad(&p, &x, &y), loss_grad_by_hand(&p, &x, &y));
    assert!((generated.0 - by_hand.0).abs() <= 1e-9 * by_hand.0.abs());
    for (a, b) in generated.1.to_flat().iter().zip(by_hand.1.to_flat()) {
        assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "{a} vs {b}");
    }
    let mut group = c.benchmark_group("loop_mlp");
    group.bench_function("generated_grad", |b| {
        b.iter(|| loss_grad(black_box(&p), black_box(&x), black_box(&y)))
    });
    group.bench_function("hand_written_grad", |b| {
        b.iter(|| loss_grad_by_hand(black_box(&p), black_box(&x), black_box(&y)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
