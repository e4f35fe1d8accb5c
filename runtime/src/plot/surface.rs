//! A function of two parameters as filled contours, with optimizer paths.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::contour::Grid;
use super::error::{PlotError, check_finite, check_range, render_err};
use super::render::{
    LABEL_SIZE, LEGEND_SIZE, Picture, TICK_SIZE, TITLE_SIZE, least_crowded_corner, save,
    series_colour, tick_label,
};

/// Samples per axis of the grid the surface is drawn from.
const GRID: usize = 241;
/// Width of the colour bar and its labels, in pixels.
const COLOUR_BAR_WIDTH: u32 = 150;
/// The lowest contour level sits this fraction of the full height above
/// the minimum.
const LOWEST_LEVEL: f64 = 1e-3;

/// A labelled path of parameter values, one point per step.
#[derive(Clone, Debug)]
struct Track {
    label: String,
    points: Vec<[f64; 2]>,
}

/// A loss surface over two parameters, drawn as filled contours with
/// contour lines, and optimizer paths on top.
///
/// The function is sampled on a 241 by 241 grid over the two ranges. Its
/// contour levels are spaced geometrically in the height above the lowest
/// sampled value (from a thousandth of the full height to all of it), so
/// both the steep walls and the flat floor of a valley get lines; the fill
/// colour goes from dark (low) to light (high), and a colour bar gives the
/// level values. Each path is a line through its points with a marker at
/// every step, a larger one at its start, and a legend entry.
///
/// ```
/// use gradgen_runtime::plot::Surface;
///
/// // Gradient descent on a valley, steep in phi1 and flat in phi0.
/// let grad = |p: [f64; 2]| [p[0], 10.0 * p[1]];
/// let mut p = [-2.0, 0.8];
/// let mut path = vec![p];
/// for _ in 0..20 {
///     let g = grad(p);
///     p = [p[0] - 0.15 * g[0], p[1] - 0.15 * g[1]];
///     path.push(p);
/// }
/// Surface::new(|a, b| 0.5 * a * a + 5.0 * b * b, (-2.5, 2.5), (-1.0, 1.0))
///     .title("Gradient descent")
///     .path("learning rate 0.15", &path)
///     .point("minimum", [0.0, 0.0])
///     .save(std::env::temp_dir().join("gd_valley.svg"))?;
/// # Ok::<(), gradgen_runtime::plot::PlotError>(())
/// ```
pub struct Surface<'f> {
    f: Box<dyn Fn(f64, f64) -> f64 + 'f>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    title: String,
    x_label: String,
    y_label: String,
    z_label: String,
    levels: usize,
    size: (u32, u32),
    paths: Vec<Track>,
    points: Vec<(String, [f64; 2])>,
}

impl<'f> Surface<'f> {
    /// The surface `z = f(x, y)` over `x_range` by `y_range`, with no title,
    /// axes labelled φ₀ and φ₁, the colour bar labelled "loss", 14 contour
    /// levels, 1000 by 750 pixels.
    ///
    /// ```
    /// let s = gradgen_runtime::plot::Surface::new(|x, y| x * x + y * y, (-1.0, 1.0), (-1.0, 1.0));
    /// ```
    pub fn new(f: impl Fn(f64, f64) -> f64 + 'f, x_range: (f64, f64), y_range: (f64, f64)) -> Self {
        Surface {
            f: Box::new(f),
            x_range,
            y_range,
            title: String::new(),
            x_label: "φ₀".into(),
            y_label: "φ₁".into(),
            z_label: "loss".into(),
            levels: 14,
            size: (1000, 750),
            paths: Vec::new(),
            points: Vec::new(),
        }
    }

    /// Sets the title.
    ///
    /// ```
    /// # let s = gradgen_runtime::plot::Surface::new(|x, y| x * y, (0.0, 1.0), (0.0, 1.0));
    /// let s = s.title("Loss of linear regression");
    /// ```
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Labels the x and y axes (φ₀ and φ₁ unless set).
    ///
    /// ```
    /// # let s = gradgen_runtime::plot::Surface::new(|x, y| x * y, (0.0, 1.0), (0.0, 1.0));
    /// let s = s.axis_labels("intercept φ₀", "slope φ₁");
    /// ```
    pub fn axis_labels(mut self, x: impl Into<String>, y: impl Into<String>) -> Self {
        self.x_label = x.into();
        self.y_label = y.into();
        self
    }

    /// Labels the colour bar ("loss" unless set).
    ///
    /// ```
    /// # let s = gradgen_runtime::plot::Surface::new(|x, y| x * y, (0.0, 1.0), (0.0, 1.0));
    /// let s = s.value_label("squared error");
    /// ```
    pub fn value_label(mut self, label: impl Into<String>) -> Self {
        self.z_label = label.into();
        self
    }

    /// Sets the number of contour levels (14 unless set; 2 to 40).
    ///
    /// ```
    /// # let s = gradgen_runtime::plot::Surface::new(|x, y| x * y, (0.0, 1.0), (0.0, 1.0));
    /// let s = s.levels(20);
    /// ```
    pub fn levels(mut self, levels: usize) -> Self {
        self.levels = levels;
        self
    }

    /// Sets the picture's size in pixels (1000 by 750 unless set), colour
    /// bar included.
    ///
    /// ```
    /// # let s = gradgen_runtime::plot::Surface::new(|x, y| x * y, (0.0, 1.0), (0.0, 1.0));
    /// let s = s.size(800, 800);
    /// ```
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Adds an optimizer path: the parameters after each step, starting
    /// point first. Parts outside the ranges are cut off.
    ///
    /// ```
    /// # let s = gradgen_runtime::plot::Surface::new(|x, y| x * y, (0.0, 1.0), (0.0, 1.0));
    /// let s = s.path("SGD", &[[0.9, 0.9], [0.5, 0.6], [0.3, 0.2]]);
    /// ```
    pub fn path(mut self, label: impl Into<String>, points: &[[f64; 2]]) -> Self {
        self.paths.push(Track {
            label: label.into(),
            points: points.to_vec(),
        });
        self
    }

    /// Marks one point, such as the minimum, with a black cross and a legend
    /// entry.
    ///
    /// ```
    /// # let s = gradgen_runtime::plot::Surface::new(|x, y| x * y, (0.0, 1.0), (0.0, 1.0));
    /// let s = s.point("minimum", [0.0, 0.0]);
    /// ```
    pub fn point(mut self, label: impl Into<String>, at: [f64; 2]) -> Self {
        self.points.push((label.into(), at));
        self
    }

    /// Checks the input, samples the surface and writes the picture to
    /// `path`, as PNG or SVG by its extension.
    ///
    /// ```
    /// use gradgen_runtime::plot::Surface;
    ///
    /// Surface::new(|x, y| (x - 1.0).powi(2) + 10.0 * (y - x * x).powi(2), (-2.0, 2.0), (-1.0, 3.0))
    ///     .title("Rosenbrock")
    ///     .save(std::env::temp_dir().join("rosenbrock.png"))?;
    /// # Ok::<(), gradgen_runtime::plot::PlotError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`PlotError::UnknownFormat`] if the extension is neither `.png` nor
    /// `.svg`; [`PlotError::BadRange`] for an empty or non-finite range or
    /// a level count outside 2 to 40; [`PlotError::EmptyData`] for a path
    /// with no points; [`PlotError::NonFinite`] for a NaN or infinite point;
    /// [`PlotError::NoFiniteValues`] if the function is nowhere finite on
    /// the grid; [`PlotError::Io`] if the file cannot be written (its
    /// directory must exist).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        save(self, path.as_ref())
    }

    /// The contour levels: `self.levels` values from just above the lowest
    /// to the highest value of the grid, spaced geometrically in the height
    /// above the lowest.
    fn contour_levels(&self, grid: &Grid) -> Result<Vec<f64>, PlotError> {
        let finite = grid.z.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if lo > hi {
            return Err(PlotError::NoFiniteValues);
        }
        let height = if hi > lo { hi - lo } else { 1.0 };
        let n = self.levels;
        Ok((0..n)
            .map(|k| {
                let t = k as f64 / (n - 1) as f64;
                lo + height * LOWEST_LEVEL.powf(1.0 - t)
            })
            .collect())
    }

    /// The corner of the plot that the fewest path points fall in.
    fn legend_corner(&self) -> SeriesLabelPosition {
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let tracks = self.paths.iter().flat_map(|t| t.points.iter());
        let points = tracks.chain(self.points.iter().map(|(_, p)| p));
        least_crowded_corner(points.map(|p| ((p[0] - x0) / (x1 - x0), (p[1] - y0) / (y1 - y0))))
    }
}

impl Picture for Surface<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn check(&self) -> Result<(), PlotError> {
        check_range("the x range", self.x_range)?;
        check_range("the y range", self.y_range)?;
        if !(2..=40).contains(&self.levels) {
            return Err(PlotError::BadRange {
                what: format!("{} contour levels; give 2 to 40", self.levels),
            });
        }
        if self.size.0 < COLOUR_BAR_WIDTH + 250 || self.size.1 < 250 {
            return Err(PlotError::BadRange {
                what: format!(
                    "size {:?} is too small; give at least {} by 250",
                    self.size,
                    COLOUR_BAR_WIDTH + 250
                ),
            });
        }
        for track in &self.paths {
            let what = format!("path `{}`", track.label);
            if track.points.is_empty() {
                return Err(PlotError::EmptyData {
                    what: format!("{what} has no points"),
                });
            }
            let flat: Vec<f64> = track.points.iter().flatten().copied().collect();
            if let Err(PlotError::NonFinite { index, .. }) = check_finite(&what, &flat) {
                return Err(PlotError::NonFinite {
                    what,
                    index: index / 2,
                });
            }
        }
        for (label, at) in &self.points {
            check_finite(&format!("point `{label}`"), at)?;
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let grid = Grid::sample(&*self.f, self.x_range, self.y_range, GRID, GRID);
        let levels = self.contour_levels(&grid)?;
        let area = if self.title.is_empty() {
            root.clone()
        } else {
            root.titled(&self.title, ("sans-serif", TITLE_SIZE))
                .map_err(render_err)?
        };
        let (main, bar) = area.split_horizontally(self.size.0 - COLOUR_BAR_WIDTH);
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;

        let mut chart = ChartBuilder::on(&main)
            .margin(20)
            .x_label_area_size(65)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(render_err)?;

        // Filled bands: one rectangle per run of equal band along a row of
        // the grid, each a little taller than its row so no seams show.
        let band = |v: f64| levels.iter().take_while(|&&l| v > l).count();
        let n_bands = levels.len() + 1;
        let (dx, dy) = (grid.xs[1] - grid.xs[0], grid.ys[1] - grid.ys[0]);
        let mut rects = Vec::new();
        for (j, &y) in grid.ys.iter().enumerate() {
            let mut i = 0;
            while i < grid.xs.len() {
                let v = grid.at(i, j);
                let start = i;
                while i < grid.xs.len() && same_band(grid.at(i, j), v, &band) {
                    i += 1;
                }
                let colour = if v.is_finite() {
                    band_colour(band(v), n_bands)
                } else {
                    RGBColor(255, 255, 255)
                };
                let left = (grid.xs[start] - dx / 2.0).max(x0);
                let right = (grid.xs[i - 1] + dx / 2.0).min(x1);
                let bottom = (y - dy / 2.0).max(y0);
                let top = (y + 0.75 * dy).min(y1);
                rects.push(Rectangle::new(
                    [(left, bottom), (right, top)],
                    colour.filled(),
                ));
            }
        }
        chart.draw_series(rects).map_err(render_err)?;

        let line_colour = RGBColor(40, 40, 40).mix(0.45);
        for &level in &levels {
            let lines = grid.contour(level);
            chart
                .draw_series(
                    lines
                        .into_iter()
                        .map(|line| PathElement::new(line, line_colour.stroke_width(1))),
                )
                .map_err(render_err)?;
        }

        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&|v| tick_label(*v))
            .y_label_formatter(&|v| tick_label(*v))
            .label_style(("sans-serif", TICK_SIZE))
            .axis_desc_style(("sans-serif", LABEL_SIZE))
            .draw()
            .map_err(render_err)?;

        let bounds = ((x0, x1), (y0, y1));
        for (k, track) in self.paths.iter().enumerate() {
            let colour = series_colour(k);
            // Segment by segment: a thick polyline gets spikes at sharp
            // turns, which oscillating paths have; the markers cover the joins.
            let pieces = clip_path(&track.points, bounds);
            let segments = pieces.iter().flat_map(|piece| piece.windows(2));
            chart
                .draw_series(segments.map(|w| PathElement::new(w.to_vec(), colour.stroke_width(3))))
                .map_err(render_err)?
                .label(track.label.as_str())
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(-12, 0), (12, 0)], colour.stroke_width(3))
                        + Circle::new((0, 0), 5, colour.filled())
                });
            let inside = |p: &&[f64; 2]| (x0..=x1).contains(&p[0]) && (y0..=y1).contains(&p[1]);
            let markers = track.points.iter().skip(1).filter(inside).map(|p| {
                EmptyElement::at((p[0], p[1]))
                    + Circle::new((0, 0), 5, WHITE.filled())
                    + Circle::new((0, 0), 4, colour.filled())
            });
            chart.draw_series(markers).map_err(render_err)?;
            if let Some(p) = track.points.first().filter(inside) {
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((p[0], p[1]))
                            + Circle::new((0, 0), 9, WHITE.filled())
                            + Circle::new((0, 0), 9, colour.stroke_width(3)),
                    ))
                    .map_err(render_err)?;
            }
        }
        for (label, at) in &self.points {
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((at[0], at[1]))
                        + Cross::new((0, 0), 9, WHITE.stroke_width(6))
                        + Cross::new((0, 0), 8, BLACK.stroke_width(3)),
                ))
                .map_err(render_err)?
                .label(label.as_str())
                .legend(|(x, y)| Cross::new((x, y), 7, BLACK.stroke_width(3)));
        }
        if !self.paths.is_empty() || !self.points.is_empty() {
            chart
                .configure_series_labels()
                .position(self.legend_corner())
                .label_font(("sans-serif", LEGEND_SIZE))
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(120, 120, 120))
                .margin(12)
                .legend_area_size(36)
                .draw()
                .map_err(render_err)?;
        }

        draw_colour_bar(&bar, &levels, &self.z_label)
    }
}

/// Whether two grid values fall in the same band (non-finite values form a
/// band of their own).
fn same_band(a: f64, b: f64, band: &impl Fn(f64) -> usize) -> bool {
    match (a.is_finite(), b.is_finite()) {
        (true, true) => band(a) == band(b),
        (false, false) => true,
        _ => false,
    }
}

/// The colour bar: one box per band, the level values beside it.
fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    levels: &[f64],
    label: &str,
) -> Result<(), PlotError> {
    let n_bands = levels.len() + 1;
    let mut bar = ChartBuilder::on(area)
        .margin_top(20)
        .margin_bottom(20 + 65)
        .margin_left(10)
        .margin_right(10)
        .right_y_label_area_size(95)
        .set_label_area_size(LabelAreaPosition::Left, 0)
        .build_cartesian_2d(0.0..1.0, 0.0..n_bands as f64)
        .map_err(render_err)?;
    bar.draw_series((0..n_bands).map(|k| {
        let colour = band_colour(k, n_bands);
        Rectangle::new([(0.0, k as f64), (1.0, k as f64 + 1.0)], colour.filled())
    }))
    .map_err(render_err)?;
    bar.draw_series(std::iter::once(Rectangle::new(
        [(0.0, 0.0), (1.0, n_bands as f64)],
        RGBColor(80, 80, 80).stroke_width(1),
    )))
    .map_err(render_err)?;
    let formatter = |v: &f64| {
        let k = v.round();
        if (v - k).abs() > 1e-6 || k < 1.0 || k > levels.len() as f64 {
            String::new()
        } else {
            level_label(levels[k as usize - 1])
        }
    };
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(n_bands + 1)
        .set_tick_mark_size(LabelAreaPosition::Right, 6)
        .y_label_formatter(&formatter)
        .y_desc(label)
        .label_style(("sans-serif", TICK_SIZE - 2))
        .axis_desc_style(("sans-serif", LABEL_SIZE))
        .draw()
        .map_err(render_err)?;
    Ok(())
}

/// A contour level with two significant digits.
fn level_label(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if !(1e-2..1e4).contains(&a) {
        let s = format!("{v:.1e}");
        s.replace("e-0", "e-").replace("e0", "e")
    } else {
        let decimals = (1 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    }
}

/// The fill colour of band `k` of `n`: viridis (dark blue for low values to
/// yellow for high), lightened so paths and lines stand out on it.
fn band_colour(k: usize, n: usize) -> RGBColor {
    const VIRIDIS: [(f64, f64, f64); 9] = [
        (68.0, 1.0, 84.0),
        (71.0, 44.0, 122.0),
        (59.0, 81.0, 139.0),
        (44.0, 113.0, 142.0),
        (33.0, 144.0, 141.0),
        (39.0, 173.0, 129.0),
        (92.0, 200.0, 99.0),
        (170.0, 220.0, 50.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if n > 1 {
        k as f64 / (n - 1) as f64
    } else {
        0.0
    };
    let s = t * (VIRIDIS.len() - 1) as f64;
    let i = (s.floor() as usize).min(VIRIDIS.len() - 2);
    let f = s - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let lighten = 0.45;
    let mix = |p: f64, q: f64| {
        let v = p + f * (q - p);
        (v + lighten * (255.0 - v)).round() as u8
    };
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The parts of a polyline inside a rectangle (Liang–Barsky per segment).
fn clip_path(
    points: &[[f64; 2]],
    ((x0, x1), (y0, y1)): ((f64, f64), (f64, f64)),
) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for w in points.windows(2) {
        let (p, q) = ((w[0][0], w[0][1]), (w[1][0], w[1][1]));
        match clip_segment(p, q, (x0, x1, y0, y1)) {
            Some((a, b)) => {
                if current.last() != Some(&a) {
                    if current.len() > 1 {
                        pieces.push(std::mem::take(&mut current));
                    }
                    current = vec![a];
                }
                current.push(b);
            }
            None => {
                if current.len() > 1 {
                    pieces.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() > 1 {
        pieces.push(current);
    }
    pieces
}

type Point = (f64, f64);

fn clip_segment(
    p: Point,
    q: Point,
    (x0, x1, y0, y1): (f64, f64, f64, f64),
) -> Option<(Point, Point)> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (den, num) in [
        (-dx, p.0 - x0),
        (dx, x1 - p.0),
        (-dy, p.1 - y0),
        (dy, y1 - p.1),
    ] {
        if den == 0.0 {
            if num < 0.0 {
                return None;
            }
        } else {
            let t = num / den;
            if den < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (p.0 + t * dx, p.1 + t * dy);
    Some((
        if t0 == 0.0 { p } else { at(t0) },
        if t1 == 1.0 { q } else { at(t1) },
    ))
}

#[cfg(test)]
mod tests {
    use super::{clip_path, level_label};

    #[test]
    fn paths_are_cut_at_the_edges() {
        let pieces = clip_path(
            &[[0.5, 0.5], [1.5, 0.5], [0.5, 0.6]],
            ((0.0, 1.0), (0.0, 1.0)),
        );
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(0.5, 0.5), (1.0, 0.5)]);
        assert_eq!(pieces[1].last(), Some(&(0.5, 0.6)));
        assert!(clip_path(&[[2.0, 2.0], [3.0, 3.0]], ((0.0, 1.0), (0.0, 1.0))).is_empty());
    }

    #[test]
    fn level_labels_have_two_significant_digits() {
        assert_eq!(level_label(0.0123), "0.012");
        assert_eq!(level_label(1.234), "1.2");
        assert_eq!(level_label(123.4), "123");
        assert_eq!(level_label(12345.0), "1.2e4");
    }
}
