//! The results table of a search.

use std::cmp::Ordering;
use std::fmt;
use std::path::Path;

use super::{Config, Goal};

/// One trial's line in a [`Report`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRecord {
    /// The trial's number, in the order the search made the configurations.
    pub index: usize,
    /// The seed the trial was made with (see [`trial_seed`](super::trial_seed)).
    pub seed: u64,
    /// The configuration it ran.
    pub config: Config,
    /// The epochs it trained in all.
    pub epochs: usize,
    /// Its last validation score (non-finite when it failed).
    pub score: f64,
    /// Its score after each round it took part in: one round for grid and
    /// random search, one per rung it reached for successive halving.
    pub rounds: Vec<f64>,
}

impl TrialRecord {
    /// Whether the trial failed (its last score is not finite).
    pub fn failed(&self) -> bool {
        !self.score.is_finite()
    }
}

/// Orders two records best first under `goal`: those that trained longer
/// (reached a later rung) first, then by score; failed trials last, ties by
/// index.
pub(super) fn rank(goal: Goal, a: &TrialRecord, b: &TrialRecord) -> Ordering {
    let key = |r: &TrialRecord| {
        let score = match goal {
            Goal::Minimize => r.score,
            Goal::Maximize => -r.score,
        };
        (r.failed(), std::cmp::Reverse(r.epochs), score)
    };
    let (fa, ea, sa) = key(a);
    let (fb, eb, sb) = key(b);
    fa.cmp(&fb)
        .then(ea.cmp(&eb))
        .then(sa.total_cmp(&sb))
        .then(a.index.cmp(&b.index))
}

/// The results of a search, best trial first: printed as a table with
/// `Display`, written with [`write_csv`](Report::write_csv).
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub(super) goal: Goal,
    pub(super) dimensions: Vec<String>,
    pub(super) records: Vec<TrialRecord>,
}

impl Report {
    /// Every trial, best first (see [`Search::run`](super::Search::run) for the order).
    pub fn records(&self) -> &[TrialRecord] {
        &self.records
    }

    /// The best trial's record.
    pub fn best(&self) -> &TrialRecord {
        &self.records[0]
    }

    /// Whether scores were minimised or maximised.
    pub fn goal(&self) -> Goal {
        self.goal
    }

    /// Writes the table as CSV: a header `rank,trial,seed,<dimensions>,epochs,score`,
    /// then one row per trial, best first, numbers at full precision.
    ///
    /// # Errors
    ///
    /// When the file can't be written.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<(), csv::Error> {
        let mut writer = csv::Writer::from_path(path)?;
        let mut header = vec!["rank", "trial", "seed"];
        header.extend(self.dimensions.iter().map(String::as_str));
        header.extend(["epochs", "score"]);
        writer.write_record(&header)?;
        for (rank, record) in self.records.iter().enumerate() {
            let mut row = vec![
                (rank + 1).to_string(),
                record.index.to_string(),
                record.seed.to_string(),
            ];
            row.extend(self.dimensions.iter().map(|name| {
                record
                    .config
                    .get(name)
                    .map_or_else(String::new, ToString::to_string)
            }));
            row.extend([record.epochs.to_string(), record.score.to_string()]);
            writer.write_record(&row)?;
        }
        writer.flush()?;
        Ok(())
    }
}

/// Four significant digits, in plain or scientific notation as fits.
fn short(x: f64) -> String {
    if !x.is_finite() {
        return "failed".to_owned();
    }
    let magnitude = x.abs();
    if magnitude == 0.0 {
        "0".to_owned()
    } else if (1e-3..1e5).contains(&magnitude) {
        let decimals = (3 - magnitude.log10().floor() as i32).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.3e}")
    }
}

fn cell(value: Option<&super::Value>) -> String {
    match value {
        Some(super::Value::Float(x)) => short(*x),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

impl fmt::Display for Report {
    /// The table, one trial per line, best first; columns aligned (numbers
    /// to the right), numbers to four significant digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let goal = match self.goal {
            Goal::Minimize => "score (lower is better)",
            Goal::Maximize => "score (higher is better)",
        };
        let mut header = vec!["rank".to_owned(), "trial".to_owned()];
        header.extend(self.dimensions.iter().cloned());
        header.extend(["epochs".to_owned(), goal.to_owned()]);
        let rows: Vec<Vec<String>> = self
            .records
            .iter()
            .enumerate()
            .map(|(rank, r)| {
                let mut row = vec![(rank + 1).to_string(), r.index.to_string()];
                row.extend(self.dimensions.iter().map(|name| cell(r.config.get(name))));
                row.extend([r.epochs.to_string(), short(r.score)]);
                row
            })
            .collect();
        let widths: Vec<usize> = (0..header.len())
            .map(|c| {
                rows.iter()
                    .map(|row| row[c].len())
                    .chain([header[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // Numbers right-aligned, text left-aligned.
        let numeric: Vec<bool> = (0..header.len())
            .map(|c| {
                rows.iter()
                    .all(|row| row[c].parse::<f64>().is_ok() || row[c] == "failed")
            })
            .collect();
        for row in std::iter::once(&header).chain(&rows) {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .zip(&numeric)
                .map(|((text, &width), &numeric)| match numeric {
                    true => format!("{text:>width$}"),
                    false => format!("{text:<width$}"),
                })
                .collect();
            writeln!(f, "{}", line.join("  ").trim_end())?;
        }
        Ok(())
    }
}
