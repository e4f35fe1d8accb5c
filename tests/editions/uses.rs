// The code both edition crates compile, included by each.
//
// The pullback of `NAME_vjp` keeps borrows of the arguments; under edition
// 2021 a returned `impl Trait` captures a borrow only when its bounds say so,
// which is why the macro writes `+ use<...>`. These functions borrow
// parameters and data, and the tests use the pullbacks while the borrows live.

use gradgen::prelude::*;

/// An affine model of two inputs.
#[derive(Parameters, Clone, Debug, PartialEq)]
pub struct Affine {
    /// Weights.
    pub w: [f64; 2],
    /// Bias.
    pub b: f64,
}

/// Squared error of the model on one point: parameters and data borrowed.
#[differentiable(wrt(p))]
pub fn affine_loss(p: &Affine, x: &[f64], y: f64) -> f64 {
    let z = p.w[0] * x[0] + p.w[1] * x[1] + p.b;
    (z - y).powi(2)
}

/// Several arguments, borrowed and not, differentiated with respect to two.
#[differentiable(wrt(a, c))]
pub fn mixed(a: &f64, b: f64, c: &[f64; 2], k: usize) -> f64 {
    let scale = k as f64;
    let u = a * c[0];
    let v = (b * c[1]).sin();
    u * scale + v * a
}

/// Every argument that is not an integer counts, without `wrt`.
#[differentiable]
pub fn product(x: f64, y: f64, n: i32) -> f64 {
    x.powi(n) * y.exp()
}

/// A value in an `Option`, `None` for a negative `x` (a bail whose
/// type each edition infers in its own way).
#[differentiable]
pub fn checked_sqrt(x: f64) -> Option<f64> {
    if x < 0.0 {
        return None;
    }
    let y = x.sqrt();
    if y > 1e6 { None } else { Some(y) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + b.abs())
    }

    #[test]
    fn gradient_with_respect_to_borrowed_parameters() {
        let p = Affine {
            w: [0.5, -2.0],
            b: 0.25,
        };
        let x = vec![3.0, 1.5];
        let (loss, grad) = affine_loss_grad(&p, &x, 1.0);
        // z = 1.5 - 3 + 0.25 = -1.25, r = z - y = -2.25;
        // d/dw_i = 2 r x_i, d/db = 2 r.
        let r = -2.25;
        assert!(close(loss, r * r));
        assert!(close(grad.w[0], 2.0 * r * 3.0));
        assert!(close(grad.w[1], 2.0 * r * 1.5));
        assert!(close(grad.b, 2.0 * r));
    }

    #[test]
    fn pullback_keeps_the_borrows() {
        let p = Affine {
            w: [1.0, 1.0],
            b: 0.0,
        };
        let x = [2.0, 3.0];
        let (value, pullback) = affine_loss_vjp(&p, &x[..], 4.0);
        // The pullback outlives the call and still reads `p` and `x`.
        let (_, grad) = affine_loss_grad(&p, &x[..], 4.0);
        let half = pullback(0.5);
        // z = 5, r = 1: value 1; half the gradient 2 r (x, 1) / 2 = (2, 3, 1).
        assert!(close(value, 1.0));
        assert_eq!(
            half,
            Affine {
                w: [2.0, 3.0],
                b: 1.0
            }
        );
        assert_eq!(grad.w, [4.0, 6.0]);
    }

    #[test]
    fn several_arguments_with_wrt() {
        let (a, b, c, k) = (1.5, 0.5, [2.0, -1.0], 3);
        let (value, (da, dc)) = mixed_grad(&a, b, &c, k);
        // f = 3 a c0 + a sin(b c1):
        // df/da = 3 c0 + sin(b c1), df/dc0 = 3 a, df/dc1 = a b cos(b c1).
        let s = (b * c[1]).sin();
        assert!(close(value, 3.0 * a * c[0] + a * s));
        assert!(close(da, 3.0 * c[0] + s));
        assert!(close(dc[0], 3.0 * a));
        assert!(close(dc[1], a * b * (b * c[1]).cos()));

        let (_, pullback) = mixed_vjp(&a, b, &c, k);
        let (da2, dc2) = pullback(2.0);
        assert!(close(da2, 2.0 * da) && close(dc2[1], 2.0 * dc[1]));
    }

    #[test]
    fn default_activity() {
        let (value, (dx, dy)) = product_grad(1.5, 0.25, 3);
        // f = x^3 e^y: df/dx = 3 x^2 e^y, df/dy = f.
        let e = 0.25f64.exp();
        assert!(close(value, 1.5f64.powi(3) * e));
        assert!(close(dx, 3.0 * 1.5 * 1.5 * e));
        assert!(close(dy, value));
    }

    #[test]
    fn fallible_functions_stop_in_both_editions() {
        assert_eq!(checked_sqrt_grad(4.0), Some((2.0, 0.25)));
        assert_eq!(checked_sqrt_grad(-4.0), None);
        assert_eq!(checked_sqrt_grad(1e14), None);
    }
}
