//! The training loop: resuming bit for bit after a killed process and after
//! Ctrl-C, divergence, early stopping, the history, and checkpoints that are
//! corrupt or for another run.

use std::path::{Path, PathBuf};
use std::process::Command;

use gradgen_runtime::Parameters;
use gradgen_runtime::optim::{Adam, Nesterov, Optimizer, OptimizerState, Sgd};
use gradgen_runtime::schedule::{Constant, ReduceOnPlateau, Schedule, StepDecay, Warmup};
use gradgen_runtime::train::{
    Batch, Checkpoints, EarlyStopping, Evaluation, Outcome, Progress, Run, TrainError, Trainer,
};
use rand::Rng;

/// The environment variable that makes a test process the doomed child.
const CHILD: &str = "GRADGEN_TRAIN_TEST_CHILD";

/// 30 points of y = 0.5 - x + 2x^2 plus a deterministic wiggle.
fn data() -> (Vec<f64>, Vec<f64>) {
    let xs: Vec<f64> = (0..30).map(|i| -1.0 + i as f64 / 15.0).collect();
    let ys = xs
        .iter()
        .enumerate()
        .map(|(i, x)| 0.5 - x + 2.0 * x * x + 0.05 * ((i * 7) as f64).sin())
        .collect();
    (xs, ys)
}

/// Mean squared error of a quadratic over `rows`, and its gradient.
fn mse(phi: &[f64; 3], rows: &[usize], xs: &[f64], ys: &[f64]) -> (f64, [f64; 3]) {
    let n = rows.len() as f64;
    let (mut loss, mut g) = (0.0, [0.0; 3]);
    for &i in rows {
        let x = xs[i];
        let r = phi[0] + phi[1] * x + phi[2] * x * x - ys[i];
        loss += r * r / n;
        for (k, xk) in [1.0, x, x * x].into_iter().enumerate() {
            g[k] += 2.0 * r * xk / n;
        }
    }
    (loss, g)
}

/// The gradient with noise from the run's generator, so that a resumed run
/// must restore the generator to agree.
fn noisy_grad(phi: &[f64; 3], batch: &mut Batch<'_>) -> (f64, [f64; 3]) {
    let (xs, ys) = data();
    let (loss, mut g) = mse(phi, batch.rows, &xs, &ys);
    let noise: f64 = batch.rng.random();
    for gk in &mut g {
        *gk *= 1.0 + 0.1 * (noise - 0.5);
    }
    (loss, g)
}

fn evaluate(phi: &[f64; 3]) -> Evaluation {
    let (xs, ys) = data();
    let all: Vec<usize> = (0..xs.len()).collect();
    let loss = mse(phi, &all, &xs, &ys).0;
    Evaluation::with_metric(loss, -loss.sqrt())
}

type Sched = Warmup<ReduceOnPlateau>;

fn trainer(epochs: usize, checkpoint: Option<&Path>) -> Trainer {
    Trainer {
        epochs,
        batch_size: 7,
        seed: 42,
        progress: Progress::Silent,
        early_stopping: Some(EarlyStopping {
            patience: 1000,
            ..EarlyStopping::default()
        }),
        checkpoints: checkpoint.map(|path| Checkpoints {
            path: path.to_owned(),
            every: 2,
        }),
        catch_ctrlc: false,
        ..Trainer::default()
    }
}

fn schedule() -> Sched {
    Warmup::new(
        2,
        ReduceOnPlateau {
            patience: 1,
            factor: 0.5,
            ..ReduceOnPlateau::default()
        },
    )
}

fn start(t: &Trainer) -> Run<[f64; 3], Adam, Sched> {
    t.start(
        [0.0; 3],
        Adam {
            lr: 0.05,
            ..Adam::default()
        },
        schedule(),
        30,
    )
}

fn resume(t: &Trainer, path: &Path) -> Result<Run<[f64; 3], Adam, Sched>, TrainError> {
    t.resume(
        path,
        [0.0; 3],
        Adam {
            lr: 0.05,
            ..Adam::default()
        },
        schedule(),
        30,
    )
}

fn bits<P: Parameters<Scalar = f64>>(p: &P) -> Vec<u64> {
    p.to_flat().iter().map(|x| x.to_bits()).collect()
}

/// Everything but wall-clock time is identical.
fn assert_same_run(a: &Run<[f64; 3], Adam, Sched>, b: &Run<[f64; 3], Adam, Sched>) {
    assert_eq!(bits(&a.params), bits(&b.params), "parameters");
    assert_eq!(bits(&a.state.m), bits(&b.state.m), "Adam's m");
    assert_eq!(bits(&a.state.v), bits(&b.state.v), "Adam's v");
    assert_eq!(a.state.count(), b.state.count());
    assert_eq!(a.steps(), b.steps());
    assert_eq!(a.schedule, b.schedule, "the plateau schedule's state");
    assert_eq!(a.history.len(), b.history.len());
    for (x, y) in a.history.epochs.iter().zip(&b.history.epochs) {
        let mut y = y.clone();
        y.seconds = x.seconds;
        assert_eq!(*x, y);
    }
    let (best_a, best_b) = (a.best.as_ref().unwrap(), b.best.as_ref().unwrap());
    assert_eq!(
        (best_a.epoch, best_a.score.to_bits()),
        (best_b.epoch, best_b.score.to_bits())
    );
    assert_eq!(bits(&best_a.params), bits(&best_b.params));
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gradgen-train-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs this test binary's test `name` as a child process with `CHILD` set.
fn run_child(name: &str, arg: &Path) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, arg)
        .output()
        .unwrap()
}

#[test]
fn resumes_bit_for_bit_after_the_process_is_killed() {
    if let Some(path) = std::env::var_os(CHILD) {
        // The child: train until epoch 5, step 2, then die without unwinding.
        let path = PathBuf::from(path);
        let mut run = start(&trainer(8, Some(&path)));
        let _ = run.fit(
            |phi, batch| {
                if batch.epoch == 5 && batch.step == 2 {
                    std::process::abort();
                }
                noisy_grad(phi, batch)
            },
            evaluate,
        );
        return;
    }
    let dir = scratch("killed");
    let reference_path = dir.join("reference.json");
    let mut reference = start(&trainer(8, Some(&reference_path)));
    assert_eq!(
        reference.fit(noisy_grad, evaluate).unwrap(),
        Outcome::Completed
    );

    let path = dir.join("killed.json");
    let child = run_child("resumes_bit_for_bit_after_the_process_is_killed", &path);
    assert!(!child.status.success(), "the child must have been killed");
    let mut resumed = resume(&trainer(8, Some(&path)), &path).unwrap();
    assert_eq!(
        resumed.epoch(),
        4,
        "the last checkpoint before the kill is after epoch 4"
    );
    assert_eq!(
        resumed.fit(noisy_grad, evaluate).unwrap(),
        Outcome::Completed
    );
    assert_same_run(&reference, &resumed);
    // The final checkpoints agree too.
    let final_ref = resume(&trainer(8, None), &reference_path).unwrap();
    let final_resumed = resume(&trainer(8, None), &path).unwrap();
    assert_same_run(&final_ref, &final_resumed);
    // Atomic writes leave no temporary files behind.
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["killed.json", "reference.json"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn ctrl_c_saves_a_checkpoint_and_exits_cleanly() {
    if let Some(path) = std::env::var_os(CHILD) {
        // The child: send ourselves SIGINT during epoch 3 and wait until the
        // handler has seen it; the run then stops after that step.
        let path = PathBuf::from(path);
        let mut run = start(&Trainer {
            catch_ctrlc: true,
            ..trainer(8, Some(&path))
        });
        let outcome = run.fit(
            |phi, batch| {
                if batch.epoch == 3 && batch.step == 1 {
                    let pid = std::process::id().to_string();
                    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
                    assert!(sent.success());
                    for _ in 0..10_000 {
                        if gradgen_runtime::train::is_interrupted() {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                }
                noisy_grad(phi, batch)
            },
            evaluate,
        );
        println!("child outcome: {outcome:?}");
        return;
    }
    let dir = scratch("ctrlc");
    let path = dir.join("interrupted.json");
    let child = run_child("ctrl_c_saves_a_checkpoint_and_exits_cleanly", &path);
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success(), "the child exits cleanly: {stdout}");
    assert!(
        stdout.contains("child outcome: Ok(Interrupted)"),
        "{stdout}"
    );
    let mut resumed = resume(&trainer(8, Some(&path)), &path).unwrap();
    assert_eq!(resumed.epoch(), 3, "stopped inside epoch 3");
    assert_eq!(resumed.steps(), 3 * 5 + 2, "after the step under way");
    assert_eq!(
        resumed.fit(noisy_grad, evaluate).unwrap(),
        Outcome::Completed
    );
    let mut reference = start(&trainer(8, None));
    reference.fit(noisy_grad, evaluate).unwrap();
    assert_same_run(&reference, &resumed);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn divergence_names_the_step_and_keeps_the_last_good_parameters() {
    let dir = scratch("diverged");
    let path = dir.join("run.json");
    let mut config = trainer(10, Some(&path));
    config.checkpoints.as_mut().unwrap().every = 1;
    let mut run = config.start([0.0; 3], Sgd { lr: 0.1 }, Constant, 30);
    let mut last_point = [0.0; 3];
    let err = run
        .fit(
            |phi, batch| {
                last_point = *phi;
                let (loss, g) = noisy_grad(phi, batch);
                if batch.epoch == 2 && batch.step == 3 {
                    (loss, [g[0], f64::NAN, g[2]])
                } else {
                    (loss, g)
                }
            },
            evaluate,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::Diverged {
                epoch: 2,
                step: 3,
                what: "gradient",
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("epoch 2, step 3") && message.contains("gradient"),
        "{message}"
    );
    assert_eq!(
        run.params, last_point,
        "the parameters before the failing step"
    );
    assert!(run.params.all_finite());
    assert_eq!(run.history.len(), 2);
    // The checkpoint after epoch 2 (the last good one) is still there.
    let saved = config
        .resume(&path, [0.0; 3], Sgd { lr: 0.1 }, Constant, 30)
        .unwrap();
    assert_eq!(saved.epoch(), 2);

    let mut run = trainer(3, None).start([0.0; 3], Sgd { lr: 0.1 }, Constant, 30);
    let err = run
        .fit(
            |phi, batch| (f64::INFINITY, noisy_grad(phi, batch).1),
            evaluate,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::Diverged {
                epoch: 0,
                step: 0,
                what: "loss",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(run.params, [0.0; 3]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn early_stopping_keeps_the_best_parameters() {
    // A validation loss that falls until epoch 4 and rises after.
    let scores = [5.0, 4.0, 3.0, 2.5, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0];
    let mut epoch = 0;
    let mut seen = Vec::new();
    let config = Trainer {
        early_stopping: Some(EarlyStopping {
            patience: 3,
            ..EarlyStopping::default()
        }),
        ..trainer(10, None)
    };
    let mut run = config.start([0.0; 3], Sgd { lr: 0.05 }, Constant, 30);
    let outcome = run
        .fit(noisy_grad, |phi| {
            seen.push(*phi);
            epoch += 1;
            Evaluation::loss(scores[epoch - 1])
        })
        .unwrap();
    assert_eq!(outcome, Outcome::EarlyStopped { epochs: 8 });
    let best = run.best.unwrap();
    assert_eq!((best.epoch, best.score), (4, 2.0));
    assert_eq!(best.params, seen[4]);
    assert_ne!(run.params, seen[4]);
}

#[test]
fn history_records_every_epoch() {
    let config = Trainer {
        schedule_per: Default::default(),
        ..trainer(6, None)
    };
    let mut run = config.start(
        [0.0; 3],
        Nesterov {
            lr: 0.1,
            ..Nesterov::default()
        },
        StepDecay {
            every: 2,
            factor: 0.5,
        },
        30,
    );
    run.fit(noisy_grad, evaluate).unwrap();
    let h = &run.history;
    assert_eq!(h.len(), 6);
    let rates: Vec<f64> = h.epochs.iter().map(|e| e.lr).collect();
    assert_eq!(rates, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    for (i, e) in h.epochs.iter().enumerate() {
        assert_eq!(e.epoch, i);
        assert_eq!(e.steps, 5, "30 examples in batches of 7");
        assert!(e.grad_norm > 0.0 && e.train_loss > 0.0);
        assert_eq!(e.val_metric, Some(-e.val_loss.unwrap().sqrt()));
    }
    assert!(
        h.val_losses().last().unwrap() < &h.val_losses()[0],
        "the fit improves"
    );
    assert_eq!(run.steps(), 30);
}

#[test]
fn rates_can_follow_the_step() {
    let config = Trainer {
        schedule_per: gradgen_runtime::train::SchedulePer::Step,
        ..trainer(2, None)
    };
    let mut run = config.start(
        [0.0; 3],
        Sgd { lr: 1.0 },
        StepDecay {
            every: 3,
            factor: 0.5,
        },
        30,
    );
    run.fit(noisy_grad, evaluate).unwrap();
    // Ten steps: the last (step 9) has rate 0.5^3.
    assert_eq!(run.history.epochs[1].lr, 0.125);
    assert_eq!(
        Optimizer::<[f64; 3]>::lr(&run.optimizer),
        StepDecay {
            every: 3,
            factor: 0.5
        }
        .lr(1.0, 9)
    );
}

#[test]
fn bad_checkpoints_are_clear_errors() {
    let dir = scratch("bad");
    let good = dir.join("good.json");
    let mut run = start(&trainer(2, Some(&good)));
    run.fit(noisy_grad, evaluate).unwrap();
    let text = std::fs::read_to_string(&good).unwrap();

    let write = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let corrupt = |p: &Path| match resume(&trainer(4, None), p) {
        Err(TrainError::Corrupt { path, reason }) => {
            assert_eq!(path, p);
            reason
        }
        Err(other) => panic!("expected Corrupt, got {other}"),
        Ok(_) => panic!("expected Corrupt, got a run"),
    };
    assert!(corrupt(&write("garbage.json", "\u{0}\u{1}not json")).contains("not JSON"));
    assert!(corrupt(&write("truncated.json", &text[..text.len() / 2])).contains("not JSON"));
    assert!(corrupt(&write("other.json", "{\"hello\": 1}")).contains("not a gradgen checkpoint"));
    let newer = text.replacen("\"version\":1", "\"version\":99", 1);
    assert!(corrupt(&write("newer.json", &newer)).contains("version"));
    let missing = text.replacen("\"rng\"", "\"rng_\"", 1);
    assert!(corrupt(&write("missing.json", &missing)).contains("rng"));

    let mismatch = |result: Result<(), TrainError>| match result {
        Err(e @ TrainError::Mismatch { .. }) => e.to_string(),
        other => panic!("expected Mismatch, got {other:?}"),
    };
    let t = trainer(4, None);
    let shapes = t
        .resume(&good, [0.0; 2], Adam::default(), schedule(), 30)
        .map(drop);
    assert!(mismatch(shapes).contains("shapes"));
    let precision = t
        .resume(&good, [0.0f32; 3], Adam::default(), schedule(), 30)
        .map(drop);
    assert!(mismatch(precision).contains("f32"));
    let optimizer = t
        .resume(&good, [0.0; 3], Sgd::default(), schedule(), 30)
        .map(drop);
    assert!(mismatch(optimizer).contains("optimizer"));
    let examples = t
        .resume(&good, [0.0; 3], Adam::default(), schedule(), 31)
        .map(drop);
    mismatch(examples);
    let seed = Trainer {
        seed: 7,
        ..trainer(4, None)
    }
    .resume(&good, [0.0; 3], Adam::default(), schedule(), 30)
    .map(drop);
    assert!(mismatch(seed).contains("seed"));
    let missing = resume(&t, &dir.join("absent.json")).map(drop);
    assert!(matches!(missing, Err(TrainError::Io { .. })));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn no_data_is_an_error() {
    let mut run = trainer(1, None).start([0.0; 3], Sgd::default(), Constant, 0);
    assert!(matches!(
        run.fit(noisy_grad, evaluate),
        Err(TrainError::Config(_))
    ));
}

#[test]
fn progress_is_one_line_per_epoch_when_stderr_is_not_a_terminal() {
    if std::env::var_os(CHILD).is_some() {
        let config = Trainer {
            progress: Progress::Auto,
            ..trainer(3, None)
        };
        let mut run = start(&config);
        run.fit(noisy_grad, evaluate).unwrap();
        let mut silent = start(&Trainer {
            progress: Progress::Silent,
            ..trainer(2, None)
        });
        silent.fit(noisy_grad, evaluate).unwrap();
        return;
    }
    // The child's stderr is a pipe, so `Auto` falls back to plain lines.
    let child = run_child(
        "progress_is_one_line_per_epoch_when_stderr_is_not_a_terminal",
        Path::new("-"),
    );
    assert!(child.status.success());
    let stderr = String::from_utf8_lossy(&child.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("epoch ")).collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    for (i, line) in lines.iter().enumerate() {
        assert!(
            line.starts_with(&format!("epoch {}/3: train loss ", i + 1)),
            "{line}"
        );
        assert!(
            line.contains("val loss") && line.contains(", lr "),
            "{line}"
        );
    }
}
