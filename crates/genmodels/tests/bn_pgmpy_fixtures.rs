//! Bayesian networks against pgmpy 1.1.2 and pyAgrum 3.3.1 (fixtures written by
//! `fixtures/make_bn_fixtures.py`; see `fixtures/BN_FIXTURES.md`): posterior marginals, the
//! probability of evidence, MPE, joint and do-queries on asia, child, insurance and alarm;
//! scores and parameters on data sampled from asia and alarm.

mod common;

use std::path::Path;

use common::load_fixture;
use genmodels::bayesnet::formats::read_bif;
use genmodels::bayesnet::inference::{mpe, JunctionTree, VariableElimination};
use genmodels::bayesnet::learn::{local_score, refit, score, Dag, Estimator, Prior, ScoreKind};
use genmodels::bayesnet::{BayesNet, DiscreteData};
use serde_json::Value;

fn network(name: &str) -> BayesNet {
    read_bif(Path::new(&format!(
        "{}/../../data/bayesnets/{name}.bif",
        env!("CARGO_MANIFEST_DIR")
    )))
    .unwrap()
}

fn fixture_csv(name: &str) -> DiscreteData {
    let path = format!("{}/tests/fixtures/bn/{name}", env!("CARGO_MANIFEST_DIR"));
    let table = genmodels::io::read_csv(Path::new(&path)).unwrap();
    DiscreteData::from_csv(&table, None).unwrap()
}

fn evidence_of(net: &BayesNet, ev: &Value) -> Vec<(usize, usize)> {
    let pairs: Vec<(String, String)> = ev
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    net.evidence(&pairs).unwrap()
}

/// Every posterior of every evidence set equals pgmpy's to 1e-9 and pyAgrum's to 1e-6, by
/// variable elimination and by the junction tree; P(e) too; the MPE has pgmpy's log-joint.
fn check_inference(name: &str) {
    let fx = load_fixture(&format!("bn/inference_{name}.json"));
    let net = network(name);
    let ve = VariableElimination::new(&net);
    let jt = JunctionTree::new(&net).unwrap();
    let queries = fx["evidence_queries"].as_array().unwrap();
    assert_eq!(queries.len(), 50);
    let mut worst = 0.0f64;
    for q in queries {
        let ev = evidence_of(&net, &q["evidence"]);
        assert!((1..=4).contains(&ev.len()));
        let cal = jt.calibrate(&ev).unwrap();
        for (var, post) in q["posteriors_pgmpy"].as_object().unwrap() {
            let v = net.index_of(var).unwrap();
            let by_ve = ve.marginal(v, &ev).unwrap();
            let by_jt = cal.marginal(v);
            for (s, state) in net.variable(v).states.iter().enumerate() {
                let pg = post[state].as_f64().unwrap();
                let pa = q["posteriors_pyagrum"][var][state].as_f64().unwrap();
                for (how, ours) in [("VE", by_ve[s]), ("JT", by_jt[s])] {
                    assert!(
                        (ours - pg).abs() <= 1e-9,
                        "{name} query {}: {how} P({var}={state}) = {ours}, pgmpy {pg}",
                        q["id"]
                    );
                    assert!((ours - pa).abs() <= 1e-6, "{name}: pyAgrum {pa} vs {ours}");
                    worst = worst.max((ours - pg).abs());
                }
            }
        }
        let log_pe = q["log_p_evidence"].as_f64().unwrap();
        let ours = ve.log_probability_of_evidence(&ev).unwrap();
        assert!(
            (ours - log_pe).abs() <= 1e-9 * log_pe.abs().max(1.0),
            "{name}: ln P(e) {ours} vs {log_pe}"
        );
        assert!((cal.log_evidence() - log_pe).abs() <= 1e-9 * log_pe.abs().max(1.0));
        // MPE: the same log-joint as pgmpy's and pyAgrum's (ties may pick another assignment).
        let (assignment, log_joint) = mpe(&net, &ev).unwrap();
        let reference = q["mpe_log_joint"].as_f64().unwrap();
        assert!(
            (log_joint - reference).abs() <= 1e-9 * reference.abs().max(1.0),
            "{name} query {}: MPE log-joint {log_joint} vs {reference}",
            q["id"]
        );
        assert!((net.log_prob(&assignment) - log_joint).abs() < 1e-9);
        for &(v, s) in &ev {
            assert_eq!(assignment[v], s, "the MPE keeps the evidence");
        }
        if q["mpe_values_agree"].as_bool() == Some(true) {
            // Where the reference assignment is unique (no tie), ours is the same.
            let ref_assign = &q["mpe_pgmpy"];
            let same = ref_assign.as_object().unwrap().iter().all(|(k, st)| {
                let v = net.index_of(k).unwrap();
                net.variable(v).states[assignment[v]] == st.as_str().unwrap()
            });
            let ref_log: f64 = q["mpe_pgmpy_log_joint"].as_f64().unwrap();
            assert!(
                same || (ref_log - log_joint).abs() < 1e-12,
                "{name}: MPE differs without a tie"
            );
        }
    }
    // Joint queries over two targets.
    for j in fx["joint_queries"].as_array().into_iter().flatten() {
        let ev = evidence_of(&net, &j["evidence"]);
        let targets: Vec<usize> = j["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| net.index_of(t.as_str().unwrap()).unwrap())
            .collect();
        let f = ve.query(&targets, &ev).unwrap();
        let table = j["table_pgmpy"].as_array().unwrap();
        for (a, row) in table.iter().enumerate() {
            for (b, p) in row.as_array().unwrap().iter().enumerate() {
                let ours = f.get(&[a, b]);
                assert!(
                    (ours - p.as_f64().unwrap()).abs() <= 1e-9,
                    "{name} joint {ours} vs {p}"
                );
            }
        }
    }
    // Interventions: P(target | do(X = x)).
    for iv in fx["interventions"].as_array().into_iter().flatten() {
        let dos = evidence_of(&net, &iv["do"]);
        let t = net.index_of(iv["target"].as_str().unwrap()).unwrap();
        let f = ve.query_do(&[t], &[], &dos).unwrap();
        for (s, state) in net.variable(t).states.iter().enumerate() {
            let reference = iv["p_do_pgmpy"][state].as_f64().unwrap();
            assert!((f.values()[s] - reference).abs() <= 1e-9, "{name} do-query");
        }
    }
    assert!(worst <= 1e-9);
}

#[test]
fn asia_posteriors_mpe_joints_and_interventions_match_pgmpy() {
    check_inference("asia");
}

#[test]
fn child_posteriors_and_mpe_match_pgmpy() {
    check_inference("child");
}

#[test]
fn insurance_posteriors_and_mpe_match_pgmpy() {
    check_inference("insurance");
}

#[test]
fn alarm_posteriors_mpe_joints_and_interventions_match_pgmpy() {
    check_inference("alarm");
}

/// The DAG of a fixture, over the data's columns.
fn dag_of(data: &DiscreteData, edges: &Value) -> Dag {
    let idx = |v: &Value| data.column_index(v.as_str().unwrap()).unwrap();
    let e: Vec<(usize, usize)> = edges
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (idx(&p[0]), idx(&p[1])))
        .collect();
    Dag::from_edges(data.n_columns(), &e).unwrap()
}

/// LL, BIC, BDeu (ess 10 and 1) and K2 of three DAGs equal pgmpy's to 1e-9 (pgmpy's own
/// BDeu/K2 and the textbook ones), with the data's states and with the network's states.
fn check_scores(net_name: &str, rows: usize) {
    let fx = load_fixture(&format!("bn/scores_{net_name}_{rows}.json"));
    let raw = fixture_csv(&format!("{net_name}_{rows}.csv"));
    let net = network(net_name);
    let with_net_states = raw.align_to(&net, false, false).unwrap();
    let kinds: [(&str, ScoreKind, ScoreKind); 5] = [
        ("loglik", ScoreKind::LogLikelihood, ScoreKind::LogLikelihood),
        ("bic", ScoreKind::Bic, ScoreKind::Bic),
        (
            "bdeu_ess10",
            ScoreKind::BDeu { ess: 10.0 },
            ScoreKind::BDeuTextbook { ess: 10.0 },
        ),
        (
            "bdeu_ess1",
            ScoreKind::BDeu { ess: 1.0 },
            ScoreKind::BDeuTextbook { ess: 1.0 },
        ),
        ("k2", ScoreKind::K2, ScoreKind::K2Textbook),
    ];
    let mut checked = 0;
    for (mode, data) in [("data_states", &raw), ("network_states", &with_net_states)] {
        for (dag_name, dag_fx) in fx["dags"].as_object().unwrap() {
            let dag = dag_of(data, &dag_fx["edges"]);
            for (key, pgmpy_kind, textbook_kind) in &kinds {
                for (table, kind) in [("scores", pgmpy_kind), ("scores_textbook", textbook_kind)] {
                    let reference = fx[table][mode][dag_name]["total"][key].as_f64().unwrap();
                    let ours = score(data, &dag, *kind).unwrap();
                    assert!(
                        (ours - reference).abs() <= 1e-9 * reference.abs(),
                        "{net_name} {rows} rows, {mode}, {dag_name} DAG, {table} {key}: ours {ours}, reference {reference}"
                    );
                    checked += 1;
                }
            }
        }
        for fam in fx["extra_families"].as_array().unwrap() {
            let child = data.column_index(fam["child"].as_str().unwrap()).unwrap();
            let parents: Vec<usize> = fam["parents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| data.column_index(p.as_str().unwrap()).unwrap())
                .collect();
            let reference = fam[mode]["bic"].as_f64().unwrap();
            let ours = local_score(data, child, &parents, ScoreKind::Bic).unwrap();
            assert!((ours - reference).abs() <= 1e-9 * reference.abs().max(1.0));
        }
    }
    assert_eq!(checked, 2 * 3 * 5 * 2);
}

#[test]
fn scores_of_given_dags_match_pgmpy_on_asia() {
    check_scores("asia", 2000);
    check_scores("asia", 100);
}

#[test]
fn scores_of_given_dags_match_pgmpy_on_alarm() {
    check_scores("alarm", 2000);
    check_scores("alarm", 50);
}

/// MLE and BDeu (ess 10) tables on the true graph equal pgmpy's, including states and parent
/// configurations that never occur (uniform MLE rows, prior-only BDeu rows).
fn check_params(net_name: &str, rows: usize) {
    let fx = load_fixture(&format!("bn/params_{net_name}_{rows}.json"));
    let net = network(net_name);
    let data = fixture_csv(&format!("{net_name}_{rows}.csv"))
        .align_to(&net, false, false)
        .unwrap();
    for (key, est) in [
        ("mle", Estimator::Mle),
        ("bdeu_ess10", Estimator::Bayes(Prior::BDeu { ess: 10.0 })),
    ] {
        let fitted = refit(&net, &data, est).unwrap();
        for (var, cpt) in fx["cpts"].as_object().unwrap() {
            let v = fitted.index_of(var).unwrap();
            let parents: Vec<&str> = fitted
                .parents(v)
                .iter()
                .map(|&p| fitted.variable(p).name.as_str())
                .collect();
            let ref_parents: Vec<&str> = cpt["parents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            assert_eq!(parents, ref_parents, "{var}: parent order");
            let ours = &fitted.cpt(v).values;
            let reference: Vec<f64> = cpt[key]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
                .collect();
            assert_eq!(ours.len(), reference.len());
            for (i, (a, b)) in ours.iter().zip(&reference).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-12,
                    "{net_name} {rows} {key} {var}[{i}]: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn mle_and_bdeu_parameters_match_pgmpy() {
    check_params("asia", 2000);
    check_params("asia", 100);
    check_params("alarm", 2000);
    check_params("alarm", 50);
}

/// Hill climbing on BIC over the same 2,000 rows: our learned graph is at least as close to the
/// true alarm graph as pgmpy's and pyAgrum's by structural Hamming distance (ours 23, pyAgrum 28,
/// pgmpy 38 when this was written).
#[test]
fn hill_climbing_on_alarm_is_as_close_to_the_truth_as_pgmpy_and_pyagrum() {
    use genmodels::bayesnet::learn::HillClimb;
    use genmodels::core::Fit;
    let fx = load_fixture("bn/structure_alarm_2000.json");
    let net = network("alarm");
    // The data's own states (as pgmpy and pyAgrum read a CSV), columns in the network's order.
    let raw = fixture_csv("alarm_2000.csv");
    let order: Vec<usize> = net
        .variables()
        .iter()
        .map(|v| raw.column_index(&v.name).unwrap())
        .collect();
    let data = DiscreteData::new(
        order.iter().map(|&j| raw.names[j].clone()).collect(),
        order.iter().map(|&j| raw.states[j].clone()).collect(),
        order.iter().map(|&j| raw.columns[j].clone()).collect(),
    )
    .unwrap();
    let found = HillClimb::new(ScoreKind::Bic).fit(&data).unwrap();
    let cmp = found.dag.compare(&Dag::from_network(&net)).unwrap();
    for peer in ["pgmpy_hillclimb_bic", "pyagrum_greedy_bic"] {
        let theirs = &fx["results"][peer];
        let shd = theirs["shd_dag"].as_u64().unwrap() as usize;
        let skeleton = theirs["shd_skeleton"].as_u64().unwrap() as usize;
        assert!(
            cmp.shd() <= shd,
            "SHD {} vs {peer}'s {shd} ({cmp:?})",
            cmp.shd()
        );
        // The criterion is the SHD; on the skeleton alone we beat pgmpy (12 vs 19
        // when this was written) but not pyAgrum (12 vs 11), so that is checked against pgmpy.
        if peer == "pgmpy_hillclimb_bic" {
            assert!(
                cmp.skeleton() <= skeleton,
                "skeleton {} vs {peer}'s {skeleton}",
                cmp.skeleton()
            );
        }
    }
}
