//! `#[differentiable]` on methods: `&self` differentiates like any argument
//! (its gradient is a `Self`), and other differentiable bodies call the
//! method as Rust code is organised: `self.hidden.forward(&x)`.

use gradgen::ndarray::{Array1, Array2, array};
use gradgen::prelude::*;

/// One layer, `f = b + W h`.
#[derive(Parameters, Clone, Debug, PartialEq)]
struct Layer {
    w: Array2<f64>,
    b: Array1<f64>,
}

impl Layer {
    /// The layer's output for one input column.
    #[differentiable]
    fn forward(&self, h: &Array1<f64>) -> Array1<f64> {
        &self.b + &self.w.dot(h)
    }

    /// The squared length of the output, a scalar of the layer alone.
    #[differentiable(wrt(self))]
    fn energy(&self, h: &Array1<f64>) -> f64 {
        let f = self.forward(h);
        (&f * &f).sum()
    }
}

/// Two layers with a ReLU between them.
#[derive(Parameters, Clone, Debug, PartialEq)]
struct Net {
    hidden: Layer,
    output: Layer,
}

impl Net {
    #[differentiable(wrt(self))]
    fn loss(&self, x: &Array1<f64>, y: &Array1<f64>) -> f64 {
        let h = relu(&self.hidden.forward(x));
        let f = self.output.forward(&h);
        sum_of_squares(&(&f - y))
    }
}

fn net() -> Net {
    Net {
        hidden: Layer {
            w: array![[0.5, -1.0], [1.5, 0.25], [-0.75, 1.0]],
            b: array![0.1, -0.2, 0.3],
        },
        output: Layer {
            w: array![[1.0, -0.5, 2.0]],
            b: array![0.05],
        },
    }
}

fn central(f: impl Fn(&Net) -> f64, p: &Net) -> Vec<f64> {
    let flat = p.to_flat();
    let h = 1e-6;
    (0..flat.len())
        .map(|k| {
            let at = |v: f64| {
                let mut q = p.clone();
                let mut moved = flat.clone();
                moved[k] = v;
                q.copy_from_flat(&moved).unwrap();
                f(&q)
            };
            (at(flat[k] + h) - at(flat[k] - h)) / (2.0 * h)
        })
        .collect()
}

#[test]
fn methods_differentiate_with_respect_to_self() {
    let layer = net().hidden;
    let x = array![0.7, -1.2];
    let d = array![1.0, -2.0, 0.5];
    let (value, pullback) = layer.forward_vjp(&x);
    let (d_layer, d_x) = pullback(d.clone());
    assert_eq!(value, layer.forward(&x));
    // f = b + W h: d b = d, d W = d h^T, d h = W^T d.
    assert_eq!(d_layer.b, d);
    assert_eq!(d_x, layer.w.t().dot(&d));
    let (e, d_self) = layer.energy_grad(&x);
    assert_eq!(e, layer.energy(&x));
    let f = layer.forward(&x);
    assert_eq!(d_self.b, &f * 2.0);
}

#[test]
fn methods_compose_through_fields() {
    let p = net();
    let (x, y) = (array![0.7, -1.2], array![0.4]);
    let (value, grad) = p.loss_grad(&x, &y);
    assert_eq!(value, p.loss(&x, &y));
    let estimate = central(|q| q.loss(&x, &y), &p);
    for (k, (g, e)) in grad.to_flat().iter().zip(&estimate).enumerate() {
        assert!(
            (g - e).abs() <= 1e-6 * (1.0 + e.abs()),
            "parameter {k}: {g} vs {e}"
        );
    }
}

/// A model trait, as a user's code base might have one.
trait Model {
    fn predict(&self, x: &Array1<f64>) -> Array1<f64>;
}

/// The trait method delegates to a differentiable inherent method, which
/// differentiable bodies call (inherent methods come first in method
/// resolution), so the trait and the derivative live side by side.
impl Model for Layer {
    fn predict(&self, x: &Array1<f64>) -> Array1<f64> {
        self.forward(x)
    }
}

#[differentiable(wrt(layer))]
fn model_loss(layer: &Layer, x: &Array1<f64>) -> f64 {
    let f = layer.forward(x);
    (&f * &f).sum()
}

#[test]
fn trait_methods_delegate_to_inherent_ones() {
    let layer = net().hidden;
    let x = array![0.4, -0.9];
    assert_eq!(Model::predict(&layer, &x), layer.forward(&x));
    let (value, d) = model_loss_grad(&layer, &x);
    assert_eq!(value, {
        let f = Model::predict(&layer, &x);
        (&f * &f).sum()
    });
    // d/dW (f . f) = 2 f xᵀ, d/db = 2 f.
    let f = layer.forward(&x);
    for r in 0..3 {
        assert!((d.b[r] - 2.0 * f[r]).abs() < 1e-12);
        for c in 0..2 {
            assert!((d.w[[r, c]] - 2.0 * f[r] * x[c]).abs() < 1e-12);
        }
    }
}
