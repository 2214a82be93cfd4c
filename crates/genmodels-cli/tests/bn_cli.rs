//! Bayesian networks end to end: info, query (marginals, joints, MPE, do, batch, approximate),
//! sample, score, predict, fit bn (hill climbing, given graph, Chow-Liu, TAN), plot — and bad
//! input.

mod common;

use common::*;

const FAIL_ON_PANIC: bool = true;

const ASIA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/bayesnets/asia.bif");
const ALARM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/bayesnets/alarm.bif"
);
const CANCER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/bayesnets/cancer.bif"
);
const SPRINKLER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/bayesnets/sprinkler.bif"
);

fn probability(table: &serde_json::Value, states: &[&str]) -> f64 {
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["states"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .eq(states.iter().copied())
        })
        .unwrap()["probability"]
        .as_f64()
        .unwrap()
}

#[test]
fn info_lists_the_network() {
    let d = tempfile::tempdir().unwrap();
    let j = one_json_object(&ok(d.path(), &["info", ALARM, "--json"]));
    assert_eq!(u64_field(&j, "n_variables"), 37);
    assert_eq!(u64_field(&j, "n_edges"), 46);
    assert_eq!(u64_field(&j, "n_parameters"), 509);
    let text = ok(d.path(), &["info", ASIA]).stdout;
    assert!(
        text.contains("8 variables, 8 edges, 18 free parameters"),
        "{text}"
    );
    assert!(
        text.contains("either") && text.contains("lung, tub"),
        "{text}"
    );
}

#[test]
fn queries_answer_the_sprinkler_network_exactly() {
    let d = tempfile::tempdir().unwrap();
    // P(rain | wet): Bayes' rule by hand from the tables.
    let j = one_json_object(&ok(
        d.path(),
        &[
            "query",
            SPRINKLER,
            "--target",
            "rain",
            "--evidence",
            "grass_wet=yes",
            "--json",
        ],
    ));
    let p_wet_rain = 0.01 * 0.99 + 0.99 * 0.8;
    let p_wet_norain = 0.4 * 0.9 + 0.6 * 0.0;
    let expected = 0.2 * p_wet_rain / (0.2 * p_wet_rain + 0.8 * p_wet_norain);
    let got = probability(&j["tables"][0], &["yes"]);
    assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
    // The joint of two targets sums to one and matches the chain rule.
    let j = one_json_object(&ok(
        d.path(),
        &[
            "query",
            SPRINKLER,
            "--target",
            "rain,sprinkler",
            "--joint",
            "--json",
        ],
    ));
    let t = &j["tables"][0];
    assert!((probability(t, &["no", "on"]) - 0.8 * 0.4).abs() < 1e-12);
    let total: f64 = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["probability"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-12);
    // Intervening on the sprinkler leaves rain at its prior; observing it does not.
    let j = one_json_object(&ok(
        d.path(),
        &[
            "query",
            SPRINKLER,
            "--target",
            "rain",
            "--do",
            "sprinkler=on",
            "--json",
        ],
    ));
    assert!((probability(&j["tables"][0], &["yes"]) - 0.2).abs() < 1e-12);
    let j = one_json_object(&ok(
        d.path(),
        &[
            "query",
            SPRINKLER,
            "--target",
            "rain",
            "--evidence",
            "sprinkler=on",
            "--json",
        ],
    ));
    let seen = 0.2 * 0.01 / (0.2 * 0.01 + 0.8 * 0.4);
    assert!((probability(&j["tables"][0], &["yes"]) - seen).abs() < 1e-12);
    // MPE with no evidence: rain=no, sprinkler=off, wet=no (0.8 * 0.6 * 1.0).
    let j = one_json_object(&ok(d.path(), &["query", SPRINKLER, "--mpe", "--json"]));
    assert_eq!(j["mpe"]["rain"], "no");
    assert_eq!(j["mpe"]["sprinkler"], "off");
    assert!((f64_field(&j, "probability") - 0.48).abs() < 1e-12);
}

#[test]
fn approximate_queries_are_close_and_report_their_sample_size() {
    let d = tempfile::tempdir().unwrap();
    let exact = one_json_object(&ok(
        d.path(),
        &[
            "query",
            ASIA,
            "--target",
            "lung",
            "--evidence",
            "xray=yes",
            "--json",
        ],
    ));
    let p = probability(&exact["tables"][0], &["yes"]);
    for method in ["likelihood-weighting", "rejection"] {
        let j = one_json_object(&ok(
            d.path(),
            &[
                "query",
                ASIA,
                "--target",
                "lung",
                "--evidence",
                "xray=yes",
                "--method",
                method,
                "--samples",
                "40000",
                "--seed",
                "3",
                "--json",
            ],
        ));
        let q = probability(&j["tables"][0], &["yes"]);
        let ess = f64_field(&j, "effective_sample_size");
        assert!(ess > 100.0, "{method}: ESS {ess}");
        // Within 5 standard errors of the exact answer.
        let se = (p * (1.0 - p) / ess).sqrt();
        assert!(
            (q - p).abs() < 5.0 * se,
            "{method}: {q} vs exact {p} (ESS {ess})"
        );
    }
    // Gibbs mixes on a network without zero entries (cancer) ...
    let args = [
        "query",
        CANCER,
        "--target",
        "Cancer",
        "--evidence",
        "Dyspnoea=True",
    ];
    let exact = one_json_object(&ok(d.path(), &[&args[..], &["--json"]].concat()));
    let p = probability(&exact["tables"][0], &["True"]);
    let r = ok(
        d.path(),
        &[
            &args[..],
            &["--method", "gibbs", "--samples", "40000", "--json"],
        ]
        .concat(),
    );
    let j = one_json_object(&r);
    let ess = f64_field(&j, "effective_sample_size");
    let q = probability(&j["tables"][0], &["True"]);
    assert!(
        (q - p).abs() < 5.0 * (p * (1.0 - p) / ess).sqrt(),
        "gibbs {q} vs {p}"
    );
    assert!(!r.stderr.contains("warning"), "{r}");
    // ... and warns where deterministic tables can trap its chain (asia's `either`).
    let r = ok(
        d.path(),
        &[
            "query",
            ASIA,
            "--target",
            "lung",
            "--evidence",
            "xray=yes",
            "--method",
            "gibbs",
        ],
    );
    assert!(
        r.stderr
            .contains("warning: the network has tables with zero entries"),
        "{r}"
    );
}

#[test]
fn batch_queries_answer_one_row_each() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "q.csv",
        "smoke,xray,lung\nyes,yes,\nno,,\n,no,yes\n",
    );
    ok(
        d.path(),
        &[
            "query", ASIA, "--batch", "q.csv", "--target", "lung", "-o", "a.csv", "--quiet",
        ],
    );
    let (h, rows) = read_csv(&d.path().join("a.csv"));
    assert_eq!(h, vec!["P(lung=yes)", "P(lung=no)"]);
    assert_eq!(rows.len(), 3);
    // Each row is the single query with that row's evidence.
    let single = one_json_object(&ok(
        d.path(),
        &[
            "query",
            ASIA,
            "--target",
            "lung",
            "--evidence",
            "smoke=yes,xray=yes",
            "--json",
        ],
    ));
    assert!((parse(&rows[0][0]) - probability(&single["tables"][0], &["yes"])).abs() < 1e-12);
    assert_eq!(parse(&rows[2][0]), 1.0, "lung is given in row 3");
    for r in &rows {
        assert!((parse(&r[0]) + parse(&r[1]) - 1.0).abs() < 1e-12);
    }
    // MPE per row keeps each row's evidence.
    ok(
        d.path(),
        &[
            "query", ASIA, "--batch", "q.csv", "--mpe", "-o", "m.csv", "--quiet",
        ],
    );
    let (h, rows) = read_csv(&d.path().join("m.csv"));
    let smoke = h.iter().position(|c| c == "smoke").unwrap();
    assert_eq!(rows[0][smoke], "yes");
    assert_eq!(rows[1][smoke], "no");
}

#[test]
fn sample_score_fit_and_predict_round_trip() {
    let d = tempfile::tempdir().unwrap();
    ok(
        d.path(),
        &[
            "sample", ASIA, "-n", "5000", "--seed", "1", "-o", "asia.csv", "--quiet",
        ],
    );
    let (h, rows) = read_csv(&d.path().join("asia.csv"));
    assert_eq!(h.len(), 8);
    assert_eq!(rows.len(), 5000);
    // About half smoke (P = 0.5).
    let smoke = h.iter().position(|c| c == "smoke").unwrap();
    let share = rows.iter().filter(|r| r[smoke] == "yes").count() as f64 / 5000.0;
    assert!((share - 0.5).abs() < 0.03, "{share}");
    // Conditional samples keep the evidence.
    ok(
        d.path(),
        &[
            "sample",
            ASIA,
            "-n",
            "200",
            "--given",
            "xray=yes",
            "-o",
            "given.csv",
            "--quiet",
        ],
    );
    let (h2, rows2) = read_csv(&d.path().join("given.csv"));
    let xray = h2.iter().position(|c| c == "xray").unwrap();
    assert!(rows2.iter().all(|r| r[xray] == "yes"));
    // Score: the mean log-likelihood of the generating network beats a Chow-Liu tree fitted
    // on other data... and equals the sum of per-row values.
    let s = one_json_object(&ok(d.path(), &["score", ASIA, "asia.csv", "--json"]));
    let per_row: f64 = s["log_likelihood"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((per_row - f64_field(&s, "total_log_likelihood")).abs() < 1e-6);
    // Refit on the true graph recovers the tables: P(smoke=yes) close to 0.5.
    ok(
        d.path(),
        &[
            "fit",
            "bn",
            "asia.csv",
            "--structure",
            ASIA,
            "--prior",
            "bdeu",
            "-o",
            "refit.bif",
            "--quiet",
        ],
    );
    let j = one_json_object(&ok(
        d.path(),
        &["query", "refit.bif", "--target", "smoke", "--json"],
    ));
    assert!((probability(&j["tables"][0], &["yes"]) - 0.5).abs() < 0.03);
    // Structure learning writes ordinary networks that answer queries.
    for structure in ["hill-climb", "chow-liu"] {
        let out = format!("{structure}.bif");
        let fit = one_json_object(&ok(
            d.path(),
            &[
                "fit",
                "bn",
                "asia.csv",
                "--structure",
                structure,
                "-o",
                &out,
                "--json",
            ],
        ));
        assert!(u64_field(&fit, "n_edges") >= 5, "{structure}: {fit:?}");
        ok(
            d.path(),
            &["query", &out, "--target", "lung", "--evidence", "xray=yes"],
        );
    }
    // TAN and naive Bayes classify `lung` from the rest.
    ok(
        d.path(),
        &[
            "fit",
            "bn",
            "asia.csv",
            "--structure",
            "tan",
            "--class",
            "lung",
            "-o",
            "tan.bif",
            "--quiet",
        ],
    );
    ok(
        d.path(),
        &[
            "predict", "tan.bif", "asia.csv", "--target", "lung", "-o", "pred.csv",
        ],
    );
    let (ph, prow) = read_csv(&d.path().join("pred.csv"));
    assert_eq!(ph, vec!["lung", "probability"]);
    let lung = h.iter().position(|c| c == "lung").unwrap();
    let acc = prow
        .iter()
        .zip(&rows)
        .filter(|(p, r)| p[0] == r[lung])
        .count() as f64
        / 5000.0;
    // `either` is lung OR tub, so lung is almost determined: TAN must do well.
    assert!(acc > 0.95, "TAN accuracy {acc}");
    // XMLBIF output reads back.
    ok(
        d.path(),
        &[
            "fit",
            "bn",
            "asia.csv",
            "--structure",
            "naive-bayes",
            "--class",
            "lung",
            "-o",
            "nb.xmlbif",
            "--quiet",
        ],
    );
    let i = one_json_object(&ok(d.path(), &["info", "nb.xmlbif", "--json"]));
    assert_eq!(u64_field(&i, "n_edges"), 7);
}

#[test]
fn plots_are_written() {
    let d = tempfile::tempdir().unwrap();
    ok(d.path(), &["plot", ALARM, "-o", "alarm.svg"]);
    let svg = std::fs::read_to_string(d.path().join("alarm.svg")).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"));
    assert!(svg.contains("HYPOVOLEMIA"));
    ok(d.path(), &["plot", ALARM, "-o", "alarm.dot"]);
    let dot = std::fs::read_to_string(d.path().join("alarm.dot")).unwrap();
    assert!(dot.contains("\"LVFAILURE\" -> \"HISTORY\""), "{dot}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    assert_bad_input(
        &genmodels(p, &["query", ASIA, "--target", "Lung"]),
        &["unknown variable `Lung`", "did you mean lung"],
    );
    assert_bad_input(
        &genmodels(
            p,
            &[
                "query",
                ASIA,
                "--target",
                "lung",
                "--evidence",
                "smoke=maybe",
            ],
        ),
        &["`maybe` is not a state of `smoke`", "yes, no"],
    );
    // Contradictory evidence: the grass cannot be dry when it rained with the sprinkler on...
    // it can (0.01); but in sprinkler.bif wet=yes is impossible without rain and sprinkler.
    assert_bad_input(
        &genmodels(
            p,
            &[
                "query",
                SPRINKLER,
                "--target",
                "rain",
                "--evidence",
                "rain=no,sprinkler=off,grass_wet=yes",
            ],
        ),
        &["probability zero"],
    );
    write(p, "cyclic.bif", "variable a { type discrete [ 2 ] { x, y }; }\nvariable b { type discrete [ 2 ] { x, y }; }\nprobability ( a | b ) { (x) 0.5, 0.5; (y) 0.5, 0.5; }\nprobability ( b | a ) { (x) 0.5, 0.5; (y) 0.5, 0.5; }\n");
    assert_bad_input(&genmodels(p, &["info", "cyclic.bif"]), &["cycle"]);
    write(
        p,
        "rows.bif",
        "variable a { type discrete [ 2 ] { x, y }; }\nprobability ( a ) { table 0.5, 0.6; }\n",
    );
    assert_bad_input(&genmodels(p, &["info", "rows.bif"]), &["rows.bif", "1.1"]);
    write(
        p,
        "trunc.bif",
        "variable a { type discrete [ 2 ] { x, y }; }\nprobability ( a ) { table 0.5,",
    );
    assert_bad_input(
        &genmodels(p, &["info", "trunc.bif"]),
        &["trunc.bif", "line 2"],
    );
    write(p, "unknown.csv", "smoke,lung\nperhaps,yes\n");
    assert_bad_input(
        &genmodels(p, &["score", ASIA, "unknown.csv"]),
        &[
            "unknown.csv",
            "row 1",
            "`perhaps` is not a state of `smoke`",
        ],
    );
    write(p, "empty.csv", "");
    assert_fails_cleanly(
        p,
        &["fit", "bn", "empty.csv", "-o", "out.bif"],
        "out.bif",
        &["empty"],
    );
    write(p, "header.csv", "a,b\n");
    assert_fails_cleanly(
        p,
        &["fit", "bn", "header.csv", "-o", "out.bif"],
        "out.bif",
        &["no data rows"],
    );
    assert_bad_input(
        &genmodels(p, &["predict", "x.json", "unknown.csv", "--target", "lung"]),
        &["--target is for Bayesian networks"],
    );
    assert_bad_input(&genmodels(p, &["plot", ASIA, "-o", "asia.png"]), &[".svg"]);
    ok(
        p,
        &["sample", ASIA, "-n", "300", "-o", "few.csv", "--quiet"],
    );
    for score in ["bdeu", "k2", "aic", "bdeu-pgmpy", "k2-pgmpy"] {
        ok(
            p,
            &[
                "fit", "bn", "few.csv", "--score", score, "-o", "s.bif", "--quiet",
            ],
        );
    }
    assert_fails_cleanly(
        p,
        &["fit", "bn", "few.csv", "--score", "mdl", "-o", "s2.bif"],
        "s2.bif",
        &["--score \"mdl\""],
    );
    assert_bad_input(&genmodels(p, &["query", ASIA]), &["--target"]);
}

#[test]
fn network_classifiers_fit_score_and_predict_their_class() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    ok(
        p,
        &[
            "sample",
            ASIA,
            "-n",
            "4000",
            "--seed",
            "2",
            "-o",
            "train.csv",
            "--quiet",
        ],
    );
    ok(
        p,
        &[
            "sample", ASIA, "-n", "2000", "--seed", "3", "-o", "test.csv", "--quiet",
        ],
    );
    for structure in ["tan", "naive-bayes"] {
        let out = format!("{structure}.bif");
        let fit = one_json_object(&ok(
            p,
            &[
                "fit",
                "classifier",
                "train.csv",
                "--label-column",
                "lung",
                "--model",
                "bn",
                "--structure",
                structure,
                "-o",
                &out,
                "--json",
            ],
        ));
        assert_eq!(fit["family"], "classifier-bn");
        let s = one_json_object(&ok(p, &["score", &out, "test.csv", "--json"]));
        let c = &s["classification"];
        assert_eq!(c["n"], 2000);
        // `either` = lung OR tub, and tub is rare: lung is nearly determined by the rest.
        assert!(c["accuracy"].as_f64().unwrap() > 0.95, "{structure}: {c}");
        let conf: u64 = c["confusion"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
            .sum();
        assert_eq!(conf, 2000);
        // predict defaults to the class variable.
        ok(p, &["predict", &out, "test.csv", "--proba", "-o", "p.csv"]);
        let (h, rows) = read_csv(&p.join("p.csv"));
        assert_eq!(h, vec!["P(lung=no)", "P(lung=yes)"]);
        assert!(rows
            .iter()
            .all(|r| (parse(&r[0]) + parse(&r[1]) - 1.0).abs() < 1e-9));
    }
    assert_bad_input(
        &genmodels(
            p,
            &[
                "fit",
                "classifier",
                "train.csv",
                "--label-column",
                "lung",
                "--model",
                "bn",
                "-o",
                "x.json",
            ],
        ),
        &[".bif or .xmlbif"],
    );
}
