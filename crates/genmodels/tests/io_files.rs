//! Model files and data readers: round trips, clear errors for bad files, and property tests
//! (fuzzing) that the CSV reader and the model loader never panic.

use std::path::Path;

use genmodels::core::{Error, ModelFileError, ReadError};
use genmodels::io::csv::parse_csv;
use genmodels::io::model_file::load_model_bytes;
use genmodels::io::{load_model, read_npy, save_model, write_npy};
use genmodels::mixture::{BernoulliMixture, CovarianceType, GaussianMixture};
use genmodels::prelude::*;
use ndarray::{array, Array2};
use proptest::prelude::*;

fn fitted() -> GaussianMixture {
    let x = Array2::from_shape_fn((60, 2), |(i, j)| {
        ((i * 7 + j * 3) % 11) as f64 + if i % 2 == 0 { 10.0 } else { 0.0 }
    });
    GaussianMixture::params(2)
        .covariance(CovarianceType::Full)
        .fit(&x)
        .unwrap()
}

#[test]
fn model_files_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.json");
    let m = fitted();
    save_model(&m, &p).unwrap();
    let back: GaussianMixture = load_model(&p).unwrap();
    assert_eq!(m, back);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("\"format\": \"genmodels/gmm\"") && text.contains("\"version\": 1"));
}

#[test]
fn bad_model_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.json");
    save_model(&fitted(), &p).unwrap();
    let good = std::fs::read_to_string(&p).unwrap();

    let truncated = &good[..good.len() / 2];
    let e = load_model_bytes::<GaussianMixture>(truncated.as_bytes(), &p).unwrap_err();
    assert!(
        matches!(e, Error::ModelFile(ModelFileError::Corrupt { .. })),
        "{e}"
    );

    let other = good.replace("genmodels/gmm", "genmodels/hmm");
    let e = load_model_bytes::<GaussianMixture>(other.as_bytes(), &p).unwrap_err();
    assert!(
        matches!(e, Error::ModelFile(ModelFileError::WrongFamily { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("`hmm` model"), "{e}");

    let newer = good.replace("\"version\": 1", "\"version\": 7");
    let e = load_model_bytes::<GaussianMixture>(newer.as_bytes(), &p).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ModelFile(ModelFileError::NewerVersion {
                found: 7,
                supported: 1,
                ..
            })
        ),
        "{e}"
    );

    let bernoulli = load_model_bytes::<BernoulliMixture>(good.as_bytes(), &p).unwrap_err();
    assert!(matches!(
        bernoulli,
        Error::ModelFile(ModelFileError::WrongFamily { .. })
    ));

    // Parses, but the weights no longer sum to one.
    let v: serde_json::Value = serde_json::from_str(&good).unwrap();
    let mut bad = v.clone();
    bad["model"]["weights"]["data"][0] = serde_json::json!(5.0);
    let e = load_model_bytes::<GaussianMixture>(bad.to_string().as_bytes(), &p).unwrap_err();
    assert!(
        matches!(e, Error::ModelFile(ModelFileError::Invalid { .. })),
        "{e}"
    );
    // A shape that does not match.
    let mut bad = v;
    bad["model"]["components"]["means"]["dim"] = serde_json::json!([3, 2]);
    assert!(load_model_bytes::<GaussianMixture>(bad.to_string().as_bytes(), &p).is_err());

    let e = load_model::<GaussianMixture>(Path::new("/nonexistent/m.json")).unwrap_err();
    assert!(
        matches!(e, Error::ModelFile(ModelFileError::Io { .. })),
        "{e}"
    );
}

#[test]
fn saving_over_an_existing_file_is_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.json");
    std::fs::write(&p, "old").unwrap();
    save_model(&fitted(), &p).unwrap();
    let _: GaussianMixture = load_model(&p).unwrap();
    // A directory in the way: the save fails and leaves no temporary file behind.
    let d = dir.path().join("sub");
    std::fs::create_dir(&d).unwrap();
    assert!(save_model(&fitted(), &d).is_err());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

fn npy_bytes(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn npy_reads_floats_integers_and_both_orders() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]];
    write_npy(&p, &a).unwrap();
    assert_eq!(read_npy(&p).unwrap(), a);
    // f32, C order.
    let f32s: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(&p, npy_bytes("<f4", false, "(2, 2)", &f32s)).unwrap();
    assert_eq!(read_npy(&p).unwrap(), array![[1.0, 2.0], [3.0, 4.0]]);
    // f32, Fortran order: the same bytes are the transpose.
    std::fs::write(&p, npy_bytes("<f4", true, "(2, 2)", &f32s)).unwrap();
    assert_eq!(read_npy(&p).unwrap(), array![[1.0, 3.0], [2.0, 4.0]]);
    // int64 and uint8, and a 1-D array becomes one column.
    let i64s: Vec<u8> = [7i64, -2].iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&p, npy_bytes("<i8", false, "(2,)", &i64s)).unwrap();
    assert_eq!(read_npy(&p).unwrap(), array![[7.0], [-2.0]]);
    std::fs::write(&p, npy_bytes("|u1", false, "(1, 3)", &[0, 128, 255])).unwrap();
    assert_eq!(read_npy(&p).unwrap(), array![[0.0, 128.0, 255.0]]);
    // 3-D and truncated files are clear errors.
    std::fs::write(
        &p,
        npy_bytes("<f8", false, "(1, 1, 1)", &1.0f64.to_le_bytes()),
    )
    .unwrap();
    assert!(matches!(
        read_npy(&p).unwrap_err(),
        Error::Read(ReadError::Format { .. })
    ));
    std::fs::write(&p, npy_bytes("<f8", false, "(4, 4)", &1.0f64.to_le_bytes())).unwrap();
    assert!(matches!(
        read_npy(&p).unwrap_err(),
        Error::Read(ReadError::Format { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn csv_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(t) = parse_csv(&bytes, Path::new("fuzz.csv")) {
            let _ = t.numeric(None);
        }
    }

    #[test]
    fn csv_reader_never_panics_on_csv_like_text(s in "[a-c0-9.,\"\\n \\-eNaIf]{0,200}") {
        if let Ok(t) = parse_csv(s.as_bytes(), Path::new("fuzz.csv")) {
            if let Ok(n) = t.numeric(None) {
                prop_assert_eq!(n.data.nrows(), t.rows.len());
            }
        }
    }

    #[test]
    fn model_loader_never_panics_on_mutated_files(pos in 0usize..4000, byte in any::<u8>(), cut in 0usize..4000) {
        let good = MODEL.with(|m| m.clone());
        let mut bytes = good.into_bytes();
        let p = pos % bytes.len();
        bytes[p] = byte;
        bytes.truncate(cut.max(1).min(bytes.len()));
        if let Ok(m) = load_model_bytes::<GaussianMixture>(&bytes, Path::new("fuzz.json")) {
            // Whatever loads is a usable model: scoring gives finite numbers or an error.
            let _ = m.log_likelihood(&array![[1.0, 2.0]]);
        }
    }
}

thread_local! {
    static MODEL: String = {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        save_model(&fitted(), &p).unwrap();
        std::fs::read_to_string(&p).unwrap()
    };
}

#[test]
fn a_selection_table_with_a_failed_candidate_saves_and_loads() {
    let x = Array2::from_shape_fn((60, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
    let sel = genmodels::mixture::select_gaussian_mixture(
        &GaussianMixture::params(1),
        &[1, 2, 100],
        &[CovarianceType::Diag],
        Criterion::Bic,
        x.view(),
        &mut Silent,
    )
    .unwrap();
    let failed = &sel.table[2];
    assert!(
        failed.bic.is_nan() && failed.error.as_deref().unwrap_or("").contains("too few"),
        "{failed:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.json");
    save_model(&sel.best, &p).unwrap();
    let back: GaussianMixture = load_model(&p).unwrap();
    let table = back.report.unwrap().selection.unwrap();
    assert!(table[2].bic.is_nan());
    assert_eq!(table[0].bic, sel.table[0].bic);
}

#[test]
fn mnist_idx_files_read_with_the_documented_class_counts() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist");
    let labels =
        genmodels::io::idx::read_idx_labels(format!("{dir}/t10k-labels-idx1-ubyte.gz").as_ref())
            .unwrap();
    let mut counts = [0usize; 10];
    for &l in &labels {
        counts[l as usize] += 1;
    }
    assert_eq!(
        counts,
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    // An image file is not a label file, and the error says so.
    let e =
        genmodels::io::idx::read_idx_labels(format!("{dir}/t10k-images-idx3-ubyte.gz").as_ref())
            .unwrap_err()
            .to_string();
    assert!(e.contains("labels need 1 dimension"), "{e}");
}
