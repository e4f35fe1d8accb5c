//! Pictures of training: loss curves, and loss surfaces with optimizer paths.
//!
//! Two builders cover what the lecture draws:
//!
//! - [`LineChart`]: lines over an index or over given x values, on a linear
//!   or log y axis. [`LineChart::loss_curves`] sets one up for train and
//!   validation loss per epoch.
//! - [`Surface`]: a function of two parameters drawn as filled contours with
//!   contour lines (levels spaced geometrically above the minimum, so a
//!   narrow valley shows its shape), with optimizer paths on top.
//!
//! Both take plain data (slices of `f64`, a closure for the surface) and
//! write the picture with `save(path)`; the format comes from the extension,
//! `.png` or `.svg`. Text is drawn with DejaVu Sans, which the crate ships,
//! so pictures render the same on any machine, with no system font or
//! graphics library.
//!
//! ```
//! use gradgen_runtime::plot::{LineChart, Surface};
//!
//! let dir = std::env::temp_dir();
//! LineChart::loss_curves(&[1.0, 0.5, 0.3, 0.25], Some(&[1.1, 0.7, 0.5, 0.5]))
//!     .log_y(true)
//!     .save(dir.join("loss.svg"))?;
//!
//! let path = [[2.0, 1.0], [1.0, 0.2], [0.5, 0.05], [0.2, 0.0]];
//! Surface::new(|x, y| 0.5 * x * x + 5.0 * y * y, (-2.5, 2.5), (-1.5, 1.5))
//!     .title("A valley")
//!     .path("gradient descent", &path)
//!     .save(dir.join("valley.png"))?;
//! # Ok::<(), gradgen_runtime::plot::PlotError>(())
//! ```

mod contour;
mod error;
mod lines;
mod render;
mod surface;

pub use error::PlotError;
pub use lines::LineChart;
pub use surface::Surface;
