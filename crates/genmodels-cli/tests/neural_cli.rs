//! End-to-end tests of `fit vae`, `fit gan`, `vae interpolate|shift` and the generic verbs on
//! checkpoints: tiny 4×4 images, one or two epochs.

mod common;

use std::path::Path;

use common::*;

const FAIL_ON_PANIC: bool = true;

/// 48 binary 4×4 images of three patterns (with a little noise) and their labels.
fn images(dir: &Path) {
    let mut text = String::new();
    let header: Vec<String> = (1..=16).map(|i| format!("p{i}")).collect();
    text.push_str(&header.join(","));
    text.push('\n');
    let mut labels = String::from("label\n");
    for i in 0..48 {
        let c = i % 3;
        let row: Vec<String> = (0..16)
            .map(|j| {
                let on = match c {
                    0 => j < 8,
                    1 => j % 4 < 2,
                    _ => j % 5 == 0,
                };
                let flip = (i * 7 + j * 3) % 23 == 0;
                ((on != flip) as u8).to_string()
            })
            .collect();
        text.push_str(&row.join(","));
        text.push('\n');
        labels.push_str(&format!("{c}\n"));
    }
    write(dir, "img.csv", &text);
    write(dir, "labels.csv", &labels);
}

fn fit_vae(dir: &Path, extra: &[&str], out: &str) -> Run {
    let mut args = vec![
        "fit",
        "vae",
        "img.csv",
        "--latent",
        "2",
        "--hidden",
        "8",
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--lr",
        "0.01",
        "-o",
        out,
    ];
    args.extend_from_slice(extra);
    ok(dir, &args)
}

#[test]
fn vae_fit_score_sample_predict_info_and_latent_tools() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    images(d);
    let r = fit_vae(
        d,
        &["--snapshots", "snaps", "--json", "--seed", "3"],
        "v.safetensors",
    );
    let m = one_json_object(&r);
    assert_eq!(u64_field(&m, "epochs"), 2);
    assert!(d.join("snaps/epoch-001.png").exists() && d.join("snaps/epoch-002.png").exists());
    assert!(d.join("snaps/loss.png").exists());

    let s = one_json_object(&ok(
        d,
        &[
            "score",
            "v.safetensors",
            "img.csv",
            "--iwae",
            "20",
            "--json",
        ],
    ));
    assert_eq!(s["method"], "iwae");
    assert_eq!(s["exact"], false);
    assert_eq!(u64_field(&s, "k"), 20);
    let (ll, elbo) = (f64_field(&s, "mean_log_likelihood"), f64_field(&s, "elbo"));
    assert!(
        ll < 0.0 && elbo < 0.0 && ll > elbo - 0.5,
        "IWAE {ll}, ELBO {elbo}"
    );

    // The two-sample test in the model's binary data space: real images and decoder means
    // both binarised stochastically (seeded).
    let ts = |seed: &str| {
        let s = one_json_object(&ok(
            d,
            &[
                "score",
                "v.safetensors",
                "img.csv",
                "--two-sample",
                "--binarize",
                "stochastic",
                "--seed",
                seed,
                "--json",
            ],
        ));
        f64_field(&s, "two_sample_accuracy")
    };
    let acc = ts("4");
    assert!((0.0..=1.0).contains(&acc));
    assert_eq!(acc, ts("4"));

    ok(d, &["sample", "v.safetensors", "-n", "9", "-o", "grid.png"]);
    assert!(std::fs::read(d.join("grid.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    // Reproducible with a seed.
    for out in ["a.csv", "b.csv"] {
        ok(
            d,
            &[
                "sample",
                "v.safetensors",
                "-n",
                "3",
                "--seed",
                "4",
                "-o",
                out,
            ],
        );
    }
    assert_eq!(
        std::fs::read(d.join("a.csv")).unwrap(),
        std::fs::read(d.join("b.csv")).unwrap()
    );

    ok(
        d,
        &[
            "predict",
            "v.safetensors",
            "img.csv",
            "--encode",
            "-o",
            "z.csv",
        ],
    );
    let (h, rows) = read_csv(&d.join("z.csv"));
    assert_eq!(h, ["mu1", "mu2", "logvar1", "logvar2"]);
    assert_eq!(rows.len(), 48);

    let info = one_json_object(&ok(d, &["info", "v.safetensors", "--json"]));
    assert_eq!(info["family"], "vae");
    assert_eq!(info["config"]["latent"], 2);

    ok(
        d,
        &[
            "vae",
            "interpolate",
            "v.safetensors",
            "img.csv#0",
            "img.csv#1",
            "--steps",
            "5",
            "-o",
            "path.csv",
        ],
    );
    let (_, rows) = read_csv(&d.join("path.csv"));
    assert_eq!(rows.len(), 5);
    ok(
        d,
        &[
            "vae",
            "shift",
            "v.safetensors",
            "img.csv",
            "--labels",
            "labels.csv",
            "--from",
            "0",
            "--to",
            "1",
            "--amount",
            "1.5",
            "-o",
            "shift.png",
        ],
    );
    assert!(d.join("shift.png").exists());

    // Resume: two more epochs continue the numbering.
    fit_vae(d, &["--resume", "v.safetensors"], "v2.safetensors");
    let info = one_json_object(&ok(d, &["info", "v2.safetensors", "--json"]));
    assert_eq!(info["report"]["epochs"].as_array().unwrap().len(), 4);

    // A same-seed refit gives the same model.
    fit_vae(d, &["--seed", "3"], "v3.safetensors");
    ok(
        d,
        &[
            "sample",
            "v3.safetensors",
            "-n",
            "3",
            "--seed",
            "4",
            "-o",
            "c.csv",
        ],
    );
    assert_eq!(
        std::fs::read(d.join("a.csv")).unwrap(),
        std::fs::read(d.join("c.csv")).unwrap()
    );
}

#[test]
fn conditional_vae_and_its_bad_labels() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    images(d);
    fit_vae(
        d,
        &["--labels", "labels.csv", "--conditional", "--arch", "conv"],
        "c.st",
    );
    ok(
        d,
        &[
            "sample", "c.st", "-n", "4", "--label", "2", "-o", "twos.png",
        ],
    );
    assert_fails_cleanly(
        d,
        &["sample", "c.st", "-n", "4", "--label", "7", "-o", "x.png"],
        "x.png",
        &["--label 7", "outside"],
    );
    let s = one_json_object(&ok(
        d,
        &[
            "score",
            "c.st",
            "img.csv",
            "--labels",
            "labels.csv",
            "--json",
        ],
    ));
    assert_eq!(s["method"], "elbo");
    assert_bad_input(&genmodels(d, &["score", "c.st", "img.csv"]), &["--labels"]);
    // Labels of a different length.
    write(d, "short.csv", "label\n0\n1\n");
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "vae",
            "img.csv",
            "--labels",
            "short.csv",
            "--conditional",
            "-o",
            "y.st",
        ],
        "y.st",
        &["2 labels for 48 images"],
    );
    // A label outside the trained range when scoring.
    let bad: String = std::iter::once("label".to_string())
        .chain((0..48).map(|i| (if i == 5 { 9 } else { 0 }).to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    write(d, "bad.csv", &bad);
    assert_bad_input(
        &genmodels(d, &["score", "c.st", "img.csv", "--labels", "bad.csv"]),
        &["label 9"],
    );
}

#[test]
fn vae_bad_input() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    images(d);
    fit_vae(d, &[], "v.st");
    // Dynamic binarisation: fits with a Bernoulli likelihood; not with a fixed threshold
    // (clap refuses the pair) nor with Gaussian pixels.
    fit_vae(d, &["--dynamic-binarization"], "dyn.st");
    let r = genmodels(
        d,
        &[
            "fit",
            "vae",
            "img.csv",
            "--dynamic-binarization",
            "--binarize",
            "0.5",
            "-o",
            "x.st",
        ],
    );
    assert_eq!(r.code, Some(2), "{r}");
    assert!(!d.join("x.st").exists());
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "vae",
            "img.csv",
            "--dynamic-binarization",
            "--likelihood",
            "gaussian",
            "-o",
            "g.st",
        ],
        "g.st",
        &["dynamic", "Bernoulli"],
    );
    // Wrong image size.
    write(d, "nine.csv", "a,b,c,d,e,f,g,h,i\n0,1,0,1,0,1,0,1,0\n");
    assert_bad_input(&genmodels(d, &["score", "v.st", "nine.csv"]), &["9", "16"]);
    assert_fails_cleanly(
        d,
        &["fit", "vae", "nine.csv", "--resume", "v.st", "-o", "r.st"],
        "r.st",
        &["9 values per image", "4×4"],
    );
    // NaN.
    let text = std::fs::read_to_string(d.join("img.csv"))
        .unwrap()
        .replacen("\n1,", "\nNaN,", 1);
    write(d, "nan.csv", &text);
    assert_bad_input(&genmodels(d, &["score", "v.st", "nan.csv"]), &["NaN"]);
    assert_fails_cleanly(
        d,
        &["fit", "vae", "nan.csv", "-o", "n.st"],
        "n.st",
        &["NaN"],
    );
    // An empty dataset.
    write(d, "empty.csv", "p1,p2,p3,p4\n");
    assert_fails_cleanly(
        d,
        &["fit", "vae", "empty.csv", "-o", "e.st"],
        "e.st",
        &["empty"],
    );
    // A truncated checkpoint.
    let bytes = std::fs::read(d.join("v.st")).unwrap();
    std::fs::write(d.join("cut.st"), &bytes[..bytes.len() - 10]).unwrap();
    assert_bad_input(
        &genmodels(d, &["sample", "cut.st", "-n", "2"]),
        &["truncated"],
    );
    // --latent 0, --hidden 0.
    assert_fails_cleanly(
        d,
        &["fit", "vae", "img.csv", "--latent", "0", "-o", "z.st"],
        "z.st",
        &["latent"],
    );
    assert_fails_cleanly(
        d,
        &["fit", "vae", "img.csv", "--hidden", "0", "-o", "z.st"],
        "z.st",
        &["hidden"],
    );
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "vae",
            "img.csv",
            "--arch",
            "conv",
            "--likelihood",
            "poisson",
            "-o",
            "z.st",
        ],
        "z.st",
        &["poisson"],
    );
    // A label for an unconditional model.
    assert_bad_input(
        &genmodels(d, &["sample", "v.st", "--label", "1"]),
        &["conditional"],
    );
    assert_bad_input(
        &genmodels(
            d,
            &[
                "score",
                "v.st",
                "img.csv",
                "--two-sample",
                "--truncation",
                "1",
            ],
        ),
        &["--truncation", "GAN"],
    );
}

#[test]
fn gan_fit_sample_score_and_bad_input() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    images(d);
    let r = ok(
        d,
        &[
            "fit",
            "gan",
            "img.csv",
            "--labels",
            "labels.csv",
            "--conditional",
            "--arch",
            "conv",
            "--latent",
            "4",
            "--epochs",
            "2",
            "--batch-size",
            "16",
            "--loss",
            "wgan-gp",
            "--n-critic",
            "2",
            "--conv-width",
            "5",
            "--batch-norm",
            "--ema",
            "0.9",
            "--snapshots",
            "snaps",
            "--json",
            "-o",
            "g.st",
        ],
    );
    assert_eq!(u64_field(&one_json_object(&r), "epochs"), 2);
    assert!(d.join("snaps/epoch-002.png").exists() && d.join("snaps/loss.png").exists());
    ok(
        d,
        &[
            "sample",
            "g.st",
            "-n",
            "6",
            "--seed",
            "1",
            "--label",
            "2",
            "--truncation",
            "1.0",
            "-o",
            "g.png",
        ],
    );
    ok(
        d,
        &[
            "sample", "g.st", "-n", "3", "--seed", "1", "--label", "2", "-o", "a.csv",
        ],
    );
    ok(
        d,
        &[
            "sample", "g.st", "-n", "3", "--seed", "1", "--label", "2", "-o", "b.csv",
        ],
    );
    assert_eq!(
        std::fs::read(d.join("a.csv")).unwrap(),
        std::fs::read(d.join("b.csv")).unwrap()
    );
    let (_, rows) = read_csv(&d.join("a.csv"));
    assert!(rows
        .iter()
        .flatten()
        .all(|c| (0.0..=1.0).contains(&parse(c))));
    // `score g.st img.csv --labels labels.csv --parzen --json` with further flags.
    let score = |extra: &[&str]| {
        let base = [
            "score",
            "g.st",
            "img.csv",
            "--labels",
            "labels.csv",
            "--parzen",
            "--json",
        ];
        one_json_object(&ok(d, &[&base[..], extra].concat()))
    };
    let s = score(&["--two-sample"]);
    assert_eq!(s["method"], "parzen");
    assert_eq!(s["exact"], false);
    assert!(f64_field(&s, "sigma") > 0.0);
    let acc = f64_field(&s, "two_sample_accuracy");
    assert!((0.0..=1.0).contains(&acc));
    let base = f64_field(&s, "two_sample_real_halves");
    assert!((0.0..=1.0).contains(&base));
    // Truncated latent draws make other samples, so another Parzen estimate.
    let truncated = score(&["--truncation", "0.3"]);
    assert_ne!(
        f64_field(&truncated, "mean_log_likelihood"),
        f64_field(&s, "mean_log_likelihood")
    );
    assert_bad_input(
        &genmodels(
            d,
            &["score", "g.st", "img.csv", "--parzen", "--truncation", "0"],
        ),
        &["truncation"],
    );
    let info = one_json_object(&ok(d, &["info", "g.st", "--json"]));
    assert_eq!(info["config"]["loss"], "wgan-gp");
    assert_eq!(info["config"]["conv_width"], 5);
    assert_eq!(info["config"]["batch_norm"], true);
    assert_eq!(info["config"]["ema"], 0.9);
    let text = ok(d, &["info", "g.st"]).stdout;
    assert!(
        text.contains("(batch-normalised)")
            && text.contains("moving average (decay 0.9)")
            && text.contains("5 and 10 channels"),
        "{text}"
    );
    // Bad input.
    assert_fails_cleanly(
        d,
        &["sample", "g.st", "-n", "2", "--label", "3", "-o", "x.png"],
        "x.png",
        &["--label 3"],
    );
    assert_fails_cleanly(
        d,
        &["fit", "gan", "img.csv", "--latent", "0", "-o", "z.st"],
        "z.st",
        &["latent"],
    );
    assert_fails_cleanly(
        d,
        &[
            "fit",
            "gan",
            "img.csv",
            "--arch",
            "conv",
            "--conv-width",
            "0",
            "-o",
            "w.st",
        ],
        "w.st",
        &["--conv-width", "at least 1"],
    );
    assert_fails_cleanly(
        d,
        &["fit", "gan", "img.csv", "--ema", "1", "-o", "e.st"],
        "e.st",
        &["--ema", "[0, 1)"],
    );
    assert_bad_input(
        &genmodels(d, &["score", "g.st", "img.csv", "--iwae", "5"]),
        &["--parzen"],
    );
    write(d, "nine.csv", "a,b,c,d,e,f,g,h,i\n0,1,0,1,0,1,0,1,0\n");
    assert_bad_input(
        &genmodels(d, &["score", "g.st", "nine.csv", "--parzen"]),
        &["9", "16"],
    );
    assert_fails_cleanly(
        d,
        &["fit", "gan", "nine.csv", "--resume", "g.st", "-o", "r.st"],
        "r.st",
        &["9 values per image", "4×4"],
    );
    // An unconditional MLP GAN with the non-saturating loss.
    ok(
        d,
        &[
            "fit",
            "gan",
            "img.csv",
            "--latent",
            "3",
            "--hidden",
            "8",
            "--epochs",
            "1",
            "--batch-size",
            "16",
            "--label-smoothing",
            "0.1",
            "--d-dropout",
            "0.2",
            "-o",
            "u.st",
        ],
    );
    let info = one_json_object(&ok(d, &["info", "u.st", "--json"]));
    assert_eq!(info["config"]["d_dropout"].as_f64(), Some(0.2));
    ok(d, &["sample", "u.st", "-n", "4", "-o", "u.png"]);
    assert_fails_cleanly(
        d,
        &["fit", "gan", "img.csv", "--d-dropout", "1", "-o", "dd.st"],
        "dd.st",
        &["--d-dropout", "[0, 1)"],
    );
}
