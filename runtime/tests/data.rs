//! The data module: the shipped files, malformed CSVs, splits, the
//! standardiser, one-hot encoding and the minibatch sampler.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

use flate2::Compression;
use flate2::write::GzEncoder;
use gradgen_runtime::data::{
    BatchSampler, CsvOptions, DataError, Dataset, SplitIndices, Standardizer, one_hot,
};
use gradgen_runtime::ndarray::{Array1, Array2, Axis, array, s};

fn shipped(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

fn read(text: &str) -> Result<Dataset, DataError> {
    Dataset::from_csv_reader(text.as_bytes(), "t.csv", &CsvOptions::new())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A scratch file under the target directory, unique per test.
fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("data-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

// ---- the shipped files ----

#[test]
fn digits_load_with_their_shape_and_labels() {
    let digits: Dataset = Dataset::from_csv(shipped("digits.csv.gz"), &CsvOptions::new()).unwrap();
    assert_eq!(digits.features().dim(), (1797, 64));
    assert_eq!(digits.num_classes(), 10);
    let labels: HashSet<usize> = digits.targets().iter().copied().collect();
    assert_eq!(labels, (0..10).collect());
    assert!(digits.features().iter().all(|&p| (0.0..=16.0).contains(&p)));
    // The first row, as zcat shows it.
    assert_eq!(digits.features()[[0, 2]], 5.0);
    assert_eq!(digits.targets()[0], 0);
    assert_eq!(digits.targets()[1], 1);
}

#[test]
fn iris_skips_its_header() {
    let iris: Dataset<f32> =
        Dataset::from_csv(shipped("iris.csv"), &CsvOptions::new().header(true)).unwrap();
    assert_eq!(iris.features().dim(), (150, 4));
    assert_eq!(iris.num_classes(), 3);
    assert_eq!(iris.features().row(0).to_vec(), vec![5.1f32, 3.5, 1.4, 0.2]);
    for class in 0..3 {
        assert_eq!(iris.targets().iter().filter(|&&y| y == class).count(), 50);
    }
}

#[test]
fn iris_without_the_header_option_names_the_header_line() {
    let error =
        Dataset::<f64, usize>::from_csv(shipped("iris.csv"), &CsvOptions::new()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.ends_with(r#"iris.csv:1, column 3: expected a finite number, found "setosa""#),
        "{message}"
    );
}

#[test]
fn regression_targets_from_any_column() {
    let data: Dataset<f64, f64> = Dataset::from_csv_reader(
        "2.5; 1; 2\n-1e3; 3; 4\n".as_bytes(),
        "r.csv",
        &CsvOptions::new().target_column(0).delimiter(b';'),
    )
    .unwrap();
    assert_eq!(data.features(), &array![[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!(data.targets(), &array![2.5, -1000.0]);
}

#[test]
fn gzip_is_detected_by_magic_bytes() {
    let bytes = gzip(b"1,2,0\n3,4,1\n");
    let data =
        Dataset::<f64, usize>::from_csv_reader(&bytes[..], "t.dat", &CsvOptions::new()).unwrap();
    assert_eq!(data.features(), &array![[1.0, 2.0], [3.0, 4.0]]);
    let path = scratch("magic.dat", &bytes);
    let data = Dataset::<f64, usize>::from_csv(&path, &CsvOptions::new()).unwrap();
    assert_eq!(data.targets(), &array![0, 1]);
}

// ---- malformed files ----

#[test]
fn a_bad_label_names_line_and_column() {
    let error = read("1,2,0\n\n3,4,x\n").unwrap_err();
    assert!(
        matches!(
            &error,
            DataError::Parse { line: 3, column: 3, expected: "an integer label", found, .. } if found == "x"
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        r#"t.csv:3, column 3: expected an integer label, found "x""#
    );
}

#[test]
fn line_numbers_count_blank_lines_and_crlf() {
    let text = "1,2,0\r\n\r\n  \r\n3,4,1\r\n5,6,y\r\n";
    let error = read(text).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"t.csv:5, column 3: expected an integer label, found "y""#
    );
    let ok = read("\"1\", 2 ,0\r\n3,4,1").unwrap();
    assert_eq!(ok.features(), &array![[1.0, 2.0], [3.0, 4.0]]);
}

#[test]
fn a_bad_feature_names_line_and_column() {
    for (text, found) in [
        ("1,2,0\n1,abc,0\n", "abc"),
        ("1,2,0\n1,,0\n", ""),
        ("1,2,0\n1,NaN,0\n", "NaN"),
    ] {
        let error = read(text).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("t.csv:2, column 2: expected a finite number, found {found:?}")
        );
    }
}

#[test]
fn a_negative_or_fractional_label_is_an_error() {
    for label in ["-1", "1.5"] {
        let error = read(&format!("1,{label}\n")).unwrap_err();
        assert!(
            matches!(
                error,
                DataError::Parse {
                    line: 1,
                    column: 2,
                    ..
                }
            ),
            "{error}"
        );
    }
}

#[test]
fn a_short_or_long_row_names_line_and_column() {
    let short = read("1,2,0\n3,4,1\n5,6\n").unwrap_err();
    assert_eq!(
        short.to_string(),
        "t.csv:3, column 3: expected 3 columns as on line 1, found 2"
    );
    let long = read("1,2,0\n3,4,1,9\n").unwrap_err();
    assert!(matches!(
        long,
        DataError::ColumnCount {
            line: 2,
            column: 4,
            expected: 3,
            found: 4,
            first_line: 1,
            ..
        }
    ));
}

#[test]
fn an_empty_file_is_an_error() {
    let error = read("").unwrap_err();
    assert!(matches!(error, DataError::Empty { line: 1, .. }));
    let header_only = Dataset::<f64, usize>::from_csv_reader(
        "a,b,label\n".as_bytes(),
        "h.csv",
        &CsvOptions::new().header(true),
    )
    .unwrap_err();
    assert_eq!(
        header_only.to_string(),
        "h.csv:2: expected a data row, found the end of the file"
    );
}

#[test]
fn a_missing_target_column_is_an_error() {
    let error = Dataset::<f64, usize>::from_csv_reader(
        "1,2\n".as_bytes(),
        "t.csv",
        &CsvOptions::new().target_column(5),
    )
    .unwrap_err();
    assert!(matches!(
        error,
        DataError::TargetColumn {
            line: 1,
            column: 6,
            columns: 2,
            ..
        }
    ));
}

#[test]
fn a_bad_gzip_file_is_an_error_naming_the_line() {
    // Named .gz but not gzip at all.
    let path = scratch("plain.csv.gz", b"1,2,0\n");
    let error = Dataset::<f64, usize>::from_csv(&path, &CsvOptions::new()).unwrap_err();
    assert!(matches!(error, DataError::Gzip { line: 1, .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("plain.csv.gz:1: the gzip stream is corrupt")
    );

    // A real gzip stream, cut off part-way through the data.
    let rows: String = (0..2000)
        .map(|i| format!("{i},{},1\n", i * 7 % 13))
        .collect();
    let bytes = gzip(rows.as_bytes());
    let cut = &bytes[..bytes.len() / 2];
    let error =
        Dataset::<f64, usize>::from_csv_reader(cut, "cut.csv.gz", &CsvOptions::new()).unwrap_err();
    match error {
        DataError::Gzip { line, .. } => assert!(line > 1 && line <= 2000, "line {line}"),
        other => panic!("expected a gzip error, got {other}"),
    }
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let error =
        Dataset::<f64, usize>::from_csv("no/such/file.csv", &CsvOptions::new()).unwrap_err();
    assert!(matches!(error, DataError::Io { .. }));
    assert!(error.to_string().starts_with("no/such/file.csv: "));
}

#[test]
fn features_and_targets_must_agree_in_length() {
    let error = Dataset::new(Array2::<f64>::zeros((3, 2)), array![0usize, 1]).unwrap_err();
    assert!(matches!(
        error,
        DataError::LengthMismatch {
            features: 3,
            targets: 2
        }
    ));
}

// ---- splits ----

/// A dataset whose single feature is the row's own index.
fn indexed(n: usize) -> Dataset<f64, f64> {
    Dataset::new(
        Array2::from_shape_fn((n, 1), |(i, _)| i as f64),
        Array1::from_shape_fn(n, |i| i as f64),
    )
    .unwrap()
}

#[test]
fn splits_are_disjoint_and_cover_everything() {
    let data = indexed(103);
    let splits = data.split(0.2, 0.1, 11).unwrap();
    assert_eq!(
        (
            splits.train.len(),
            splits.validation.len(),
            splits.test.len()
        ),
        (72, 21, 10)
    );
    let mut all: Vec<usize> = [&splits.train, &splits.validation, &splits.test]
        .iter()
        .flat_map(|part| {
            part.features()
                .column(0)
                .iter()
                .map(|&x| x as usize)
                .collect::<Vec<_>>()
        })
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..103).collect::<Vec<_>>());
    // Rows keep their targets.
    assert_eq!(splits.test.features().column(0), splits.test.targets());
    assert_eq!(
        splits
            .train
            .features()
            .column(0)
            .mapv(|x| x as usize)
            .to_vec(),
        splits.indices.train
    );
}

#[test]
fn splits_are_reproducible_by_seed() {
    let a = SplitIndices::new(50, 0.2, 0.2, 5).unwrap();
    assert_eq!(a, SplitIndices::new(50, 0.2, 0.2, 5).unwrap());
    assert_ne!(a, SplitIndices::new(50, 0.2, 0.2, 6).unwrap());
    // The split is shuffled, not the first rows in order.
    assert_ne!(a.train, (0..30).collect::<Vec<_>>());
}

#[test]
fn bad_split_fractions_are_errors() {
    for (validation, test) in [(-0.1, 0.2), (0.5, 0.5), (0.7, 0.6), (f64::NAN, 0.1)] {
        let error = SplitIndices::new(10, validation, test, 0).unwrap_err();
        assert!(
            matches!(error, DataError::SplitFractions { .. }),
            "{validation} {test}"
        );
    }
    // Rounding would leave no training example.
    assert!(SplitIndices::new(2, 0.3, 0.3, 0).is_err());
    let only_train = SplitIndices::new(4, 0.0, 0.0, 0).unwrap();
    assert_eq!(only_train.train.len(), 4);
}

// ---- standardisation and one-hot ----

#[test]
fn the_standardizer_uses_training_statistics_only() {
    // Train rows are 0..80 in both columns (column 1 scaled by 10); the rest
    // are far larger, so any leak of their statistics would show.
    let mut features = Array2::from_shape_fn((100, 2), |(i, j)| (i as f64) * (1 + 9 * j) as f64);
    features
        .slice_mut(s![80.., ..])
        .mapv_inplace(|x| x + 1000.0);
    let data: Dataset<f64, f64> = Dataset::new(features.clone(), Array1::zeros(100)).unwrap();
    let mut splits = data.split(0.1, 0.1, 9).unwrap();
    let held_out = splits.validation.clone();
    let scaler = splits.standardize();

    let train = data.select(&splits.indices.train);
    let mean = train.features().mean_axis(Axis(0)).unwrap();
    let std = train.features().std_axis(Axis(0), 0.0);
    assert_eq!(scaler.mean(), &mean);
    assert_eq!(scaler.scale(), &std);
    let standardized_mean = splits.train.features().mean_axis(Axis(0)).unwrap();
    let standardized_std = splits.train.features().std_axis(Axis(0), 0.0);
    assert!(standardized_mean.iter().all(|m| m.abs() < 1e-12));
    assert!(standardized_std.iter().all(|s| (s - 1.0).abs() < 1e-12));
    // Held-out data gets the training transform.
    let expected = (held_out.features() - &mean) / &std;
    assert!(
        splits
            .validation
            .features()
            .iter()
            .zip(&expected)
            .all(|(a, b)| (a - b).abs() < 1e-12)
    );
    assert!(
        scaler
            .inverse_transform(splits.validation.features())
            .iter()
            .zip(held_out.features())
            .all(|(a, b)| (a - b).abs() < 1e-9)
    );
}

#[test]
fn a_constant_feature_keeps_scale_one() {
    let scaler = Standardizer::fit(&array![[1.0f32, 4.0], [3.0, 4.0]]);
    assert_eq!(scaler.scale(), &array![1.0f32, 1.0]);
    assert_eq!(scaler.transform(&array![[2.0, 4.0]]), array![[0.0f32, 0.0]]);
}

#[test]
#[should_panic(expected = "fitted on 2 features, not 3")]
fn the_standardizer_refuses_other_widths() {
    let scaler = Standardizer::fit(&array![[1.0, 2.0], [3.0, 4.0]]);
    scaler.transform(&Array2::zeros((1, 3)));
}

#[test]
fn one_hot_encodes_labels() {
    let y = one_hot::<f32>(array![1, 0, 3].view(), 4);
    assert_eq!(
        y,
        array![
            [0.0f32, 1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1.0]
        ]
    );
    assert_eq!(y.sum_axis(Axis(1)), Array1::<f32>::ones(3));
}

#[test]
#[should_panic(expected = "label 3 is out of range for 3 classes")]
fn one_hot_refuses_out_of_range_labels() {
    one_hot::<f64>(array![0, 3].view(), 3);
}

// ---- the sampler ----

fn epoch(sampler: &mut BatchSampler) -> Vec<Vec<usize>> {
    let mut batches = Vec::new();
    while let Some(rows) = sampler.next_batch() {
        batches.push(rows.to_vec());
    }
    batches
}

#[test]
fn every_example_once_per_epoch_in_a_new_order() {
    let mut sampler = BatchSampler::new(23, 5, 3);
    assert_eq!(sampler.batches_per_epoch(), 5);
    let mut orders = Vec::new();
    for e in 0..4 {
        assert_eq!(sampler.epoch(), e);
        let batches = epoch(&mut sampler);
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [5, 5, 5, 5, 3]
        );
        let order: Vec<usize> = batches.concat();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..23).collect::<Vec<_>>());
        orders.push(order);
    }
    for i in 0..orders.len() {
        for j in i + 1..orders.len() {
            assert_ne!(orders[i], orders[j], "epochs {i} and {j}");
        }
    }
}

#[test]
fn the_sampler_is_reproducible_by_seed() {
    let run = |seed| {
        let mut sampler = BatchSampler::new(40, 8, seed);
        (0..3).map(|_| epoch(&mut sampler)).collect::<Vec<_>>()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

#[test]
fn drop_last_skips_the_short_batch() {
    let mut sampler = BatchSampler::new(10, 4, 0).drop_last(true);
    assert_eq!(sampler.batches_per_epoch(), 2);
    let batches = epoch(&mut sampler);
    assert_eq!(batches.len(), 2);
    assert!(batches.iter().all(|b| b.len() == 4));
    assert_eq!(sampler.epoch(), 1);
}

#[test]
fn a_restored_sampler_continues_exactly() {
    let mut reference = BatchSampler::new(30, 7, 99);
    let mut interrupted = BatchSampler::new(30, 7, 99);
    // Part-way through epoch 1.
    epoch(&mut interrupted);
    interrupted.next_batch();
    interrupted.next_batch();
    let saved = serde_json::to_string(&interrupted.state()).unwrap();

    let mut resumed = BatchSampler::new(30, 7, 0);
    resumed
        .restore(serde_json::from_str(&saved).unwrap())
        .unwrap();
    assert_eq!(resumed.epoch(), 1);
    let rest: Vec<Vec<usize>> = epoch(&mut resumed)
        .into_iter()
        .chain(epoch(&mut resumed))
        .collect();

    epoch(&mut reference);
    let mut expected = epoch(&mut reference);
    expected.drain(..2);
    expected.extend(epoch(&mut reference));
    assert_eq!(rest, expected);
}

#[test]
fn restoring_a_mismatched_state_is_an_error() {
    let state = BatchSampler::new(30, 7, 1).state();
    let mut other = BatchSampler::new(31, 7, 1);
    assert!(matches!(
        other.restore(state),
        Err(DataError::SamplerMismatch { .. })
    ));
    let mut same = BatchSampler::new(30, 7, 1);
    let past_end = gradgen_runtime::data::SamplerState {
        position: 31,
        ..state
    };
    assert!(matches!(
        same.restore(past_end),
        Err(DataError::SamplerPosition { .. })
    ));
    assert_eq!(same.state(), state);
}

#[test]
fn minibatches_gather_the_sampled_rows() {
    let data = indexed(17);
    let mut sampler = BatchSampler::new(data.len(), 4, 8);
    let mut batch = Dataset::default();
    let mut seen = Vec::new();
    while let Some(rows) = sampler.next_batch() {
        data.select_into(rows, &mut batch);
        assert_eq!(
            batch.features().column(0).mapv(|x| x as usize).to_vec(),
            rows
        );
        assert_eq!(batch.features().column(0), batch.targets());
        seen.extend(rows.iter().copied());
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..17).collect::<Vec<_>>());
}
