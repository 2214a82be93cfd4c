//! `genmodels fit classifier` end to end: fit, info, score (accuracy, log-loss, confusion),
//! predict, class-conditional sampling, and bad input.

mod common;

use common::*;

const FAIL_ON_PANIC: bool = true;

const IRIS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/iris.csv");

#[test]
fn iris_classifier_fits_scores_predicts_and_samples_a_class() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "fit",
            "classifier",
            IRIS,
            "--label-column",
            "species",
            "--components",
            "2",
            "-o",
            "iris.json",
            "--quiet",
        ],
    );
    let s = one_json_object(&ok(d, &["score", "iris.json", IRIS, "--json"]));
    assert!(f64_field(&s, "accuracy") > 0.95, "{s:?}");
    assert!(f64_field(&s, "log_loss") < 0.2);
    let total: u64 = s["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 150);
    let p = one_json_object(&ok(d, &["predict", "iris.json", IRIS, "--proba", "--json"]));
    for row in p["proba"].as_array().unwrap() {
        let sum: f64 = row
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-9);
    }
    ok(
        d,
        &[
            "sample",
            "iris.json",
            "-n",
            "50",
            "--label",
            "virginica",
            "-o",
            "fake.csv",
            "--seed",
            "3",
        ],
    );
    // The new flowers are classified as virginica.
    let text = std::fs::read_to_string(d.join("fake.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let with_label: String = std::iter::once(format!("{header},species"))
        .chain(lines.map(|l| format!("{l},virginica")))
        .collect::<Vec<_>>()
        .join("\n");
    write(d, "fake_labelled.csv", &with_label);
    let s = one_json_object(&ok(
        d,
        &["score", "iris.json", "fake_labelled.csv", "--json"],
    ));
    assert!(f64_field(&s, "accuracy") > 0.9, "{s:?}");
    let info = ok(d, &["info", "iris.json"]);
    assert!(info.stdout.contains("virginica") && info.stdout.contains("prior"));
}

#[test]
fn classifier_bad_input_is_exit_2_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "classifier",
            IRIS,
            "--label-column",
            "nope",
            "-o",
            "m.json",
        ],
        "m.json",
        &["nope"],
    );
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "classifier",
            IRIS,
            "--label-column",
            "species",
            "--model",
            "zzz",
            "-o",
            "m.json",
        ],
        "m.json",
        &["zzz"],
    );
    ok(
        d,
        &[
            "fit",
            "classifier",
            IRIS,
            "--label-column",
            "species",
            "-o",
            "iris.json",
            "--quiet",
        ],
    );
    assert_fails_cleanly(
        d,
        &[
            "sample",
            "iris.json",
            "-n",
            "3",
            "--label",
            "rose",
            "-o",
            "s.csv",
        ],
        "s.csv",
        &["rose"],
    );
    write(
        d,
        "nolabel.csv",
        "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n",
    );
    let r = genmodels(d, &["score", "iris.json", "nolabel.csv"]);
    assert_bad_input(&r, &["nolabel.csv", "species"]);
    write(
        d,
        "unknown.csv",
        "sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,rose\n",
    );
    let r = genmodels(d, &["score", "iris.json", "unknown.csv"]);
    assert_bad_input(&r, &["unknown.csv", "rose"]);
}
