//! Optimizers the oracle file does not cover, against their recurrences
//! written out here on plain vectors; the options (L2 weight decay, gradient
//! clipping) likewise. The parameters have two leaves, so the leaf-by-leaf
//! visit is exercised too.

use gradgen_runtime::Parameters;
use gradgen_runtime::optim::{
    AdaGrad, Adam, AdamW, Momentum, Nesterov, NesterovForm, Optimizer, OptimizerExt,
    OptimizerState, RmsProp, Sgd,
};

type P = Vec<[f64; 3]>;

const SCALE: [f64; 6] = [1.0, 3.0, 0.5, 10.0, 2.0, 0.1];

/// L = sum_i c_i*(x_i^2/2 + x_i^4/4) over all six scalars, and its gradient.
/// A gradient of the test objective at a point.
type GradFn = dyn Fn(&[f64]) -> Vec<f64>;

fn objective(flat: &[f64]) -> (f64, Vec<f64>) {
    let loss = flat
        .iter()
        .zip(SCALE)
        .map(|(x, c)| c * (x * x / 2.0 + x.powi(4) / 4.0))
        .sum();
    (
        loss,
        flat.iter()
            .zip(SCALE)
            .map(|(x, c)| c * (x + x.powi(3)))
            .collect(),
    )
}

fn grad_of(p: &P) -> (f64, P) {
    let (loss, g) = objective(&p.to_flat());
    let mut grad = p.zeros_like();
    grad.copy_from_flat(&g).unwrap();
    (loss, grad)
}

fn start() -> P {
    vec![[1.0, -0.5, 2.0], [0.3, -1.5, 0.8]]
}

/// Runs `opt` and `reference` (on flat vectors: phi, state, gradient at the
/// point the step asks for) side by side for 50 steps.
fn check<O: Optimizer<P>>(opt: O, mut reference: impl FnMut(&mut Vec<f64>, &GradFn)) {
    let mut phi = start();
    let mut state = opt.init(&phi);
    let mut flat = phi.to_flat();
    for t in 0..50 {
        opt.step_with(&mut state, &mut phi, grad_of);
        reference(&mut flat, &|x| objective(x).1);
        for (i, (a, e)) in phi.to_flat().iter().zip(&flat).enumerate() {
            assert!(
                (a - e).abs() <= 1e-12 * e.abs().max(1.0),
                "step {t}, scalar {i}: {a} vs {e}"
            );
        }
    }
    assert!(phi.all_finite());
}

#[test]
fn rmsprop() {
    let (lr, rho, eps) = (0.01, 0.9, 1e-8);
    let mut v = [0.0; 6];
    check(RmsProp { lr, rho, eps }, |phi, grad| {
        let g = grad(phi);
        for i in 0..6 {
            v[i] = rho * v[i] + (1.0 - rho) * g[i] * g[i];
            phi[i] -= lr * g[i] / (v[i].sqrt() + eps);
        }
    });
}

#[test]
fn adagrad() {
    let (lr, eps) = (0.1, 1e-10);
    let mut s = [0.0; 6];
    check(AdaGrad { lr, eps }, |phi, grad| {
        let g = grad(phi);
        for i in 0..6 {
            s[i] += g[i] * g[i];
            phi[i] -= lr * g[i] / (s[i].sqrt() + eps);
        }
    });
}

fn adam_reference(lr: f64, decoupled: f64, l2: f64) -> impl FnMut(&mut Vec<f64>, &GradFn) {
    let (b1, b2, eps) = (0.9, 0.999, 1e-8);
    let (mut m, mut v, mut t) = (vec![0.0; 6], vec![0.0; 6], 0);
    move |phi, grad| {
        let mut g = grad(phi);
        for i in 0..6 {
            g[i] += l2 * phi[i];
        }
        t += 1;
        for i in 0..6 {
            phi[i] *= 1.0 - lr * decoupled;
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let m_hat = m[i] / (1.0 - b1.powi(t));
            let v_hat = v[i] / (1.0 - b2.powi(t));
            phi[i] -= lr * m_hat / (v_hat.sqrt() + eps);
        }
    }
}

#[test]
fn adamw_decouples_the_decay() {
    check(
        AdamW {
            lr: 0.05,
            weight_decay: 0.1,
            ..AdamW::default()
        },
        adam_reference(0.05, 0.1, 0.0),
    );
}

#[test]
fn adam_with_l2_weight_decay() {
    check(
        Adam {
            lr: 0.05,
            ..Adam::default()
        }
        .weight_decay(0.1),
        adam_reference(0.05, 0.0, 0.1),
    );
    // AdamW with no decay is Adam.
    check(
        AdamW {
            lr: 0.05,
            weight_decay: 0.0,
            ..AdamW::default()
        },
        adam_reference(0.05, 0.0, 0.0),
    );
}

#[test]
fn clipping_by_the_global_norm() {
    let (lr, c) = (0.01, 2.0);
    let mut clipped_steps = 0;
    check(Sgd { lr }.clip_grad_norm(c), |phi, grad| {
        let g = grad(phi);
        let norm = g.iter().map(|x| x * x).sum::<f64>().sqrt();
        let coef = (c / (norm + 1e-6)).min(1.0);
        clipped_steps += usize::from(coef < 1.0);
        for i in 0..6 {
            phi[i] -= lr * coef * g[i];
        }
    });
    assert!(clipped_steps > 0, "the test must clip some steps");
}

#[test]
fn nesterov_weight_decay_uses_the_look_ahead_point() {
    let (lr, beta, lambda) = (0.01, 0.9, 0.5);
    let mut m = [0.0; 6];
    check(
        Nesterov {
            lr,
            beta,
            form: NesterovForm::Lecture,
        }
        .weight_decay(lambda),
        |phi, grad| {
            let ahead: Vec<f64> = (0..6).map(|i| phi[i] - lr * m[i]).collect();
            let g = grad(&ahead);
            for i in 0..6 {
                m[i] = beta * m[i] + (1.0 - beta) * (g[i] + lambda * ahead[i]);
                phi[i] -= lr * m[i];
            }
        },
    );
}

#[test]
fn state_is_shaped_like_the_parameters_and_counts_steps() {
    let adam = Adam::default();
    let mut phi = start();
    let mut state = adam.init(&phi);
    for _ in 0..3 {
        adam.step_with(&mut state, &mut phi, grad_of);
    }
    assert_eq!(state.count(), 3);
    assert_eq!(state.m.shapes(), phi.shapes());
    assert!(state.v.to_flat().iter().all(|&v| v > 0.0));
    let momentum = Momentum::default();
    let mstate = momentum.init(&phi);
    assert_eq!(mstate.buffers().len(), 1);
    assert_eq!(OptimizerState::<P>::buffers(&()).len(), 0);
}

#[test]
#[should_panic(expected = "look-ahead")]
fn a_plain_gradient_is_refused_where_a_look_ahead_is_needed() {
    let nesterov = Nesterov::default();
    let mut phi = start();
    let mut state = nesterov.init(&phi);
    let g = grad_of(&phi).1;
    nesterov.step(&mut state, &mut phi, g);
}

#[test]
fn learning_rate_can_be_set() {
    let mut sgd = Sgd::default();
    Optimizer::<f64>::set_lr(&mut sgd, 0.5);
    assert_eq!(Optimizer::<f64>::lr(&sgd), 0.5);
    let mut reg = Adam::default().clip_grad_norm(1.0);
    Optimizer::<f64>::set_lr(&mut reg, 0.25);
    assert_eq!(reg.inner.lr, 0.25);
}
