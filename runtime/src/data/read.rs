//! Reading a [`Dataset`] from CSV, plain or gzip'd.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;
use ndarray::{Array1, Array2};

use super::{DataError, Dataset, Target};
use crate::Real;

/// How to read a CSV file into a [`Dataset`].
///
/// The defaults: no header line, comma-separated, the target in the last
/// column, every other column a feature. One row per line; fields may be
/// padded with spaces or wrapped in double quotes; blank lines are skipped
/// (but count in the line numbers of errors). Whether the file is gzip'd is detected, not
/// configured: a name ending in `.gz` or a gzip magic number at the start.
///
/// ```
/// use gradgen_runtime::data::CsvOptions;
///
/// // Iris as shipped: a header line, then 4 features and the label.
/// let iris = CsvOptions::new().header(true);
/// // A file with the target first, separated by semicolons.
/// let other = CsvOptions::new().target_column(0).delimiter(b';');
/// # let _ = (iris, other);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    header: bool,
    target_column: Option<usize>,
    delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            header: false,
            target_column: None,
            delimiter: b',',
        }
    }
}

impl CsvOptions {
    /// The defaults: no header, commas, target last.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the first line is a header to skip rather than a data row.
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// The 0-based column that holds the target (the last column if unset).
    pub fn target_column(mut self, column: usize) -> Self {
        self.target_column = Some(column);
        self
    }

    /// The byte between fields (`b','` if unset).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }
}

impl<T: Real, Y: Target> Dataset<T, Y> {
    /// Reads a dataset from a CSV file, gzip'd or not.
    ///
    /// The file is gzip'd when its name ends in `.gz` or it starts with the
    /// gzip magic number. Every row must have as many fields as the first
    /// data row; features must be finite numbers, the target whatever `Y`
    /// reads (see [`Target`]).
    ///
    /// ```no_run
    /// use gradgen_runtime::data::{CsvOptions, Dataset};
    ///
    /// let digits: Dataset = Dataset::from_csv("data/digits.csv.gz", &CsvOptions::new())?;
    /// let iris: Dataset = Dataset::from_csv("data/iris.csv", &CsvOptions::new().header(true))?;
    /// assert_eq!((digits.len(), digits.num_features()), (1797, 64));
    /// assert_eq!((iris.len(), iris.num_classes()), (150, 3));
    /// # Ok::<(), gradgen_runtime::data::DataError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`DataError`] that names the file, line and column: the file can't
    /// be read ([`Io`](DataError::Io)), its gzip stream is corrupt
    /// ([`Gzip`](DataError::Gzip)), a field is not a number or label
    /// ([`Parse`](DataError::Parse)), a row has another number of fields
    /// ([`ColumnCount`](DataError::ColumnCount)), there is no data row
    /// ([`Empty`](DataError::Empty)), or the target column is missing
    /// ([`TargetColumn`](DataError::TargetColumn)).
    pub fn from_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Self, DataError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path).map_err(|source| DataError::Io {
            path: name.clone(),
            source,
        })?;
        let gz_name = path.extension().is_some_and(|ext| ext == "gz");
        read_csv(BufReader::new(file), &name, gz_name, options)
    }

    /// Reads a dataset from CSV text in `reader`, gzip'd or not (detected by
    /// the gzip magic number); `name` stands for the source in errors.
    ///
    /// ```
    /// use gradgen_runtime::data::{CsvOptions, DataError, Dataset};
    ///
    /// let text = "x,y,label\n0.5,1.0,0\n1.5,2.0,1\n";
    /// let data: Dataset = Dataset::from_csv_reader(text.as_bytes(), "toy.csv", &CsvOptions::new().header(true))?;
    /// assert_eq!(data.len(), 2);
    ///
    /// let bad = Dataset::<f64, usize>::from_csv_reader("1,2,0\n3,4,x\n".as_bytes(), "bad.csv", &CsvOptions::new());
    /// assert_eq!(
    ///     bad.unwrap_err().to_string(),
    ///     r#"bad.csv:2, column 3: expected an integer label, found "x""#
    /// );
    /// # Ok::<(), DataError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`from_csv`](Dataset::from_csv).
    pub fn from_csv_reader(
        reader: impl Read,
        name: &str,
        options: &CsvOptions,
    ) -> Result<Self, DataError> {
        read_csv(BufReader::new(reader), name, false, options)
    }
}

/// Reads CSV from `input`, decompressing it when `gzip` is set or it starts
/// with the gzip magic number.
fn read_csv<T: Real, Y: Target>(
    mut input: impl BufRead,
    name: &str,
    gzip: bool,
    options: &CsvOptions,
) -> Result<Dataset<T, Y>, DataError> {
    let magic = input.fill_buf().map_err(|source| DataError::Io {
        path: name.to_owned(),
        source,
    })?;
    if gzip || magic.starts_with(&[0x1f, 0x8b]) {
        parse(
            BufReader::new(MultiGzDecoder::new(input)),
            name,
            true,
            options,
        )
    } else {
        parse(input, name, false, options)
    }
}

/// The column layout, fixed by the first data row.
struct Layout {
    columns: usize,
    target: usize,
    first_line: u64,
}

/// Parses the rows of `input`, one per line.
///
/// Rows are split line by line here rather than by a general CSV reader,
/// because the error messages must name the exact line, and the `csv`
/// crate's record positions drift after blank lines and on CRLF files. The
/// files read here hold numbers: a field may be padded with spaces or
/// wrapped in double quotes, but may not span lines or hold the delimiter.
fn parse<T: Real, Y: Target>(
    mut input: impl BufRead,
    name: &str,
    gzip: bool,
    options: &CsvOptions,
) -> Result<Dataset<T, Y>, DataError> {
    let mut layout: Option<Layout> = None;
    let mut features = Vec::new();
    let mut targets = Vec::new();
    let mut skip_header = options.header;
    let mut buffer = Vec::new();
    let mut line = 0;
    loop {
        buffer.clear();
        match input.read_until(b'\n', &mut buffer) {
            Ok(0) => break,
            Ok(_) => line += 1,
            Err(error) => return Err(read_error(error, name, gzip, line + 1)),
        }
        let row = buffer.trim_ascii();
        if row.is_empty() {
            continue;
        }
        if skip_header {
            skip_header = false;
            continue;
        }
        let columns = row.iter().filter(|&&b| b == options.delimiter).count() + 1;
        let layout = match &layout {
            Some(layout) => layout,
            None => layout.insert(first_layout(columns, name, line, options)?),
        };
        if columns != layout.columns {
            return Err(DataError::ColumnCount {
                path: name.to_owned(),
                line,
                column: columns.min(layout.columns) + 1,
                expected: layout.columns,
                found: columns,
                first_line: layout.first_line,
            });
        }
        for (index, field) in row.split(|&b| b == options.delimiter).enumerate() {
            let field = unquote(field.trim_ascii());
            let text = std::str::from_utf8(field).unwrap_or("");
            let error = |expected| DataError::Parse {
                path: name.to_owned(),
                line,
                column: index + 1,
                expected,
                found: String::from_utf8_lossy(field).into_owned(),
            };
            if index == layout.target {
                targets.push(Y::parse_field(text).ok_or_else(|| error(Y::EXPECTED))?);
            } else {
                let value = T::from_str_radix(text, 10)
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| error("a finite number"))?;
                features.push(value);
            }
        }
    }
    let Some(layout) = layout else {
        return Err(DataError::Empty {
            path: name.to_owned(),
            line: line + 1,
        });
    };
    let rows = targets.len();
    let features = Array2::from_shape_vec((rows, layout.columns - 1), features)
        .expect("every row adds one feature per non-target column");
    Dataset::new(features, Array1::from(targets))
}

/// A field without one pair of surrounding double quotes, if it has them.
fn unquote(field: &[u8]) -> &[u8] {
    match field {
        [b'"', inner @ .., b'"'] => inner,
        _ => field,
    }
}

fn first_layout(
    columns: usize,
    name: &str,
    line: u64,
    options: &CsvOptions,
) -> Result<Layout, DataError> {
    let target = options.target_column.unwrap_or(columns - 1);
    if target >= columns {
        return Err(DataError::TargetColumn {
            path: name.to_owned(),
            line,
            column: target + 1,
            columns,
        });
    }
    Ok(Layout {
        columns,
        target,
        first_line: line,
    })
}

fn read_error(source: io::Error, name: &str, gzip: bool, line: u64) -> DataError {
    if gzip && is_decompression_error(&source) {
        DataError::Gzip {
            path: name.to_owned(),
            line,
            source,
        }
    } else {
        DataError::Io {
            path: name.to_owned(),
            source,
        }
    }
}

/// flate2 reports a corrupt stream as `InvalidInput`/`InvalidData` and a cut
/// one as `UnexpectedEof`; other kinds come from the file underneath.
fn is_decompression_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
    )
}
