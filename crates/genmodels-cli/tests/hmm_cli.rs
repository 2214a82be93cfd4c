//! End-to-end tests of `genmodels fit hmm` and of what score / predict / sample / info / plot
//! do with hidden Markov models: the GNP tour (with the NBER recession check), several
//! sequences in one file, categorical (text symbols) and Poisson emissions, left-right
//! topology, and the command-line contract for bad input (exit status 2, a one-line `error:`
//! naming the file, no output file left behind, an existing output never damaged, no panic).
//!
//! Every test works in its own temporary directory and uses small data only.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::*;

/// Every run of the binary through `common::genmodels` (and so through `ok` and
/// `assert_fails_cleanly`) fails the test if the binary panics.
const FAIL_ON_PANIC: bool = true;

const RGNP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/sequences/markov_rgnp.csv"
);
const REC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/sequences/markov_rec.csv"
);

/// Rows of the GNP file.
const RGNP_ROWS: usize = 135;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `genmodels ARGS --json` must succeed and print one object.
fn ok_json(dir: &Path, args: &[&str]) -> serde_json::Map<String, Value> {
    let mut a = args.to_vec();
    a.push("--json");
    one_json_object(&ok(dir, &a))
}

/// A JSON array of numbers.
fn vec_f64(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| panic!("not a number: {x}")))
        .collect()
}

/// A JSON array of arrays of numbers.
fn mat_f64(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(vec_f64)
        .collect()
}

/// The `rows` of a `--json` table as strings.
fn json_rows(m: &serde_json::Map<String, Value>) -> Vec<Vec<String>> {
    m["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {m:?}"))
        .iter()
        .map(|r| {
            r.as_array()
                .expect("a row is an array")
                .iter()
                .map(|c| match c {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The position of a column in a `--json` table.
fn json_column(m: &serde_json::Map<String, Value>, name: &str) -> usize {
    m["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("no columns in {m:?}"))
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {m:?}"))
}

/// The single column of a one-column data file.
fn column_values(path: &str) -> Vec<f64> {
    let (_, rows) = read_csv(Path::new(path));
    rows.iter().map(|r| parse(&r[0])).collect()
}

/// `fit hmm data/sequences/markov_rgnp.csv --states 2 --emission gaussian -o rgnp.json`
fn fit_rgnp(dir: &Path) -> PathBuf {
    ok(
        dir,
        &[
            "fit",
            "hmm",
            RGNP,
            "--states",
            "2",
            "--emission",
            "gaussian",
            "-o",
            "rgnp.json",
        ],
    );
    let p = dir.join("rgnp.json");
    assert!(p.is_file(), "fit wrote no model file");
    p
}

/// A one-feature Gaussian HMM as `info --json` reports it.
struct Gauss1 {
    start: Vec<f64>,
    trans: Vec<Vec<f64>>,
    means: Vec<f64>,
    vars: Vec<f64>,
}

impl Gauss1 {
    fn from_info(info: &serde_json::Map<String, Value>) -> Self {
        let means: Vec<f64> = mat_f64(&info["emission"]["means"])
            .into_iter()
            .map(|r| r[0])
            .collect();
        let vars: Vec<f64> = info["emission"]["covariances"]
            .as_array()
            .expect("covariances")
            .iter()
            .map(|c| mat_f64(c)[0][0])
            .collect();
        Gauss1 {
            start: vec_f64(&info["startprob"]),
            trans: mat_f64(&info["transmat"]),
            means,
            vars,
        }
    }

    /// `log p(x_1..T)` by the forward algorithm in log space (an independent reference).
    fn log_likelihood(&self, x: &[f64]) -> f64 {
        let s = self.start.len();
        let log_b = |v: f64, k: usize| {
            -0.5 * (2.0 * std::f64::consts::PI * self.vars[k]).ln()
                - (v - self.means[k]).powi(2) / (2.0 * self.vars[k])
        };
        let mut alpha: Vec<f64> = (0..s)
            .map(|k| self.start[k].ln() + log_b(x[0], k))
            .collect();
        for &v in &x[1..] {
            alpha = (0..s)
                .map(|j| {
                    let terms: Vec<f64> =
                        (0..s).map(|i| alpha[i] + self.trans[i][j].ln()).collect();
                    log_sum_exp(&terms) + log_b(v, j)
                })
                .collect();
        }
        log_sum_exp(&alpha)
    }
}

fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// `π A`, for checking a stationary distribution.
fn times(p: &[f64], a: &[Vec<f64>]) -> Vec<f64> {
    (0..p.len())
        .map(|j| (0..p.len()).map(|i| p[i] * a[i][j]).sum())
        .collect()
}

/// Three sequences of different lengths (a: 5, b: 5, c: 1), rows of `a` and `b` interleaved.
const MULTI: &str =
    "id,x\na,1.0\na,1.2\nb,5.0\na,0.9\nb,5.2\nc,3.0\nb,4.8\na,1.1\nb,5.1\na,0.8\nb,4.9\n";

/// Five short documents of words.
fn words_csv() -> String {
    let docs = [
        "the cat sat on the mat",
        "a dog ran in the park",
        "the cat ran to the dog",
        "a bird sat on a tree",
        "the dog sat on the mat",
    ];
    let mut s = String::from("doc,word\n");
    for (i, d) in docs.iter().enumerate() {
        for w in d.split_whitespace() {
            s.push_str(&format!("d{i},{w}\n"));
        }
    }
    s
}

/// Counts from two regimes (rate about 2 and about 12), alternating in blocks of ten.
fn counts_csv() -> String {
    let low = [2, 1, 3, 2, 0, 2, 4, 1, 2, 3];
    let high = [11, 14, 12, 9, 13, 12, 10, 15, 12, 11];
    let mut s = String::from("count\n");
    for block in 0..6 {
        let v = if block % 2 == 0 { &low } else { &high };
        for c in v {
            s.push_str(&format!("{c}\n"));
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// 1. The tour
// ---------------------------------------------------------------------------------------------

#[test]
fn tour_fit_writes_a_model_and_info_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = fit_rgnp(d);
    let v: Value = serde_json::from_str(&fs::read_to_string(model).unwrap()).unwrap();
    assert_eq!(v["format"], "genmodels/hmm-gaussian", "{v}");
    assert!(v["version"].as_u64().is_some(), "{v}");

    let r = ok(d, &["info", "rgnp.json"]);
    let out = &r.stdout;
    assert!(out.contains("2 states"), "{r}");
    assert!(out.contains("rgnp"), "the feature name:\n{r}");
    let lines: Vec<&str> = out.lines().collect();
    let hdr = lines
        .iter()
        .position(|l| {
            l.contains("start")
                && l.contains("stationary")
                && l.contains("duration")
                && l.contains("→0")
                && l.contains("→1")
        })
        .unwrap_or_else(|| panic!("no start / stationary / duration / transition table:\n{r}"));
    for (i, l) in lines[hdr + 1..hdr + 3].iter().enumerate() {
        let cells: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(cells[0], i.to_string(), "{r}");
        let row: Vec<f64> = cells[cells.len() - 2..].iter().map(|c| parse(c)).collect();
        assert!(
            (row.iter().sum::<f64>() - 1.0).abs() < 1e-3,
            "transition row {i} sums to 1:\n{r}"
        );
    }
    let starts: f64 = lines[hdr + 1..hdr + 3]
        .iter()
        .map(|l| parse(l.split_whitespace().nth(1).unwrap()))
        .sum();
    assert!((starts - 1.0).abs() < 1e-3, "start probabilities:\n{r}");
    assert!(out.contains("steps"), "expected durations in steps:\n{r}");
    let em = lines
        .iter()
        .position(|l| l.contains("Emissions"))
        .unwrap_or_else(|| panic!("no emissions:\n{r}"));
    assert!(
        lines[em + 1].contains("mean rgnp") && lines[em + 1].contains("sd rgnp"),
        "{r}"
    );
    assert!(lines[em + 2].trim_start().starts_with('0'), "{r}");
    assert!(lines[em + 3].trim_start().starts_with('1'), "{r}");
}

#[test]
fn tour_info_json_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_rgnp(d);
    let j = ok_json(d, &["info", "rgnp.json"]);
    assert_eq!(j["family"], "hmm");
    assert_eq!(u64_field(&j, "n_states"), 2);
    assert!(j["report"].is_object(), "a fit report: {j:?}");
    assert_eq!(j["report"]["converged"], Value::Bool(true), "{j:?}");
    let start = vec_f64(&j["startprob"]);
    let trans = mat_f64(&j["transmat"]);
    let stat = vec_f64(&j["stationary"]);
    let dur = vec_f64(&j["expected_durations"]);
    assert_eq!(start.len(), 2);
    assert!((start.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{start:?}");
    assert_eq!(trans.len(), 2);
    for row in &trans {
        assert_eq!(row.len(), 2);
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{trans:?}");
    }
    assert!((stat.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{stat:?}");
    let next = times(&stat, &trans);
    for (a, b) in next.iter().zip(&stat) {
        assert!((a - b).abs() < 1e-9, "π A = π: {stat:?} {trans:?}");
    }
    for (k, d) in dur.iter().enumerate() {
        let expected = 1.0 / (1.0 - trans[k][k]);
        assert!(
            (d - expected).abs() < 1e-9 * expected,
            "duration {k}: {d} vs {expected}"
        );
    }
    assert_eq!(mat_f64(&j["emission"]["means"]).len(), 2, "{j:?}");
    assert_eq!(j["features"], serde_json::json!(["rgnp"]));
}

#[test]
fn tour_predict_one_state_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_rgnp(d);
    let r = ok(d, &["predict", "rgnp.json", RGNP]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].contains("state"), "{r}");
    assert_eq!(
        lines.len(),
        RGNP_ROWS + 1,
        "a header and one line per row:\n{r}"
    );

    let j = ok_json(d, &["predict", "rgnp.json", RGNP]);
    assert_eq!(u64_field(&j, "n"), RGNP_ROWS as u64);
    let rows = json_rows(&j);
    assert_eq!(rows.len(), RGNP_ROWS);
    let (rc, sc) = (json_column(&j, "row"), json_column(&j, "state"));
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[rc], (i + 1).to_string(), "rows in file order");
        assert!(row[sc] == "0" || row[sc] == "1", "{row:?}");
    }

    ok(d, &["predict", "rgnp.json", RGNP, "-o", "states.csv"]);
    let (header, rows) = read_csv(&d.join("states.csv"));
    assert!(header.iter().any(|h| h == "state"), "{header:?}");
    assert_eq!(rows.len(), RGNP_ROWS);
}

#[test]
fn tour_predict_proba_rows_sum_to_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_rgnp(d);
    let j = ok_json(d, &["predict", "rgnp.json", RGNP, "--proba"]);
    let rows = json_rows(&j);
    assert_eq!(rows.len(), RGNP_ROWS);
    let (p0, p1) = (json_column(&j, "p0"), json_column(&j, "p1"));
    for row in &rows {
        let (a, b) = (parse(&row[p0]), parse(&row[p1]));
        assert!(
            (0.0..=1.0).contains(&a) && (0.0..=1.0).contains(&b),
            "{row:?}"
        );
        assert!((a + b - 1.0).abs() < 1e-5, "{row:?}");
    }
}

#[test]
fn tour_score_json_is_the_exact_log_likelihood() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_rgnp(d);
    let j = ok_json(d, &["score", "rgnp.json", RGNP]);
    assert_eq!(u64_field(&j, "n"), 1, "one sequence: {j:?}");
    assert_eq!(j["exact"], Value::Bool(true));
    let total = f64_field(&j, "total_log_likelihood");
    assert!(total.is_finite() && total < 0.0, "{j:?}");
    assert_eq!(vec_f64(&j["per_sequence"]).len(), 1);

    // The same number from an independent forward algorithm in log space.
    let info = ok_json(d, &["info", "rgnp.json"]);
    let reference = Gauss1::from_info(&info).log_likelihood(&column_values(RGNP));
    assert!(
        (total - reference).abs() < 1e-6 * reference.abs(),
        "score {total} vs forward algorithm {reference}"
    );
    // And the fit's own report agrees to the last EM step.
    let lb = info["report"]["lower_bound"].as_f64().unwrap();
    assert!((lb - total).abs() < 0.01, "{lb} vs {total}");

    let r = ok(d, &["score", "rgnp.json", RGNP]);
    assert!(r.stdout.contains("log-likelihood"), "{r}");
}

#[test]
fn tour_sample_writes_rows_and_seed_reproduces() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_rgnp(d);
    ok(d, &["sample", "rgnp.json", "-n", "200", "-o", "sim.csv"]);
    let (header, rows) = read_csv(&d.join("sim.csv"));
    assert_eq!(header, vec!["rgnp".to_string(), "state".into()]);
    assert_eq!(rows.len(), 200);
    for row in &rows {
        assert!(parse(&row[0]).is_finite(), "{row:?}");
        assert!(row[1] == "0" || row[1] == "1", "{row:?}");
    }
    let states: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(states.len(), 2, "both states visited in 200 steps");

    let first = fs::read(d.join("sim.csv")).unwrap();
    ok(d, &["sample", "rgnp.json", "-n", "200", "-o", "sim.csv"]);
    assert_eq!(fs::read(d.join("sim.csv")).unwrap(), first, "same seed");
    ok(
        d,
        &[
            "sample",
            "rgnp.json",
            "-n",
            "200",
            "--seed",
            "7",
            "-o",
            "a.csv",
        ],
    );
    ok(
        d,
        &[
            "sample",
            "rgnp.json",
            "-n",
            "200",
            "--seed",
            "7",
            "-o",
            "b.csv",
        ],
    );
    let a = fs::read(d.join("a.csv")).unwrap();
    assert_eq!(a, fs::read(d.join("b.csv")).unwrap(), "same --seed");
    assert_ne!(a, first, "another seed, another sample");

    // The sample scores under its own model (the state column is ignored).
    let j = ok_json(d, &["score", "rgnp.json", "sim.csv"]);
    assert_eq!(u64_field(&j, "n_steps"), 200, "{j:?}");
    assert!(f64_field(&j, "total_log_likelihood").is_finite());
}

#[test]
fn tour_same_seed_same_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for out in ["a.json", "b.json"] {
        ok(
            d,
            &[
                "fit", "hmm", RGNP, "--states", "2", "--n-init", "2", "--seed", "3", "-o", out,
            ],
        );
    }
    assert_eq!(
        fs::read(d.join("a.json")).unwrap(),
        fs::read(d.join("b.json")).unwrap()
    );
}

#[test]
fn tour_decoded_states_agree_with_nber_recessions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_rgnp(d);
    let info = ok_json(d, &["info", "rgnp.json"]);
    let means: Vec<f64> = mat_f64(&info["emission"]["means"])
        .into_iter()
        .map(|r| r[0])
        .collect();
    let low = if means[0] < means[1] { "0" } else { "1" };

    let j = ok_json(d, &["predict", "rgnp.json", RGNP]);
    let sc = json_column(&j, "state");
    let states: Vec<String> = json_rows(&j).into_iter().map(|r| r[sc].clone()).collect();
    let rec = column_values(REC);
    assert_eq!(states.len(), rec.len());
    let agree = states
        .iter()
        .zip(&rec)
        .filter(|(s, r)| (s.as_str() == low) == (**r == 1.0))
        .count();
    let share = agree as f64 / rec.len() as f64;
    assert!(
        share >= 0.8,
        "decoded low-growth state matches NBER recessions on {:.1}% of quarters",
        100.0 * share
    );
}

#[test]
fn tour_plot_decoded_states_and_convergence() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_rgnp(d);
    ok(d, &["plot", "rgnp.json", RGNP, "-o", "states.png"]);
    let png = fs::read(d.join("states.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    ok(
        d,
        &["plot", "rgnp.json", "--kind", "convergence", "-o", "em.svg"],
    );
    assert!(fs::read_to_string(d.join("em.svg"))
        .unwrap()
        .contains("<svg"));
    // Without data there is nothing to decode: a clear error, no file.
    assert_fails_cleanly(d, &["plot", "rgnp.json", "-o", "fig.png"], "fig.png", &[]);
}

// ---------------------------------------------------------------------------------------------
// 2. Several sequences in one file
// ---------------------------------------------------------------------------------------------

#[test]
fn multiple_sequences_fit_score_and_predict_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "multi.csv", MULTI);
    let fit = ok_json(
        d,
        &[
            "fit",
            "hmm",
            "multi.csv",
            "--states",
            "2",
            "--sequence-column",
            "id",
            "-o",
            "m.json",
        ],
    );
    assert_eq!(u64_field(&fit, "n_sequences"), 3, "{fit:?}");
    assert_eq!(u64_field(&fit, "n_samples"), 11, "{fit:?}");
    let info = ok_json(d, &["info", "m.json"]);
    assert_eq!(
        info["features"],
        serde_json::json!(["x"]),
        "id is not a feature"
    );

    // One log-likelihood per sequence, in order of first appearance.
    let j = ok_json(
        d,
        &["score", "m.json", "multi.csv", "--sequence-column", "id"],
    );
    assert_eq!(u64_field(&j, "n"), 3, "{j:?}");
    assert_eq!(u64_field(&j, "n_steps"), 11, "{j:?}");
    let per = vec_f64(&j["per_sequence"]);
    assert_eq!(per.len(), 3);
    let total = f64_field(&j, "total_log_likelihood");
    assert!((per.iter().sum::<f64>() - total).abs() < 1e-9, "{j:?}");

    // Each equals the score of that sequence alone.
    for (k, id) in ["a", "b", "c"].iter().enumerate() {
        let alone: String = std::iter::once("x\n".to_string())
            .chain(
                MULTI
                    .lines()
                    .skip(1)
                    .filter(|l| l.starts_with(&format!("{id},")))
                    .map(|l| format!("{}\n", &l[2..])),
            )
            .collect();
        write(d, "alone.csv", &alone);
        let s = ok_json(d, &["score", "m.json", "alone.csv"]);
        let v = f64_field(&s, "total_log_likelihood");
        assert!(
            (v - per[k]).abs() < 1e-9 * v.abs().max(1.0),
            "sequence {id}: {v} alone vs {} in the file",
            per[k]
        );
    }

    // Per-sequence CSV.
    ok(
        d,
        &[
            "score",
            "m.json",
            "multi.csv",
            "--sequence-column",
            "id",
            "-o",
            "seqs.csv",
        ],
    );
    let (header, rows) = read_csv(&d.join("seqs.csv"));
    assert_eq!(header[0], "sequence", "{header:?}");
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let lengths: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(lengths, ["5", "5", "1"]);

    // One prediction per input row, in file order, each with its own sequence.
    let p = ok_json(
        d,
        &["predict", "m.json", "multi.csv", "--sequence-column", "id"],
    );
    let rows = json_rows(&p);
    let file: Vec<(&str, f64)> = MULTI
        .lines()
        .skip(1)
        .map(|l| {
            let (id, x) = l.split_once(',').unwrap();
            (id, parse(x))
        })
        .collect();
    assert_eq!(rows.len(), file.len());
    let (rc, qc, sc) = (
        json_column(&p, "row"),
        json_column(&p, "sequence"),
        json_column(&p, "state"),
    );
    for (i, (row, (id, _))) in rows.iter().zip(&file).enumerate() {
        assert_eq!(row[rc], (i + 1).to_string(), "{rows:?}");
        assert_eq!(row[qc], *id, "{rows:?}");
    }
    // Values near 1 share a state, values near 5 share the other.
    let state_of = |pred: fn(f64) -> bool| -> std::collections::BTreeSet<String> {
        rows.iter()
            .zip(&file)
            .filter(|(_, (_, x))| pred(*x))
            .map(|(r, _)| r[sc].clone())
            .collect()
    };
    let low = state_of(|x| x < 2.0);
    let high = state_of(|x| x > 4.0);
    assert_eq!(low.len(), 1, "{rows:?}");
    assert_eq!(high.len(), 1, "{rows:?}");
    assert_ne!(low, high, "{rows:?}");

    // Posteriors too, rows summing to one.
    let p = ok_json(
        d,
        &[
            "predict",
            "m.json",
            "multi.csv",
            "--sequence-column",
            "id",
            "--proba",
        ],
    );
    let rows = json_rows(&p);
    assert_eq!(rows.len(), file.len());
    let (p0, p1) = (json_column(&p, "p0"), json_column(&p, "p1"));
    for row in &rows {
        assert!(
            (parse(&row[p0]) + parse(&row[p1]) - 1.0).abs() < 1e-5,
            "{row:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Categorical emissions (text symbols)
// ---------------------------------------------------------------------------------------------

const VOCAB: [&str; 13] = [
    "a", "bird", "cat", "dog", "in", "mat", "on", "park", "ran", "sat", "the", "to", "tree",
];

fn fit_words(d: &Path) {
    write(d, "words.csv", &words_csv());
    ok(
        d,
        &[
            "fit",
            "hmm",
            "words.csv",
            "--emission",
            "categorical",
            "--states",
            "3",
            "--sequence-column",
            "doc",
            "--columns",
            "word",
            "-o",
            "m.json",
        ],
    );
}

#[test]
fn categorical_fit_info_sample_score_predict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_words(d);
    let v: Value = serde_json::from_str(&fs::read_to_string(d.join("m.json")).unwrap()).unwrap();
    assert_eq!(v["format"], "genmodels/hmm-categorical", "{v}");

    let r = ok(d, &["info", "m.json"]);
    for w in VOCAB {
        assert!(r.stdout.contains(&format!("P({w})")), "symbol {w}:\n{r}");
    }
    let j = ok_json(d, &["info", "m.json"]);
    assert_eq!(u64_field(&j, "n_states"), 3);
    assert_eq!(j["symbols"], serde_json::json!(VOCAB), "{j:?}");
    let probs = mat_f64(&j["emission"]["probs"]);
    assert_eq!(probs.len(), 3);
    for row in &probs {
        assert_eq!(row.len(), VOCAB.len());
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{probs:?}");
    }

    // Sampling prints words, not codes.
    let r = ok(d, &["sample", "m.json", "-n", "20"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 21, "{r}");
    assert!(
        lines[0].contains("word") && lines[0].contains("state"),
        "{r}"
    );
    for l in &lines[1..] {
        let w = l.split_whitespace().next().unwrap();
        assert!(VOCAB.contains(&w), "{w:?} is not a symbol:\n{r}");
    }
    let s = ok_json(d, &["sample", "m.json", "-n", "20"]);
    let wc = json_column(&s, "word");
    let rows = json_rows(&s);
    assert_eq!(rows.len(), 20);
    assert!(
        rows.iter().all(|r| VOCAB.contains(&r[wc].as_str())),
        "{rows:?}"
    );

    // A sample round-trips through a CSV file and scores.
    ok(d, &["sample", "m.json", "-n", "20", "-o", "s.csv"]);
    let j = ok_json(d, &["score", "m.json", "s.csv"]);
    assert!(f64_field(&j, "total_log_likelihood").is_finite(), "{j:?}");

    // Scoring and decoding the training documents.
    let j = ok_json(
        d,
        &["score", "m.json", "words.csv", "--sequence-column", "doc"],
    );
    assert_eq!(u64_field(&j, "n"), 5);
    assert!(vec_f64(&j["per_sequence"])
        .iter()
        .all(|v| v.is_finite() && *v < 0.0));
    let p = ok_json(
        d,
        &["predict", "m.json", "words.csv", "--sequence-column", "doc"],
    );
    assert_eq!(json_rows(&p).len(), 30);
}

#[test]
fn categorical_unseen_word_names_file_line_column_and_symbol() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_words(d);
    write(d, "unseen.csv", "doc,word\nx,the\nx,cat\nx,zebra\nx,sat\n");
    let needles = ["unseen.csv", "line 4", "word", "zebra"];
    let args = [
        "score",
        "m.json",
        "unseen.csv",
        "--sequence-column",
        "doc",
        "-o",
        "rows.csv",
    ];
    assert_fails_cleanly(d, &args, "rows.csv", &needles);
    let args = [
        "predict",
        "m.json",
        "unseen.csv",
        "--sequence-column",
        "doc",
        "-o",
        "pred.csv",
    ];
    assert_fails_cleanly(d, &args, "pred.csv", &needles);
    let r = genmodels(d, &["score", "m.json", "unseen.csv", "--json"]);
    assert_bad_input(&r, &needles);
    assert!(r.stdout.is_empty(), "{r}");
}

#[test]
fn categorical_symbols_with_commas_and_quotes_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "q.csv",
        "doc,word\nd1,\"a,b\"\nd1,plain\nd1,\"say \"\"hi\"\"\"\nd2,plain\nd2,\"a,b\"\nd2,plain\n",
    );
    ok(
        d,
        &[
            "fit",
            "hmm",
            "q.csv",
            "--emission",
            "categorical",
            "--states",
            "2",
            "--sequence-column",
            "doc",
            "-o",
            "q.json",
        ],
    );
    let j = ok_json(d, &["info", "q.json"]);
    assert_eq!(
        j["symbols"],
        serde_json::json!(["a,b", "plain", "say \"hi\""]),
        "{j:?}"
    );
    ok(d, &["sample", "q.json", "-n", "30", "-o", "qs.csv"]);
    let s = ok_json(d, &["score", "q.json", "qs.csv"]);
    assert_eq!(u64_field(&s, "n_steps"), 30, "{s:?}");
    assert!(f64_field(&s, "total_log_likelihood").is_finite());
}

// ---------------------------------------------------------------------------------------------
// 4. Poisson emissions
// ---------------------------------------------------------------------------------------------

#[test]
fn poisson_counts_fit_score_predict_sample() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "counts.csv", &counts_csv());
    let fit = ok_json(
        d,
        &[
            "fit",
            "hmm",
            "counts.csv",
            "--emission",
            "poisson",
            "--states",
            "2",
            "-o",
            "p.json",
        ],
    );
    assert!(f64_field(&fit, "log_likelihood").is_finite(), "{fit:?}");
    let v: Value = serde_json::from_str(&fs::read_to_string(d.join("p.json")).unwrap()).unwrap();
    assert_eq!(v["format"], "genmodels/hmm-poisson", "{v}");

    let info = ok_json(d, &["info", "p.json"]);
    let mut rates: Vec<f64> = mat_f64(&info["emission"]["rates"])
        .into_iter()
        .map(|r| r[0])
        .collect();
    rates.sort_by(f64::total_cmp);
    assert!((rates[0] - 2.0).abs() < 0.6, "low rate {rates:?}");
    assert!((rates[1] - 11.9).abs() < 1.0, "high rate {rates:?}");
    let r = ok(d, &["info", "p.json"]);
    assert!(r.stdout.contains("rate count"), "{r}");

    let j = ok_json(d, &["score", "p.json", "counts.csv"]);
    assert_eq!(u64_field(&j, "n"), 1);
    assert_eq!(u64_field(&j, "n_steps"), 60);
    let total = f64_field(&j, "total_log_likelihood");
    assert!(total.is_finite() && total < 0.0, "{j:?}");

    // The regimes decode as blocks of ten.
    let p = ok_json(d, &["predict", "p.json", "counts.csv"]);
    let sc = json_column(&p, "state");
    let states: Vec<String> = json_rows(&p).into_iter().map(|r| r[sc].clone()).collect();
    for block in states.chunks(10) {
        assert!(block.iter().all(|s| *s == block[0]), "{states:?}");
    }
    assert_ne!(states[0], states[10], "{states:?}");

    let s = ok_json(d, &["sample", "p.json", "-n", "50"]);
    let cc = json_column(&s, "count");
    for row in json_rows(&s) {
        let c = parse(&row[cc]);
        assert!(c >= 0.0 && c.fract() == 0.0, "a count: {row:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Bad input
// ---------------------------------------------------------------------------------------------

const SMALL: &str = "x\n1\n2\n3\n4\n5\n6\n";

#[test]
fn bad_states_zero() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "small.csv", SMALL);
    for emission in ["gaussian", "categorical", "poisson"] {
        let args = [
            "fit",
            "hmm",
            "small.csv",
            "--emission",
            emission,
            "--states",
            "0",
            "-o",
            "out.json",
        ];
        assert_fails_cleanly(d, &args, "out.json", &["states"]);
    }
}

/// Fits that must either succeed with finite numbers and a usable model, or fail with a clear
/// one-line message naming the data file; never panic, never NaN.
fn assert_fits_or_refuses(d: &Path, data: &str, seq: Option<&str>, extra: &[&str]) {
    let mut args = vec!["fit", "hmm", data, "-o", "edge.json", "--json"];
    let mut seq_args: Vec<&str> = Vec::new();
    if let Some(s) = seq {
        seq_args = vec!["--sequence-column", s];
    }
    args.extend_from_slice(&seq_args);
    args.extend_from_slice(extra);
    let _ = fs::remove_file(d.join("edge.json"));
    let r = genmodels(d, &args);
    match r.code {
        Some(0) => {
            let j = one_json_object(&r);
            for key in ["log_likelihood", "bic", "aic"] {
                assert!(
                    j.get(key)
                        .and_then(Value::as_f64)
                        .is_some_and(f64::is_finite),
                    "{key} must be a finite number:\n{r}"
                );
            }
            assert!(
                !r.stdout.contains("NaN") && !r.stdout.contains("null"),
                "{r}"
            );
            let info = genmodels(d, &["info", "edge.json", "--json"]);
            assert_eq!(info.code, Some(0), "{info}");
            let ij = one_json_object(&info);
            for key in ["startprob", "stationary"] {
                assert!(
                    vec_f64(&ij[key]).iter().all(|v| v.is_finite()),
                    "{key}:\n{info}"
                );
            }
            assert!(!info.stdout.contains("NaN"), "{info}");
            let mut score = vec!["score", "edge.json", data, "--json"];
            score.extend_from_slice(&seq_args);
            let s = genmodels(d, &score);
            assert_eq!(s.code, Some(0), "{s}");
            let sj = one_json_object(&s);
            assert!(
                sj["total_log_likelihood"]
                    .as_f64()
                    .is_some_and(f64::is_finite),
                "{s}"
            );
            let s = genmodels(d, &["sample", "edge.json", "-n", "5", "--json"]);
            assert_eq!(s.code, Some(0), "{s}");
            let sj = one_json_object(&s);
            let rows = json_rows(&sj);
            assert_eq!(rows.len(), 5, "{s}");
            for row in rows {
                // Numbers must be finite; symbol models print their symbols.
                assert!(
                    row[0].parse::<f64>().ok().is_none_or(f64::is_finite),
                    "finite samples:\n{s}"
                );
            }
        }
        Some(2) => {
            assert_bad_input(&r, &[data]);
            assert!(!d.join("edge.json").exists(), "{r}");
        }
        _ => panic!("must exit 0 or 2:\n{r}"),
    }
}

#[test]
fn degenerate_sequence_shorter_than_the_number_of_states() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "two.csv", "x\n1.0\n2.0\n");
    write(d, "one.csv", "x\n1.5\n");
    for k in ["2", "3", "5"] {
        assert_fits_or_refuses(d, "two.csv", None, &["--states", k]);
        assert_fits_or_refuses(d, "one.csv", None, &["--states", k]);
        assert_fits_or_refuses(
            d,
            "one.csv",
            None,
            &["--states", k, "--emission", "poisson"],
        );
    }
    assert_fits_or_refuses(d, "one.csv", None, &["--states", "1"]);
    // Short sequences among longer ones.
    write(d, "seqs.csv", "id,x\na,1\na,2\na,3\na,4\nb,7\nc,2\nc,6\n");
    for k in ["3", "4"] {
        for topology in ["ergodic", "left-right"] {
            assert_fits_or_refuses(
                d,
                "seqs.csv",
                Some("id"),
                &["--states", k, "--topology", topology],
            );
        }
    }
    write(d, "w.csv", "w\nthe\n");
    assert_fits_or_refuses(
        d,
        "w.csv",
        None,
        &["--states", "3", "--emission", "categorical"],
    );
}

#[test]
fn bad_nan_cell_in_gaussian_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "nan.csv", "x\n1\n2\nNaN\n4\n5\n");
    let args = ["fit", "hmm", "nan.csv", "-o", "out.json"];
    assert_fails_cleanly(d, &args, "out.json", &["nan.csv", "column x"]);
    let r = genmodels(d, &args);
    assert!(
        r.stderr.contains("line 4") || r.stderr.contains("row 3"),
        "the error must name the row:\n{r}"
    );
}

#[test]
fn bad_empty_cell_in_gaussian_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "gap.csv", "x,y\n1,2\n2,\n3,4\n4,5\n");
    let args = ["fit", "hmm", "gap.csv", "-o", "out.json"];
    assert_fails_cleanly(d, &args, "out.json", &["gap.csv", "column y"]);
    write(d, "gapseq.csv", "id,x\na,1\na,2\nb,\nb,4\na,5\n");
    let args = [
        "fit",
        "hmm",
        "gapseq.csv",
        "--sequence-column",
        "id",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["gapseq.csv", "column x"]);
    // And when scoring.
    write(d, "small.csv", SMALL);
    ok(d, &["fit", "hmm", "small.csv", "-o", "m.json"]);
    write(d, "gap1.csv", "x\n1\nNaN\n3\n");
    let args = ["score", "m.json", "gap1.csv", "-o", "rows.csv"];
    assert_fails_cleanly(d, &args, "rows.csv", &["gap1.csv"]);
    let args = ["predict", "m.json", "gap1.csv", "-o", "p.csv"];
    assert_fails_cleanly(d, &args, "p.csv", &["gap1.csv"]);
}

#[test]
fn degenerate_constant_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "const.csv", "x\n5\n5\n5\n5\n5\n5\n5\n5\n");
    write(d, "const2.csv", "a,b\n1,5\n2,5\n3,5\n4,5\n5,5\n6,5\n");
    for cov in ["full", "tied", "diag", "spherical"] {
        for k in ["1", "2", "3"] {
            for data in ["const.csv", "const2.csv"] {
                assert_fits_or_refuses(d, data, None, &["--covariance", cov, "--states", k]);
            }
        }
    }
    write(d, "zeros.csv", "c\n0\n0\n0\n0\n0\n");
    write(d, "sevens.csv", "c\n7\n7\n7\n7\n7\n");
    for data in ["zeros.csv", "sevens.csv"] {
        assert_fits_or_refuses(d, data, None, &["--emission", "poisson", "--states", "2"]);
    }
}

#[test]
fn degenerate_all_sequences_identical() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "same.csv",
        "id,x\na,1\na,2\na,3\nb,1\nb,2\nb,3\nc,1\nc,2\nc,3\n",
    );
    write(d, "flat.csv", "id,x\na,1\na,1\na,1\nb,1\nb,1\nb,1\n");
    for cov in ["full", "diag"] {
        for data in ["same.csv", "flat.csv"] {
            assert_fits_or_refuses(d, data, Some("id"), &["--states", "2", "--covariance", cov]);
        }
    }
    ok(
        d,
        &[
            "fit",
            "hmm",
            "same.csv",
            "--sequence-column",
            "id",
            "-o",
            "s.json",
        ],
    );
    let j = ok_json(
        d,
        &["score", "s.json", "same.csv", "--sequence-column", "id"],
    );
    let per = vec_f64(&j["per_sequence"]);
    assert_eq!(per.len(), 3);
    assert!(
        per.iter()
            .all(|v| (v - per[0]).abs() < 1e-9 * v.abs().max(1.0)),
        "identical sequences score the same: {per:?}"
    );
    write(
        d,
        "samewords.csv",
        "doc,word\na,x\na,y\na,x\nb,x\nb,y\nb,x\n",
    );
    assert_fits_or_refuses(
        d,
        "samewords.csv",
        Some("doc"),
        &["--states", "2", "--emission", "categorical"],
    );
}

/// A fitted GNP model plus `new.csv`, and broken variants of the model file.
fn model_variants(d: &Path) {
    let model = fit_rgnp(d);
    write(d, "new.csv", "rgnp\n1.0\n-0.5\n2.0\n");
    let text = fs::read_to_string(model).unwrap();
    write(d, "truncated.json", &text[..text.len() / 2]);
    let v: Value = serde_json::from_str(&text).expect("the model file is JSON");
    let mut newer = v.clone();
    newer["version"] = Value::from(99);
    write(
        d,
        "v99.json",
        &serde_json::to_string_pretty(&newer).unwrap(),
    );
    let mut other = v.clone();
    other["format"] = Value::from("genmodels/hmm-poisson");
    write(d, "poisson.json", &serde_json::to_string(&other).unwrap());
    let mut unknown = v.clone();
    unknown["format"] = Value::from("genmodels/hmm-weird");
    write(d, "weird.json", &serde_json::to_string(&unknown).unwrap());
    let mut rows = v;
    rows["model"]["transmat"]["data"] = serde_json::json!([0.5, 0.2, 0.1, 0.9]);
    write(d, "rows.json", &serde_json::to_string(&rows).unwrap());
    write(d, "notjson.json", "this is not a model file\n");
}

#[test]
fn bad_model_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    model_variants(d);
    for (file, extra) in [
        ("truncated.json", ""),
        ("v99.json", "99"),
        ("poisson.json", ""),
        ("weird.json", "weird"),
        ("rows.json", ""),
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
        assert_fails_cleanly(
            d,
            &["plot", file, "new.csv", "-o", "fig.png"],
            "fig.png",
            &needles,
        );
        assert_bad_input(&genmodels(d, &["info", file]), &needles);
        assert_bad_input(&genmodels(d, &["info", file, "--json"]), &needles);
    }
    // A model file is never overwritten by a failed fit either.
    write(d, "bad.csv", "rgnp\n1\nx\n");
    let before = fs::read(d.join("rgnp.json")).unwrap();
    let r = genmodels(d, &["fit", "hmm", "bad.csv", "-o", "rgnp.json"]);
    assert_bad_input(&r, &["bad.csv"]);
    assert_eq!(fs::read(d.join("rgnp.json")).unwrap(), before);
}

#[test]
fn bad_emission_topology_and_covariance_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "small.csv", SMALL);
    for (flag, needle) in [
        ("--emission", "emission"),
        ("--topology", "topology"),
        ("--covariance", "covariance"),
    ] {
        let args = ["fit", "hmm", "small.csv", flag, "nope", "-o", "out.json"];
        assert_fails_cleanly(d, &args, "out.json", &[needle, "nope"]);
    }
}

#[test]
fn bad_negative_tol() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "small.csv", SMALL);
    for tol in ["-1", "-0.001"] {
        let args = ["fit", "hmm", "small.csv", "--tol", tol, "-o", "out.json"];
        assert_fails_cleanly(d, &args, "out.json", &["tol"]);
    }
    let flag = "--tol=-1";
    let args = [
        "fit",
        "hmm",
        "small.csv",
        "--emission",
        "poisson",
        flag,
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["tol"]);
}

#[test]
fn bad_other_hyper_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "small.csv", SMALL);
    for (flag, value, needle) in [
        ("--max-iter", "0", "max_iter"),
        ("--n-init", "0", "n_init"),
        ("--trans-prior", "0.5", "trans_prior"),
        ("--reg-covar", "-1", "reg_covar"),
    ] {
        let args = ["fit", "hmm", "small.csv", flag, value, "-o", "out.json"];
        assert_fails_cleanly(d, &args, "out.json", &[needle]);
    }
}

#[test]
fn bad_non_count_data_for_poisson() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "frac.csv", "c\n1\n2\n1.5\n3\n");
    write(d, "neg.csv", "c\n1\n2\n-1\n3\n");
    for (file, value) in [("frac.csv", "1.5"), ("neg.csv", "-1")] {
        let args = [
            "fit",
            "hmm",
            file,
            "--emission",
            "poisson",
            "-o",
            "out.json",
        ];
        assert_fails_cleanly(d, &args, "out.json", &[file, "column c", value]);
    }
    write(d, "counts.csv", &counts_csv());
    ok(
        d,
        &[
            "fit",
            "hmm",
            "counts.csv",
            "--emission",
            "poisson",
            "-o",
            "p.json",
        ],
    );
    write(d, "frac2.csv", "count\n1\n2\n1.5\n3\n");
    let args = ["score", "p.json", "frac2.csv", "-o", "rows.csv"];
    assert_fails_cleanly(d, &args, "rows.csv", &["frac2.csv", "1.5"]);
}

#[test]
fn bad_sequence_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "multi.csv", MULTI);
    let args = [
        "fit",
        "hmm",
        "multi.csv",
        "--sequence-column",
        "nosuch",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["multi.csv", "nosuch"]);
    // Without --sequence-column the id column is text: named in the error.
    let args = ["fit", "hmm", "multi.csv", "-o", "out.json"];
    assert_fails_cleanly(d, &args, "out.json", &["multi.csv", "column id"]);
    write(d, "ids.csv", "id\na\na\nb\n");
    let args = [
        "fit",
        "hmm",
        "ids.csv",
        "--sequence-column",
        "id",
        "-o",
        "out.json",
    ];
    assert_fails_cleanly(d, &args, "out.json", &["ids.csv"]);
}

#[test]
fn bad_input_file_and_output_paths() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = ["fit", "hmm", "nowhere.csv", "-o", "out.json"];
    assert_fails_cleanly(d, &args, "out.json", &["nowhere.csv"]);
    write(d, "empty.csv", "");
    let args = ["fit", "hmm", "empty.csv", "-o", "out.json"];
    assert_fails_cleanly(d, &args, "out.json", &["empty.csv"]);
    write(d, "header.csv", "x\n");
    let args = ["fit", "hmm", "header.csv", "-o", "out.json"];
    assert_fails_cleanly(d, &args, "out.json", &["header.csv"]);
    let text = SMALL;
    write(d, "data.csv", text);
    let r = genmodels(d, &["fit", "hmm", "data.csv", "-o", "data.csv"]);
    assert_bad_input(&r, &["data.csv"]);
    assert_eq!(fs::read_to_string(d.join("data.csv")).unwrap(), text);
}

#[test]
fn bad_wrong_width_and_mixture_only_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "ab.csv", "a,b\n1,2\n2,3\n5,6\n6,7\n1,2\n5,5\n");
    ok(
        d,
        &["fit", "hmm", "ab.csv", "--states", "2", "-o", "ab.json"],
    );
    write(d, "small.csv", SMALL);
    let args = ["score", "ab.json", "small.csv", "-o", "rows.csv"];
    assert_fails_cleanly(d, &args, "rows.csv", &["small.csv"]);
    let args = ["predict", "ab.json", "small.csv", "-o", "p.csv"];
    assert_fails_cleanly(d, &args, "p.csv", &["small.csv"]);
    let args = ["predict", "ab.json", "ab.csv", "--impute", "-o", "p.csv"];
    assert_fails_cleanly(d, &args, "p.csv", &["impute"]);
    let args = ["sample", "ab.json", "--given", "a=1", "-o", "s.csv"];
    assert_fails_cleanly(d, &args, "s.csv", &["given"]);
}

// ---------------------------------------------------------------------------------------------
// 6. Left-right topology
// ---------------------------------------------------------------------------------------------

#[test]
fn left_right_topology_keeps_structural_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "fit",
            "hmm",
            RGNP,
            "--states",
            "3",
            "--topology",
            "left-right",
            "-o",
            "lr.json",
        ],
    );
    let j = ok_json(d, &["info", "lr.json"]);
    assert_eq!(u64_field(&j, "n_states"), 3);
    let a = mat_f64(&j["transmat"]);
    for (i, row) in a.iter().enumerate() {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{a:?}");
        for (k, p) in row.iter().enumerate() {
            if k < i || k > i + 1 {
                assert_eq!(*p, 0.0, "transmat[{i}][{k}] must stay 0: {a:?}");
            }
        }
    }
    let start = vec_f64(&j["startprob"]);
    assert_eq!(
        start,
        vec![1.0, 0.0, 0.0],
        "a left-right chain starts in state 0"
    );
    // Decoded states never go back.
    let p = ok_json(d, &["predict", "lr.json", RGNP]);
    let sc = json_column(&p, "state");
    let states: Vec<u32> = json_rows(&p)
        .iter()
        .map(|r| r[sc].parse().unwrap())
        .collect();
    assert!(
        states.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1),
        "{states:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Help
// ---------------------------------------------------------------------------------------------

#[test]
fn help_of_fit_hmm_has_examples() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = ok(d, &["fit", "hmm", "--help"]);
    assert!(r.stdout.contains("Examples"), "{r}");
    for flag in [
        "--states",
        "--emission",
        "--sequence-column",
        "--topology",
        "--covariance",
    ] {
        assert!(r.stdout.contains(flag), "{flag}:\n{r}");
    }
    assert!(r.stdout.contains("genmodels fit hmm"), "{r}");
}

// ---------------------------------------------------------------------------------------------
// Known bugs (ignored until fixed)
// ---------------------------------------------------------------------------------------------

#[test]
fn score_of_an_outlier_is_finite_and_exact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_rgnp(d);
    let info = ok_json(d, &["info", "rgnp.json"]);
    let model = Gauss1::from_info(&info);
    // The fitted chain starts in one state with probability 1 (the other has start 0).
    let x = [-60.0, 1.0];
    let reference = model.log_likelihood(&x);
    assert!(reference.is_finite(), "{reference}");
    write(d, "outlier.csv", "rgnp\n-60\n1\n");
    let j = ok_json(d, &["score", "rgnp.json", "outlier.csv"]);
    let total = j["total_log_likelihood"].as_f64();
    assert!(
        total.is_some_and(|t| (t - reference).abs() < 1e-6 * reference.abs()),
        "score {:?} vs forward algorithm {reference}",
        j["total_log_likelihood"]
    );
    let p = ok_json(d, &["predict", "rgnp.json", "outlier.csv", "--proba"]);
    assert_eq!(json_rows(&p).len(), 2);
}

#[test]
fn stationary_distribution_of_a_periodic_chain() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["fit", "hmm", RGNP, "--states", "3", "-o", "r3.json"]);
    let mut v: Value = serde_json::from_str(&fs::read_to_string(d.join("r3.json")).unwrap())
        .expect("the model file is JSON");
    // 0 → 2, 1 → 2, 2 → 0 or 1: period 2; stationary (1/8, 3/8, 1/2).
    v["model"]["transmat"]["data"] =
        serde_json::json!([0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.25, 0.75, 0.0]);
    write(d, "periodic.json", &serde_json::to_string(&v).unwrap());
    let j = ok_json(d, &["info", "periodic.json"]);
    let stat = vec_f64(&j["stationary"]);
    let a = mat_f64(&j["transmat"]);
    let next = times(&stat, &a);
    for (x, y) in next.iter().zip(&stat) {
        assert!(
            (x - y).abs() < 1e-9,
            "π A = π fails: π = {stat:?}, π A = {next:?}"
        );
    }
    for (x, y) in stat.iter().zip([0.125, 0.375, 0.5]) {
        assert!((x - y).abs() < 1e-9, "{stat:?}");
    }
}

#[test]
fn predict_refuses_an_impossible_sequence_like_proba_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // All-zero counts: the fitted rates are 0, so any positive count is impossible.
    write(d, "zeros.csv", "c\n0\n0\n0\n0\n0\n");
    ok(
        d,
        &[
            "fit",
            "hmm",
            "zeros.csv",
            "--emission",
            "poisson",
            "-o",
            "z.json",
        ],
    );
    write(d, "three.csv", "c\n0\n0\n0\n3\n0\n");
    let r = genmodels(d, &["predict", "z.json", "three.csv", "--proba"]);
    assert_bad_input(&r, &["three.csv"]);
    assert_fails_cleanly(
        d,
        &["predict", "z.json", "three.csv", "-o", "p.csv"],
        "p.csv",
        &["three.csv"],
    );
}

#[test]
fn fit_warnings_are_not_repeated_per_iteration() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = ok(
        d,
        &[
            "fit",
            "hmm",
            RGNP,
            "--states",
            "3",
            "--topology",
            "left-right",
            "-o",
            "lr.json",
        ],
    );
    let warnings: Vec<String> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .map(|l| {
            // The same message at another iteration is the same warning.
            l.split(" at iteration ")
                .next()
                .unwrap_or(l)
                .split(';')
                .next()
                .unwrap_or(l)
                .to_string()
        })
        .collect();
    let distinct: std::collections::BTreeSet<&String> = warnings.iter().collect();
    assert_eq!(
        distinct.len(),
        warnings.len(),
        "a warning repeated per iteration:\n{r}"
    );
}

#[test]
fn model_file_with_symbols_not_matching_emissions_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_words(d);
    let mut v: Value = serde_json::from_str(&fs::read_to_string(d.join("m.json")).unwrap())
        .expect("the model file is JSON");
    v["model"]["symbols"] = serde_json::json!(["a", "bird", "cat", "dog", "in"]);
    write(d, "short.json", &serde_json::to_string(&v).unwrap());
    assert_bad_input(&genmodels(d, &["info", "short.json"]), &["short.json"]);
    assert_fails_cleanly(
        d,
        &["sample", "short.json", "-n", "20", "-o", "s.csv"],
        "s.csv",
        &["short.json"],
    );
}
