//! Optimizer trajectories against the reference values in
//! `oracles/oracles.json` (computed with torch in float64), to 1e-12.

use gradgen_runtime::optim::{
    Adam, Momentum, MomentumForm, Nesterov, NesterovForm, NormalizedGradient, Optimizer, Sgd,
};
use gradgen_runtime::schedule::{Schedule, StepDecay};
use serde_json::Value;

fn oracles() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../oracles/oracles.json");
    let text = std::fs::read_to_string(path).expect("oracles/oracles.json is in the repository");
    serde_json::from_str(&text).expect("the oracle file is JSON")
}

fn points(v: &Value) -> Vec<[f64; 2]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
        .collect()
}

/// Mixed absolute/relative closeness: `|a-b| <= tol * max(1, |b|)`.
fn assert_close(actual: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tol * expected.abs().max(1.0),
        "{what}: {actual} vs expected {expected}"
    );
}

fn assert_trajectory(actual: &[[f64; 2]], expected: &[[f64; 2]], tol: f64, run: &str) {
    assert_eq!(actual.len(), expected.len(), "{run}: trajectory length");
    for (t, (a, e)) in actual.iter().zip(expected).enumerate() {
        for i in 0..2 {
            assert_close(a[i], e[i], tol, &format!("{run}: phi[{t}][{i}]"));
        }
    }
}

/// L(phi) = 0.5*phi0^2 + 50*phi1^2.
fn quadratic(p: &[f64; 2]) -> (f64, [f64; 2]) {
    (0.5 * p[0] * p[0] + 50.0 * p[1] * p[1], [p[0], 100.0 * p[1]])
}

/// L(phi) = 1 - exp(-0.5*phi1^2*4) * exp(-0.5*(phi0-0.7)^2/4) (UDL notebook
/// 6.5), its gradient in the order reverse mode evaluates it.
fn udl_6_5(p: &[f64; 2]) -> (f64, [f64; 2]) {
    let a = (-0.5 * p[1].powi(2) * 4.0).exp();
    let w1 = p[0] - 0.7;
    let b = (-0.5 * w1.powi(2) / 4.0).exp();
    // d(1 - a*b): da = -b, db = -a; through exp: du = da*a, dw = db*b.
    let du = -b * a;
    let dw = -a * b;
    let d_phi1 = du * 4.0 * -0.5 * (2.0 * p[1]);
    let d_phi0 = dw / 4.0 * -0.5 * (2.0 * w1);
    (1.0 - a * b, [d_phi0, d_phi1])
}

/// Runs `steps` steps from `start`, setting the rate from `lr_at(t)` before
/// step `t`; returns the trajectory (start included).
fn run<O: Optimizer<[f64; 2]>>(
    mut opt: O,
    start: [f64; 2],
    steps: usize,
    f: fn(&[f64; 2]) -> (f64, [f64; 2]),
    lr_at: impl Fn(usize) -> Option<f64>,
) -> Vec<[f64; 2]> {
    let mut phi = start;
    let mut state = opt.init(&phi);
    let mut out = vec![phi];
    for t in 0..steps {
        if let Some(lr) = lr_at(t) {
            opt.set_lr(lr);
        }
        opt.step_with(&mut state, &mut phi, f);
        out.push(phi);
    }
    out
}

fn quadratic_case() -> Value {
    oracles()["cases"]["optimizers"]["functions"]["quadratic"].clone()
}

fn check_quadratic<O: Optimizer<[f64; 2]>>(name: &str, opt: O) {
    let case = quadratic_case();
    let start = points(&Value::Array(vec![case["start"].clone()]))[0];
    let expected = points(&case["runs"][name]["phi"]);
    let actual = run(opt, start, expected.len() - 1, quadratic, |_| None);
    assert_trajectory(&actual, &expected, 1e-12, name);
    let losses = case["runs"][name]["loss"].as_array().unwrap();
    for (t, (phi, loss)) in actual.iter().zip(losses).enumerate() {
        assert_close(
            quadratic(phi).0,
            loss.as_f64().unwrap(),
            1e-12,
            &format!("{name}: loss[{t}]"),
        );
    }
}

#[test]
fn gradient_descent() {
    check_quadratic("gd", Sgd { lr: 0.012 });
}

#[test]
fn momentum_lecture_form() {
    check_quadratic(
        "momentum_lecture",
        Momentum {
            lr: 0.012,
            beta: 0.9,
            form: MomentumForm::Lecture,
        },
    );
    // The default is the lecture's form.
    check_quadratic(
        "momentum_lecture",
        Momentum {
            lr: 0.012,
            ..Momentum::default()
        },
    );
}

#[test]
fn momentum_pytorch_forms() {
    let torch = |lr, dampening| Momentum {
        lr,
        beta: 0.9,
        form: MomentumForm::PyTorch { dampening },
    };
    check_quadratic("torch_sgd_momentum", torch(0.012, 0.0));
    check_quadratic("torch_sgd_dampened", torch(0.012, 0.9));
    // lr = alpha*(1-beta), no dampening: the lecture's trajectory.
    check_quadratic("torch_sgd_momentum_equiv", torch(0.012 * (1.0 - 0.9), 0.0));
    check_quadratic("momentum_lecture", torch(0.012 * (1.0 - 0.9), 0.0));
}

#[test]
fn nesterov_lecture_form() {
    check_quadratic(
        "nesterov_lecture",
        Nesterov {
            lr: 0.012,
            ..Nesterov::default()
        },
    );
}

#[test]
fn nesterov_corrected_form() {
    check_quadratic(
        "nesterov_udl_corrected",
        Nesterov {
            lr: 0.012,
            beta: 0.9,
            form: NesterovForm::Corrected,
        },
    );
}

#[test]
fn nesterov_gradients_are_taken_at_the_look_ahead_points() {
    let case = quadratic_case();
    for (name, form) in [
        ("nesterov_lecture", NesterovForm::Lecture),
        ("nesterov_udl_corrected", NesterovForm::Corrected),
    ] {
        let expected = points(&case["runs"][name]["grad_eval_points"]);
        let opt = Nesterov {
            lr: 0.012,
            beta: 0.9,
            form,
        };
        let mut phi = [-3.0, 1.0];
        let mut state = opt.init(&phi);
        let mut seen = Vec::new();
        for _ in 0..expected.len() {
            opt.step_with(&mut state, &mut phi, |p: &[f64; 2]| {
                seen.push(*p);
                quadratic(p)
            });
        }
        assert_trajectory(&seen, &expected, 1e-12, name);
    }
}

#[test]
fn nesterov_pytorch_form() {
    let torch = |lr| Nesterov {
        lr,
        beta: 0.9,
        form: NesterovForm::PyTorch,
    };
    check_quadratic("torch_sgd_nesterov", torch(0.012));
    check_quadratic("torch_sgd_nesterov_equiv", torch(0.012 * (1.0 - 0.9)));
    // ...whose iterates are the corrected form's look-ahead points (the
    // oracle lists those of steps 1..=100; step 0 looks ahead from m = 0).
    let lookahead = points(&quadratic_case()["runs"]["nesterov_udl_corrected"]["lookahead_points"]);
    let actual = run(
        torch(0.012 * (1.0 - 0.9)),
        [-3.0, 1.0],
        lookahead.len(),
        quadratic,
        |_| None,
    );
    assert_trajectory(
        &actual[1..],
        &lookahead,
        1e-12,
        "torch nesterov vs corrected look-ahead points",
    );
}

#[test]
fn adam_with_bias_correction() {
    let adam = Adam {
        lr: 0.1,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
    };
    check_quadratic("adam_udl", adam);
    check_quadratic("torch_adam", adam);
}

#[test]
fn runs_on_the_lecture_notebook_function() {
    let case = oracles()["cases"]["optimizers"]["udl_6_5_function"].clone();
    let start = [-0.7, -0.9];
    let runs = &case["runs"];
    let check = |name: &str, actual: Vec<[f64; 2]>| {
        assert_trajectory(&actual, &points(&runs[name]["phi"]), 1e-12, name);
    };
    check(
        "gd_lr0.08_200steps",
        run(Sgd { lr: 0.08 }, start, 200, udl_6_5, |_| None),
    );
    check(
        "gd_lr1.0_40steps",
        run(Sgd { lr: 1.0 }, start, 40, udl_6_5, |_| None),
    );
    let signs = NormalizedGradient {
        lr: 0.08,
        eps: 1e-20,
    };
    check(
        "normalized_gradient_40steps",
        run(signs, start, 40, udl_6_5, |_| None),
    );
    let adam = Adam {
        lr: 0.05,
        beta1: 0.9,
        beta2: 0.99,
        eps: 1e-20,
    };
    check(
        "adam_udl_notebook_defaults_60steps",
        run(adam, start, 60, udl_6_5, |_| None),
    );
}

#[test]
fn step_decay_schedule() {
    let case = quadratic_case();
    let decay = StepDecay {
        every: 25,
        factor: 0.5,
    };
    let adam = Adam {
        lr: 0.1,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
    };
    for name in [
        "gd_steplr",
        "torch_sgd_steplr",
        "adam_udl_steplr",
        "torch_adam_steplr",
    ] {
        let run_case = &case["runs"][name];
        let lr0 = run_case["hyperparameters"]["lr"].as_f64().unwrap();
        let rates = run_case["lr_per_step"].as_array().unwrap();
        for (t, rate) in rates.iter().enumerate() {
            assert_eq!(
                decay.lr(lr0, t),
                rate.as_f64().unwrap(),
                "{name}: lr at step {t}"
            );
        }
        let expected = points(&run_case["phi"]);
        let lr_at = |t| Some(decay.lr(lr0, t));
        let actual = if name.contains("adam") {
            run(adam, [-3.0, 1.0], 100, quadratic, lr_at)
        } else {
            run(Sgd { lr: lr0 }, [-3.0, 1.0], 100, quadratic, lr_at)
        };
        assert_trajectory(&actual, &expected, 1e-12, name);
    }
}
