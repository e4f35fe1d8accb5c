//! The one error type of the plotting functions.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a picture could not be made.
///
/// Every plotting function checks its input before it draws and returns one
/// of these instead of panicking.
///
/// ```
/// use gradgen_runtime::plot::{LineChart, PlotError};
///
/// let err = LineChart::new("Nothing").save("nothing.png").unwrap_err();
/// assert!(matches!(err, PlotError::EmptyData { .. }));
/// assert_eq!(err.to_string(), "nothing to plot: the chart has no series");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum PlotError {
    /// There is nothing to draw: no series, an empty series, or an empty
    /// path. `what` names it.
    EmptyData {
        /// What was empty.
        what: String,
    },
    /// A series was given x and y values of different lengths.
    LengthMismatch {
        /// The series.
        what: String,
        /// How many x values it has.
        xs: usize,
        /// How many y values it has.
        ys: usize,
    },
    /// A value is NaN or infinite.
    NonFinite {
        /// The series or path it belongs to.
        what: String,
        /// Its position in that series or path.
        index: usize,
    },
    /// A value to be drawn on a log axis is zero or negative.
    NonPositive {
        /// The series it belongs to.
        what: String,
        /// Its position in that series.
        index: usize,
        /// The value.
        value: f64,
    },
    /// An axis range is empty, reversed or not finite, or a setting is out
    /// of its range.
    BadRange {
        /// Which range or setting, and what it should be.
        what: String,
    },
    /// The surface function returned no finite value anywhere on the grid.
    NoFiniteValues,
    /// The path's extension is neither `.png` nor `.svg`.
    UnknownFormat {
        /// The path given.
        path: PathBuf,
    },
    /// Writing the file failed.
    Io {
        /// The file that could not be written.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The drawing library reported an error.
    Render(String),
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::EmptyData { what } => write!(f, "nothing to plot: {what}"),
            PlotError::LengthMismatch { what, xs, ys } => write!(
                f,
                "{what}: {xs} x values but {ys} y values; give one x per y"
            ),
            PlotError::NonFinite { what, index } => {
                write!(f, "{what}: value at index {index} is not finite")
            }
            PlotError::NonPositive { what, index, value } => write!(
                f,
                "{what}: value {value} at index {index} cannot be drawn on a log scale; \
                 use a linear scale or drop it"
            ),
            PlotError::BadRange { what } => write!(f, "bad range: {what}"),
            PlotError::NoFiniteValues => {
                write!(f, "the surface has no finite value on the grid")
            }
            PlotError::UnknownFormat { path } => write!(
                f,
                "cannot tell the image format of `{}`: end the name in .png or .svg",
                path.display()
            ),
            PlotError::Io { path, source } => {
                write!(f, "cannot write `{}`: {source}", path.display())
            }
            PlotError::Render(message) => write!(f, "drawing failed: {message}"),
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PlotError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Turns any error of the drawing library into [`PlotError::Render`].
pub(crate) fn render_err<E: fmt::Display>(error: E) -> PlotError {
    PlotError::Render(error.to_string())
}

/// Checks that every value is finite.
pub(crate) fn check_finite(what: &str, values: &[f64]) -> Result<(), PlotError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(PlotError::NonFinite {
            what: what.to_string(),
            index,
        }),
        None => Ok(()),
    }
}

/// Checks that a range is finite and not empty.
pub(crate) fn check_range(what: &str, (lo, hi): (f64, f64)) -> Result<(), PlotError> {
    if lo.is_finite() && hi.is_finite() && lo < hi {
        Ok(())
    } else {
        Err(PlotError::BadRange {
            what: format!("{what} is ({lo}, {hi}); give finite bounds with low < high"),
        })
    }
}
