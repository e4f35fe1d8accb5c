//! The lecture's toy chain: `f0 = b0 + w0*x; h1 = sin f0; ...; f3 = b3 + w3*h3`
//! with a least-squares loss.

#[differentiable(wrt(p))]
pub fn toy_loss(p: &Toy, x: f64, y: f64) -> f64 {
    let f0 = p.beta[0] + p.omega[0] * x;
    let h1 = f0.sin();
    let f1 = p.beta[1] + p.omega[1] * h1;
    let h2 = f1.exp();
    let f2 = p.beta[2] + p.omega[2] * h2;
    let h3 = f2.cos();
    let f3 = p.beta[3] + p.omega[3] * h3;
    (f3 - y).powi(2)
}
