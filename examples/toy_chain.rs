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

fn main() {
    let p = Toy { beta: [1.0, 2.0, -3.0, 0.4], omega: [0.1, -0.4, 2.0, 3.0] };
    let (l, g) = toy_loss_grad(&p, 2.3, 2.0);
    println!("{l} {g:?}");
}
