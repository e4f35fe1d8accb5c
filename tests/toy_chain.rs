//! The lecture's toy chain, written with `#[differentiable]` as a user would,
//! checked against the reference values of `oracles/oracles.json` (case
//! `toy_chain`): every forward value, every intermediate adjoint
//! `dl/df3 .. dl/df0`, and the gradient with respect to `b`, `w`, `x`, `y`.
//!
//! ```text
//! f0 = b0 + w0*x;  h1 = sin f0
//! f1 = b1 + w1*h1; h2 = exp f1
//! f2 = b2 + w2*h2; h3 = cos f2
//! f3 = b3 + w3*h3; l = (f3 - y)^2
//! ```

use gradgen::prelude::*;
use serde_json::Value;

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Toy {
    beta: [f64; 4],
    omega: [f64; 4],
}

/// The loss, as DESIGN.md writes it: the gradient with respect to `p` only.
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

/// The same loss with every argument active (no `wrt`): the gradient is a
/// tuple `(Toy, x, y)`.
#[differentiable]
fn toy_loss_all(p: &Toy, x: f64, y: f64) -> f64 {
    let f0 = p.beta[0] + p.omega[0] * x;
    let h1 = f0.sin();
    let f1 = p.beta[1] + p.omega[1] * h1;
    let h2 = f1.exp();
    let f2 = p.beta[2] + p.omega[2] * h2;
    let h3 = f2.cos();
    let f3 = p.beta[3] + p.omega[3] * h3;
    (f3 - y).powi(2)
}

/// Every forward value of the chain, `((f0, h1, f1, h2), (f2, h3, f3), l)`,
/// read through the generated `_vjp`, so the values are the generated
/// forward sweep's.
#[differentiable(wrt(p))]
#[allow(clippy::type_complexity)]
fn toy_forward(p: &Toy, x: f64, y: f64) -> ((f64, f64, f64, f64), (f64, f64, f64), f64) {
    let f0 = p.beta[0] + p.omega[0] * x;
    let h1 = f0.sin();
    let f1 = p.beta[1] + p.omega[1] * h1;
    let h2 = f1.exp();
    let f2 = p.beta[2] + p.omega[2] * h2;
    let h3 = f2.cos();
    let f3 = p.beta[3] + p.omega[3] * h3;
    let l = (f3 - y).powi(2);
    ((f0, h1, f1, h2), (f2, h3, f3), l)
}

/// The chain with an additive perturbation `e` of every intermediate, in
/// the order `f0, h1, f1, h2, f2, h3, f3`. At `e = 0` it is the loss, and
/// `dl/de_k` is the adjoint `dl/dv` of the intermediate `v` that `e_k`
/// perturbs: the generated code's intermediate adjoints, read from outside.
#[differentiable(wrt(e))]
fn toy_perturbed(p: &Toy, x: f64, y: f64, e: [f64; 7]) -> f64 {
    let f0 = p.beta[0] + p.omega[0] * x + e[0];
    let h1 = f0.sin() + e[1];
    let f1 = p.beta[1] + p.omega[1] * h1 + e[2];
    let h2 = f1.exp() + e[3];
    let f2 = p.beta[2] + p.omega[2] * h2 + e[4];
    let h3 = f2.cos() + e[5];
    let f3 = p.beta[3] + p.omega[3] * h3 + e[6];
    (f3 - y).powi(2)
}

/// One case of the oracle: inputs and the expected numbers.
struct Case {
    label: String,
    toy: Toy,
    x: f64,
    y: f64,
    forward: Value,
    backward: Value,
    grad: Value,
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn four(v: &Value) -> [f64; 4] {
    let items = v.as_array().expect("an array");
    assert_eq!(items.len(), 4);
    std::array::from_fn(|i| f(&items[i]))
}

fn cases() -> Vec<Case> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/oracles/oracles.json"))
            .expect("oracles/oracles.json is readable");
    let json: Value = serde_json::from_str(&text).expect("oracles.json is JSON");
    let cases = json["cases"]["toy_chain"]["cases"]
        .as_array()
        .expect("toy_chain has cases");
    cases
        .iter()
        .map(|c| {
            let inputs = &c["inputs"];
            Case {
                label: c["label"].as_str().expect("a label").to_string(),
                toy: Toy {
                    beta: four(&inputs["b"]),
                    omega: four(&inputs["w"]),
                },
                x: f(&inputs["x"]),
                y: f(&inputs["y"]),
                forward: c["forward"].clone(),
                backward: c["backward_intermediate"].clone(),
                grad: c["grad"].clone(),
            }
        })
        .collect()
}

/// `actual` agrees with `expected` to 1e-12 relative (absolute near zero).
#[track_caller]
fn close(actual: f64, expected: f64, what: &str) {
    let tol = 1e-12 * expected.abs().max(1e-3);
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: got {actual:e}, expected {expected:e} (diff {:e})",
        (actual - expected).abs()
    );
}

#[test]
fn the_oracle_has_the_cases_this_test_checks() {
    let cases = cases();
    assert!(cases.len() >= 2, "toy_chain has {} cases", cases.len());
    assert_eq!(cases[0].label, "udl_7_1");
    for case in &cases {
        for key in ["f0", "h1", "f1", "h2", "f2", "h3", "f3", "loss"] {
            assert!(case.forward[key].is_f64(), "{}: forward.{key}", case.label);
        }
    }
}

#[test]
fn forward_values_match_the_oracle() {
    for case in cases() {
        let (((f0, h1, f1, h2), (f2, h3, f3), l), _) = toy_forward_vjp(&case.toy, case.x, case.y);
        let got = [
            ("f0", f0),
            ("h1", h1),
            ("f1", f1),
            ("h2", h2),
            ("f2", f2),
            ("h3", h3),
            ("f3", f3),
            ("loss", l),
        ];
        for (name, value) in got {
            close(
                value,
                f(&case.forward[name]),
                &format!("{}: {name}", case.label),
            );
        }
        // The annotated functions stay as written, and `_grad` returns their value.
        let (t, c) = (&case.toy, &case.label);
        assert_eq!(
            toy_forward(t, case.x, case.y),
            ((f0, h1, f1, h2), (f2, h3, f3), l),
            "{c}"
        );
        close(toy_loss(t, case.x, case.y), f(&case.forward["loss"]), c);
        close(toy_loss_all(t, case.x, case.y), f(&case.forward["loss"]), c);
        close(
            toy_perturbed(t, case.x, case.y, [0.0; 7]),
            f(&case.forward["loss"]),
            c,
        );
        close(
            toy_loss_grad(&case.toy, case.x, case.y).0,
            f(&case.forward["loss"]),
            &case.label,
        );
    }
}

#[test]
fn intermediate_adjoints_match_the_oracle() {
    for case in cases() {
        let (l, d_e) = toy_perturbed_grad(&case.toy, case.x, case.y, [0.0; 7]);
        close(l, f(&case.forward["loss"]), &case.label);
        let names = [
            "dl_df0", "dl_dh1", "dl_df1", "dl_dh2", "dl_df2", "dl_dh3", "dl_df3",
        ];
        for (name, got) in names.iter().zip(d_e) {
            close(
                got,
                f(&case.backward[*name]),
                &format!("{}: {name}", case.label),
            );
        }
    }
}

#[test]
fn gradient_wrt_parameters_matches_the_oracle() {
    for case in cases() {
        let (l, g): (f64, Toy) = toy_loss_grad(&case.toy, case.x, case.y);
        close(l, f(&case.forward["loss"]), &case.label);
        let (b, w) = (four(&case.grad["b"]), four(&case.grad["w"]));
        for k in 0..4 {
            close(g.beta[k], b[k], &format!("{}: dl/db{k}", case.label));
            close(g.omega[k], w[k], &format!("{}: dl/dw{k}", case.label));
        }
    }
}

#[test]
fn gradient_wrt_every_argument_matches_the_oracle() {
    for case in cases() {
        let (l, (g, d_x, d_y)): (f64, (Toy, f64, f64)) =
            toy_loss_all_grad(&case.toy, case.x, case.y);
        close(l, f(&case.forward["loss"]), &case.label);
        let (b, w) = (four(&case.grad["b"]), four(&case.grad["w"]));
        for k in 0..4 {
            close(g.beta[k], b[k], &format!("{}: dl/db{k}", case.label));
            close(g.omega[k], w[k], &format!("{}: dl/dw{k}", case.label));
        }
        close(d_x, f(&case.grad["x"]), &format!("{}: dl/dx", case.label));
        close(d_y, f(&case.grad["y"]), &format!("{}: dl/dy", case.label));
    }
}

#[test]
fn the_pullback_scales_with_the_adjoint_of_the_result() {
    for case in cases() {
        let (l, pullback) = toy_loss_vjp(&case.toy, case.x, case.y);
        close(l, f(&case.forward["loss"]), &case.label);
        let g = pullback(-0.5);
        let (b, w) = (four(&case.grad["b"]), four(&case.grad["w"]));
        for k in 0..4 {
            close(
                g.beta[k],
                -0.5 * b[k],
                &format!("{}: -0.5 dl/db{k}", case.label),
            );
            close(
                g.omega[k],
                -0.5 * w[k],
                &format!("{}: -0.5 dl/dw{k}", case.label),
            );
        }
    }
}

#[test]
fn the_pullback_of_the_forward_values_gives_the_loss_gradient() {
    // Seeding only the loss element of the tuple result gives the gradient.
    for case in cases() {
        let (_, pullback) = toy_forward_vjp(&case.toy, case.x, case.y);
        let g = pullback(((0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 1.0));
        let (b, w) = (four(&case.grad["b"]), four(&case.grad["w"]));
        for k in 0..4 {
            close(g.beta[k], b[k], &format!("{}: dl/db{k}", case.label));
            close(g.omega[k], w[k], &format!("{}: dl/dw{k}", case.label));
        }
    }
}
