//! Optimizers and the training loop on a model deriving `Parameters`: the
//! same code serves every model, through the facade's paths.

use gradgen::optim::{Adam, Momentum, Nesterov, NesterovForm, Optimizer, OptimizerExt};
use gradgen::prelude::*;
use gradgen::schedule::{Cosine, Warmup};
use gradgen::train::{Evaluation, Progress, Trainer};

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Layer {
    w: Vec<[f64; 2]>,
    b: Vec<f64>,
}

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Model {
    hidden: Layer,
    out: [f64; 3],
    bias: f64,
}

/// y = bias + sum_j out_j * tanh(b_j + w_j . x), and the gradient of the
/// mean squared error over `rows`, by hand.
#[allow(clippy::needless_range_loop)] // j indexes four arrays at once
fn loss_grad(m: &Model, rows: &[usize], xs: &[[f64; 2]], ys: &[f64]) -> (f64, Model) {
    let mut g = m.zeros_like();
    let mut loss = 0.0;
    let n = rows.len() as f64;
    for &i in rows {
        let h: Vec<f64> = (0..3)
            .map(|j| {
                (m.hidden.b[j] + m.hidden.w[j][0] * xs[i][0] + m.hidden.w[j][1] * xs[i][1]).tanh()
            })
            .collect();
        let y = m.bias + (0..3).map(|j| m.out[j] * h[j]).sum::<f64>();
        let r = y - ys[i];
        loss += r * r / n;
        let d_y = 2.0 * r / n;
        g.bias += d_y;
        for j in 0..3 {
            g.out[j] += d_y * h[j];
            let d_pre = d_y * m.out[j] * (1.0 - h[j] * h[j]);
            g.hidden.b[j] += d_pre;
            g.hidden.w[j][0] += d_pre * xs[i][0];
            g.hidden.w[j][1] += d_pre * xs[i][1];
        }
    }
    (loss, g)
}

fn data() -> (Vec<[f64; 2]>, Vec<f64>) {
    let xs: Vec<[f64; 2]> = (0..40)
        .map(|i| [(i % 8) as f64 / 4.0 - 1.0, (i / 8) as f64 / 2.0 - 1.0])
        .collect();
    let ys = xs.iter().map(|x| (x[0] * 1.5).sin() + 0.5 * x[1]).collect();
    (xs, ys)
}

fn model() -> Model {
    Model {
        hidden: Layer {
            w: vec![[0.5, -0.3], [-0.4, 0.2], [0.1, 0.6]],
            b: vec![0.0, 0.1, -0.1],
        },
        out: [0.3, -0.2, 0.4],
        bias: 0.0,
    }
}

#[test]
fn every_optimizer_fits_a_derived_model() {
    let (xs, ys) = data();
    let all: Vec<usize> = (0..xs.len()).collect();
    let start_loss = loss_grad(&model(), &all, &xs, &ys).0;
    fn train<O: Optimizer<Model>>(opt: O, xs: &[[f64; 2]], ys: &[f64], all: &[usize]) -> f64 {
        let mut p = model();
        let mut state = opt.init(&p);
        for _ in 0..300 {
            opt.step_with(&mut state, &mut p, |p| loss_grad(p, all, xs, ys));
        }
        loss_grad(&p, all, xs, ys).0
    }
    let losses = [
        train(
            Adam {
                lr: 0.02,
                ..Adam::default()
            },
            &xs,
            &ys,
            &all,
        ),
        train(
            Momentum {
                lr: 0.2,
                ..Momentum::default()
            },
            &xs,
            &ys,
            &all,
        ),
        train(
            Nesterov {
                lr: 0.2,
                beta: 0.9,
                form: NesterovForm::Corrected,
            },
            &xs,
            &ys,
            &all,
        ),
        train(
            Adam {
                lr: 0.02,
                ..Adam::default()
            }
            .clip_grad_norm(0.5)
            .weight_decay(1e-4),
            &xs,
            &ys,
            &all,
        ),
    ];
    for loss in losses {
        assert!(loss < start_loss / 10.0, "{loss} vs start {start_loss}");
    }
}

#[test]
fn the_trainer_fits_a_derived_model() {
    let (xs, ys) = data();
    let all: Vec<usize> = (0..xs.len()).collect();
    let trainer = Trainer {
        epochs: 60,
        batch_size: 8,
        progress: Progress::Silent,
        catch_ctrlc: false,
        ..Trainer::default()
    };
    let schedule = Warmup::new(
        5,
        Cosine {
            period: 55,
            min_lr: 0.001,
        },
    );
    let mut run = trainer.start(
        model(),
        Adam {
            lr: 0.05,
            ..Adam::default()
        },
        schedule,
        xs.len(),
    );
    run.fit(
        |p, batch| loss_grad(p, batch.rows, &xs, &ys),
        |p| Evaluation::loss(loss_grad(p, &all, &xs, &ys).0),
    )
    .unwrap();
    let losses = run.history.val_losses();
    assert_eq!(losses.len(), 60);
    assert!(losses[59] < losses[0] / 10.0, "{losses:?}");
    assert_eq!(run.state.m.shapes(), run.params.shapes());
    assert_eq!(
        run.best.unwrap().score,
        losses.iter().cloned().fold(f64::INFINITY, f64::min)
    );
}
