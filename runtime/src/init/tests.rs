use super::*;
use ndarray::{Array1, Array2};

use crate::{LeafVisitor, LeafVisitorMut};

/// A dense layer: weight `[out][in]`, bias `[out]`.
#[derive(Clone, Debug, PartialEq)]
struct Dense {
    w: Array2<f64>,
    b: Array1<f64>,
}

fn layer(out: usize, inputs: usize) -> Dense {
    Dense {
        w: Array2::zeros((out, inputs)),
        b: Array1::zeros(out),
    }
}

impl Parameters for Dense {
    type Scalar = f64;
    fn zeros_like(&self) -> Self {
        layer(self.w.nrows(), self.w.ncols())
    }
    fn visit<'a>(&'a self, f: &mut LeafVisitor<'_, 'a, f64>) {
        self.w.visit(f);
        self.b.visit(f);
    }
    fn visit_mut<'a>(&'a mut self, f: &mut LeafVisitorMut<'_, 'a, f64>) {
        self.w.visit_mut(f);
        self.b.visit_mut(f);
    }
}

/// A first layer and the rest: nested leaves.
#[derive(Clone, Debug, PartialEq)]
struct Net {
    first: Dense,
    rest: Vec<Dense>,
}

fn net(widths: &[usize]) -> Net {
    Net {
        first: layer(widths[1], widths[0]),
        rest: widths[1..].windows(2).map(|w| layer(w[1], w[0])).collect(),
    }
}

impl Parameters for Net {
    type Scalar = f64;
    fn zeros_like(&self) -> Self {
        Net {
            first: self.first.zeros_like(),
            rest: self.rest.zeros_like(),
        }
    }
    fn visit<'a>(&'a self, f: &mut LeafVisitor<'_, 'a, f64>) {
        self.first.visit(f);
        self.rest.visit(f);
    }
    fn visit_mut<'a>(&'a mut self, f: &mut LeafVisitorMut<'_, 'a, f64>) {
        self.first.visit_mut(f);
        self.rest.visit_mut(f);
    }
}

fn mean_and_variance(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let variance = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, variance)
}

/// Draws a `[out, inputs]` leaf (200,000 elements when so shaped) and
/// checks its mean against 0 and its variance against `variance`, to within
/// five standard errors of each estimate.
fn check_moments(init: Init, out: usize, inputs: usize, variance: f64, uniform: bool) {
    let mut w = Array2::<f64>::zeros((out, inputs));
    Initializer::new(init).apply(&mut w, 3);
    let n = w.len() as f64;
    let (mean, var) = mean_and_variance(w.as_slice().unwrap());
    assert!(
        mean.abs() < 5.0 * (variance / n).sqrt(),
        "{init:?}: mean {mean}, variance {variance}"
    );
    // The variance of the sample variance: (mu4 - sigma^4)/n, with
    // mu4 = 3 sigma^4 (normal) or 9/5 sigma^4 (uniform).
    let kurtosis = if uniform { 1.8 } else { 3.0 };
    let se = variance * ((kurtosis - 1.0) / n).sqrt();
    assert!(
        (var - variance).abs() < 5.0 * se,
        "{init:?}: variance {var}, expected {variance} (se {se})"
    );
    if uniform {
        let bound = (3.0 * variance).sqrt();
        assert!(w.iter().all(|x| (-bound..bound).contains(x)));
        // 200,000 draws come within 0.01 % of both ends.
        let max = w.iter().copied().fold(f64::MIN, f64::max);
        let min = w.iter().copied().fold(f64::MAX, f64::min);
        assert!(
            max > 0.999 * bound && min < -0.999 * bound,
            "{min} {max} {bound}"
        );
    }
}

#[test]
fn he_normal_has_variance_two_over_fan_in() {
    check_moments(Init::HeNormal, 400, 500, 2.0 / 500.0, false);
}

#[test]
fn he_uniform_has_variance_two_over_fan_in_within_its_bound() {
    check_moments(Init::HeUniform, 400, 500, 2.0 / 500.0, true);
}

#[test]
fn xavier_normal_has_variance_two_over_fan_in_plus_fan_out() {
    check_moments(Init::XavierNormal, 250, 800, 2.0 / 1050.0, false);
}

#[test]
fn xavier_uniform_has_variance_two_over_fan_in_plus_fan_out_within_its_bound() {
    check_moments(Init::XavierUniform, 250, 800, 2.0 / 1050.0, true);
}

#[test]
fn normal_and_uniform_draw_their_moments() {
    let mut w = Array1::<f64>::zeros(200_000);
    Init::Normal {
        mean: 3.0,
        std: 0.5,
    }
    .apply(&mut w, 9);
    let (mean, var) = mean_and_variance(w.as_slice().unwrap());
    assert!((mean - 3.0).abs() < 5.0 * 0.5 / 200_000f64.sqrt(), "{mean}");
    assert!(
        (var - 0.25).abs() < 5.0 * 0.25 * (2.0f64 / 200_000.0).sqrt(),
        "{var}"
    );

    Init::Uniform {
        low: -1.0,
        high: 3.0,
    }
    .apply(&mut w, 9);
    let (mean, var) = mean_and_variance(w.as_slice().unwrap());
    assert!(w.iter().all(|x| (-1.0..3.0).contains(x)));
    let variance = 16.0 / 12.0;
    assert!(
        (mean - 1.0).abs() < 5.0 * (variance / 200_000f64).sqrt(),
        "{mean}"
    );
    assert!(
        (var - variance).abs() < 5.0 * variance * (0.8f64 / 200_000.0).sqrt(),
        "{var}"
    );
}

#[test]
fn the_shape_gives_the_fans() {
    assert_eq!(fans(&[]), (1, 1));
    assert_eq!(fans(&[7]), (7, 1));
    assert_eq!(fans(&[3, 11]), (11, 3));
    assert_eq!(fans(&[4, 2, 3, 5]), (30, 60));
    // A wide and a tall weight under He: the variance follows the inputs
    // (the second axis), not the outputs or the size.
    let mut wide = Array2::<f64>::zeros((10, 2000));
    let mut tall = Array2::<f64>::zeros((2000, 10));
    Init::HeNormal.apply(&mut wide, 0);
    Init::HeNormal.apply(&mut tall, 0);
    let (_, var_wide) = mean_and_variance(wide.as_slice().unwrap());
    let (_, var_tall) = mean_and_variance(tall.as_slice().unwrap());
    assert!((var_wide / (2.0 / 2000.0) - 1.0).abs() < 0.05, "{var_wide}");
    assert!((var_tall / (2.0 / 10.0) - 1.0).abs() < 0.05, "{var_tall}");
    assert_eq!(Init::HeNormal.std(&[10, 2000]), (2.0f64 / 2000.0).sqrt());
    assert_eq!(
        Init::XavierNormal.std(&[10, 2000]),
        (2.0f64 / 2010.0).sqrt()
    );
}

#[test]
fn zeros_and_constant_are_exact_in_every_leaf() {
    let mut model = net(&[4, 3, 2]);
    Init::Constant(0.25).apply(&mut model, 5);
    let mut seen = 0;
    model.visit(&mut |_, leaf| {
        seen += leaf.len();
        assert!(leaf.iter().all(|&x| x == 0.25));
    });
    assert_eq!(seen, 12 + 3 + 6 + 2);
    Init::Zeros.apply(&mut model, 5);
    assert_eq!(model.norm(), 0.0);
    assert!(model.to_flat().iter().all(|&x| x == 0.0));
}

#[test]
fn he_and_xavier_leave_biases_zero_unless_told() {
    for init in [
        Init::HeNormal,
        Init::HeUniform,
        Init::XavierNormal,
        Init::XavierUniform,
    ] {
        let mut net = net(&[6, 5, 4, 1]);
        net.visit_mut(&mut |_, leaf| leaf.fill(9.0));
        init.apply(&mut net, 1);
        assert_eq!(net.first.b.to_vec(), [0.0; 5]);
        assert!(net.rest.iter().all(|l| l.b.iter().all(|&x| x == 0.0)));
        assert!(net.first.w.iter().all(|&x| x != 0.0 && x != 9.0));

        Initializer::new(init)
            .biases(Init::Constant(0.1))
            .apply(&mut net, 1);
        assert_eq!(net.first.b.to_vec(), [0.1; 5]);
        assert_eq!(net.rest[1].b.to_vec(), [0.1]);
    }
    // The plain rules fill the biases too.
    let mut net = layer(5, 6);
    Init::Normal {
        mean: 0.0,
        std: 1.0,
    }
    .apply(&mut net, 1);
    assert!(net.b.iter().all(|&x| x != 0.0));
}

#[test]
fn rules_by_index_and_shape_come_first_in_the_order_added() {
    let mut net = net(&[6, 5, 4, 1]);
    assert_eq!(
        net.shapes(),
        [
            vec![5, 6],
            vec![5],
            vec![4, 5],
            vec![4],
            vec![1, 4],
            vec![1]
        ]
    );
    Initializer::new(Init::HeNormal)
        .leaf(2, Init::Constant(2.0))
        .when(|shape| shape.first() == Some(&1), Init::Constant(-1.0))
        .when(|shape| shape == [4, 5], Init::Constant(7.0)) // shadowed by leaf 2's
        .apply(&mut net, 0);
    assert!(net.rest[0].w.iter().all(|&x| x == 2.0));
    assert!(net.rest[1].w.iter().all(|&x| x == -1.0));
    assert_eq!(net.rest[1].b.to_vec(), [-1.0]);
    assert_eq!(net.rest[0].b.to_vec(), [0.0; 4]);
    assert!(net.first.w.iter().all(|&x| x.abs() > 0.0 && x.abs() < 2.0));
}

#[test]
fn a_seed_reproduces_its_draws_and_another_seed_does_not() {
    let init = Initializer::new(Init::HeUniform).biases(Init::Uniform {
        low: -0.1,
        high: 0.1,
    });
    let mut a = net(&[20, 30, 10]);
    let mut b = a.zeros_like();
    init.apply(&mut a, 2024);
    init.apply(&mut b, 2024);
    assert_eq!(a.to_flat(), b.to_flat());
    // Applying again from the same seed overwrites with the same values.
    init.apply(&mut b, 2024);
    assert_eq!(a.to_flat(), b.to_flat());
    init.apply(&mut b, 2025);
    let (fa, fb) = (a.to_flat(), b.to_flat());
    assert!(fa.iter().zip(&fb).all(|(x, y)| x != y));
}

#[test]
fn each_leaf_draws_from_its_own_stream() {
    let mut a = net(&[20, 30, 10]);
    let mut b = net(&[20, 30, 10]);
    Init::XavierNormal.apply(&mut a, 11);
    // Another rule for leaf 0 changes nothing in the later leaves.
    Initializer::new(Init::XavierNormal)
        .leaf(0, Init::Zeros)
        .apply(&mut b, 11);
    assert_ne!(a.first.w, b.first.w);
    assert_eq!(a.first.b, b.first.b);
    assert_eq!(a.rest, b.rest);
    // Two leaves of the same shape and rule still differ.
    let mut twins = vec![Array2::<f64>::zeros((8, 8)), Array2::zeros((8, 8))];
    Init::HeNormal.apply(&mut twins, 11);
    assert_ne!(twins[0], twins[1]);
}

#[test]
fn f32_leaves_hold_the_f64_draws_rounded() {
    let mut wide = Array2::<f64>::zeros((6, 9));
    let mut narrow = Array2::<f32>::zeros((6, 9));
    Init::HeNormal.apply(&mut wide, 4);
    Init::HeNormal.apply(&mut narrow, 4);
    assert_eq!(narrow, wide.mapv(|x| x as f32));
}

#[test]
fn fill_takes_any_generator() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut leaf = [0.0f64; 1000];
    Init::HeUniform.fill(&[1000], &mut leaf, &mut rng);
    // A vector of 1000 is one output of 1000 inputs: bound sqrt(6/1000).
    let bound = (6.0f64 / 1000.0).sqrt();
    assert!(leaf.iter().all(|x| (-bound..bound).contains(x)));
    assert!(leaf.iter().any(|x| x.abs() > 0.9 * bound));
    let mut empty: [f64; 0] = [];
    Init::HeNormal.fill(&[0, 5], &mut empty, &mut rng);
}

#[test]
#[should_panic(expected = "a rule names leaf 6, but the parameters have 6 leaves")]
fn a_rule_for_a_missing_leaf_panics() {
    let mut net = net(&[6, 5, 4, 1]);
    Initializer::new(Init::HeNormal)
        .leaf(6, Init::Zeros)
        .apply(&mut net, 0);
}

#[test]
fn unusable_numbers_panic_before_anything_changes() {
    let bad = [
        Init::Normal {
            mean: 0.0,
            std: -1.0,
        },
        Init::Normal {
            mean: f64::NAN,
            std: 1.0,
        },
        Init::Uniform {
            low: 1.0,
            high: 1.0,
        },
        Init::Uniform {
            low: 0.0,
            high: f64::INFINITY,
        },
        Init::Constant(f64::NAN),
    ];
    for init in bad {
        let mut net = layer(3, 3);
        net.visit_mut(&mut |_, leaf| leaf.fill(5.0));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // The bad rule is for the last leaf; the first must stay as it was.
            Initializer::new(Init::Zeros)
                .biases(init)
                .apply(&mut net, 0);
        }));
        assert!(result.is_err(), "{init:?} was accepted");
        assert!(net.to_flat().iter().all(|&x| x == 5.0), "{init:?}");
    }
}
