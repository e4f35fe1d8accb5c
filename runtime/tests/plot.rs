//! Every kind of picture, rendered to PNG and SVG, and the errors for bad
//! input.
#![cfg(feature = "plot")]

use std::fs;
use std::path::{Path, PathBuf};

use gradgen_runtime::plot::{LineChart, PlotError, Surface};

/// A fresh directory for one test's files, removed when dropped (kept if
/// `GRADGEN_KEEP_PLOTS` is set, to look at them).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("gradgen-plot-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn join(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("GRADGEN_KEEP_PLOTS").is_none() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// Checks a PNG: its signature, and a size no blank picture has.
fn assert_png(path: &Path) {
    let bytes = fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    assert!(
        bytes.len() > 10_000,
        "{} is only {} bytes",
        path.display(),
        bytes.len()
    );
}

/// Checks an SVG: the element, the title text, and a non-trivial size.
fn assert_svg(path: &Path, title: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains("<svg"), "{} is not an SVG", path.display());
    assert!(
        text.contains(title),
        "{} lacks the title {title:?}",
        path.display()
    );
    assert!(
        text.len() > 2_000,
        "{} is only {} bytes",
        path.display(),
        text.len()
    );
}

fn losses() -> (Vec<f64>, Vec<f64>) {
    let train = (0..30)
        .map(|e| 2.0 * (-0.15 * e as f64).exp() + 0.05)
        .collect();
    let valid = (0..30)
        .map(|e| 2.1 * (-0.12 * e as f64).exp() + 0.15 + 0.002 * e as f64)
        .collect();
    (train, valid)
}

fn valley(x: f64, y: f64) -> f64 {
    0.5 * x * x + 50.0 * y * y
}

#[test]
fn loss_curves_render_to_png_and_svg() {
    let dir = TempDir::new("loss");
    let (train, valid) = losses();
    for (file, log) in [
        ("loss.png", false),
        ("loss.svg", false),
        ("loss_log.png", true),
        ("loss_log.svg", true),
    ] {
        LineChart::loss_curves(&train, Some(&valid))
            .title("Loss of a test run")
            .log_y(log)
            .save(dir.join(file))
            .unwrap();
    }
    assert_png(&dir.join("loss.png"));
    assert_png(&dir.join("loss_log.png"));
    assert_svg(&dir.join("loss.svg"), "Loss of a test run");
    assert_svg(&dir.join("loss_log.svg"), "Loss of a test run");
    let svg = fs::read_to_string(dir.join("loss.svg")).unwrap();
    assert!(svg.contains("validation") && svg.contains("epoch"));
}

#[test]
fn lines_on_a_log_scale_render() {
    let dir = TempDir::new("lines");
    let layers: Vec<f64> = (1..=10).map(f64::from).collect();
    let shrinking: Vec<f64> = layers.iter().map(|l| 0.5f64.powf(*l)).collect();
    let steady: Vec<f64> = layers.iter().map(|l| 1.0 + 0.02 * l.sin()).collect();
    for file in ["std.png", "std.svg"] {
        LineChart::new("Standard deviation per layer")
            .x_label("layer")
            .y_label("std")
            .log_y(true)
            .series("small init", &shrinking)
            .series_xy("He init", &layers, &steady)
            .save(dir.join(file))
            .unwrap();
    }
    assert_png(&dir.join("std.png"));
    assert_svg(&dir.join("std.svg"), "Standard deviation per layer");
}

#[test]
fn a_surface_with_paths_renders() {
    let dir = TempDir::new("surface");
    let mut p = [-4.0, 0.7];
    let mut path = vec![p];
    for _ in 0..30 {
        p = [p[0] - 0.018 * p[0], p[1] - 0.018 * 100.0 * p[1]];
        path.push(p);
    }
    let sign: Vec<[f64; 2]> = (0..20)
        .map(|k| [-4.0 + 0.2 * k as f64, 0.7 - 0.1 * (k % 8) as f64])
        .collect();
    for file in ["valley.png", "valley.svg"] {
        Surface::new(valley, (-5.0, 5.0), (-1.0, 1.0))
            .title("A steep valley")
            .path("gradient descent", &path)
            .path("sign steps", &sign)
            .point("minimum", [0.0, 0.0])
            .save(dir.join(file))
            .unwrap();
    }
    assert_png(&dir.join("valley.png"));
    assert_svg(&dir.join("valley.svg"), "A steep valley");
    let svg = fs::read_to_string(dir.join("valley.svg")).unwrap();
    assert!(svg.contains("gradient descent") && svg.contains("minimum"));
    // The SVG stays small enough to put on a slide.
    assert!(svg.len() < 3_000_000, "SVG is {} bytes", svg.len());
}

#[test]
fn a_surface_with_holes_renders() {
    let dir = TempDir::new("holes");
    let f = |x: f64, y: f64| if x > 0.5 { f64::NAN } else { x * x + y * y };
    Surface::new(f, (-1.0, 1.0), (-1.0, 1.0))
        .save(dir.join("holes.png"))
        .unwrap();
    assert_png(&dir.join("holes.png"));
}

#[test]
fn empty_data_is_an_error() {
    let dir = TempDir::new("empty");
    let err = LineChart::new("none").save(dir.join("a.png")).unwrap_err();
    assert!(matches!(err, PlotError::EmptyData { .. }), "{err}");
    let err = LineChart::loss_curves(&[], None)
        .save(dir.join("a.png"))
        .unwrap_err();
    assert!(matches!(err, PlotError::EmptyData { .. }), "{err}");
    assert!(err.to_string().contains("`train`"), "{err}");
    let err = Surface::new(valley, (-1.0, 1.0), (-1.0, 1.0))
        .path("sgd", &[])
        .save(dir.join("a.svg"))
        .unwrap_err();
    assert!(matches!(err, PlotError::EmptyData { .. }), "{err}");
    assert!(!dir.join("a.png").exists() && !dir.join("a.svg").exists());
}

#[test]
fn bad_values_are_errors() {
    let dir = TempDir::new("values");
    let file = dir.join("a.png");
    let err = LineChart::new("t")
        .series_xy("s", &[1.0, 2.0], &[1.0])
        .save(&file)
        .unwrap_err();
    assert!(
        matches!(err, PlotError::LengthMismatch { xs: 2, ys: 1, .. }),
        "{err}"
    );
    let err = LineChart::new("t")
        .series("s", &[1.0, f64::NAN])
        .save(&file)
        .unwrap_err();
    assert!(
        matches!(err, PlotError::NonFinite { index: 1, .. }),
        "{err}"
    );
    let err = LineChart::new("t")
        .log_y(true)
        .series("s", &[1.0, 0.0])
        .save(&file)
        .unwrap_err();
    assert!(
        matches!(err, PlotError::NonPositive { index: 1, .. }),
        "{err}"
    );
    let err = Surface::new(valley, (1.0, -1.0), (-1.0, 1.0))
        .save(&file)
        .unwrap_err();
    assert!(matches!(err, PlotError::BadRange { .. }), "{err}");
    let err = Surface::new(valley, (-1.0, 1.0), (-1.0, 1.0))
        .levels(1)
        .save(&file)
        .unwrap_err();
    assert!(matches!(err, PlotError::BadRange { .. }), "{err}");
    let err = Surface::new(valley, (-1.0, 1.0), (-1.0, 1.0))
        .path("p", &[[0.0, 0.0], [f64::INFINITY, 0.0]])
        .save(&file)
        .unwrap_err();
    assert!(
        matches!(err, PlotError::NonFinite { index: 1, .. }),
        "{err}"
    );
    let err = Surface::new(|_, _| f64::NAN, (-1.0, 1.0), (-1.0, 1.0))
        .save(&file)
        .unwrap_err();
    assert!(matches!(err, PlotError::NoFiniteValues), "{err}");
    assert!(!file.exists());
}

#[test]
fn an_unknown_extension_is_an_error() {
    let dir = TempDir::new("ext");
    for name in ["loss.jpg", "loss", "loss.png.txt"] {
        let err = LineChart::loss_curves(&[1.0, 0.5], None)
            .save(dir.join(name))
            .unwrap_err();
        assert!(matches!(err, PlotError::UnknownFormat { .. }), "{err}");
        assert!(err.to_string().contains(".png or .svg"), "{err}");
    }
    // Upper-case extensions are fine.
    LineChart::loss_curves(&[1.0, 0.5], None)
        .save(dir.join("LOSS.SVG"))
        .unwrap();
}

#[test]
fn an_unwritable_path_is_an_io_error() {
    let dir = TempDir::new("io");
    // A directory that does not exist, and one whose "parent" is a file.
    let missing = dir.join("no/such/dir/loss.png");
    fs::write(dir.join("file"), b"x").unwrap();
    let under_file = dir.join("file/loss.svg");
    for path in [missing, under_file] {
        let err = LineChart::loss_curves(&[1.0, 0.5], None)
            .save(&path)
            .unwrap_err();
        match &err {
            PlotError::Io { path: p, .. } => assert_eq!(p, &path),
            other => panic!("expected an Io error, got {other}"),
        }
        assert!(err.to_string().contains("cannot write"), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }
}
