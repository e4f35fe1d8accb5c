//! Gradient descent and minibatch SGD on the lecture's straight-line fit,
//! against `linreg_gd` and `sgd_minibatch` of `oracles/oracles.json`.
// SGD's state is `()`: the loops are written as for any optimizer.
#![allow(clippy::let_unit_value)]

use gradgen_runtime::optim::{Optimizer, Sgd};
use serde_json::Value;

fn case(name: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../oracles/oracles.json");
    let text = std::fs::read_to_string(path).expect("oracles/oracles.json is in the repository");
    let all: Value = serde_json::from_str(&text).expect("the oracle file is JSON");
    all["cases"][name].clone()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn pair(v: &Value) -> [f64; 2] {
    [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()]
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0),
        "{what}: {actual} vs expected {expected}"
    );
}

/// `sum_i (phi0 + phi1*x_i - y_i)^2` over `batch` and its gradient.
fn loss_grad(phi: &[f64; 2], x: &[f64], y: &[f64], batch: &[usize]) -> (f64, [f64; 2]) {
    let (mut loss, mut g) = (0.0, [0.0, 0.0]);
    for &i in batch {
        let r = phi[0] + phi[1] * x[i] - y[i];
        loss += r * r;
        g[0] += 2.0 * r;
        g[1] += 2.0 * r * x[i];
    }
    (loss, g)
}

#[test]
fn full_batch_gradient_descent() {
    let all = case("linreg_gd");
    for data in ["seeded", "udl_6_2"] {
        let c = &all[data];
        let (x, y) = (floats(&c["x"]), floats(&c["y"]));
        let everything: Vec<usize> = (0..x.len()).collect();
        let sgd = Sgd {
            lr: c["lr"].as_f64().unwrap(),
        };
        let mut phi = pair(&c["phi_start"]);
        let mut state = sgd.init(&phi);
        let (phis, losses, grads) = (
            c["phi"].as_array().unwrap(),
            floats(&c["loss"]),
            c["grad"].as_array().unwrap(),
        );
        assert_eq!(phis.len(), 51);
        for t in 0..phis.len() {
            let expected = pair(&phis[t]);
            let (loss, g) = loss_grad(&phi, &x, &y, &everything);
            for i in 0..2 {
                assert_close(phi[i], expected[i], &format!("{data}: phi[{t}][{i}]"));
                assert_close(g[i], pair(&grads[t])[i], &format!("{data}: grad[{t}][{i}]"));
            }
            assert_close(loss, losses[t], &format!("{data}: loss[{t}]"));
            sgd.step(&mut state, &mut phi, g);
        }
    }
}

#[test]
fn minibatch_sgd_replaying_the_stored_permutations() {
    let c = case("sgd_minibatch");
    let (x, y) = (floats(&c["x"]), floats(&c["y"]));
    let batch_size = c["batch_size"].as_u64().unwrap() as usize;
    let sgd = Sgd {
        lr: c["lr"].as_f64().unwrap(),
    };
    let mut phi = pair(&c["phi_start"]);
    let mut state = sgd.init(&phi);
    let (phis, batch_losses, epoch_losses) = (
        c["phi"].as_array().unwrap(),
        floats(&c["batch_loss"]),
        floats(&c["full_loss_per_epoch"]),
    );
    let everything: Vec<usize> = (0..x.len()).collect();
    let mut step = 0;
    for (epoch, perm) in c["permutations"].as_array().unwrap().iter().enumerate() {
        assert_close(
            loss_grad(&phi, &x, &y, &everything).0,
            epoch_losses[epoch],
            &format!("full loss, epoch {epoch}"),
        );
        let perm: Vec<usize> = perm
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap() as usize)
            .collect();
        for batch in perm.chunks(batch_size) {
            let expected = pair(&phis[step]);
            for i in 0..2 {
                assert_close(phi[i], expected[i], &format!("phi[{step}][{i}]"));
            }
            let (loss, g) = loss_grad(&phi, &x, &y, batch);
            assert_close(loss, batch_losses[step], &format!("batch_loss[{step}]"));
            sgd.step(&mut state, &mut phi, g);
            step += 1;
        }
    }
    assert_eq!(step, batch_losses.len());
    let last = phis.len() - 1;
    assert_eq!(step, last, "one stored phi per step and the end");
    for (i, (got, want)) in phi.iter().zip(pair(&phis[last])).enumerate() {
        assert_close(*got, want, &format!("phi[{last}][{i}]"));
    }
    assert_close(
        loss_grad(&phi, &x, &y, &everything).0,
        *epoch_losses.last().unwrap(),
        "final full loss",
    );
}
