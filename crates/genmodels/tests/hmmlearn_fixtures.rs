//! Our HMMs against hmmlearn 0.3.3 on the same data from the same start.
//!
//! Fixtures: `tests/fixtures/hmmlearn.json`, made by `fixtures/make_hmmlearn_fixtures.py`; the
//! algorithms they pin down are written up in `fixtures/HMMLEARN_NOTES.md`. The Gaussian cases
//! use `covars_prior=0` (plain maximum likelihood); the GMM-HMM cases use hmmlearn's default
//! (non-informative) priors with our `GmmCovarianceUpdate::PreviousMeans`, hmmlearn's update.
//! Not checked here: the case with hmmlearn's covariance priors (`*_priors`).

use genmodels::core::data::Sequences;
use genmodels::hmm::{
    CategoricalInit, EmissionInit, GaussianInit, GaussianMixtureEmission, GmmCovarianceUpdate,
    GmmInit, Hmm, HmmParams, MultinomialInit, PoissonInit, Topology,
};
use genmodels::mixture::{
    CategoricalComponents, Components, CovarianceParams, CovarianceType, GaussianComponents,
    MultinomialComponents, PoissonComponents,
};
mod common;

use common::*;
use genmodels::prelude::*;
use ndarray::{Array2, Array3};
use serde_json::Value;

fn fixtures() -> Value {
    load_fixture("hmmlearn.json")
}

fn sequences(case: &Value) -> Sequences {
    let lengths: Vec<usize> = case["lengths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    Sequences::new(mat2(&case["X"]), lengths).unwrap()
}

fn gaussian_emission(params: &Value, t: CovarianceType) -> GaussianComponents {
    let means = mat2(&params["means_"]);
    let c = &params["_covars_"];
    let cov = match t {
        CovarianceType::Full => CovarianceParams::Full(mat3(c)),
        CovarianceType::Tied => CovarianceParams::Tied(mat2(c)),
        CovarianceType::Diag => CovarianceParams::Diag(mat2(c)),
        // hmmlearn stores (K,) when set by hand and (K, d) repeated after an M-step.
        CovarianceType::Spherical => {
            CovarianceParams::Spherical(match c.as_array().unwrap()[0].as_array() {
                Some(_) => mat2(c).column(0).to_owned(),
                None => vec1(c),
            })
        }
    };
    GaussianComponents::from_covariances(means, cov, 0.0).unwrap()
}

/// Runs one case: fit from hmmlearn's start, compare history and parameters; then score,
/// decode and posteriors of hmmlearn's fitted model.
fn check<I: EmissionInit>(
    case: &Value,
    init: I,
    start_e: I::Emission,
    final_e: I::Emission,
    cmp: impl Fn(&I::Emission, &I::Emission),
) where
    I::Emission: PartialEq + std::fmt::Debug,
{
    let name = case["name"].as_str().unwrap();
    let data = sequences(case);
    let s = case["initial"]["startprob_"].as_array().unwrap().len();
    let n_iter = case["n_iter"].as_u64().unwrap() as usize;
    let m = HmmParams::new(s, init)
        .emission(start_e)
        .topology(Topology::Given(
            vec1(&case["initial"]["startprob_"]),
            mat2(&case["initial"]["transmat_"]),
        ))
        .max_iter(n_iter)
        .tol(0.0)
        .fit(&data)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let r = m.report.as_ref().unwrap();
    assert_eq!(r.n_iter, n_iter, "{name}: iterations");
    assert_close(
        &format!("{name} history"),
        r.lower_bounds.iter().copied(),
        vec1(&case["history"]),
        1e-8,
    );
    assert_close(
        &format!("{name} startprob"),
        m.startprob.iter().copied(),
        vec1(&case["final"]["startprob_"]),
        1e-6,
    );
    assert_close(
        &format!("{name} transmat"),
        m.transmat.iter().copied(),
        mat2(&case["final"]["transmat_"]),
        1e-6,
    );
    cmp(&m.emission, &final_e);

    // hmmlearn's fitted model, scored by us.
    let fixed = Hmm::new(
        vec1(&case["final"]["startprob_"]),
        mat2(&case["final"]["transmat_"]),
        final_e,
    )
    .unwrap();
    let ll = fixed.log_likelihood(&data).unwrap();
    assert_close(
        &format!("{name} score per sequence"),
        ll.iter().copied(),
        vec1(&case["score_per_sequence"]),
        1e-10,
    );
    let post = fixed.predict_proba(&data).unwrap();
    let expect = mat2(&case["posteriors"]);
    assert_eq!(post.dim(), expect.dim(), "{name} posteriors");
    for (a, b) in post.iter().zip(expect.iter()) {
        assert!((a - b).abs() < 1e-10, "{name} posteriors: {a} vs {b}");
    }
    let decoded = fixed.decode(&data).unwrap();
    for (i, (ours, theirs)) in decoded
        .iter()
        .zip(case["viterbi"].as_array().unwrap())
        .enumerate()
    {
        assert!(
            close(ours.0, theirs["logprob"].as_f64().unwrap(), 1e-10),
            "{name} viterbi logprob of sequence {i}"
        );
        let path: Vec<usize> = theirs["states"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(ours.1, path, "{name} viterbi path of sequence {i}");
    }
}

fn gaussian_cmp(a: &GaussianComponents, b: &GaussianComponents) {
    assert_close(
        "means",
        a.means.iter().copied(),
        b.means.iter().copied(),
        1e-6,
    );
    assert_close(
        "covariances",
        flat(&a.covariances),
        flat(&b.covariances),
        1e-6,
    );
}

#[test]
fn gaussian_hmms_match_hmmlearn() {
    let f = fixtures();
    let mut checked = 0;
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if case["model"] != "gaussian" || name.ends_with("_priors") {
            continue;
        }
        let t: CovarianceType = case["kwargs"]["covariance_type"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let start = gaussian_emission(&case["initial"], t);
        let fin = gaussian_emission(&case["final"], t);
        check(
            case,
            GaussianInit {
                covariance: t,
                reg_covar: 0.0,
            },
            start,
            fin,
            gaussian_cmp,
        );
        checked += 1;
    }
    assert_eq!(
        checked, 5,
        "rgnp diag, synthetic full, spherical, tied, left-right diag"
    );
}

#[test]
fn categorical_and_poisson_hmms_match_hmmlearn() {
    let f = fixtures();
    let mut checked = 0;
    for case in f["cases"].as_array().unwrap() {
        match case["model"].as_str().unwrap() {
            "categorical" => {
                let e = |p: &Value| CategoricalComponents {
                    probs: mat2(&p["emissionprob_"]),
                };
                check(
                    case,
                    CategoricalInit::default(),
                    e(&case["initial"]),
                    e(&case["final"]),
                    |a, b| {
                        assert_close(
                            "emissionprob",
                            a.probs.iter().copied(),
                            b.probs.iter().copied(),
                            1e-6,
                        )
                    },
                );
                checked += 1;
            }
            "poisson" => {
                let e = |p: &Value| PoissonComponents {
                    rates: mat2(&p["lambdas_"]),
                };
                check(
                    case,
                    PoissonInit,
                    e(&case["initial"]),
                    e(&case["final"]),
                    |a, b| {
                        assert_close(
                            "lambdas",
                            a.rates.iter().copied(),
                            b.rates.iter().copied(),
                            1e-6,
                        )
                    },
                );
                checked += 1;
            }
            _ => {}
        }
    }
    assert_eq!(checked, 2);
}

#[test]
fn left_right_zeros_stay_exactly_zero_as_in_hmmlearn() {
    let f = fixtures();
    let case = f["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "left_right_gaussian")
        .unwrap();
    let fin = mat2(&case["final"]["transmat_"]);
    let init = mat2(&case["initial"]["transmat_"]);
    for (a, b) in init.iter().zip(fin.iter()) {
        assert_eq!(*a == 0.0, *b == 0.0);
    }
}

#[test]
fn a_20000_step_sequence_scores_and_decodes_as_in_hmmlearn() {
    let f = fixtures();
    let ls = &f["long_sequence"];
    let p = &ls["params"];
    let m = Hmm::new(
        vec1(&p["startprob_"]),
        mat2(&p["transmat_"]),
        gaussian_emission(p, CovarianceType::Diag),
    )
    .unwrap();
    let data = sequences(ls);
    let ll = m.log_likelihood(&data).unwrap();
    assert!(
        close(ll[0], ls["score"].as_f64().unwrap(), 1e-10),
        "{} vs {}",
        ll[0],
        ls["score"]
    );
    let d = m.decode(&data).unwrap();
    assert!(close(
        d[0].0,
        ls["viterbi_logprob"].as_f64().unwrap(),
        1e-10
    ));
    let path: String = d[0].1.iter().map(|s| char::from(b'0' + *s as u8)).collect();
    assert_eq!(path, ls["viterbi_path"].as_str().unwrap());
    assert!(m.emission.n_components() == 2);
}

/// Every number of a nested JSON array, in row-major order.
fn flatten(v: &Value, out: &mut Vec<f64>) {
    match v.as_array() {
        Some(a) => a.iter().for_each(|x| flatten(x, out)),
        None => out.push(v.as_f64().unwrap()),
    }
}

/// A GMM-HMM emission from hmmlearn's layout: `weights_` (K, M), `means_` (K, M, d), `covars_`
/// (K, M, d) for diag or (K, M, d, d) for full; our component `k·M + m` is mixture `m` of state k.
fn gmm_emission(
    p: &Value,
    t: CovarianceType,
    covariance_update: GmmCovarianceUpdate,
) -> GaussianMixtureEmission {
    let weights = mat2(&p["weights_"]);
    let (k, m) = weights.dim();
    let mut mu = Vec::new();
    flatten(&p["means_"], &mut mu);
    let d = mu.len() / (k * m);
    let means = Array2::from_shape_vec((k * m, d), mu).unwrap();
    let mut c = Vec::new();
    flatten(&p["covars_"], &mut c);
    let cov = match t {
        CovarianceType::Diag => {
            CovarianceParams::Diag(Array2::from_shape_vec((k * m, d), c).unwrap())
        }
        CovarianceType::Full => {
            CovarianceParams::Full(Array3::from_shape_vec((k * m, d, d), c).unwrap())
        }
        other => panic!("no hmmlearn GMM-HMM fixture with {other} covariances"),
    };
    GaussianMixtureEmission {
        weights,
        components: GaussianComponents::from_covariances(means, cov, 0.0).unwrap(),
        covariance_update,
    }
}

fn gmm_cases(f: &Value) -> Vec<(&Value, CovarianceType)> {
    f["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["model"] == "gmm")
        .map(|c| {
            let t = c["kwargs"]["covariance_type"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            (c, t)
        })
        .collect()
}

/// hmmlearn's GMMHMM centres the covariance statistics on the means that entered the iteration
/// (HMMLEARN_NOTES.md §6); with `GmmCovarianceUpdate::PreviousMeans` our Baum-Welch makes the
/// same update, so the whole fit must agree: every iteration's log-likelihood, the final
/// weights, means and covariances, and scoring, posteriors and Viterbi of the fitted model.
#[test]
fn gmm_hmms_match_hmmlearn_iteration_by_iteration() {
    let f = fixtures();
    let cases = gmm_cases(&f);
    let names: Vec<&str> = cases
        .iter()
        .map(|(c, _)| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "synthetic_gmm_diag",
            "synthetic_gmm3_full",
            "synthetic_gmm3_diag"
        ]
    );
    for (case, t) in cases {
        let n_mix = case["kwargs"]["n_mix"].as_u64().unwrap() as usize;
        // hmmlearn's default GMMHMM priors are non-informative for full and diag: they cancel
        // to the plain update (NOTES §6); check the fixture has them.
        let pr = &case["resolved_priors"];
        let mut w = Vec::new();
        flatten(&pr["weights_prior"], &mut w);
        assert!(w.iter().all(|v| *v == 1.0));
        let mut lam = Vec::new();
        flatten(&pr["means_weight"], &mut lam);
        assert!(lam.iter().all(|v| *v == 0.0));
        let update = GmmCovarianceUpdate::PreviousMeans;
        check(
            case,
            GmmInit {
                reg_covar: 0.0,
                covariance_update: update,
                ..GmmInit::new(n_mix, t)
            },
            gmm_emission(&case["initial"], t, update),
            gmm_emission(&case["final"], t, update),
            |a, b| {
                assert_close(
                    "mixture weights",
                    a.weights.iter().copied(),
                    b.weights.iter().copied(),
                    1e-6,
                );
                gaussian_cmp(&a.components, &b.components);
            },
        );
    }
}

/// With our default, exact EM, the fit from hmmlearn's start is a different (better) path: the
/// start's likelihood is hmmlearn's history[0], the likelihood never decreases, and it ends at
/// least as high as hmmlearn's generalised EM.
#[test]
fn exact_em_gmm_hmms_are_monotone_and_end_at_least_as_high_as_hmmlearn() {
    let f = fixtures();
    for (case, t) in gmm_cases(&f) {
        let name = case["name"].as_str().unwrap();
        let data = sequences(case);
        let start = Hmm::new(
            vec1(&case["initial"]["startprob_"]),
            mat2(&case["initial"]["transmat_"]),
            gmm_emission(&case["initial"], t, GmmCovarianceUpdate::Exact),
        )
        .unwrap();
        let h0 = case["history"][0].as_f64().unwrap();
        assert!(close(start.score(&data).unwrap(), h0, 1e-10), "{name}");
        let n_mix = start.emission.n_mix();
        let m = HmmParams::new(
            start.n_states(),
            GmmInit {
                reg_covar: 0.0,
                ..GmmInit::new(n_mix, t)
            },
        )
        .emission(start.emission.clone())
        .topology(Topology::Given(
            start.startprob.clone(),
            start.transmat.clone(),
        ))
        .max_iter(25)
        .tol(0.0)
        .fit(&data)
        .unwrap();
        let h = &m.report.as_ref().unwrap().lower_bounds;
        assert_eq!(h.len(), 25, "{name}");
        assert!(close(h[0], h0, 1e-10), "{name}");
        for w in h.windows(2) {
            assert!(
                w[1] >= w[0] - 1e-9 * w[0].abs(),
                "{name}: {} -> {}",
                w[0],
                w[1]
            );
        }
        let theirs = vec1(&case["history"]);
        // After the first M-step the two updates differ, so the paths differ.
        assert!(
            !close(h[1], theirs[1], 1e-8),
            "{name}: the updates should differ"
        );
        let last_theirs = *theirs.last().unwrap();
        assert!(
            *h.last().unwrap() >= last_theirs - 1e-6 * last_theirs.abs(),
            "{name}: {} vs {}",
            h.last().unwrap(),
            last_theirs
        );
        assert_eq!(
            m.emission.components.n_components(),
            start.n_states() * n_mix
        );
    }
}

/// hmmlearn's MultinomialHMM (0.3.x, with `n_trials`): counts over V categories per step.
#[test]
fn multinomial_hmm_matches_hmmlearn() {
    let f = fixtures();
    let case = f["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["model"] == "multinomial")
        .expect("a multinomial case");
    let n_trials = case["n_trials"].as_u64().unwrap() as usize;
    assert_eq!(case["kwargs"]["n_trials"].as_u64(), Some(n_trials as u64));
    let e = |p: &Value| MultinomialComponents {
        probs: mat2(&p["emissionprob_"]),
        n_trials,
    };
    check(
        case,
        MultinomialInit {
            n_trials: Some(n_trials),
        },
        e(&case["initial"]),
        e(&case["final"]),
        |a, b| {
            assert_close(
                "emissionprob",
                a.probs.iter().copied(),
                b.probs.iter().copied(),
                1e-6,
            )
        },
    );
}
