//! An LSTM-style recurrence over a sequence: hidden and cell state carried
//! through a loop, gates from sigmoids and tanh, differentiated with respect
//! to every weight and the initial state, against central differences.

use gradgen::ndarray::{Array1, Array2, array};
use gradgen::prelude::*;

#[derive(Parameters, Clone, Debug)]
struct Lstm {
    /// Input, forget, output and candidate gates: `W_g h + U_g x_t + b_g`.
    w: Vec<Array2<f64>>,
    u: Vec<Array2<f64>>,
    b: Vec<Array1<f64>>,
}

#[differentiable(wrt(p, h0))]
fn lstm_loss(p: &Lstm, h0: &Array1<f64>, xs: &Array2<f64>, target: &Array1<f64>) -> f64 {
    let mut h = h0.to_owned();
    let mut c = Array1::zeros(h0.len());
    for t in 0..xs.nrows() {
        let x = xs.row(t);
        let i = sigmoid(&(p.w[0].dot(&h) + &p.u[0].dot(&x) + &p.b[0]));
        let f = sigmoid(&(p.w[1].dot(&h) + &p.u[1].dot(&x) + &p.b[1]));
        let o = sigmoid(&(p.w[2].dot(&h) + &p.u[2].dot(&x) + &p.b[2]));
        let g = (p.w[3].dot(&h) + &p.u[3].dot(&x) + &p.b[3]).tanh();
        c = &f * &c + &i * &g;
        h = &o * &c.tanh();
    }
    sum_of_squares(&(&h - target))
}

fn model() -> Lstm {
    let m = |s: usize, r: usize, k: usize| {
        Array2::from_shape_fn((r, k), |(a, b)| {
            (((a * 5 + b * 3 + s * 7) % 13) as f64 - 6.0) / 9.0
        })
    };
    Lstm {
        w: (0..4).map(|s| m(s, 3, 3)).collect(),
        u: (0..4).map(|s| m(s + 4, 3, 2)).collect(),
        b: (0..4)
            .map(|s| Array1::from_shape_fn(3, |a| ((a + s) % 3) as f64 / 10.0 - 0.1))
            .collect(),
    }
}

#[test]
fn the_recurrence_differentiates() {
    let p = model();
    let h0 = array![0.1, -0.2, 0.3];
    let xs = array![[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5], [0.2, 0.9]];
    let target = array![0.2, 0.0, -0.1];
    let (value, (g, d_h0)) = lstm_loss_grad(&p, &h0, &xs, &target);
    assert_eq!(value, lstm_loss(&p, &h0, &xs, &target));
    let flat = p.to_flat();
    let h = 1e-6;
    for (k, analytic) in g.to_flat().iter().enumerate() {
        let at = |v: f64| {
            let mut q = p.clone();
            let mut moved = flat.clone();
            moved[k] = v;
            q.copy_from_flat(&moved).unwrap();
            lstm_loss(&q, &h0, &xs, &target)
        };
        let estimate = (at(flat[k] + h) - at(flat[k] - h)) / (2.0 * h);
        assert!(
            (analytic - estimate).abs() <= 1e-7 * (1.0 + estimate.abs()),
            "parameter {k}: {analytic} vs {estimate}"
        );
    }
    for (k, analytic) in d_h0.iter().enumerate() {
        let at = |v: f64| {
            let mut u = h0.clone();
            u[k] = v;
            lstm_loss(&p, &u, &xs, &target)
        };
        let estimate = (at(h0[k] + h) - at(h0[k] - h)) / (2.0 * h);
        assert!(
            (analytic - estimate).abs() <= 1e-7 * (1.0 + estimate.abs()),
            "h0[{k}]: {analytic} vs {estimate}"
        );
    }
}
