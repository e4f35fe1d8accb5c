//! Progress of a run on stderr: a bar on a terminal, a line per epoch
//! elsewhere, or nothing.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use super::EpochRecord;

/// How a run reports its progress on stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Progress {
    /// A progress bar with the loss and the rate when stderr is a terminal,
    /// [`Progress::Lines`] otherwise (the default).
    #[default]
    Auto,
    /// One plain line per epoch.
    Lines,
    /// Nothing.
    Silent,
}

/// The reporter of one call to `fit`.
pub(crate) enum Reporter {
    Bar(ProgressBar),
    Lines,
    Silent,
}

impl Reporter {
    pub(crate) fn new(progress: Progress, total_steps: u64, done_steps: u64) -> Self {
        match progress {
            Progress::Silent => Reporter::Silent,
            Progress::Lines => Reporter::Lines,
            Progress::Auto if !std::io::stderr().is_terminal() => Reporter::Lines,
            Progress::Auto => {
                let bar = ProgressBar::new(total_steps);
                let style = ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} steps, {per_sec} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                bar.set_position(done_steps);
                Reporter::Bar(bar)
            }
        }
    }

    pub(crate) fn step(&self, epoch: usize, loss: f64) {
        if let Reporter::Bar(bar) = self {
            bar.inc(1);
            bar.set_message(format!("epoch {epoch}, loss {loss:.4e}"));
        }
    }

    pub(crate) fn epoch(&self, record: &EpochRecord, epochs: usize) {
        let line = line(record, epochs);
        match self {
            Reporter::Bar(bar) => bar.println(line),
            Reporter::Lines => eprintln!("{line}"),
            Reporter::Silent => {}
        }
    }

    pub(crate) fn note(&self, message: &str) {
        match self {
            Reporter::Bar(bar) => bar.println(message),
            Reporter::Lines => eprintln!("{message}"),
            Reporter::Silent => {}
        }
    }

    pub(crate) fn finish(&self) {
        if let Reporter::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// `epoch 3/20: train loss 1.2e-1, val loss ..., lr ..., |g| ..., 0.12 s`
fn line(r: &EpochRecord, epochs: usize) -> String {
    let mut s = format!(
        "epoch {}/{}: train loss {:.4e}",
        r.epoch + 1,
        epochs,
        r.train_loss
    );
    if let Some(v) = r.val_loss {
        s += &format!(", val loss {v:.4e}");
    }
    if let Some(m) = r.val_metric {
        s += &format!(", val metric {m:.4}");
    }
    s + &format!(
        ", lr {:.3e}, |g| {:.3e}, {:.2} s",
        r.lr, r.grad_norm, r.seconds
    )
}
