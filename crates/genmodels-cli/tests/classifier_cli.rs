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
    assert_bad_input(&r, &["unknown.csv", "rose"]); // A label column with one class only, for a per-class model and for a network.
    write(d, "one.csv", "a,b,y\n1,2,x\n2,3,x\n3,1,x\n");
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "classifier",
            "one.csv",
            "--label-column",
            "y",
            "-o",
            "m.json",
        ],
        "m.json",
        &["one class only", "\"x\""],
    );
    write(d, "one_cat.csv", "a,y\nu,x\nv,x\nu,x\n");
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "classifier",
            "one_cat.csv",
            "--label-column",
            "y",
            "--model",
            "bn",
            "-o",
            "m.bif",
        ],
        "m.bif",
        &["one class only", "\"x\""],
    );
    // A class with fewer rows than its model needs: the error names the class.
    write(d, "few.csv", "a,b,y\n1,2,x\n2,3,x\n3,1,x\n4,4,x\n1,1,z\n");
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "classifier",
            "few.csv",
            "--label-column",
            "y",
            "-k",
            "2",
            "-o",
            "m.json",
        ],
        "m.json",
        &["class \"z\"", "too few"],
    );
    // Other feature columns at predict time than at fit time: the error names them.
    write(
        d,
        "other.csv",
        "sepal_length,sepal_width,petal_length,leaf\n5.1,3.5,1.4,0.2\n",
    );
    assert_fails_cleanly(
        d,
        &["predict", "iris.json", "other.csv", "-o", "p.csv"],
        "p.csv",
        &["other.csv", "petal_width", "leaf"],
    );
}

const MNIST_IMAGES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/mnist/t10k-images-idx3-ubyte.gz"
);
const MNIST_LABELS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/mnist/t10k-labels-idx1-ubyte.gz"
);

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(path: &std::path::Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[1..4], b"PNG");
    let w = u32::from_be_bytes(b[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(b[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn hmm_over_pixel_rows_classifies_digits_and_draws_every_class() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 600 images to train (≈ 60 per class), the next 400 to test.
    let fit = one_json_object(&ok(
        d,
        &[
            "fit",
            "classifier",
            MNIST_IMAGES,
            "--labels",
            MNIST_LABELS,
            "--limit",
            "600",
            "--model",
            "hmm",
            "--states",
            "10",
            "--sequence",
            "rows",
            "--max-iter",
            "8",
            "-o",
            "hw.json",
            "--json",
        ],
    ));
    assert_eq!(fit["classes"].as_array().unwrap().len(), 10);
    assert!(f64_field(&fit, "train_accuracy") > 0.7, "{fit:?}");
    let info = one_json_object(&ok(d, &["info", "hw.json", "--json"]));
    assert_eq!(info["format"], "classifier-hmm-gaussian");
    assert_eq!(info["sequence"], "rows");
    // Scored on the first 1000 images: 400 of them unseen. Chance is 10 % (seen: 78.6 %).
    let s = one_json_object(&ok(
        d,
        &[
            "score",
            "hw.json",
            MNIST_IMAGES,
            "--labels",
            MNIST_LABELS,
            "--limit",
            "1000",
            "--json",
        ],
    ));
    assert_eq!(u64_field(&s, "n"), 1000);
    assert!(f64_field(&s, "accuracy") > 0.7, "{s:?}");
    // One row of samples per class: 10 rows of 3 images of 28×28 at scale 2.
    ok(
        d,
        &[
            "sample",
            "hw.json",
            "-n",
            "3",
            "-o",
            "classes.png",
            "--quiet",
        ],
    );
    assert_eq!(png_size(&d.join("classes.png")), (3 * 57 + 1, 10 * 57 + 1));
    // One class as a grid, and as numbers.
    ok(
        d,
        &[
            "sample",
            "hw.json",
            "-n",
            "4",
            "--label",
            "7",
            "-o",
            "sevens.png",
            "--quiet",
        ],
    );
    assert_eq!(png_size(&d.join("sevens.png")), (2 * 57 + 1, 2 * 57 + 1));
    ok(
        d,
        &[
            "sample",
            "hw.json",
            "-n",
            "2",
            "--label",
            "7",
            "-o",
            "sevens.csv",
            "--quiet",
        ],
    );
    let (header, rows) = read_csv(&d.join("sevens.csv"));
    assert_eq!(header.len(), 785);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r[784] == "7"));
}

#[test]
fn bernoulli_mixture_on_binarised_images() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "fit",
            "classifier",
            MNIST_IMAGES,
            "--labels",
            MNIST_LABELS,
            "--limit",
            "1000",
            "--model",
            "bernoulli-mixture",
            "--components",
            "3",
            "--binarize",
            "0.5",
            "-o",
            "bm.json",
            "--quiet",
        ],
    );
    let s = one_json_object(&ok(
        d,
        &[
            "score",
            "bm.json",
            MNIST_IMAGES,
            "--labels",
            MNIST_LABELS,
            "--limit",
            "2000",
            "--json",
        ],
    ));
    assert!(f64_field(&s, "accuracy") > 0.75, "{s:?}");
}

#[test]
fn image_classifier_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Labels of another length than the images.
    write(d, "few.csv", "label\n1\n2\n3\n");
    let r = genmodels(
        d,
        &[
            "fit",
            "classifier",
            MNIST_IMAGES,
            "--labels",
            "few.csv",
            "--model",
            "hmm",
            "-o",
            "x.json",
        ],
    );
    assert_bad_input(&r, &["3 labels", "10000 images"]);
    // Images without labels.
    let r = genmodels(d, &["fit", "classifier", MNIST_IMAGES, "-o", "x.json"]);
    assert_bad_input(&r, &["--labels"]);
    // An HMM over a CSV of features: there are no images to read as sequences.
    let r = genmodels(
        d,
        &[
            "fit",
            "classifier",
            IRIS,
            "--label-column",
            "species",
            "--model",
            "hmm",
            "-o",
            "x.json",
        ],
    );
    assert_bad_input(&r, &["sequence"]);
    assert!(!d.join("x.json").exists());
    // Images of another size than the classifier's.
    ok(
        d,
        &[
            "fit",
            "classifier",
            MNIST_IMAGES,
            "--labels",
            MNIST_LABELS,
            "--limit",
            "200",
            "--model",
            "hmm",
            "--states",
            "3",
            "--max-iter",
            "2",
            "-o",
            "hw.json",
            "--quiet",
        ],
    );
    write(d, "small.csv", "a,b,c,d\n0,1,1,0\n");
    let r = genmodels(d, &["predict", "hw.json", "small.csv"]);
    assert_bad_input(&r, &["2×2", "28×28"]);
    // A class the classifier does not know.
    let r = genmodels(
        d,
        &[
            "sample", "hw.json", "-n", "2", "--label", "11", "-o", "s.png",
        ],
    );
    assert_bad_input(&r, &["--label", "the classes are"]);
}

#[test]
fn rbm_per_class_classifies_binarised_digits_with_ais_normalised_likelihoods() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 1000 images (≈ 100 per class), 20 hidden units each: too many to enumerate, so each
    // class's log Z comes from AIS.
    let fit = one_json_object(&ok(
        d,
        &[
            "fit",
            "classifier",
            MNIST_IMAGES,
            "--labels",
            MNIST_LABELS,
            "--limit",
            "1000",
            "--model",
            "rbm",
            "--hidden",
            "20",
            "--epochs",
            "5",
            "--ais-runs",
            "5",
            "--ais-betas",
            "300",
            "--binarize",
            "0.5",
            "-o",
            "rbm.json",
            "--json",
        ],
    ));
    assert_eq!(fit["classes"].as_array().unwrap().len(), 10);
    let info = one_json_object(&ok(d, &["info", "rbm.json", "--json"]));
    assert_eq!(info["format"], "classifier-rbm");
    // Scored on the first 2000 images, 1000 of them unseen. Chance is 10 %.
    let s = one_json_object(&ok(
        d,
        &[
            "score",
            "rbm.json",
            MNIST_IMAGES,
            "--labels",
            MNIST_LABELS,
            "--limit",
            "2000",
            "--json",
        ],
    ));
    assert_eq!(u64_field(&s, "n"), 2000);
    assert!(f64_field(&s, "accuracy") > 0.7, "{s:?}");
    // One row of Gibbs samples per class.
    ok(
        d,
        &[
            "sample",
            "rbm.json",
            "-n",
            "2",
            "-o",
            "classes.png",
            "--quiet",
        ],
    );
    assert_eq!(png_size(&d.join("classes.png")), (2 * 57 + 1, 10 * 57 + 1));
    // Grey images without --binarize: a clear error, no file.
    let r = genmodels(
        d,
        &[
            "fit",
            "classifier",
            MNIST_IMAGES,
            "--labels",
            MNIST_LABELS,
            "--limit",
            "200",
            "--model",
            "rbm",
            "-o",
            "grey.json",
        ],
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--binarize"), "{}", r.stderr);
    assert!(!d.join("grey.json").exists());
    // A truncated model file is refused.
    let text = std::fs::read_to_string(d.join("rbm.json")).unwrap();
    write(d, "cut.json", &text[..text.len() / 2]);
    let r = genmodels(d, &["info", "cut.json"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

#[test]
fn vae_per_class_classifies_digits_by_its_iwae_bound_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 1000 grey images (≈ 100 per class): a small VAE each, 20 epochs of batches of 20.
    let fit = one_json_object(&ok(
        d,
        &[
            "fit",
            "classifier",
            MNIST_IMAGES,
            "--labels",
            MNIST_LABELS,
            "--limit",
            "1000",
            "--model",
            "vae",
            "--hidden",
            "50",
            "--latent",
            "8",
            "--epochs",
            "20",
            "--batch-size",
            "20",
            "--iwae",
            "3",
            "-o",
            "vae.json",
            "--json",
        ],
    ));
    assert_eq!(fit["classes"].as_array().unwrap().len(), 10);
    let info = one_json_object(&ok(d, &["info", "vae.json", "--json"]));
    assert_eq!(info["format"], "classifier-vae");
    // Scored on the first 2000 images, 1000 of them unseen (seen: 81 %). Chance is 10 %.
    let score = |file: &str| {
        one_json_object(&ok(
            d,
            &[
                "score",
                file,
                MNIST_IMAGES,
                "--labels",
                MNIST_LABELS,
                "--limit",
                "2000",
                "--json",
            ],
        ))
    };
    let s = score("vae.json");
    assert_eq!(u64_field(&s, "n"), 2000);
    assert!(f64_field(&s, "accuracy") > 0.7, "{s:?}");
    // The weights travel inside the JSON file: a copy scores the same, to the last digit (the
    // IWAE draws are seeded).
    std::fs::copy(d.join("vae.json"), d.join("copy.json")).unwrap();
    assert_eq!(score("copy.json"), s);
    // Decoded samples, one row per class.
    ok(
        d,
        &[
            "sample",
            "vae.json",
            "-n",
            "2",
            "-o",
            "classes.png",
            "--quiet",
        ],
    );
    assert_eq!(png_size(&d.join("classes.png")), (2 * 57 + 1, 10 * 57 + 1));
    // Classes smaller than a few batches train little per epoch: the fit says so.
    let r = genmodels(
        d,
        &[
            "fit",
            "classifier",
            MNIST_IMAGES,
            "--labels",
            MNIST_LABELS,
            "--limit",
            "200",
            "--model",
            "vae",
            "--hidden",
            "20",
            "--latent",
            "2",
            "--epochs",
            "1",
            "-o",
            "small.json",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("under 4 batches of --batch-size 100"),
        "{}",
        r.stderr
    );
    // A damaged embedded checkpoint is a clear error.
    let text = std::fs::read_to_string(d.join("vae.json")).unwrap();
    let key = text.find("\"checkpoint\"").unwrap() + 12;
    let at = key + text[key..].find('"').unwrap() + 1;
    let mut broken = text.clone();
    broken.replace_range(at..at + 40, "!!!!");
    write(d, "broken.json", &broken);
    let r = genmodels(d, &["info", "broken.json"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("base64"), "{}", r.stderr);
}
