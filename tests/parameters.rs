//! `#[derive(Parameters)]`: zeros, leaf order, visiting several values together.

use gradgen::prelude::*;

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Toy {
    beta: [f64; 4],
    omega: [f64; 4],
}

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Layer {
    w: Vec<Vec<f32>>,
    b: Vec<f32>,
}

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Net {
    layers: Vec<Layer>,
    scale: f32,
    #[parameters(skip)]
    name: String,
}

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Pair(f64, [f64; 2]);

fn net() -> Net {
    Net {
        layers: vec![
            Layer {
                w: vec![vec![1.0, 2.0], vec![3.0, 4.0]],
                b: vec![5.0, 6.0],
            },
            Layer {
                w: vec![vec![7.0, 8.0]],
                b: vec![9.0],
            },
        ],
        scale: 10.0,
        name: "net".into(),
    }
}

#[test]
fn zeros_keep_the_shape() {
    let z = net().zeros_like();
    assert_eq!(z.layers.len(), 2);
    assert_eq!(z.layers[0].w, vec![vec![0.0; 2]; 2]);
    assert_eq!(z.layers[1].b, vec![0.0]);
    assert_eq!(z.scale, 0.0);
    assert_eq!(z.name, "net", "skipped fields are cloned");
    assert_eq!(Pair(1.0, [2.0, 3.0]).zeros_like(), Pair(0.0, [0.0, 0.0]));
}

#[test]
fn leaves_come_in_declaration_order() {
    let n = net();
    let flat = n.to_flat();
    assert_eq!(flat, (1..=10).map(|i| i as f32).collect::<Vec<_>>());
    assert_eq!(
        n.shapes(),
        vec![vec![2], vec![2], vec![2], vec![2], vec![1], vec![]]
    );
    assert_eq!(n.num_scalars(), 10);
    let toy = Toy {
        beta: [1.0, 2.0, 3.0, 4.0],
        omega: [5.0, 6.0, 7.0, 8.0],
    };
    assert_eq!(
        toy.leaves(),
        vec![&[1.0, 2.0, 3.0, 4.0][..], &[5.0, 6.0, 7.0, 8.0][..]]
    );
}

#[test]
fn several_values_visit_together() {
    let mut params = net();
    let mut grad = params.zeros_like();
    grad.copy_from_flat(&[1.0; 10]).unwrap();
    let mut momentum = params.zeros_like();
    for ((phi, g), m) in params
        .leaves_mut()
        .into_iter()
        .zip(grad.leaves())
        .zip(momentum.leaves_mut())
    {
        for ((phi, g), m) in phi.iter_mut().zip(g).zip(m.iter_mut()) {
            *m = 0.5 * *m + 0.5 * g;
            *phi -= *m;
        }
    }
    assert_eq!(
        params.to_flat(),
        (1..=10).map(|i| i as f32 - 0.5).collect::<Vec<_>>()
    );
    assert_eq!(momentum.to_flat(), vec![0.5; 10]);
}

#[test]
fn flat_round_trip_and_norm() {
    let mut p = Pair(3.0, [4.0, 0.0]);
    assert_eq!(p.norm(), 5.0);
    assert_eq!(
        p.copy_from_flat(&[1.0, 2.0]),
        Err(3),
        "a wrong length is refused"
    );
    assert_eq!(p, Pair(3.0, [4.0, 0.0]), "and leaves the value unchanged");
    p.copy_from_flat(&[1.0, 2.0, f64::NAN]).unwrap();
    assert!(!p.all_finite());
}

#[test]
fn the_gradient_of_a_struct_is_the_struct() {
    let toy = Toy {
        beta: [1.0; 4],
        omega: [1.0; 4],
    };
    let g: Grad<Toy> = toy.zero_tangent();
    assert_eq!(
        g,
        Toy {
            beta: [0.0; 4],
            omega: [0.0; 4]
        }
    );
}
