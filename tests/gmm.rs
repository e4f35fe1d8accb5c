//! A Gaussian-mixture log posterior written the natural way — loops over
//! points and components, a log-sum-exp over components, a Cholesky-factored
//! precision built from a log-diagonal and a lower triangle — against the
//! `gmm` case of `oracles/oracles.json` (the ADBench / gradbench objective).

// Index loops are the form under test.
#![allow(clippy::needless_range_loop)]

use gradgen::prelude::*;
use serde_json::Value;

/// The mixture's parameters: weights (before the softmax), means, the log of
/// each precision factor's diagonal, and its strictly lower part, filled
/// column by column.
#[derive(Parameters, Clone, Debug)]
struct Gmm {
    alpha: Vec<f64>,
    mu: Vec<Vec<f64>>,
    q: Vec<Vec<f64>>,
    l: Vec<Vec<f64>>,
}

/// `log p(X | theta) + log p(theta)` with a Wishart prior (`gamma`, `m`) on
/// the precisions; `wishart_constant` is the part that depends on no parameter.
#[differentiable(wrt(p))]
fn log_posterior(p: &Gmm, x: &[Vec<f64>], gamma: f64, m: f64, wishart_constant: f64) -> f64 {
    let k = p.alpha.len();
    let d = p.mu[0].len();
    let n = x.len();
    // log-sum-exp of the weights.
    let mut top = p.alpha[0];
    for c in 1..k {
        top = top.max(p.alpha[c]);
    }
    let mut weights = 0.0;
    for c in 0..k {
        weights += (p.alpha[c] - top).exp();
    }
    let lse_alpha = top + weights.ln();
    let mut likelihood =
        -(n as f64) * (d as f64 / 2.0 * (2.0 * std::f64::consts::PI).ln() + lse_alpha);
    for i in 0..n {
        // beta_ic = alpha_c - |Q_c (x_i - mu_c)|^2 / 2 + sum_j q_cj, then a
        // log-sum-exp over the components c.
        let mut best = f64::NEG_INFINITY;
        for c in 0..k {
            let mut sq = 0.0;
            let mut sum_q = 0.0;
            for r in 0..d {
                let mut row = p.q[c][r].exp() * (x[i][r] - p.mu[c][r]);
                for col in 0..r {
                    let at = col * d - col * (col + 1) / 2 + (r - col - 1);
                    row += p.l[c][at] * (x[i][col] - p.mu[c][col]);
                }
                sq += row * row;
                sum_q += p.q[c][r];
            }
            let beta = p.alpha[c] - 0.5 * sq + sum_q;
            best = best.max(beta);
        }
        let mut total = 0.0;
        for c in 0..k {
            let mut sq = 0.0;
            let mut sum_q = 0.0;
            for r in 0..d {
                let mut row = p.q[c][r].exp() * (x[i][r] - p.mu[c][r]);
                for col in 0..r {
                    let at = col * d - col * (col + 1) / 2 + (r - col - 1);
                    row += p.l[c][at] * (x[i][col] - p.mu[c][col]);
                }
                sq += row * row;
                sum_q += p.q[c][r];
            }
            total += (p.alpha[c] - 0.5 * sq + sum_q - best).exp();
        }
        likelihood += best + total.ln();
    }
    let mut frobenius = 0.0;
    let mut sum_all_q = 0.0;
    for c in 0..k {
        for j in 0..d {
            frobenius += (2.0 * p.q[c][j]).exp();
            sum_all_q += p.q[c][j];
        }
        for j in 0..p.l[c].len() {
            frobenius += p.l[c][j] * p.l[c][j];
        }
    }
    let prior = wishart_constant - gamma * gamma / 2.0 * frobenius + m * sum_all_q;
    likelihood + prior
}

fn floats(v: &Value) -> Vec<f64> {
    serde_json::from_value(v.clone()).expect("numbers")
}

fn rows(v: &Value) -> Vec<Vec<f64>> {
    serde_json::from_value(v.clone()).expect("rows of numbers")
}

#[test]
fn the_log_posterior_and_its_gradient_match_the_oracle() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/oracles/oracles.json"))
            .expect("oracles/oracles.json is in the repository");
    let all: Value = serde_json::from_str(&text).expect("JSON");
    let case = &all["cases"]["gmm"]["small"];
    let p = Gmm {
        alpha: floats(&case["alpha"]),
        mu: rows(&case["mu"]),
        q: rows(&case["q"]),
        l: rows(&case["l"]),
    };
    let x = rows(&case["x"]);
    let (gamma, m) = (case["gamma"].as_f64().unwrap(), case["m"].as_f64().unwrap());
    let (k, d) = (p.alpha.len() as f64, p.mu[0].len() as f64);
    // K (n D log(gamma / sqrt 2) - log Gamma_D(n / 2)) with n = D + m + 1;
    // for D = 2, log Gamma_2(a) = ln(pi) / 2 + lgamma(a) + lgamma(a - 1/2).
    assert_eq!(d, 2.0, "the constant below is written for D = 2");
    let dof = d + m + 1.0;
    let lgamma_half_integer = |a: f64| -> f64 {
        // Gamma(1/2) = sqrt(pi), Gamma(1) = 1, Gamma(a + 1) = a Gamma(a).
        let (mut g, mut t) = if (a.fract() - 0.5).abs() < 1e-12 {
            (std::f64::consts::PI.sqrt().ln(), 0.5)
        } else {
            (0.0, 1.0)
        };
        while t < a - 1e-12 {
            g += t.ln();
            t += 1.0;
        }
        g
    };
    let log_multigamma = std::f64::consts::PI.ln() / 2.0
        + lgamma_half_integer(dof / 2.0)
        + lgamma_half_integer(dof / 2.0 - 0.5);
    let constant = k * (dof * d * (gamma / 2f64.sqrt()).ln() - log_multigamma);

    let (value, grad) = log_posterior_grad(&p, &x, gamma, m, constant);
    let expected = case["objective"].as_f64().unwrap();
    assert!(
        (value - expected).abs() <= 1e-10 * expected.abs(),
        "{value} vs {expected}"
    );

    let g = &case["gradient"];
    let want: Vec<f64> = floats(&g["alpha"])
        .into_iter()
        .chain(rows(&g["mu"]).into_iter().flatten())
        .chain(rows(&g["q"]).into_iter().flatten())
        .chain(rows(&g["l"]).into_iter().flatten())
        .collect();
    let got = grad.to_flat();
    assert_eq!(got.len(), want.len());
    for (i, (a, b)) in got.iter().zip(&want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-10 * (1.0 + b.abs()),
            "gradient[{i}]: {a} vs {b}"
        );
    }
}
