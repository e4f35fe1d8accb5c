//! What every picture shares: the shipped font, the colours, and writing a
//! drawing to a PNG or SVG file.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use super::error::{PlotError, render_err};

/// DejaVu Sans, shipped with the crate (licence in `assets/`), so that text
/// renders without any system font.
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The family names plotters may ask for; all are served by the one font.
const FAMILIES: [&str; 3] = ["sans-serif", "serif", "monospace"];

/// Registers the shipped font with plotters, once per process.
fn register_fonts() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        FAMILIES
            .iter()
            .all(|family| register_font(family, FontStyle::Normal, FONT).is_ok())
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Render(
            "the shipped font could not be loaded".into(),
        ))
    }
}

/// A picture that can draw itself on any plotters backend.
pub(crate) trait Picture {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Checks the input; called before anything is drawn or written.
    fn check(&self) -> Result<(), PlotError>;
    /// Draws onto `root`, which is already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>;
}

/// The two formats, told apart by the file's extension.
enum Format {
    Png,
    Svg,
}

fn format_of(path: &Path) -> Result<Format, PlotError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("png") => Ok(Format::Png),
        Some("svg") => Ok(Format::Svg),
        _ => Err(PlotError::UnknownFormat {
            path: path.to_path_buf(),
        }),
    }
}

/// Checks `picture`, draws it in memory and writes it to `path` in the format
/// its extension names.
pub(crate) fn save(picture: &impl Picture, path: &Path) -> Result<(), PlotError> {
    let format = format_of(path)?;
    picture.check()?;
    register_fonts()?;
    let (w, h) = picture.size();
    let bytes = match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                root.fill(&WHITE).map_err(render_err)?;
                picture.draw(&root)?;
                root.present().map_err(render_err)?;
            }
            svg.into_bytes()
        }
        Format::Png => {
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                root.fill(&WHITE).map_err(render_err)?;
                picture.draw(&root)?;
                root.present().map_err(render_err)?;
            }
            encode_png(&rgb, w, h)?
        }
    };
    std::fs::write(path, bytes).map_err(|source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(render_err)?;
    writer.write_image_data(rgb).map_err(render_err)?;
    writer.finish().map_err(render_err)?;
    Ok(out)
}

/// Line colours for series and paths: strong, distinct, readable on white
/// and on the light surface colours (after the Tableau 10 palette).
pub(crate) const SERIES_COLOURS: [RGBColor; 8] = [
    RGBColor(214, 39, 40),   // red
    RGBColor(31, 119, 180),  // blue
    RGBColor(255, 127, 14),  // orange
    RGBColor(44, 160, 44),   // green
    RGBColor(148, 103, 189), // purple
    RGBColor(140, 86, 75),   // brown
    RGBColor(227, 119, 194), // pink
    RGBColor(23, 190, 207),  // cyan
];

/// The colour of the `i`-th series.
pub(crate) fn series_colour(i: usize) -> RGBColor {
    SERIES_COLOURS[i % SERIES_COLOURS.len()]
}

/// Font sizes in pixels, chosen to read well on a slide at 900 px wide.
pub(crate) const TITLE_SIZE: u32 = 30;
pub(crate) const LABEL_SIZE: u32 = 22;
pub(crate) const TICK_SIZE: u32 = 17;
pub(crate) const LEGEND_SIZE: u32 = 18;

/// The corner of a plot with the fewest of the given points, which are in
/// plot fractions (0 to 1 along each axis): where a legend hides least.
pub(crate) fn least_crowded_corner(
    points: impl Iterator<Item = (f64, f64)> + Clone,
) -> SeriesLabelPosition {
    let corners = [
        (false, true, SeriesLabelPosition::UpperRight),
        (true, true, SeriesLabelPosition::UpperLeft),
        (false, false, SeriesLabelPosition::LowerRight),
        (true, false, SeriesLabelPosition::LowerLeft),
    ];
    let count = |left: bool, upper: bool| {
        points
            .clone()
            .filter(|&(u, v)| {
                let in_x = if left { u < 0.4 } else { u > 0.6 };
                let in_y = if upper { v > 0.7 } else { v < 0.3 };
                in_x && in_y
            })
            .count()
    };
    corners
        .into_iter()
        .min_by_key(|&(left, upper, _)| count(left, upper))
        .map(|(_, _, position)| position)
        .unwrap_or(SeriesLabelPosition::UpperRight)
}

/// A number as a tick label: short, with an exponent only when needed.
pub(crate) fn tick_label(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if !(1e-3..1e4).contains(&a) {
        let s = format!("{v:.0e}");
        s.replace("e-0", "e-").replace("e0", "e")
    } else {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::tick_label;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(1.0), "1");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(-2.5), "-2.5");
        assert_eq!(tick_label(1000.0), "1000");
        assert_eq!(tick_label(1e5), "1e5");
        assert_eq!(tick_label(1e-4), "1e-4");
    }
}
