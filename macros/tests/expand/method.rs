//! A method: `&self` differentiates like any argument, and other bodies call
//! it with method syntax.

impl Layer {
    #[differentiable]
    fn forward(&self, h: &Array1<f64>) -> Array1<f64> {
        &self.b + &self.w.dot(h)
    }
}
