//! The deep MLP written as a loop over `Vec<Layer>` gives exactly the
//! gradients of the same network written out layer by layer.

use gradgen::ndarray::{Array1, Array2};
use gradgen::prelude::*;

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Layer {
    w: Array2<f64>,
    b: Array1<f64>,
}

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Deep {
    layers: Vec<Layer>,
}

/// The loop form, as the lecture's network is usually written.
#[differentiable(wrt(p))]
fn looped(p: &Deep, x: &Array1<f64>) -> f64 {
    let mut h = x.to_owned();
    for layer in &p.layers {
        h = relu(&(layer.w.dot(&h) + &layer.b));
    }
    (&h * &h).sum()
}

/// The same four layers, written out.
#[differentiable(wrt(p))]
fn unrolled(p: &Deep, x: &Array1<f64>) -> f64 {
    let h = relu(&(p.layers[0].w.dot(x) + &p.layers[0].b));
    let h = relu(&(p.layers[1].w.dot(&h) + &p.layers[1].b));
    let h = relu(&(p.layers[2].w.dot(&h) + &p.layers[2].b));
    let h = relu(&(p.layers[3].w.dot(&h) + &p.layers[3].b));
    (&h * &h).sum()
}

fn deep() -> Deep {
    let layer = |seed: usize, out: usize, inp: usize| Layer {
        w: Array2::from_shape_fn((out, inp), |(i, j)| {
            (((i * 7 + j * 3 + seed * 5) % 11) as f64 - 5.0) / 7.0
        }),
        b: Array1::from_shape_fn(out, |i| (((i + seed) % 5) as f64 - 2.0) / 10.0),
    };
    Deep {
        layers: vec![
            layer(1, 5, 3),
            layer(2, 5, 5),
            layer(3, 4, 5),
            layer(4, 2, 4),
        ],
    }
}

#[test]
fn the_loop_gives_the_unrolled_gradients() {
    let p = deep();
    let x = Array1::from(vec![0.5, -1.0, 2.0]);
    let (value, g) = looped_grad(&p, &x);
    let (expected, g_unrolled) = unrolled_grad(&p, &x);
    assert_eq!(value, expected);
    assert_eq!(g, g_unrolled, "exactly the same gradients, leaf by leaf");
    assert!(g.norm() > 0.0);
}
