//! The lecture's backward-pass walk-through on the toy chain
//!
//! ```text
//! f0 = b0 + w0*x;  h1 = sin f0;  f1 = b1 + w1*h1;  h2 = exp f1;
//! f2 = b2 + w2*h2; h3 = cos f2;  f3 = b3 + w3*h3;  loss = (f3 - y)^2
//! ```
//!
//! Prints every forward value, the loss, and every derivative of the
//! generated backward pass next to its central-difference estimate.
//!
//! Run with `cargo run --release --example toy_chain`.

use gradgen::prelude::*;

#[derive(Parameters, Clone, Debug)]
struct Toy {
    beta: [f64; 4],
    omega: [f64; 4],
}

/// The forward pass and the loss; `#[differentiable]` writes `toy_loss_grad`.
#[differentiable]
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

// The tails of the chain, from each f_k on: their derivatives with respect
// to f_k are the intermediate adjoints dl/df_k of the backward pass.
#[differentiable(wrt(f3))]
fn from_f3(f3: f64, y: f64) -> f64 {
    (f3 - y).powi(2)
}

#[differentiable(wrt(f2))]
fn from_f2(f2: f64, p: &Toy, y: f64) -> f64 {
    let f3 = p.beta[3] + p.omega[3] * f2.cos();
    (f3 - y).powi(2)
}

#[differentiable(wrt(f1))]
fn from_f1(f1: f64, p: &Toy, y: f64) -> f64 {
    let f2 = p.beta[2] + p.omega[2] * f1.exp();
    let f3 = p.beta[3] + p.omega[3] * f2.cos();
    (f3 - y).powi(2)
}

#[differentiable(wrt(f0))]
fn from_f0(f0: f64, p: &Toy, y: f64) -> f64 {
    let f1 = p.beta[1] + p.omega[1] * f0.sin();
    let f2 = p.beta[2] + p.omega[2] * f1.exp();
    let f3 = p.beta[3] + p.omega[3] * f2.cos();
    (f3 - y).powi(2)
}

/// The central difference `(f(v + h) - f(v - h)) / 2h`.
fn central(f: impl Fn(f64) -> f64, v: f64) -> f64 {
    let h = 1e-6;
    (f(v + h) - f(v - h)) / (2.0 * h)
}

fn main() {
    // The values of the lecture's notebook.
    let p = Toy {
        beta: [1.0, 2.0, -3.0, 0.4],
        omega: [0.1, -0.4, 2.0, 3.0],
    };
    let (x, y) = (2.3, 2.0);

    println!("Forward pass");
    let f0 = p.beta[0] + p.omega[0] * x;
    let h1 = f0.sin();
    let f1 = p.beta[1] + p.omega[1] * h1;
    let h2 = f1.exp();
    let f2 = p.beta[2] + p.omega[2] * h2;
    let h3 = f2.cos();
    let f3 = p.beta[3] + p.omega[3] * h3;
    for (name, v) in [
        ("f0", f0),
        ("h1", h1),
        ("f1", f1),
        ("h2", h2),
        ("f2", f2),
        ("h3", h3),
        ("f3", f3),
    ] {
        println!("  {name} = {v:>10.6}");
    }

    let (loss, (d_p, d_x, d_y)) = toy_loss_grad(&p, x, y);
    println!("  loss = {loss:.6}\n");

    println!("Backward pass: generated derivative | central difference");
    let row = |name: &str, exact: f64, estimate: f64| {
        println!(
            "  {name:<10} = {exact:>12.6} | {estimate:>12.6}   (difference {:.1e})",
            (exact - estimate).abs()
        );
    };
    row(
        "dl/df3",
        from_f3_grad(f3, y).1,
        central(|v| from_f3(v, y), f3),
    );
    row(
        "dl/df2",
        from_f2_grad(f2, &p, y).1,
        central(|v| from_f2(v, &p, y), f2),
    );
    row(
        "dl/df1",
        from_f1_grad(f1, &p, y).1,
        central(|v| from_f1(v, &p, y), f1),
    );
    row(
        "dl/df0",
        from_f0_grad(f0, &p, y).1,
        central(|v| from_f0(v, &p, y), f0),
    );
    for k in (0..4).rev() {
        let db = central(
            |v| {
                let mut q = p.clone();
                q.beta[k] = v;
                toy_loss(&q, x, y)
            },
            p.beta[k],
        );
        let dw = central(
            |v| {
                let mut q = p.clone();
                q.omega[k] = v;
                toy_loss(&q, x, y)
            },
            p.omega[k],
        );
        row(&format!("dl/dbeta{k}"), d_p.beta[k], db);
        row(&format!("dl/domega{k}"), d_p.omega[k], dw);
    }
    row("dl/dx", d_x, central(|v| toy_loss(&p, v, y), x));
    row("dl/dy", d_y, central(|v| toy_loss(&p, x, v), y));
}
