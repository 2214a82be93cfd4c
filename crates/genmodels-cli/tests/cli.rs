//! End-to-end tests of the `genmodels` binary: the tour from the issue, the command-line
//! contract for bad input (exit status 2, a one-line `error:` naming the file, no output file
//! left behind, an existing output never damaged), and `--help` of every subcommand.
//!
//! Every test works in its own temporary directory and uses small data only.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::*;

/// Runs of the binary through `common::genmodels` leave panics to the tests of this file.
const FAIL_ON_PANIC: bool = true;

const FAITHFUL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/old_faithful.csv");
const DIGITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/digits_binary.csv");

/// The first `n` data rows of the Old Faithful file, with its header.
fn faithful_head(n: usize) -> String {
    let text = fs::read_to_string(FAITHFUL).expect("data/old_faithful.csv");
    text.lines().take(n + 1).map(|l| format!("{l}\n")).collect()
}

/// `fit gmm data/old_faithful.csv --columns eruptions,waiting --components 1..6 -o faithful.json`
fn fit_faithful(dir: &Path) -> PathBuf {
    ok(
        dir,
        &[
            "fit",
            "gmm",
            FAITHFUL,
            "--columns",
            "eruptions,waiting",
            "--components",
            "1..6",
            "-o",
            "faithful.json",
        ],
    );
    let p = dir.join("faithful.json");
    assert!(p.is_file(), "fit wrote no model file");
    p
}

fn is_png(path: &Path) -> bool {
    let bytes = fs::read(path).unwrap_or_default();
    bytes.len() > 100 && bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

/// Writes an `.npy` (format 1.0) file of little-endian f64 by hand.
fn write_npy(path: &Path, rows: usize, cols: usize, data: &[f64]) {
    assert_eq!(data.len(), rows * cols);
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    let mut header = dict.into_bytes();
    // magic (6) + version (2) + header length (2) + header, newline included, is a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(
        &u16::try_from(header.len())
            .expect("short header")
            .to_le_bytes(),
    );
    bytes.extend_from_slice(&header);
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    fs::write(path, bytes).expect("write .npy");
}

/// Three well separated 2-D clusters, deterministic.
fn three_clusters(n: usize) -> Vec<f64> {
    let centres = [(0.0, 0.0), (6.0, 6.0), (0.0, 10.0)];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64) * 2.0 - 1.0
    };
    let mut v = Vec::with_capacity(2 * n);
    for i in 0..n {
        let (cx, cy) = centres[i % 3];
        v.push(cx + uniform());
        v.push(cy + uniform());
    }
    v
}

// ---------------------------------------------------------------------------------------------
// 1. The tour
// ---------------------------------------------------------------------------------------------

#[test]
fn tour_fit_chooses_two_components_by_bic_and_info_shows_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = fit_faithful(d);
    let text = fs::read_to_string(&model).unwrap();
    let v: Value = serde_json::from_str(&text).expect("the model file is JSON");
    assert_eq!(v["format"], "genmodels/gmm", "{text}");
    assert!(v["version"].as_u64().is_some(), "{text}");

    let r = ok(d, &["info", "faithful.json"]);
    let out = &r.stdout;
    assert!(out.contains("2 components"), "K chosen by BIC is 2:\n{r}");
    assert!(out.contains("eruptions") && out.contains("waiting"), "{r}");
    // Weights and means: one table row per component.
    let lines: Vec<&str> = out.lines().collect();
    let hdr = lines
        .iter()
        .position(|l| {
            l.contains("weight") && l.contains("mean eruptions") && l.contains("mean waiting")
        })
        .unwrap_or_else(|| panic!("no weights/means table:\n{r}"));
    let weights: Vec<f64> = lines[hdr + 1..hdr + 3]
        .iter()
        .map(|l| parse(l.split_whitespace().nth(1).expect("weight cell")))
        .collect();
    assert!(
        (weights.iter().sum::<f64>() - 1.0).abs() < 1e-4,
        "weights {weights:?}:\n{r}"
    );
    // Covariances of both components.
    assert!(out.contains("Covariances"), "{r}");
    assert!(
        out.contains("component 0") && out.contains("component 1"),
        "{r}"
    );
    // The selection table: K = 1..6, K = 2 chosen.
    let sel = lines
        .iter()
        .position(|l| l.contains("Model selection"))
        .unwrap_or_else(|| panic!("no selection table:\n{r}"));
    let rows: Vec<&str> = lines[sel + 2..]
        .iter()
        .copied()
        .take_while(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(rows.len(), 6, "6 rows in the selection table:\n{r}");
    let chosen: Vec<&str> = rows
        .iter()
        .copied()
        .filter(|l| l.contains("chosen"))
        .collect();
    assert_eq!(chosen.len(), 1, "{r}");
    assert_eq!(chosen[0].split_whitespace().next(), Some("2"), "{r}");

    let r = ok(d, &["info", "faithful.json", "--json"]);
    let j = one_json_object(&r);
    assert_eq!(u64_field(&j, "n_components"), 2, "{r}");
    assert_eq!(j["family"], "gmm");
    let w: Vec<f64> = j["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(w.len(), 2);
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{w:?}");
    assert_eq!(j["means"].as_array().unwrap().len(), 2);
    assert_eq!(j["covariances"].as_array().unwrap().len(), 2);
    let selection = j["report"]["selection"]
        .as_array()
        .unwrap_or_else(|| panic!("no report.selection:\n{r}"));
    assert_eq!(selection.len(), 6, "{r}");
    let best = selection
        .iter()
        .min_by(|a, b| {
            a["bic"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["bic"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(best["n_components"], 2, "lowest BIC at K = 2:\n{r}");
}

#[test]
fn tour_score_json_and_per_row_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    write(d, "new.csv", &faithful_head(20));

    let r = ok(d, &["score", "faithful.json", "new.csv", "--json"]);
    let j = one_json_object(&r);
    for key in ["n", "mean_log_likelihood", "total_log_likelihood", "exact"] {
        assert!(j.contains_key(key), "missing {key}:\n{r}");
    }
    assert_eq!(u64_field(&j, "n"), 20);
    assert_eq!(j["exact"], Value::Bool(true));
    let mean = f64_field(&j, "mean_log_likelihood");
    let total = f64_field(&j, "total_log_likelihood");
    assert!(mean.is_finite() && mean < 0.0, "{r}");
    assert!(
        (total - mean * 20.0).abs() < 1e-9 * total.abs().max(1.0),
        "total = mean·n:\n{r}"
    );

    let r = ok(
        d,
        &[
            "score",
            "faithful.json",
            "new.csv",
            "-o",
            "rows.csv",
            "--json",
        ],
    );
    let j2 = one_json_object(&r);
    assert_eq!(j2["total_log_likelihood"], j["total_log_likelihood"]);
    let (header, rows) = read_csv(&d.join("rows.csv"));
    assert!(header.iter().any(|h| h == "log_likelihood"), "{header:?}");
    assert_eq!(rows.len(), 20);
    let col = header.iter().position(|h| h == "log_likelihood").unwrap();
    let sum: f64 = rows.iter().map(|row| parse(&row[col])).sum();
    assert!(
        (sum - total).abs() < 1e-9 * total.abs(),
        "per-row values sum to the total"
    );

    // Without --json: a table for people.
    let r = ok(d, &["score", "faithful.json", "new.csv"]);
    assert!(r.stdout.contains("log-likelihood"), "{r}");

    // Flags for other models are refused, not ignored.
    for flag in [&["--parzen"][..], &["--iwae", "5"], &["--truncation", "2"]] {
        let args = [&["score", "faithful.json", "new.csv"][..], flag].concat();
        assert_bad_input(&genmodels(d, &args), &[flag[0], "none of them"]);
    }
}

#[test]
fn tour_predict_component_probability_and_proba() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    let csv = faithful_head(20);
    write(d, "new.csv", &csv);
    let eruptions: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|l| parse(l.split(',').next().unwrap()))
        .collect();

    let r = ok(d, &["predict", "faithful.json", "new.csv"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].contains("component") && lines[0].contains("probability"),
        "{r}"
    );
    assert_eq!(lines.len(), 21, "a header and one line per row:\n{r}");
    let mut comp = Vec::new();
    for l in &lines[1..] {
        let cells: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(cells.len(), 3, "row, component, probability:\n{r}");
        let c: usize = cells[1].parse().unwrap();
        let p = parse(cells[2]);
        assert!(c < 2 && (0.5..=1.0).contains(&p), "{l}");
        comp.push(c);
    }
    // Long eruptions and short ones fall in different components.
    let long: Vec<usize> = (0..20)
        .filter(|&i| eruptions[i] > 3.5)
        .map(|i| comp[i])
        .collect();
    let short: Vec<usize> = (0..20)
        .filter(|&i| eruptions[i] < 2.5)
        .map(|i| comp[i])
        .collect();
    assert!(!long.is_empty() && !short.is_empty());
    assert!(long.iter().all(|c| *c == long[0]) && short.iter().all(|c| *c == short[0]));
    assert_ne!(long[0], short[0]);

    ok(
        d,
        &["predict", "faithful.json", "new.csv", "-o", "pred.csv"],
    );
    let (header, rows) = read_csv(&d.join("pred.csv"));
    assert!(
        header.contains(&"component".to_string()) && header.contains(&"probability".to_string())
    );
    assert_eq!(rows.len(), 20);

    let r = ok(
        d,
        &["predict", "faithful.json", "new.csv", "--proba", "--json"],
    );
    let j = one_json_object(&r);
    let proba = j["proba"]
        .as_array()
        .unwrap_or_else(|| panic!("no proba:\n{r}"));
    assert_eq!(proba.len(), 20);
    for row in proba {
        let p: Vec<f64> = row
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{p:?}");
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{p:?}");
    }

    let r = ok(d, &["predict", "faithful.json", "new.csv", "--proba"]);
    assert!(r.stdout.lines().next().unwrap().contains("p1"), "{r}");
}

#[test]
fn tour_predict_impute_fills_empty_cells() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    let gaps = "eruptions,waiting\n,80\n2.0,\n3.6,79\n,\n1.8,54\n";
    write(d, "gaps.csv", gaps);
    ok(
        d,
        &[
            "predict",
            "faithful.json",
            "gaps.csv",
            "--impute",
            "-o",
            "filled.csv",
        ],
    );
    let (header, rows) = read_csv(&d.join("filled.csv"));
    assert_eq!(header, ["eruptions", "waiting"]);
    assert_eq!(rows.len(), 5);
    let input: Vec<Vec<&str>> = gaps
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    for (i, (inp, out)) in input.iter().zip(&rows).enumerate() {
        assert_eq!(out.len(), 2, "row {i}: {out:?}");
        for j in 0..2 {
            assert!(
                !out[j].trim().is_empty(),
                "row {i} column {j} left empty: {rows:?}"
            );
            let v = parse(&out[j]);
            assert!(v.is_finite());
            if !inp[j].is_empty() {
                assert_eq!(
                    v,
                    parse(inp[j]),
                    "observed cell changed at row {i} column {j}"
                );
            }
        }
    }
    // The conditional means are where the data says: waiting 80 goes with long eruptions,
    // an eruption of 2 minutes with a short wait.
    assert!(parse(&rows[0][0]) > 3.5, "{rows:?}");
    assert!(parse(&rows[1][1]) < 65.0, "{rows:?}");

    // Printed, with --json.
    let r = ok(
        d,
        &["predict", "faithful.json", "gaps.csv", "--impute", "--json"],
    );
    let j = one_json_object(&r);
    let filled = j["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows:\n{r}"));
    assert_eq!(filled.len(), 5);
    assert!(filled
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .all(|v| v.as_f64().is_some_and(f64::is_finite)));
}

#[test]
fn tour_sample_to_csv_with_component_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    ok(d, &["sample", "faithful.json", "-n", "500", "-o", "s.csv"]);
    let (header, rows) = read_csv(&d.join("s.csv"));
    assert_eq!(header, ["eruptions", "waiting", "component"]);
    assert_eq!(rows.len(), 500);
    let mut seen = [0usize; 2];
    let mut mean_waiting = 0.0;
    for row in &rows {
        assert_eq!(row.len(), 3);
        assert!(parse(&row[0]).is_finite());
        mean_waiting += parse(&row[1]) / 500.0;
        let c: usize = row[2].parse().unwrap();
        seen[c] += 1;
    }
    assert!(
        seen[0] > 50 && seen[1] > 50,
        "both components are drawn: {seen:?}"
    );
    // The data's mean waiting time is 70.9 minutes (sd 13.6).
    assert!(
        (mean_waiting - 70.9).abs() < 4.0,
        "mean waiting {mean_waiting}"
    );
}

#[test]
fn tour_sample_given_fixes_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    let r = ok(
        d,
        &[
            "sample",
            "faithful.json",
            "-n",
            "5",
            "--given",
            "waiting=80",
        ],
    );
    let lines: Vec<&str> = r.stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    let w = header
        .iter()
        .position(|h| *h == "waiting")
        .unwrap_or_else(|| panic!("no waiting column:\n{r}"));
    let e = header.iter().position(|h| *h == "eruptions").unwrap();
    assert_eq!(lines.len(), 6, "a header and 5 rows:\n{r}");
    for l in &lines[1..] {
        let cells: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(parse(cells[w]), 80.0, "{r}");
        assert!(parse(cells[e]).is_finite(), "{r}");
    }

    let r = ok(
        d,
        &[
            "sample",
            "faithful.json",
            "-n",
            "5",
            "--given",
            "waiting=80",
            "--json",
        ],
    );
    let j = one_json_object(&r);
    let rows = j["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|row| row[1].as_f64() == Some(80.0)), "{r}");
}

#[test]
fn tour_sample_seed_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    let a = ok(d, &["sample", "faithful.json", "-n", "20", "--seed", "7"]);
    let b = ok(d, &["sample", "faithful.json", "-n", "20", "--seed", "7"]);
    let c = ok(d, &["sample", "faithful.json", "-n", "20", "--seed", "8"]);
    assert_eq!(a.stdout, b.stdout, "same seed, same draws");
    assert_ne!(a.stdout, c.stdout, "different seeds, different draws");

    ok(
        d,
        &[
            "sample",
            "faithful.json",
            "-n",
            "50",
            "--seed",
            "3",
            "-o",
            "a.csv",
        ],
    );
    ok(
        d,
        &[
            "sample",
            "faithful.json",
            "-n",
            "50",
            "--seed",
            "3",
            "-o",
            "b.csv",
        ],
    );
    ok(
        d,
        &[
            "sample",
            "faithful.json",
            "-n",
            "50",
            "--seed",
            "4",
            "-o",
            "c.csv",
        ],
    );
    let (a, b, c) = (
        fs::read(d.join("a.csv")).unwrap(),
        fs::read(d.join("b.csv")).unwrap(),
        fs::read(d.join("c.csv")).unwrap(),
    );
    assert_eq!(a, b);
    assert_ne!(a, c);

    let g1 = ok(
        d,
        &[
            "sample",
            "faithful.json",
            "-n",
            "5",
            "--given",
            "waiting=80",
            "--seed",
            "1",
        ],
    );
    let g2 = ok(
        d,
        &[
            "sample",
            "faithful.json",
            "-n",
            "5",
            "--given",
            "waiting=80",
            "--seed",
            "1",
        ],
    );
    let g3 = ok(
        d,
        &[
            "sample",
            "faithful.json",
            "-n",
            "5",
            "--given",
            "waiting=80",
            "--seed",
            "2",
        ],
    );
    assert_eq!(g1.stdout, g2.stdout);
    assert_ne!(g1.stdout, g3.stdout);
}

#[test]
fn tour_plot_png_and_selection_svg() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    ok(d, &["plot", "faithful.json", FAITHFUL, "-o", "fig.png"]);
    assert!(is_png(&d.join("fig.png")), "fig.png is not a PNG");

    ok(
        d,
        &[
            "plot",
            "faithful.json",
            "--kind",
            "selection",
            "-o",
            "bic.svg",
        ],
    );
    let svg = fs::read_to_string(d.join("bic.svg")).unwrap();
    assert!(
        svg.trim_start().starts_with("<svg") || svg.trim_start().starts_with("<?xml"),
        "not SVG"
    );
    assert!(svg.trim_end().ends_with("</svg>"), "SVG not complete");

    // The model alone, and the convergence curve.
    ok(d, &["plot", "faithful.json", "-o", "model.png"]);
    assert!(is_png(&d.join("model.png")));
    ok(
        d,
        &[
            "plot",
            "faithful.json",
            "--kind",
            "convergence",
            "-o",
            "em.png",
        ],
    );
    assert!(is_png(&d.join("em.png")));
}

#[test]
fn tour_fit_npy_json_report_and_same_seed_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 90;
    write_npy(&d.join("X.npy"), n, 2, &three_clusters(n));
    let args = [
        "fit",
        "gmm",
        "X.npy",
        "--components",
        "3",
        "--covariance",
        "diag",
        "--n-init",
        "2",
        "--seed",
        "3",
        "-o",
        "m.json",
        "--json",
    ];
    let r = ok(d, &args);
    let j = one_json_object(&r);
    assert_eq!(j["family"], "gmm", "{r}");
    assert_eq!(u64_field(&j, "n_samples"), n as u64, "{r}");
    assert!(u64_field(&j, "n_iter") >= 1, "{r}");
    assert!(j["converged"].is_boolean(), "{r}");
    assert_eq!(j["converged"], Value::Bool(true), "{r}");
    assert!(f64_field(&j, "log_likelihood").is_finite(), "{r}");
    assert!(f64_field(&j, "bic").is_finite(), "{r}");
    assert!(f64_field(&j, "seconds") >= 0.0, "{r}");
    assert_eq!(u64_field(&j, "n_components"), 3, "{r}");
    let first = fs::read(d.join("m.json")).unwrap();

    let r = ok(d, &args);
    one_json_object(&r);
    let second = fs::read(d.join("m.json")).unwrap();
    assert!(
        first == second,
        "fitting twice with the same seed must give byte-identical model files"
    );

    // The model reads .npy data too.
    let r = ok(d, &["score", "m.json", "X.npy", "--json"]);
    let s = one_json_object(&r);
    assert_eq!(u64_field(&s, "n"), n as u64);
    let ll = f64_field(&j, "log_likelihood");
    assert!(
        (f64_field(&s, "mean_log_likelihood") - ll).abs() < 1e-6 * ll.abs().max(1.0),
        "{r}"
    );
}

#[test]
fn tour_bernoulli_digits_fit_and_plot_means() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cols: Vec<String> = (0..64).map(|j| format!("p{j}")).collect();
    let cols = cols.join(",");
    ok(
        d,
        &[
            "fit",
            "bernoulli",
            DIGITS,
            "--columns",
            &cols,
            "--components",
            "10",
            "-o",
            "d.json",
        ],
    );
    let r = ok(d, &["info", "d.json", "--json"]);
    let j = one_json_object(&r);
    assert_eq!(u64_field(&j, "n_components"), 10, "{r}");
    assert_eq!(u64_field(&j, "n_features"), 64, "{r}");
    ok(d, &["plot", "d.json", "-o", "means.png"]);
    assert!(is_png(&d.join("means.png")), "means.png is not a PNG");
}

#[test]
fn tour_demo_quick_writes_report_with_bic_table() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["demo", "--quick", "--out", "demo-dir"]);
    let report = fs::read_to_string(d.join("demo-dir/report.md")).expect("report.md");
    assert!(report.contains("BIC"), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.starts_with('|') && l.contains("BIC")),
        "a BIC table:\n{report}"
    );
    assert!(report.contains("faithful.png"), "{report}");
    assert!(
        is_png(&d.join("demo-dir/faithful.png")),
        "demo-dir/faithful.png"
    );
    // The Bayesian-network sections, with the alarm graph.
    assert!(
        report.contains("| rain | sprinkler | grass_wet | P |"),
        "{report}"
    );
    assert!(report.contains("![alarm](alarm.svg)"), "{report}");
    // Generative against discriminative classifiers, with a row per model and data set, and
    // class-conditional MNIST samples.
    assert!(
        report.contains("## Generative against discriminative classifiers"),
        "{report}"
    );
    for needle in [
        "| iris | Gaussian per class, full (QDA) | generative |",
        "| digits 8×8 | HMM per class over pixel rows",
        "| MNIST | logistic regression",
        "| MNIST | RBM per class",
        "| MNIST | VAE per class",
    ] {
        assert!(report.contains(needle), "{needle}:\n{report}");
    }
    assert!(is_png(&d.join("demo-dir/mnist_class_samples.png")));
    // The RBM: filters, samples and an AIS log-likelihood marked as an estimate.
    assert!(
        report.contains("## Restricted Boltzmann machine"),
        "{report}"
    );
    assert!(report.contains("nats** (an estimate"), "{report}");
    assert!(is_png(&d.join("demo-dir/rbm_filters.png")));
    assert!(is_png(&d.join("demo-dir/rbm_samples.png")));
    // The VAE: samples, an interpolation, a latent shift and an IWAE bound; the GAN: samples,
    // judged by the logistic regression and a two-sample test.
    assert!(report.contains("## Variational autoencoder"), "{report}");
    assert!(report.contains("IWAE(10) **-"), "{report}");
    for png in [
        "vae_samples",
        "vae_interpolation",
        "vae_shift",
        "gan_samples",
    ] {
        assert!(is_png(&d.join(format!("demo-dir/{png}.png"))), "{png}");
        assert!(report.contains(&format!("({png}.png)")), "{png}:\n{report}");
    }
    assert!(
        report.contains("## Generative adversarial network"),
        "{report}"
    );
    assert!(
        report.contains("of the 10 digits at 2 % or more"),
        "{report}"
    );
    assert!(report.contains("tells them apart with **"), "{report}");
    // The same report as one self-contained page: every picture embedded, none linked.
    let html = fs::read_to_string(d.join("demo-dir/report.html")).expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<table>") && html.contains("data:image/png;base64,"));
    assert!(html.contains("data:image/svg+xml;base64,"));
    assert!(
        !html.contains("src=\"faithful.png\""),
        "pictures must be embedded"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "empty.csv", "");
    assert_fails_cleanly(
        d,
        &["fit", "gmm", "empty.csv", "-o", "out.json"],
        "out.json",
        &["empty.csv"],
    );
}

#[test]
fn bad_header_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "header.csv", "a,b\n");
    assert_fails_cleanly(
        d,
        &["fit", "gmm", "header.csv", "-o", "out.json"],
        "out.json",
        &["header.csv"],
    );
}

#[test]
fn bad_non_numeric_cell_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "text.csv", "a,b\n1,2\n3,oops\n5,6\n");
    let args = ["fit", "gmm", "text.csv", "-o", "out.json"];
    assert_fails_cleanly(
        d,
        &args,
        "out.json",
        &["text.csv", "line 3", "column b", "oops"],
    );
}

/// A fit on data with a bad cell at file line 3 (data row 2), column `b`: exit 2, the error
/// names the file, the column and the row (as a file line or a data row).
fn assert_bad_cell(family: &str, file: &str, text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, file, text);
    let args = ["fit", family, file, "-o", "out.json"];
    assert_fails_cleanly(d, &args, "out.json", &[file, "column b"]);
    let r = genmodels(d, &args);
    assert!(
        r.stderr.contains("line 3") || r.stderr.contains("row 2"),
        "the error must name the row:\n{r}"
    );
}

#[test]
fn bad_empty_cell_in_fit_data_names_file_row_and_column() {
    assert_bad_cell("gmm", "gap.csv", "a,b\n1,2\n3,\n5,6\n2,1\n");
    assert_bad_cell("bernoulli", "gap.csv", "a,b\n1,0\n0,\n1,1\n0,0\n");
}

#[test]
fn bad_nan_cell_in_fit_data_names_file_row_and_column() {
    assert_bad_cell("gmm", "nan.csv", "a,b\n1,2\n3,NaN\n5,6\n2,1\n");
}

#[test]
fn bad_inf_cell_names_file_row_and_column() {
    assert_bad_cell("gmm", "inf.csv", "a,b\n1,2\n3,inf\n5,6\n2,1\n");
    assert_bad_cell("gmm", "inf.csv", "a,b\n1,2\n3,-inf\n5,6\n2,1\n");
}

#[test]
fn bad_non_binary_cell_for_bernoulli_names_file_row_and_column() {
    assert_bad_cell("bernoulli", "bits.csv", "a,b\n1,0\n0,7\n1,1\n0,0\n");
}

#[test]
fn bad_ragged_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "ragged.csv", "a,b\n1,2\n3,4,5\n5,6\n");
    let args = ["fit", "gmm", "ragged.csv", "-o", "out.json"];
    assert_fails_cleanly(d, &args, "out.json", &["ragged.csv", "line 3"]);
}

#[test]
fn bad_fewer_rows_than_components() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "few.csv", "a,b\n1,2\n3,4\n");
    let args = [
        "fit",
        "gmm",
        "few.csv",
        "--components",
        "3",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["few.csv", "3"]);
    let args = [
        "fit",
        "bernoulli",
        "few.csv",
        "--binarize",
        "2",
        "--components",
        "3",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["few.csv", "3"]);
}

#[test]
fn bad_components_zero() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "few.csv", "a,b\n1,2\n3,4\n5,5\n");
    let args = [
        "fit",
        "gmm",
        "few.csv",
        "--components",
        "0",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["components"]);
}

#[test]
fn bad_components_zero_bernoulli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "bits.csv", "a,b\n1,0\n0,1\n1,1\n");
    let args = [
        "fit",
        "bernoulli",
        "bits.csv",
        "--components",
        "0",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["components"]);
}

#[test]
fn bad_negative_tol() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "few.csv", "a,b\n1,2\n3,4\n5,5\n");
    let args = ["fit", "gmm", "few.csv", "--tol", "-1", "-o", "out.json"];
    assert_fails_cleanly(d, &args, "out.json", &["tol"]);
}

#[test]
fn bad_negative_tol_bernoulli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "bits.csv", "a,b\n1,0\n0,1\n1,1\n");
    let args = [
        "fit",
        "bernoulli",
        "bits.csv",
        "--tol",
        "-1",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["tol"]);
}

#[test]
fn bad_covariance_type() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "few.csv", "a,b\n1,2\n3,4\n5,5\n");
    let args = [
        "fit",
        "gmm",
        "few.csv",
        "--covariance",
        "weird",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["weird"]);
}

#[test]
fn bad_criterion() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "few.csv", "a,b\n1,2\n3,4\n5,5\n");
    let args = [
        "fit",
        "gmm",
        "few.csv",
        "--components",
        "1..2",
        "--criterion",
        "xx",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["xx"]);
}

#[test]
fn bad_components_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "few.csv", "a,b\n1,2\n3,4\n5,5\n");
    for k in ["abc", "3..1", "-1"] {
        let flag = format!("--components={k}");
        let args = ["fit", "gmm", "few.csv", &flag, "-o", "out.json"];
        assert_fails_cleanly(d, &args, "out.json", &["components"]);
    }
}

#[test]
fn bad_unknown_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "few.csv", "a,b\n1,2\n3,4\n5,5\n");
    let args = [
        "fit",
        "gmm",
        "few.csv",
        "--columns",
        "a,zzz",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["few.csv", "zzz"]);
}

#[test]
fn bad_missing_data_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = ["fit", "gmm", "nowhere.csv", "-o", "out.json"];
    assert_fails_cleanly(d, &args, "out.json", &["nowhere.csv"]);
    let r = genmodels(d, &args);
    assert_eq!(
        r.stderr.matches("os error 2").count(),
        1,
        "the reason is given once:\n{r}"
    );
}

#[test]
fn bad_output_would_overwrite_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = "a,b\n1,2\n3,4\n5,5\n";
    write(d, "data.csv", text);
    let r = genmodels(d, &["fit", "gmm", "data.csv", "-o", "data.csv"]);
    assert_bad_input(&r, &["data.csv"]);
    assert_eq!(fs::read_to_string(d.join("data.csv")).unwrap(), text);
}

/// A fitted Old Faithful model plus `new.csv`, and variants of the model file.
fn model_variants(d: &Path) {
    let model = fit_faithful(d);
    write(d, "new.csv", &faithful_head(10));
    let text = fs::read_to_string(model).unwrap();
    write(d, "truncated.json", &text[..text.len() / 2]);
    let v: Value = serde_json::from_str(&text).expect("the model file is JSON");
    assert_eq!(v["format"], "genmodels/gmm");
    let mut other = v.clone();
    other["format"] = Value::from("genmodels/hmm");
    write(
        d,
        "hmm.json",
        &serde_json::to_string_pretty(&other).unwrap(),
    );
    let mut newer = v;
    newer["version"] = Value::from(99);
    write(
        d,
        "v99.json",
        &serde_json::to_string_pretty(&newer).unwrap(),
    );
    write(d, "notjson.json", "this is not a model file\n");
}

#[test]
fn bad_model_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    model_variants(d);
    for (file, extra) in [
        ("truncated.json", ""),
        ("hmm.json", "hmm"),
        ("v99.json", "99"),
        ("notjson.json", ""),
    ] {
        let needles: Vec<&str> = [file, extra]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        assert_fails_cleanly(
            d,
            &["score", file, "new.csv", "-o", "rows.csv"],
            "rows.csv",
            &needles,
        );
        assert_fails_cleanly(
            d,
            &["predict", file, "new.csv", "-o", "pred.csv"],
            "pred.csv",
            &needles,
        );
        assert_fails_cleanly(
            d,
            &["sample", file, "-n", "5", "-o", "s.csv"],
            "s.csv",
            &needles,
        );
        assert_fails_cleanly(d, &["plot", file, "-o", "fig.png"], "fig.png", &needles);
        assert_bad_input(&genmodels(d, &["info", file]), &needles);
        assert_bad_input(&genmodels(d, &["info", file, "--json"]), &needles);
    }
    // A model file is never overwritten by a failed fit either.
    write(d, "bad.csv", "eruptions,waiting\n1,x\n");
    let before = fs::read(d.join("faithful.json")).unwrap();
    let r = genmodels(d, &["fit", "gmm", "bad.csv", "-o", "faithful.json"]);
    assert_bad_input(&r, &["bad.csv"]);
    assert_eq!(fs::read(d.join("faithful.json")).unwrap(), before);
}

#[test]
fn bad_given_unknown_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    let args = [
        "sample",
        "faithful.json",
        "-n",
        "5",
        "--given",
        "nosuchcol=1",
        "-o",
        "s.csv",
    ];
    assert_fails_cleanly(d, &args, "s.csv", &["nosuchcol"]);
    let r = genmodels(
        d,
        &[
            "sample",
            "faithful.json",
            "-n",
            "5",
            "--given",
            "nosuchcol=1",
        ],
    );
    assert_bad_input(&r, &["nosuchcol", "waiting"]);
    assert!(r.stdout.is_empty(), "{r}");
    let args = [
        "sample",
        "faithful.json",
        "-n",
        "5",
        "--given",
        "waiting=abc",
        "-o",
        "s.csv",
    ];
    assert_fails_cleanly(d, &args, "s.csv", &["abc"]);
}

#[test]
fn bad_plot_extension() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    assert_fails_cleanly(
        d,
        &["plot", "faithful.json", "-o", "fig.jpg"],
        "fig.jpg",
        &["fig.jpg"],
    );
    let args = ["plot", "faithful.json", FAITHFUL, "-o", "fig.jpg"];
    assert_fails_cleanly(d, &args, "fig.jpg", &["fig.jpg"]);
}

#[test]
fn bad_plot_extension_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    let before = listing(d);
    let r = genmodels(d, &["plot", "faithful.json", "-o", "fig.jpg"]);
    assert_ne!(r.code, Some(0), "{r}");
    assert_ne!(r.code, Some(101), "{r}");
    assert!(
        r.stderr.trim_end().starts_with("error:") && r.stderr.contains("fig.jpg"),
        "{r}"
    );
    assert_eq!(listing(d), before, "{r}");
}

#[test]
fn bad_bernoulli_wrong_width_names_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "bits.csv",
        "a,b,c,d\n1,0,1,0\n0,1,0,1\n1,1,0,0\n0,0,1,1\n",
    );
    ok(
        d,
        &[
            "fit",
            "bernoulli",
            "bits.csv",
            "--components",
            "2",
            "-o",
            "b.json",
        ],
    );
    write(d, "two.csv", "a,b\n1,0\n0,1\n");
    let args = ["score", "b.json", "two.csv", "-o", "rows.csv"];
    assert_fails_cleanly(d, &args, "rows.csv", &["two.csv"]);
}

/// Fits that must either succeed with finite numbers or fail with a clear message; never panic.
fn assert_fits_or_refuses(d: &Path, data: &str, extra: &[&str]) {
    let mut args = vec!["fit", "gmm", data, "-o", "edge.json", "--json"];
    args.extend_from_slice(extra);
    let _ = fs::remove_file(d.join("edge.json"));
    let r = genmodels(d, &args);
    assert!(!r.stderr.contains("panicked"), "panic:\n{r}");
    match r.code {
        Some(0) => {
            let j = one_json_object(&r);
            for key in ["log_likelihood", "bic", "aic"] {
                let v = j.get(key).and_then(Value::as_f64);
                assert!(
                    v.is_some_and(f64::is_finite),
                    "{key} must be a finite number:\n{r}"
                );
            }
            assert!(!r.stdout.contains("NaN"), "{r}");
            if let Some(rows) = j.get("selection").and_then(Value::as_array) {
                for row in rows {
                    let failed = row.get("error").is_some_and(|e| !e.is_null());
                    let bic = row["bic"].as_f64().is_some_and(f64::is_finite);
                    assert!(
                        failed || bic,
                        "a selection row without error has a finite BIC:\n{r}"
                    );
                }
            }
            // The model it wrote is usable.
            let s = genmodels(d, &["score", "edge.json", data, "--json"]);
            assert_eq!(s.code, Some(0), "{s}");
            let sj = one_json_object(&s);
            assert!(
                sj["mean_log_likelihood"]
                    .as_f64()
                    .is_some_and(f64::is_finite),
                "{s}"
            );
            let s = genmodels(d, &["sample", "edge.json", "-n", "3", "--json"]);
            assert_eq!(s.code, Some(0), "{s}");
            let sj = one_json_object(&s);
            let all_finite = sj["rows"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter())
                .all(|v| v.as_f64().is_some_and(f64::is_finite));
            assert!(all_finite, "{s}");
        }
        Some(2) => {
            assert_bad_input(&r, &[]);
            assert!(!d.join("edge.json").exists(), "{r}");
        }
        _ => panic!("must exit 0 or 2:\n{r}"),
    }
}

#[test]
fn degenerate_constant_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "const.csv", "a,b\n1,5\n2,5\n3,5\n4,5\n5,5\n6,5\n");
    for cov in ["full", "tied", "diag", "spherical"] {
        for k in ["1", "2", "1..3"] {
            assert_fits_or_refuses(d, "const.csv", &["--covariance", cov, "--components", k]);
        }
    }
}

#[test]
fn degenerate_duplicated_points() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "dup.csv", "a,b\n1,2\n1,2\n1,2\n1,2\n1,2\n");
    for cov in ["full", "tied", "diag", "spherical"] {
        for k in ["1", "2", "1..3"] {
            assert_fits_or_refuses(d, "dup.csv", &["--covariance", cov, "--components", k]);
        }
    }
}

#[test]
fn degenerate_single_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "one.csv", "a,b\n1,2\n");
    for cov in ["full", "tied", "diag", "spherical"] {
        assert_fits_or_refuses(d, "one.csv", &["--covariance", cov, "--components", "1"]);
    }
    write(d, "one1.csv", "a\n3.5\n");
    assert_fits_or_refuses(d, "one1.csv", &["--components", "1"]);
}

#[cfg(unix)]
#[test]
fn output_files_have_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful(d);
    ok(d, &["sample", "faithful.json", "-n", "5", "-o", "s.csv"]);
    let reference = write(d, "reference.txt", "made by the test\n");
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let expected = mode(&reference);
    assert_eq!(mode(&d.join("faithful.json")), expected, "model file mode");
    assert_eq!(mode(&d.join("s.csv")), expected, "sample CSV mode");
}

/// The model files committed as fixtures of the library (one per family).
const MODEL_FILES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../genmodels/tests/fixtures/model_files"
);

#[test]
fn bad_value_too_large_to_score_names_file_row_and_column() {
    // 1e308 is finite, but its square is not: it used to score `null` with exit 0 and predict
    // NaN probabilities.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_faithful_two(d);
    write(
        d,
        "big.csv",
        "eruptions,waiting\n3.6,79\n3.1,1e308\n4.0,80\n",
    );
    let needles = [
        "big.csv",
        "data row 2",
        "column waiting",
        "1e308",
        "too large",
    ];
    for args in [
        &["score", "f.json", "big.csv", "--json"][..],
        &["score", "f.json", "big.csv"],
        &["predict", "f.json", "big.csv", "--proba"],
        &["predict", "f.json", "big.csv"],
    ] {
        let r = genmodels(d, args);
        assert_bad_input(&r, &needles);
        assert!(
            !r.stdout.contains("NaN") && !r.stdout.contains("null"),
            "{r}"
        );
    }
    // With a missing cell the conditional (marginal) path is taken: the same error.
    write(d, "gap.csv", "eruptions,waiting\n3.6,79\n,1e308\n");
    for args in [
        &["score", "f.json", "gap.csv"][..],
        &["predict", "f.json", "gap.csv", "--impute"],
    ] {
        assert_bad_input(
            &genmodels(d, args),
            &["gap.csv", "data row 2", "column waiting"],
        );
    }
    // Large values within the range score as finite numbers.
    write(d, "far.csv", "eruptions,waiting\n3.6,79\n3.1,1e140\n");
    let r = ok(d, &["score", "f.json", "far.csv", "--json"]);
    let mean = f64_field(&one_json_object(&r), "mean_log_likelihood");
    assert!(mean.is_finite() && mean < -1e270, "{r}");
}

#[test]
fn bad_value_too_large_to_fit_names_file_row_and_column() {
    // It used to exit 1 with "increase reg_covar".
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "big.csv", &format!("{}3.0,1e308\n", faithful_head(20)));
    for family in ["gmm", "hmm"] {
        let args = ["fit", family, "big.csv", "-o", "out.json"];
        assert_fails_cleanly(
            d,
            &args,
            "out.json",
            &["big.csv", "row 21", "column waiting", "too large"],
        );
    }
}

#[test]
fn bad_value_too_large_for_a_gaussian_hmm_names_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = format!("{MODEL_FILES}/hmm_gaussian.json");
    write(
        d,
        "seq.csv",
        "waiting,duration\n80,4\n71,2.2\n57,-1e300\n80,4\n",
    );
    for verb in ["score", "predict"] {
        assert_bad_input(
            &genmodels(d, &[verb, &model, "seq.csv"]),
            &["seq.csv", "data row 3", "column duration", "too large"],
        );
    }
}

#[test]
fn bad_model_file_whose_covariance_disagrees_with_its_factor() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut v: Value =
        serde_json::from_slice(&fs::read(format!("{MODEL_FILES}/gmm_full.json")).unwrap()).unwrap();
    // Component 1's covariance scaled by 4: still positive definite, but the precision factor
    // (which scoring uses) now describes another covariance than imputation would use.
    let cov = v
        .pointer_mut("/model/components/covariances/values/data")
        .and_then(Value::as_array_mut)
        .unwrap();
    for c in &mut cov[4..8] {
        *c = (c.as_f64().unwrap() * 4.0).into();
    }
    write(d, "bad.json", &v.to_string());
    write(d, "gap.csv", "eruptions,waiting\n3.6,\n");
    for args in [
        &["info", "bad.json"][..],
        &["score", "bad.json", "gap.csv"],
        &["predict", "bad.json", "gap.csv", "--impute"],
    ] {
        assert_bad_input(
            &genmodels(d, args),
            &[
                "bad.json",
                "invalid model parameters",
                "covariance of component 1 disagrees with its precision Cholesky factor",
            ],
        );
    }
    // A negative variance.
    let mut v: Value =
        serde_json::from_slice(&fs::read(format!("{MODEL_FILES}/gmm_diag.json")).unwrap()).unwrap();
    v["model"]["components"]["covariances"]["values"]["data"][1] = (-2.0).into();
    write(d, "neg.json", &v.to_string());
    assert_bad_input(
        &genmodels(d, &["info", "neg.json"]),
        &["neg.json", "variance of feature 1 in component 0 is -2"],
    );
}

/// The fixture checkpoint `name` with its genmodels metadata changed by `f` and element
/// `nan_at` of a tensor set to NaN, written as `out` in `dir`.
fn damaged_checkpoint(
    dir: &Path,
    name: &str,
    out: &str,
    f: impl FnOnce(&mut Value),
    nan_at: Option<&str>,
) {
    let b = fs::read(format!("{MODEL_FILES}/{name}")).unwrap();
    let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
    let mut header: Value = serde_json::from_slice(&b[8..8 + n]).unwrap();
    let mut data = b[8 + n..].to_vec();
    let m = &mut header["__metadata__"]["genmodels"];
    let mut meta: Value = serde_json::from_str(m.as_str().unwrap()).unwrap();
    f(&mut meta);
    *m = meta.to_string().into();
    if let Some(t) = nan_at {
        let at = header[t]["data_offsets"][0].as_u64().unwrap() as usize;
        data[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    }
    let mut h = header.to_string().into_bytes();
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut bytes = (h.len() as u64).to_le_bytes().to_vec();
    bytes.extend(h);
    bytes.extend(data);
    fs::write(dir.join(out), bytes).unwrap();
}

#[test]
fn bad_checkpoint_with_an_absurd_latent_size_or_nan_weights() {
    // The latent size used to abort (exit 134, memory allocation failed) while building the
    // network; it is checked against the stored tensors first.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    damaged_checkpoint(
        d,
        "vae.safetensors",
        "huge.safetensors",
        |m| m["config"]["latent"] = 1_000_000_000_000u64.into(),
        None,
    );
    for args in [
        &["info", "huge.safetensors"][..],
        &["sample", "huge.safetensors", "-n", "2", "-o", "s.png"],
    ] {
        assert_bad_input(
            &genmodels(d, args),
            &["huge.safetensors", "mu.weight", "1000000000000"],
        );
    }
    assert!(!d.join("s.png").exists());
    // NaN weights used to sample black grids.
    damaged_checkpoint(
        d,
        "gan.safetensors",
        "nan.safetensors",
        |_| {},
        Some("g.out.weight"),
    );
    assert_bad_input(
        &genmodels(d, &["sample", "nan.safetensors", "-n", "4", "-o", "s.png"]),
        &["nan.safetensors", "g.out.weight", "non-finite"],
    );
    assert!(!d.join("s.png").exists());
    damaged_checkpoint(
        d,
        "rbm.safetensors",
        "wide.safetensors",
        |m| {
            m["config"]["n_hidden"] = 1_000_000_000_000u64.into();
            m["config"]["params"]["n_hidden"] = 1_000_000_000_000u64.into();
        },
        None,
    );
    assert_bad_input(
        &genmodels(d, &["info", "wide.safetensors"]),
        &["wide.safetensors", "tensor `w`", "1000000000000"],
    );
}

#[test]
fn every_fixture_model_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for e in fs::read_dir(MODEL_FILES).unwrap() {
        let p = e.unwrap().path();
        // Only model files: not the script that made them or its README.
        if p.extension().is_some_and(|x| x == "sh" || x == "md") {
            continue;
        }
        ok(dir.path(), &["info", p.to_str().unwrap(), "--json"]);
        n += 1;
    }
    assert!(n >= 17, "{n} fixtures");
}

// ---------------------------------------------------------------------------------------------
// 3. Help
// ---------------------------------------------------------------------------------------------

#[test]
fn help_of_every_subcommand_has_examples() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let commands: [&[&str]; 11] = [
        &[],
        &["fit", "gmm"],
        &["fit", "bernoulli"],
        &["score"],
        &["predict"],
        &["sample"],
        &["info"],
        &["plot"],
        &["demo"],
        &["query"],
        &["fit", "bn"],
    ];
    for cmd in commands {
        let mut args = cmd.to_vec();
        args.push("--help");
        let r = ok(d, &args);
        assert!(r.stdout.contains("Examples"), "no Examples in help:\n{r}");
        assert!(r.stdout.contains("genmodels"), "{r}");
    }
}
