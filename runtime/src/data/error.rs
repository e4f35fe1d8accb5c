//! What can go wrong when reading or arranging data.

use std::io;

/// An error from reading, building or splitting a [`Dataset`](super::Dataset).
///
/// Errors about a file name it as the caller gave it, with the 1-based line
/// and column where the problem is and what was expected there, e.g.
/// `digits.csv:17, column 65: expected an integer label, found "x"`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file, as the caller named it.
        path: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The file looks gzip'd (by its name or its first bytes) but its
    /// compressed stream is corrupt or cut short.
    #[error("{path}:{line}: the gzip stream is corrupt or cut short: {source}")]
    Gzip {
        /// The file, as the caller named it.
        path: String,
        /// The line being read when decompression failed.
        line: u64,
        /// What the decompressor said.
        #[source]
        source: io::Error,
    },
    /// A field is not what its column holds.
    #[error("{path}:{line}, column {column}: expected {expected}, found {found:?}")]
    Parse {
        /// The file, as the caller named it.
        path: String,
        /// The 1-based line of the row.
        line: u64,
        /// The 1-based column of the field.
        column: usize,
        /// What the column holds, e.g. "a finite number".
        expected: &'static str,
        /// The field as written.
        found: String,
    },
    /// A row has a different number of fields from the first data row.
    #[error(
        "{path}:{line}, column {column}: expected {expected} columns as on line {first_line}, found {found}"
    )]
    ColumnCount {
        /// The file, as the caller named it.
        path: String,
        /// The 1-based line of the row.
        line: u64,
        /// The first column that is missing or extra (1-based).
        column: usize,
        /// The number of columns of the first data row.
        expected: usize,
        /// The number of columns of this row.
        found: usize,
        /// The line of the first data row.
        first_line: u64,
    },
    /// The target column asked for is not in the file.
    #[error(
        "{path}:{line}: expected a target in column {column}, but the row has {columns} columns"
    )]
    TargetColumn {
        /// The file, as the caller named it.
        path: String,
        /// The 1-based line of the first data row.
        line: u64,
        /// The 1-based target column asked for.
        column: usize,
        /// The number of columns of the row.
        columns: usize,
    },
    /// The file holds no data row (it is empty, or holds only a header).
    #[error("{path}:{line}: expected a data row, found the end of the file")]
    Empty {
        /// The file, as the caller named it.
        path: String,
        /// The line where a data row was expected.
        line: u64,
    },
    /// Features and targets have different numbers of rows.
    #[error("the features have {features} rows but the targets have {targets}")]
    LengthMismatch {
        /// Rows of the features.
        features: usize,
        /// Entries of the targets.
        targets: usize,
    },
    /// The split fractions are not two non-negative numbers that leave a
    /// non-empty training part.
    #[error(
        "cannot split {len} examples with validation fraction {validation} and test fraction {test}: \
         each must be at least 0 and together less than 1, leaving at least one training example"
    )]
    SplitFractions {
        /// The number of examples.
        len: usize,
        /// The validation fraction asked for.
        validation: f64,
        /// The test fraction asked for.
        test: f64,
    },
    /// A saved sampler state does not fit the sampler it is restored into.
    #[error(
        "the saved sampler state is for {saved_len} examples in batches of {saved_batch}, \
         but this sampler has {len} examples in batches of {batch}"
    )]
    SamplerMismatch {
        /// Examples in the saved state.
        saved_len: usize,
        /// Batch size in the saved state.
        saved_batch: usize,
        /// Examples of this sampler.
        len: usize,
        /// Batch size of this sampler.
        batch: usize,
    },
    /// A saved sampler state points past the end of its epoch.
    #[error("the saved sampler state is at position {position} of an epoch of {len} examples")]
    SamplerPosition {
        /// The saved position.
        position: usize,
        /// Examples per epoch.
        len: usize,
    },
}
