//! End-to-end tests of `genmodels fit rbm` and of score / predict / sample / info / plot with
//! restricted Boltzmann machines (images and the recommender), and the command-line contract
//! for bad input (exit status 2, a one-line `error:`, no output left behind, no panic).
//! Tiny models and few epochs only.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::*;

const FAIL_ON_PANIC: bool = true;

const MNIST_TEST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/mnist/t10k-images-idx3-ubyte.gz"
);

fn ok_json(dir: &Path, args: &[&str]) -> serde_json::Map<String, Value> {
    let mut a = args.to_vec();
    a.push("--json");
    one_json_object(&ok(dir, &a))
}

/// A deterministic stream of numbers in [0, 1) (no RNG crate needed in the tests).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` binary `side × side` images: a horizontal or a vertical bar, with 5 % noise.
fn bars_csv(dir: &Path, name: &str, n: usize, side: usize, seed: u64) -> PathBuf {
    let mut rng = Lcg(seed);
    let d = side * side;
    let mut s: String = (1..=d)
        .map(|j| format!("p{j}"))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    for r in 0..n {
        let pos = r % side;
        let horizontal = (r / side) % 2 == 0;
        let row: Vec<String> = (0..d)
            .map(|j| {
                let (y, x) = (j / side, j % side);
                let on = if horizontal { y == pos } else { x == pos };
                let flip = rng.next() < 0.05;
                ((on != flip) as u8).to_string()
            })
            .collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    write(dir, name, &s)
}

fn fit_bars(dir: &Path, hidden: &str) -> PathBuf {
    bars_csv(dir, "bars.csv", 200, 5, 1);
    let m = ok_json(
        dir,
        &[
            "fit",
            "rbm",
            "bars.csv",
            "--hidden",
            hidden,
            "--epochs",
            "3",
            "--batch-size",
            "20",
            "--lr",
            "0.1",
            "--method",
            "pcd",
            "--seed",
            "1",
            "-o",
            "bars.safetensors",
        ],
    );
    assert_eq!(m["family"], "rbm");
    assert_eq!(u64_field(&m, "n_visible"), 25);
    assert_eq!(u64_field(&m, "n_samples"), 200);
    assert!(f64_field(&m, "pseudo_likelihood") < 0.0);
    dir.join("bars.safetensors")
}

#[test]
fn fit_info_score_exact_and_ais() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_bars(d, "8");
    let info = ok_json(d, &["info", "bars.safetensors"]);
    assert_eq!(info["family"], "rbm");
    assert_eq!(u64_field(&info, "n_hidden"), 8);
    assert_eq!(info["image_shape"], serde_json::json!([5, 5]));
    assert_eq!(info["report"]["epochs"].as_array().unwrap().len(), 3);
    let text = ok(d, &["info", "bars.safetensors"]).stdout;
    assert!(text.contains("Restricted Boltzmann machine"), "{text}");

    // 8 hidden units: log Z exactly.
    let s = ok_json(
        d,
        &["score", "bars.safetensors", "bars.csv", "-o", "ll.csv"],
    );
    assert_eq!(s["exact"], true);
    assert_eq!(s["method"], "exact");
    assert_eq!(u64_field(&s, "n"), 200);
    let ll = f64_field(&s, "mean_log_likelihood");
    assert!(ll < 0.0 && ll > -25.0 * 2f64.ln(), "{ll}");
    let (h, rows) = read_csv(&d.join("ll.csv"));
    assert_eq!(h, ["row", "log_likelihood"]);
    assert_eq!(rows.len(), 200);

    // 20 hidden and 25 visible units: AIS, marked as an estimate.
    let dir2 = tempfile::tempdir().unwrap();
    let d2 = dir2.path();
    fit_bars(d2, "20");
    let s = ok_json(
        d2,
        &[
            "score",
            "bars.safetensors",
            "bars.csv",
            "--ais-runs",
            "20",
            "--ais-betas",
            "300",
            "--seed",
            "2",
        ],
    );
    assert_eq!(s["exact"], false);
    assert_eq!(s["method"], "ais");
    assert!(f64_field(&s, "log_z_stderr") > 0.0);
    assert_eq!(u64_field(&s, "ais_runs"), 20);
    assert!(f64_field(&s, "log_z").is_finite());
    assert!(f64_field(&s, "mean_log_likelihood") < 0.0);
    let text = ok(
        d2,
        &[
            "score",
            "bars.safetensors",
            "bars.csv",
            "--ais-runs",
            "5",
            "--ais-betas",
            "50",
        ],
    )
    .stdout;
    assert!(text.contains("estimate (AIS"), "{text}");
}

#[test]
fn sample_inpaint_predict_plot() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_bars(d, "8");
    // Samples as a picture and as numbers.
    ok(
        d,
        &[
            "sample",
            "bars.safetensors",
            "-n",
            "9",
            "--gibbs-steps",
            "20",
            "-o",
            "s.png",
        ],
    );
    let png = fs::read(d.join("s.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    ok(
        d,
        &[
            "sample",
            "bars.safetensors",
            "-n",
            "6",
            "--gibbs-steps",
            "20",
            "-o",
            "s.csv",
        ],
    );
    let (h, rows) = read_csv(&d.join("s.csv"));
    assert_eq!(h.len(), 25);
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().flatten().all(|c| c == "0" || c == "1"));

    // Inpainting: the bottom rows of the images are missing (empty cells).
    let (_, orig) = read_csv(&d.join("bars.csv"));
    let mut half = (1..=25)
        .map(|j| format!("p{j}"))
        .collect::<Vec<_>>()
        .join(",");
    half.push('\n');
    for row in orig.iter().take(4) {
        let cells: Vec<&str> = row
            .iter()
            .enumerate()
            .map(|(j, c)| if j >= 15 { "" } else { c.as_str() })
            .collect();
        half.push_str(&cells.join(","));
        half.push('\n');
    }
    write(d, "half.csv", &half);
    ok(
        d,
        &[
            "sample",
            "bars.safetensors",
            "--given",
            "half.csv",
            "--gibbs-steps",
            "30",
            "-o",
            "filled.csv",
        ],
    );
    let (_, filled) = read_csv(&d.join("filled.csv"));
    assert_eq!(filled.len(), 4);
    for (f, o) in filled.iter().zip(&orig) {
        for j in 0..25 {
            let v = parse(&f[j]);
            if j < 15 {
                assert_eq!(v, parse(&o[j]), "a known pixel changed");
            } else {
                assert!((0.0..=1.0).contains(&v), "{v}");
            }
        }
    }
    ok(
        d,
        &[
            "sample",
            "bars.safetensors",
            "--given",
            "half.csv",
            "--gibbs-steps",
            "10",
            "-o",
            "filled.png",
        ],
    );
    assert!(d.join("filled.png").exists());

    // Hidden features.
    ok(
        d,
        &[
            "predict",
            "bars.safetensors",
            "bars.csv",
            "--features",
            "-o",
            "h.csv",
        ],
    );
    let (h, rows) = read_csv(&d.join("h.csv"));
    assert_eq!(h.len(), 8);
    assert_eq!(rows.len(), 200);
    assert!(rows
        .iter()
        .flatten()
        .all(|c| (0.0..=1.0).contains(&parse(c))));

    // Filters.
    ok(d, &["plot", "bars.safetensors", "-o", "filters.png"]);
    assert!(d.join("filters.png").exists());
}

#[test]
fn mnist_idx_with_binarize_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = ok_json(
        d,
        &[
            "fit",
            "rbm",
            MNIST_TEST,
            "--binarize",
            "0.5",
            "--limit",
            "300",
            "--hidden",
            "12",
            "--epochs",
            "1",
            "--batch-size",
            "50",
            "-o",
            "m.safetensors",
        ],
    );
    assert_eq!(u64_field(&m, "n_visible"), 784);
    assert_eq!(m["binarization"], "threshold 0.5");
    let s = ok_json(
        d,
        &[
            "score",
            "m.safetensors",
            MNIST_TEST,
            "--binarize",
            "0.5",
            "--limit",
            "20",
        ],
    );
    assert_eq!(s["exact"], true, "12 hidden units are enumerated");
    assert_eq!(u64_field(&s, "n"), 20);
    // Without --binarize the 8-bit images are refused, with the model's threshold as a hint.
    let r = genmodels(d, &["score", "m.safetensors", MNIST_TEST, "--limit", "5"]);
    assert_bad_input(&r, &["--binarize", "0.5"]);
    // Stochastic binarisation at score time: seeded, so the same seed gives the same figure
    // and another seed draws other pixels.
    let stoch = |seed: &str| {
        let s = ok_json(
            d,
            &[
                "score",
                "m.safetensors",
                MNIST_TEST,
                "--binarize",
                "stochastic",
                "--limit",
                "20",
                "--seed",
                seed,
            ],
        );
        f64_field(&s, "mean_log_likelihood")
    };
    let (a, b, c) = (stoch("1"), stoch("1"), stoch("2"));
    assert!(a.is_finite() && a < 0.0);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // A clap usage error (exit 2, with clap's hint line).
    let r = genmodels(
        d,
        &["score", "m.safetensors", MNIST_TEST, "--binarize", "half"],
    );
    assert_eq!(r.code, Some(2), "{r}");
    assert!(
        r.stderr.contains("--binarize") && r.stderr.contains("`stochastic`"),
        "{r}"
    );
}

#[test]
fn bad_input_is_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_bars(d, "4");
    // Non-binary data without --binarize.
    write(d, "grey.csv", "a,b,c,d\n0,0.5,1,1\n1,1,0,0\n");
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "rbm",
            "grey.csv",
            "--hidden",
            "2",
            "-o",
            "out.safetensors",
        ],
        "out.safetensors",
        &["grey.csv", "--binarize"],
    );
    // Images of another size than the model's.
    write(d, "small.csv", "a,b,c,d\n0,1,1,0\n");
    assert_fails_cleanly(
        d,
        &[
            "predict",
            "bars.safetensors",
            "small.csv",
            "--features",
            "-o",
            "h.csv",
        ],
        "h.csv",
        &["small.csv", "25"],
    );
    // NaN.
    write(d, "nan.csv", "a,b,c,d\n0,nan,1,1\n");
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "rbm",
            "nan.csv",
            "--hidden",
            "2",
            "-o",
            "out.safetensors",
        ],
        "out.safetensors",
        &["nan.csv", "not a finite number"],
    );
    // An empty file.
    write(d, "empty.csv", "");
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "rbm",
            "empty.csv",
            "--hidden",
            "2",
            "-o",
            "out.safetensors",
        ],
        "out.safetensors",
        &["empty.csv", "empty"],
    );
    // A truncated checkpoint.
    let bytes = fs::read(d.join("bars.safetensors")).unwrap();
    fs::write(d.join("cut.safetensors"), &bytes[..bytes.len() - 9]).unwrap();
    let r = genmodels(d, &["score", "cut.safetensors", "bars.csv"]);
    assert_bad_input(&r, &["cut.safetensors", "truncated"]);
    // Bad hyper-parameters.
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "rbm",
            "bars.csv",
            "--hidden",
            "0",
            "-o",
            "out.safetensors",
        ],
        "out.safetensors",
        &["hidden"],
    );
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "rbm",
            "bars.csv",
            "--method",
            "sgd",
            "-o",
            "out.safetensors",
        ],
        "out.safetensors",
        &["--method"],
    );
}

/// Ratings from a rank-2 model: `users × items`, each rated with probability 0.5.
fn ratings_csv(
    dir: &Path,
    name: &str,
    users: usize,
    items: usize,
    seed: u64,
    keep: impl Fn(usize) -> bool,
) -> PathBuf {
    let mut rng = Lcg(seed);
    let uf: Vec<[f64; 2]> = (0..users)
        .map(|_| [rng.next() * 2.0 - 1.0, rng.next() * 2.0 - 1.0])
        .collect();
    let vf: Vec<[f64; 2]> = (0..items)
        .map(|_| [rng.next() * 2.0 - 1.0, rng.next() * 2.0 - 1.0])
        .collect();
    let mut s = String::from("user,item,rating\n");
    let mut k = 0;
    for (u, a) in uf.iter().enumerate() {
        for (i, b) in vf.iter().enumerate() {
            if rng.next() < 0.5 {
                let r = (3.0 + 2.5 * (a[0] * b[0] + a[1] * b[1]))
                    .round()
                    .clamp(1.0, 5.0);
                if keep(k) {
                    s.push_str(&format!("{u},m{i},{r}\n"));
                }
                k += 1;
            }
        }
    }
    write(dir, name, &s)
}

#[test]
fn recommender_fit_score_recommend_and_cold_start() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ratings_csv(d, "train.csv", 120, 30, 7, |k| k % 5 != 0);
    ratings_csv(d, "test.csv", 120, 30, 7, |k| k % 5 == 0);
    let m = ok_json(
        d,
        &[
            "fit",
            "rbm",
            "train.csv",
            "--ratings",
            "user,item,rating",
            "--hidden",
            "10",
            "--epochs",
            "20",
            "--seed",
            "1",
            "-o",
            "rec.safetensors",
        ],
    );
    assert_eq!(m["family"], "rbm-recommender");
    assert_eq!(u64_field(&m, "n_items"), 30);
    let s = ok_json(d, &["score", "rec.safetensors", "test.csv"]);
    let (rmse, g, im) = (
        f64_field(&s, "rmse"),
        f64_field(&s, "rmse_global_mean"),
        f64_field(&s, "rmse_item_mean"),
    );
    assert!(rmse < g && rmse < im, "RBM {rmse} vs global {g}, item {im}");
    assert_eq!(u64_field(&s, "n_fallback"), 0);

    // Top 5 for user 3: none of the items user 3 rated in training.
    let r = ok_json(
        d,
        &[
            "predict",
            "rec.safetensors",
            "test.csv",
            "--recommend",
            "5",
            "--user",
            "3",
        ],
    );
    assert_eq!(r["source"], "rbm");
    let items: Vec<String> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["item"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(items.len(), 5);
    let (_, train) = read_csv(&d.join("train.csv"));
    let test_rated: Vec<String> = read_csv(&d.join("test.csv"))
        .1
        .iter()
        .filter(|r| r[0] == "3")
        .map(|r| r[1].clone())
        .collect();
    for it in &items {
        assert!(
            !train.iter().any(|r| r[0] == "3" && &r[1] == it),
            "{it} was rated by user 3 in training"
        );
        assert!(
            !test_rated.contains(it),
            "{it} was rated by user 3 in the file"
        );
    }

    // An unknown user: the item means (cold start), said clearly.
    let r = ok(
        d,
        &[
            "predict",
            "rec.safetensors",
            "test.csv",
            "--recommend",
            "3",
            "--user",
            "nobody",
        ],
    );
    assert!(r.stderr.contains("cold start"), "{r}");
    let j = ok_json(
        d,
        &[
            "predict",
            "rec.safetensors",
            "test.csv",
            "--recommend",
            "3",
            "--user",
            "nobody",
        ],
    );
    assert_eq!(j["source"], "item_mean");
    // Unknown users and items in a ratings file: fallbacks, marked per row.
    write(
        d,
        "new.csv",
        "user,item,rating\nnobody,m1,4\n3,unknown-item,2\n3,m2,5\n",
    );
    let r = ok(d, &["predict", "rec.safetensors", "new.csv", "-o", "p.csv"]);
    assert!(r.stderr.contains("cold start"), "{r}");
    let (h, rows) = read_csv(&d.join("p.csv"));
    assert_eq!(h, ["user", "item", "predicted_rating", "source"]);
    assert_eq!(rows[0][3], "item_mean");
    assert_eq!(rows[1][3], "global_mean");
    assert_eq!(rows[2][3], "rbm");
    let s = ok_json(d, &["score", "rec.safetensors", "new.csv"]);
    assert_eq!(u64_field(&s, "n_fallback"), 2);

    // Bad ratings files.
    write(d, "bad.csv", "user,item,rating\n1,m1,x\n");
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "rbm",
            "bad.csv",
            "--ratings",
            "user,item,rating",
            "-o",
            "r2.safetensors",
        ],
        "r2.safetensors",
        &["bad.csv", "line 2", "rating"],
    );
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "rbm",
            "train.csv",
            "--ratings",
            "user,film,rating",
            "-o",
            "r2.safetensors",
        ],
        "r2.safetensors",
        &["film"],
    );
}
