//! Our EM against scikit-learn 1.9.1 on the same data from the same start.
//!
//! Fixtures: `tests/fixtures/sklearn_gmm.json`, made by `fixtures/make_sklearn_gmm.py`
//! (Old Faithful, iris and a synthetic 16-d, 8-component set, × four covariance types; and a
//! reference Bernoulli-mixture EM on binarised digits).

use genmodels::mixture::{
    BernoulliMixture, CovarianceParams, CovarianceType, GaussianComponents, GaussianMixture,
    InitParams, Mixture,
};
mod common;

use common::*;
use genmodels::prelude::*;
use serde_json::Value;

fn fixtures() -> Value {
    load_fixture("sklearn_gmm.json")
}

fn cov_params(t: CovarianceType, v: &Value) -> CovarianceParams {
    match t {
        CovarianceType::Full => CovarianceParams::Full(mat3(v)),
        CovarianceType::Tied => CovarianceParams::Tied(mat2(v)),
        CovarianceType::Diag => CovarianceParams::Diag(mat2(v)),
        CovarianceType::Spherical => CovarianceParams::Spherical(vec1(v)),
    }
}

#[test]
fn em_matches_scikit_learn_iteration_by_iteration() {
    let f = fixtures();
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 12);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let x = mat2(&f["datasets"][case["dataset"].as_str().unwrap()]);
        let t: CovarianceType = case["covariance_type"].as_str().unwrap().parse().unwrap();
        let k = case["n_components"].as_u64().unwrap() as usize;
        let init = InitParams {
            weights: Some(vec1(&case["weights_init"])),
            means: mat2(&case["means_init"]),
            precisions: Some(cov_params(t, &case["precisions_init"])),
        };
        let model = GaussianMixture::params(k)
            .covariance(t)
            .init_params(init)
            .reg_covar(case["reg_covar"].as_f64().unwrap())
            .tol(case["tol"].as_f64().unwrap())
            .max_iter(case["max_iter"].as_u64().unwrap() as usize)
            .fit(&x)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = model.report.as_ref().unwrap();
        let expected_lb = vec1(&case["lower_bounds"]);
        assert_eq!(
            report.n_iter,
            case["n_iter"].as_u64().unwrap() as usize,
            "{name}: n_iter"
        );
        assert_eq!(
            report.converged,
            case["converged"].as_bool().unwrap(),
            "{name}: converged"
        );
        assert_close(
            &format!("{name} lower bound"),
            report.lower_bounds.iter().copied(),
            expected_lb.iter().copied(),
            1e-8,
        );
        assert_close(
            &format!("{name} weights"),
            model.weights.iter().copied(),
            vec1(&case["weights"]),
            1e-6,
        );
        assert_close(
            &format!("{name} means"),
            model.components.means.iter().copied(),
            mat2(&case["means"]),
            1e-6,
        );
        assert_close(
            &format!("{name} covariances"),
            flat(&model.components.covariances),
            flat(&cov_params(t, &case["covariances"])),
            1e-6,
        );
        assert_close(
            &format!("{name} precisions_cholesky"),
            flat(&model.components.precisions_cholesky),
            flat(&cov_params(t, &case["precisions_cholesky"])),
            1e-6,
        );
    }
}

#[test]
fn fixed_model_scores_match_scikit_learn() {
    let f = fixtures();
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let x = mat2(&f["datasets"][case["dataset"].as_str().unwrap()]);
        let t: CovarianceType = case["covariance_type"].as_str().unwrap().parse().unwrap();
        let comps = GaussianComponents::from_parts(
            mat2(&case["means"]),
            cov_params(t, &case["covariances"]),
            cov_params(t, &case["precisions_cholesky"]),
            1e-6,
        )
        .unwrap();
        let model: GaussianMixture = Mixture::new(vec1(&case["weights"]), comps).unwrap();
        let ll = model.log_likelihood(&x).unwrap();
        assert_close(
            &format!("{name} score_samples"),
            ll.iter().copied(),
            vec1(&case["score_samples"]),
            1e-10,
        );
        let proba = model.predict_proba(x.view()).unwrap();
        assert_close(
            &format!("{name} predict_proba"),
            proba.iter().copied(),
            mat2(&case["predict_proba"]),
            1e-10,
        );
        assert!(
            close(
                model.bic(x.view()).unwrap(),
                case["bic"].as_f64().unwrap(),
                1e-10
            ),
            "{name} bic"
        );
        assert!(
            close(
                model.aic(x.view()).unwrap(),
                case["aic"].as_f64().unwrap(),
                1e-10
            ),
            "{name} aic"
        );
        assert!(
            close(
                model.score(x.view()).unwrap(),
                case["score"].as_f64().unwrap(),
                1e-10
            ),
            "{name} score"
        );
    }
}

#[test]
fn bernoulli_em_matches_reference() {
    let f = fixtures();
    let b = &f["bernoulli"];
    let x = mat2(&b["X"]);
    let k = b["n_components"].as_u64().unwrap() as usize;
    let n_iter = b["n_iter"].as_u64().unwrap() as usize;
    let model = BernoulliMixture::params(k)
        .init_params(vec1(&b["weights_init"]), mat2(&b["means_init"]))
        .clip(b["clip"].as_f64().unwrap())
        .max_iter(n_iter)
        .tol(0.0)
        .fit(&x)
        .unwrap();
    let r = model.report.as_ref().unwrap();
    assert_eq!(r.n_iter, n_iter);
    assert_close(
        "bernoulli lower bound",
        r.lower_bounds.iter().copied(),
        vec1(&b["lower_bounds"]),
        1e-8,
    );
    assert_close(
        "bernoulli weights",
        model.weights.iter().copied(),
        vec1(&b["weights"]),
        1e-6,
    );
    assert_close(
        "bernoulli means",
        model.components.means.iter().copied(),
        mat2(&b["means"]),
        1e-6,
    );
    let ll = model.log_likelihood(&x).unwrap();
    assert_close(
        "bernoulli score_samples",
        ll.iter().copied(),
        vec1(&b["score_samples"]),
        1e-8,
    );
}
