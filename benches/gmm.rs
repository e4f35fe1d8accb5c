//! A Gaussian-mixture log posterior (the ADBench / gradbench objective,
//! written with loops): the generated gradient against one written by hand
//! in the same loops, in one run (D = 5, K = 10, N = 200).

// Index loops are the form benchmarked.
#![allow(clippy::needless_range_loop)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gradgen::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Parameters, Clone, Debug)]
struct Gmm {
    alpha: Vec<f64>,
    mu: Vec<Vec<f64>>,
    q: Vec<Vec<f64>>,
    l: Vec<Vec<f64>>,
}

/// The log posterior up to its constant (as in `tests/gmm.rs`).
#[differentiable(wrt(p))]
fn log_posterior(p: &Gmm, x: &[Vec<f64>], gamma: f64, m: f64) -> f64 {
    let k = p.alpha.len();
    let d = p.mu[0].len();
    let n = x.len();
    let mut top = p.alpha[0];
    for c in 1..k {
        top = top.max(p.alpha[c]);
    }
    let mut weights = 0.0;
    for c in 0..k {
        weights += (p.alpha[c] - top).exp();
    }
    let mut total = -(n as f64) * (top + weights.ln());
    for i in 0..n {
        let mut best = f64::NEG_INFINITY;
        for c in 0..k {
            best = best.max(beta(p, &x[i], c, d));
        }
        let mut sum = 0.0;
        for c in 0..k {
            sum += (beta(p, &x[i], c, d) - best).exp();
        }
        total += best + sum.ln();
    }
    let mut frobenius = 0.0;
    let mut sum_q = 0.0;
    for c in 0..k {
        for j in 0..d {
            frobenius += (2.0 * p.q[c][j]).exp();
            sum_q += p.q[c][j];
        }
        for j in 0..p.l[c].len() {
            frobenius += p.l[c][j] * p.l[c][j];
        }
    }
    total - gamma * gamma / 2.0 * frobenius + m * sum_q
}

/// The same, with `beta` called once per point and component (its values
/// kept in a `Vec`), as the hand-written gradient computes it.
#[differentiable(wrt(p))]
fn log_posterior_once(p: &Gmm, x: &[Vec<f64>], gamma: f64, m: f64) -> f64 {
    let k = p.alpha.len();
    let d = p.mu[0].len();
    let n = x.len();
    let mut top = p.alpha[0];
    for c in 1..k {
        top = top.max(p.alpha[c]);
    }
    let mut weights = 0.0;
    for c in 0..k {
        weights += (p.alpha[c] - top).exp();
    }
    let mut total = -(n as f64) * (top + weights.ln());
    for i in 0..n {
        let mut betas = vec![0.0; k];
        for c in 0..k {
            betas[c] = beta(p, &x[i], c, d);
        }
        let mut best = f64::NEG_INFINITY;
        for c in 0..k {
            best = best.max(betas[c]);
        }
        let mut sum = 0.0;
        for c in 0..k {
            sum += (betas[c] - best).exp();
        }
        total += best + sum.ln();
    }
    let mut frobenius = 0.0;
    let mut sum_q = 0.0;
    for c in 0..k {
        for j in 0..d {
            frobenius += (2.0 * p.q[c][j]).exp();
            sum_q += p.q[c][j];
        }
        for j in 0..p.l[c].len() {
            frobenius += p.l[c][j] * p.l[c][j];
        }
    }
    total - gamma * gamma / 2.0 * frobenius + m * sum_q
}

/// `beta_ic = alpha_c - |Q_c (x_i - mu_c)|^2 / 2 + sum_j q_cj`.
#[differentiable(wrt(p))]
fn beta(p: &Gmm, x: &[f64], c: usize, d: usize) -> f64 {
    let mut sq = 0.0;
    let mut sum_q = 0.0;
    for r in 0..d {
        let mut row = p.q[c][r].exp() * (x[r] - p.mu[c][r]);
        for col in 0..r {
            row += p.l[c][col * d - col * (col + 1) / 2 + (r - col - 1)] * (x[col] - p.mu[c][col]);
        }
        sq += row * row;
        sum_q += p.q[c][r];
    }
    p.alpha[c] - 0.5 * sq + sum_q
}

/// The gradient by hand: responsibilities `r_ic = softmax_c(beta_ic)`, and
/// with `z = Q_c (x_i - mu_c)`: `dF/dmu_c = sum_i r_ic Q_c^T z`,
/// `dF/dq_cr = sum_i r_ic (1 - z_r e^q_cr d_r) - gamma^2 e^(2 q_cr) + m`,
/// `dF/dl = -sum_i r_ic z_r d_col - gamma^2 l`,
/// `dF/dalpha_c = sum_i r_ic - N softmax(alpha)_c`.
fn log_posterior_grad_by_hand(p: &Gmm, x: &[Vec<f64>], gamma: f64, m: f64) -> (f64, Gmm) {
    let (k, d, n) = (p.alpha.len(), p.mu[0].len(), x.len());
    let idx = |r: usize, col: usize| col * d - col * (col + 1) / 2 + (r - col - 1);
    let mut g = p.zeros_like();
    let top = p.alpha.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let weights: f64 = p.alpha.iter().map(|a| (a - top).exp()).sum();
    let mut value = -(n as f64) * (top + weights.ln());
    for c in 0..k {
        g.alpha[c] -= n as f64 * (p.alpha[c] - top).exp() / weights;
    }
    let (mut z, mut diff, mut betas) = (vec![vec![0.0; d]; k], vec![vec![0.0; d]; k], vec![0.0; k]);
    for xi in x {
        for c in 0..k {
            let mut sq = 0.0;
            for r in 0..d {
                diff[c][r] = xi[r] - p.mu[c][r];
            }
            for r in 0..d {
                let mut row = p.q[c][r].exp() * diff[c][r];
                for col in 0..r {
                    row += p.l[c][idx(r, col)] * diff[c][col];
                }
                z[c][r] = row;
                sq += row * row;
            }
            betas[c] = p.alpha[c] - 0.5 * sq + p.q[c].iter().sum::<f64>();
        }
        let best = betas.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = betas.iter().map(|b| (b - best).exp()).sum();
        value += best + sum.ln();
        for c in 0..k {
            let resp = (betas[c] - best).exp() / sum;
            g.alpha[c] += resp;
            for r in 0..d {
                let e = p.q[c][r].exp();
                g.q[c][r] += resp * (1.0 - z[c][r] * e * diff[c][r]);
                // (Q^T z)_r = e^q_r z_r + sum_{s > r} l[idx(s, r)] z_s
                let mut qt_z = e * z[c][r];
                for s in r + 1..d {
                    qt_z += p.l[c][idx(s, r)] * z[c][s];
                }
                g.mu[c][r] += resp * qt_z;
                for col in 0..r {
                    g.l[c][idx(r, col)] -= resp * z[c][r] * diff[c][col];
                }
            }
        }
    }
    let mut frobenius = 0.0;
    for c in 0..k {
        for j in 0..d {
            let e2 = (2.0 * p.q[c][j]).exp();
            frobenius += e2;
            value += m * p.q[c][j];
            g.q[c][j] += -gamma * gamma * e2 + m;
        }
        for j in 0..p.l[c].len() {
            frobenius += p.l[c][j] * p.l[c][j];
            g.l[c][j] -= gamma * gamma * p.l[c][j];
        }
    }
    (value - gamma * gamma / 2.0 * frobenius, g)
}

fn bench(c: &mut Criterion) {
    let (d, k, n) = (5, 10, 200);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut draw =
        |len: usize| -> Vec<f64> { (0..len).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect() };
    let p = Gmm {
        alpha: draw(k),
        mu: (0..k).map(|_| draw(d)).collect(),
        q: (0..k)
            .map(|_| draw(d).into_iter().map(|v| 0.3 * v).collect())
            .collect(),
        l: (0..k)
            .map(|_| draw(d * (d - 1) / 2).into_iter().map(|v| 0.3 * v).collect())
            .collect(),
    };
    let x: Vec<Vec<f64>> = (0..n).map(|_| draw(d)).collect();
    let (gamma, m) = (1.0, 0.0);
    let (generated, by_hand) = (
        log_posterior_grad(&p, &x, gamma, m),
        log_posterior_grad_by_hand(&p, &x, gamma, m),
    );
    assert!(
        (generated.0 - by_hand.0).abs() <= 1e-9 * by_hand.0.abs(),
        "{} vs {}",
        generated.0,
        by_hand.0
    );
    for (a, b) in generated.1.to_flat().iter().zip(by_hand.1.to_flat()) {
        assert!((a - b).abs() <= 1e-8 * (1.0 + b.abs()), "{a} vs {b}");
    }
    let once = log_posterior_once_grad(&p, &x, gamma, m);
    assert!((once.0 - by_hand.0).abs() <= 1e-9 * by_hand.0.abs());
    for (a, b) in once.1.to_flat().iter().zip(by_hand.1.to_flat()) {
        assert!((a - b).abs() <= 1e-8 * (1.0 + b.abs()), "{a} vs {b}");
    }
    let mut group = c.benchmark_group("gmm");
    group.bench_function("objective", |b| {
        b.iter(|| log_posterior(black_box(&p), black_box(&x), gamma, m))
    });
    group.bench_function("generated_grad", |b| {
        b.iter(|| log_posterior_grad(black_box(&p), black_box(&x), gamma, m))
    });
    group.bench_function("generated_grad_once", |b| {
        b.iter(|| log_posterior_once_grad(black_box(&p), black_box(&x), gamma, m))
    });
    group.bench_function("hand_written_grad", |b| {
        b.iter(|| log_posterior_grad_by_hand(black_box(&p), black_box(&x), gamma, m))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
