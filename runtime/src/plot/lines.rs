//! Line charts: loss curves, and any few lines on a linear or log axis.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::error::{PlotError, check_finite, render_err};
use super::render::{
    LABEL_SIZE, LEGEND_SIZE, Picture, TICK_SIZE, TITLE_SIZE, least_crowded_corner, save,
    series_colour, tick_label,
};

/// Up to this many points per series, each point gets a marker.
const MAX_MARKED_POINTS: usize = 60;

/// A log axis spanning more decades than this, or reaching below
/// [`SMALLEST_LOG_TICK`], is drawn over the decades themselves (a linear
/// axis of `log10(y)` labelled `1e-50`, `1`, `1e50`, ...): plotters' own log
/// axis puts its ticks a fixed factor apart from the lowest value rather
/// than on round powers of ten, and drops every tick below about `2e-16`.
const MAX_LOG_DECADES: f64 = 10.0;
/// See [`MAX_LOG_DECADES`].
const SMALLEST_LOG_TICK: f64 = 1e-15;

/// One named line.
#[derive(Clone, Debug)]
struct Series {
    label: String,
    xs: Option<Vec<f64>>,
    ys: Vec<f64>,
}

impl Series {
    /// The x values: the given ones, or 1, 2, 3, ... (epochs, layers).
    fn xs(&self) -> Vec<f64> {
        match &self.xs {
            Some(xs) => xs.clone(),
            None => (1..=self.ys.len()).map(|i| i as f64).collect(),
        }
    }
}

/// A chart of one or more lines, on a linear or a log y axis.
///
/// Each series is a label and its y values, drawn over x = 1, 2, 3, ...
/// ([`series`](Self::series): epochs, layers) or over given x values
/// ([`series_xy`](Self::series_xy)). Series get distinct colours, markers
/// when they have few points, and a legend entry. [`save`](Self::save)
/// checks the data and writes a PNG or SVG, as the extension says.
///
/// ```
/// use gradgen_runtime::plot::LineChart;
///
/// // The spread of activations per layer, under two initialisations.
/// let he = [1.0, 0.98, 1.02, 0.97, 1.01];
/// let small = [1.0, 0.1, 0.01, 0.001, 0.0001];
/// LineChart::new("Standard deviation per layer")
///     .x_label("layer")
///     .y_label("std of activations")
///     .log_y(true)
///     .series("He", &he)
///     .series("variance 0.01", &small)
///     .save(std::env::temp_dir().join("std_per_layer.png"))?;
/// # Ok::<(), gradgen_runtime::plot::PlotError>(())
/// ```
#[derive(Clone, Debug)]
pub struct LineChart {
    title: String,
    x_label: String,
    y_label: String,
    log_y: bool,
    size: (u32, u32),
    series: Vec<Series>,
}

impl LineChart {
    /// An empty chart with a title, a linear y axis, no axis labels, 900 by
    /// 600 pixels.
    ///
    /// ```
    /// let chart = gradgen_runtime::plot::LineChart::new("Loss");
    /// ```
    pub fn new(title: impl Into<String>) -> Self {
        LineChart {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            log_y: false,
            size: (900, 600),
            series: Vec::new(),
        }
    }

    /// A chart of training loss per epoch, and validation loss if given:
    /// titled "Loss", x axis "epoch" (from 1), y axis "loss", series
    /// "train" and "validation". The two may have different lengths.
    ///
    /// ```
    /// use gradgen_runtime::plot::LineChart;
    ///
    /// let train = [2.0, 1.0, 0.6, 0.4];
    /// let valid = [2.1, 1.2, 0.8, 0.75];
    /// LineChart::loss_curves(&train, Some(&valid))
    ///     .title("Training a small network")
    ///     .save(std::env::temp_dir().join("loss_curves.svg"))?;
    /// # Ok::<(), gradgen_runtime::plot::PlotError>(())
    /// ```
    pub fn loss_curves(train: &[f64], validation: Option<&[f64]>) -> Self {
        let chart = LineChart::new("Loss")
            .x_label("epoch")
            .y_label("loss")
            .series("train", train);
        match validation {
            Some(validation) => chart.series("validation", validation),
            None => chart,
        }
    }

    /// Replaces the title.
    ///
    /// ```
    /// let chart = gradgen_runtime::plot::LineChart::new("Loss").title("Loss of run 3");
    /// ```
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Labels the x axis.
    ///
    /// ```
    /// let chart = gradgen_runtime::plot::LineChart::new("Loss").x_label("epoch");
    /// ```
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Labels the y axis.
    ///
    /// ```
    /// let chart = gradgen_runtime::plot::LineChart::new("Loss").y_label("mean squared error");
    /// ```
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Draws the y axis on a log scale (then every y value must be positive)
    /// or on a linear one (the default).
    ///
    /// ```
    /// let chart = gradgen_runtime::plot::LineChart::new("Loss").log_y(true);
    /// ```
    pub fn log_y(mut self, log: bool) -> Self {
        self.log_y = log;
        self
    }

    /// Sets the picture's size in pixels (900 by 600 unless set). For SVG,
    /// the size sets the proportions and the text size relative to it.
    ///
    /// ```
    /// let chart = gradgen_runtime::plot::LineChart::new("Loss").size(1200, 800);
    /// ```
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Adds a series drawn over x = 1, 2, ..., `ys.len()`.
    ///
    /// ```
    /// let chart = gradgen_runtime::plot::LineChart::new("Loss").series("train", &[1.0, 0.5]);
    /// ```
    pub fn series(mut self, label: impl Into<String>, ys: &[f64]) -> Self {
        self.series.push(Series {
            label: label.into(),
            xs: None,
            ys: ys.to_vec(),
        });
        self
    }

    /// Adds a series over given x values; `xs` and `ys` must have the same
    /// length (checked by [`save`](Self::save)).
    ///
    /// ```
    /// let chart = gradgen_runtime::plot::LineChart::new("Loss against learning rate")
    ///     .series_xy("final loss", &[0.01, 0.1, 1.0], &[0.9, 0.2, 3.0]);
    /// ```
    pub fn series_xy(mut self, label: impl Into<String>, xs: &[f64], ys: &[f64]) -> Self {
        self.series.push(Series {
            label: label.into(),
            xs: Some(xs.to_vec()),
            ys: ys.to_vec(),
        });
        self
    }

    /// Checks the data and writes the chart to `path`, as PNG or SVG by its
    /// extension.
    ///
    /// ```
    /// use gradgen_runtime::plot::LineChart;
    ///
    /// LineChart::loss_curves(&[1.0, 0.5, 0.4], None)
    ///     .save(std::env::temp_dir().join("train_loss.png"))?;
    /// # Ok::<(), gradgen_runtime::plot::PlotError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`PlotError::UnknownFormat`] if the extension is neither `.png` nor
    /// `.svg`; [`PlotError::EmptyData`] if there is no series or a series
    /// is empty; [`PlotError::LengthMismatch`] if a series has more x than
    /// y values or fewer; [`PlotError::NonFinite`] for a NaN or infinite
    /// value; [`PlotError::NonPositive`] for a y value that is not positive
    /// on a log axis; [`PlotError::Io`] if the file cannot be written (its
    /// directory must exist).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        save(self, path.as_ref())
    }

    /// The smallest and largest x and y over all series.
    fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        let mut x = (f64::INFINITY, f64::NEG_INFINITY);
        let mut y = (f64::INFINITY, f64::NEG_INFINITY);
        for s in &self.series {
            for (&xi, &yi) in s.xs().iter().zip(&s.ys) {
                x = (x.0.min(xi), x.1.max(xi));
                y = (y.0.min(yi), y.1.max(yi));
            }
        }
        (x, y)
    }

    fn draw_with<DB, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x_range: (f64, f64),
        y_spec: Y,
        decades: bool,
        legend_corner: SeriesLabelPosition,
    ) -> Result<(), PlotError>
    where
        DB: DrawingBackend,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let integer_x = self
            .series
            .iter()
            .all(|s| s.xs().iter().all(|x| x.fract() == 0.0));
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", TITLE_SIZE))
            .margin(20)
            .x_label_area_size(if self.x_label.is_empty() { 35 } else { 60 })
            .y_label_area_size(if self.y_label.is_empty() { 60 } else { 90 })
            .build_cartesian_2d(x_range.0..x_range.1, y_spec)
            .map_err(render_err)?;
        let x_formatter = |v: &f64| {
            if integer_x && v.fract() != 0.0 {
                String::new()
            } else {
                tick_label(*v)
            }
        };
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&x_formatter)
            .y_label_formatter(&|v| {
                if decades {
                    tick_label(10f64.powf(*v))
                } else {
                    tick_label(*v)
                }
            })
            .label_style(("sans-serif", TICK_SIZE))
            .axis_desc_style(("sans-serif", LABEL_SIZE))
            .max_light_lines(if self.log_y { 0 } else { 1 })
            .light_line_style(RGBColor(238, 238, 238))
            .bold_line_style(RGBColor(205, 205, 205))
            .draw()
            .map_err(render_err)?;

        for (i, s) in self.series.iter().enumerate() {
            let colour = series_colour(i);
            let ys = s.ys.iter().map(|&y| if decades { y.log10() } else { y });
            let points: Vec<(f64, f64)> = s.xs().into_iter().zip(ys).collect();
            // Segment by segment, with a dot on each join: a thick polyline
            // gets spikes at sharp turns, which noisy curves have.
            chart
                .draw_series(
                    points
                        .windows(2)
                        .map(|w| PathElement::new(w.to_vec(), colour.stroke_width(3))),
                )
                .map_err(render_err)?
                .label(s.label.as_str())
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(-12, 0), (12, 0)], colour.stroke_width(3))
                        + Circle::new((0, 0), 4, colour.filled())
                });
            let radius = if points.len() <= MAX_MARKED_POINTS {
                4
            } else {
                1
            };
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&p| Circle::new(p, radius, colour.filled())),
                )
                .map_err(render_err)?;
        }
        chart
            .configure_series_labels()
            .position(legend_corner)
            .label_font(("sans-serif", LEGEND_SIZE))
            .legend_area_size(36)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(160, 160, 160))
            .margin(12)
            .draw()
            .map_err(render_err)?;
        Ok(())
    }
}

impl Picture for LineChart {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn check(&self) -> Result<(), PlotError> {
        if self.series.is_empty() {
            return Err(PlotError::EmptyData {
                what: "the chart has no series".into(),
            });
        }
        if self.size.0 < 200 || self.size.1 < 150 {
            return Err(PlotError::BadRange {
                what: format!(
                    "size {:?} is too small; give at least 200 by 150",
                    self.size
                ),
            });
        }
        for s in &self.series {
            if s.ys.is_empty() {
                return Err(PlotError::EmptyData {
                    what: format!("series `{}` has no values", s.label),
                });
            }
            if let Some(xs) = &s.xs {
                if xs.len() != s.ys.len() {
                    return Err(PlotError::LengthMismatch {
                        what: format!("series `{}`", s.label),
                        xs: xs.len(),
                        ys: s.ys.len(),
                    });
                }
                check_finite(&format!("series `{}` (x)", s.label), xs)?;
            }
            check_finite(&format!("series `{}`", s.label), &s.ys)?;
            let first_non_positive = s.ys.iter().position(|&y| y <= 0.0);
            if let (true, Some(index)) = (self.log_y, first_non_positive) {
                return Err(PlotError::NonPositive {
                    what: format!("series `{}`", s.label),
                    index,
                    value: s.ys[index],
                });
            }
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let ((x0, x1), (y0, y1)) = self.bounds();
        let x_range = if x1 > x0 {
            let pad = (x1 - x0) * 0.02;
            (x0 - pad, x1 + pad)
        } else {
            (x0 - 1.0, x1 + 1.0)
        };
        let (lo, hi) = if self.log_y {
            let (lo, hi) = if y1 > y0 {
                (y0, y1)
            } else {
                (y0 / 2.0, y1 * 2.0)
            };
            let pad = (hi / lo).powf(0.04);
            (lo / pad, hi * pad)
        } else if y1 > y0 {
            let pad = (y1 - y0) * 0.05;
            (y0 - pad, y1 + pad)
        } else {
            (y0 - 1.0, y1 + 1.0)
        };
        // Where the legend hides the fewest points, in plot fractions.
        let scale = |y: f64| if self.log_y { y.ln() } else { y };
        let fractions = self.series.iter().flat_map(|s| {
            let xs = s.xs();
            let ys = s.ys.clone();
            xs.into_iter().zip(ys).map(|(x, y)| {
                (
                    (x - x_range.0) / (x_range.1 - x_range.0),
                    (scale(y) - scale(lo)) / (scale(hi) - scale(lo)),
                )
            })
        });
        let corner = least_crowded_corner(fractions.collect::<Vec<_>>().into_iter());
        if self.log_y && (hi / lo > 10f64.powf(MAX_LOG_DECADES) || lo < SMALLEST_LOG_TICK) {
            self.draw_with(root, x_range, lo.log10()..hi.log10(), true, corner)
        } else if self.log_y {
            self.draw_with(root, x_range, (lo..hi).log_scale(), false, corner)
        } else {
            self.draw_with(root, x_range, lo..hi, false, corner)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LineChart;

    /// The tick labels of a chart's SVG: the text of its `<text>` elements.
    fn labels(chart: &LineChart, name: &str) -> Vec<String> {
        let path = std::env::temp_dir().join(format!("gradgen_lines_{name}.svg"));
        chart.save(&path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                Some(
                    t.split_once('>')?
                        .1
                        .split_once("</text>")?
                        .0
                        .trim()
                        .to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn a_log_axis_over_many_decades_has_ticks_on_round_powers_of_ten_down_to_the_smallest() {
        let falling: Vec<f64> = (0..50).map(|k| 10f64.powf(-1.6 * k as f64)).collect();
        let rising: Vec<f64> = (0..50).map(|k| 10f64.powf(3.3 * k as f64)).collect();
        let chart = LineChart::new("wide")
            .log_y(true)
            .series("falling", &falling)
            .series("rising", &rising);
        let labels = labels(&chart, "wide");
        for tick in ["1e-50", "1", "1e50", "1e100", "1e150"] {
            assert!(labels.iter().any(|l| l == tick), "{tick} not in {labels:?}");
        }
    }

    #[test]
    fn a_log_axis_over_a_few_decades_keeps_its_plain_labels() {
        let chart = LineChart::new("narrow")
            .log_y(true)
            .series("loss", &[2.0, 1.0, 0.3, 0.05, 0.02]);
        let labels = labels(&chart, "narrow");
        for tick in ["0.1", "1"] {
            assert!(labels.iter().any(|l| l == tick), "{tick} not in {labels:?}");
        }
    }
}
