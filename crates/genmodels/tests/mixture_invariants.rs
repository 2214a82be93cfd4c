//! Invariants of the mixture models that hold whatever the peer libraries say: EM never
//! decreases its objective, samples reproduce the model, conditionals match closed forms,
//! chunked and whole-data fits agree, the same seed gives the same model.

use genmodels::core::{DataError, Error, NumericalError, ParamError};
use genmodels::mixture::{
    BernoulliMixture, CovarianceParams, CovarianceType, GaussianComponents, GaussianMixture,
    InitMethod, InitParams, Mixture,
};
use genmodels::prelude::*;
use ndarray::{array, s, Array1, Array2, Array3, Axis};
use rand::Rng;
use rand_distr::StandardNormal;

/// Three 3-d clusters with correlated noise, seeded.
fn blobs(n: usize, seed: u64) -> Array2<f64> {
    let mut rng = rng_from_seed(seed);
    let centres = [[0.0, 0.0, 0.0], [4.0, 1.0, -2.0], [-3.0, 5.0, 1.0]];
    let mut x = Array2::zeros((n, 3));
    for (i, mut row) in x.outer_iter_mut().enumerate() {
        let c = centres[i % 3];
        let z: [f64; 3] = [
            rng.sample(StandardNormal),
            rng.sample(StandardNormal),
            rng.sample(StandardNormal),
        ];
        row[0] = c[0] + z[0];
        row[1] = c[1] + 0.5 * z[0] + 0.8 * z[1];
        row[2] = c[2] + 0.3 * z[2] - 0.2 * z[1];
    }
    x
}

fn two_component_model() -> GaussianMixture {
    let means = array![[0.0, 0.0], [5.0, 3.0]];
    let mut cov = Array3::zeros((2, 2, 2));
    cov.slice_mut(s![0, .., ..])
        .assign(&array![[1.0, 0.6], [0.6, 2.0]]);
    cov.slice_mut(s![1, .., ..])
        .assign(&array![[0.5, -0.2], [-0.2, 0.3]]);
    let comps =
        GaussianComponents::from_covariances(means, CovarianceParams::Full(cov), 0.0).unwrap();
    Mixture::new(array![0.3, 0.7], comps).unwrap()
}

#[test]
fn em_never_decreases_the_objective() {
    let x = blobs(600, 1);
    for t in CovarianceType::ALL {
        for init in [
            InitMethod::Random,
            InitMethod::RandomFromData,
            InitMethod::KMeans,
        ] {
            let m = GaussianMixture::params(4)
                .covariance(t)
                .init(init.clone())
                .tol(0.0)
                .max_iter(60)
                .seed(5)
                .fit(&x)
                .unwrap();
            let lb = &m.report.as_ref().unwrap().lower_bounds;
            assert_eq!(lb.len(), 60);
            for w in lb.windows(2) {
                assert!(
                    w[1] >= w[0] - 1e-10 * w[0].abs(),
                    "{t} {init:?}: objective fell from {} to {}",
                    w[0],
                    w[1]
                );
            }
        }
    }
    let bin = x.mapv(|v| if v > 0.5 { 1.0 } else { 0.0 });
    let m = BernoulliMixture::params(3)
        .tol(0.0)
        .max_iter(40)
        .fit(&bin)
        .unwrap();
    for w in m.report.as_ref().unwrap().lower_bounds.windows(2) {
        assert!(w[1] >= w[0] - 1e-12);
    }
}

#[test]
fn samples_reproduce_weights_means_and_covariances() {
    let m = two_component_model();
    let n = 200_000;
    let s = m.sample(n, &mut rng_from_seed(11)).unwrap();
    let frac1 = s.component.iter().filter(|c| **c == 1).count() as f64 / n as f64;
    // Binomial standard error is 0.001; allow 5 of them.
    assert!(
        (frac1 - 0.7).abs() < 0.005,
        "weight of component 1: {frac1}"
    );
    for k in 0..2 {
        let rows: Vec<usize> = (0..n).filter(|&i| s.component[i] == k).collect();
        let xk = s.x.select(Axis(0), &rows);
        let mean = xk.mean_axis(Axis(0)).unwrap();
        let cov_true = m.components.full_covariance(k);
        let nk = rows.len() as f64;
        for j in 0..2 {
            let se = (cov_true[[j, j]] / nk).sqrt();
            assert!(
                (mean[j] - m.components.means[[k, j]]).abs() < 5.0 * se,
                "mean {k},{j}"
            );
        }
        let diff = &xk - &mean;
        let cov = diff.t().dot(&diff) / (nk - 1.0);
        for (a, b) in cov.iter().zip(cov_true.iter()) {
            assert!(
                (a - b).abs() < 0.03 * cov_true[[0, 0]].max(cov_true[[1, 1]]),
                "cov {k}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn conditional_of_a_single_gaussian_matches_the_closed_form() {
    // One 2-d Gaussian: x1 | x2 = v ~ N(μ1 + σ12/σ22 (v − μ2), σ11 − σ12²/σ22).
    let means = array![[1.0, -2.0]];
    let cov = array![[[2.0, 0.8], [0.8, 1.5]]];
    let comps =
        GaussianComponents::from_covariances(means, CovarianceParams::Full(cov), 0.0).unwrap();
    let m: GaussianMixture = Mixture::new(array![1.0], comps).unwrap();
    let v = 0.5;
    let c = m.condition(&[None, Some(v)]).unwrap();
    let mean = 1.0 + 0.8 / 1.5 * (v + 2.0);
    let var = 2.0 - 0.8 * 0.8 / 1.5;
    assert!((c.mean()[0] - mean).abs() < 1e-12);
    assert!((c.covariances[[0, 0, 0]] - var).abs() < 1e-12);
    // The marginal of x2 is N(−2, 1.5).
    let expect =
        -0.5 * (2.0 * std::f64::consts::PI * 1.5).ln() - (v + 2.0) * (v + 2.0) / (2.0 * 1.5);
    assert!((c.log_marginal - expect).abs() < 1e-12);
    let filled = m.impute(array![[f64::NAN, v], [3.0, 4.0]].view()).unwrap();
    assert!((filled[[0, 0]] - mean).abs() < 1e-12);
    assert_eq!(filled.row(1).to_vec(), vec![3.0, 4.0]);
    // Draws given x2 = v have the conditional mean and variance.
    let draws = m
        .sample_given([None, Some(v)].as_slice(), 100_000, &mut rng_from_seed(3))
        .unwrap();
    assert!(draws.column(1).iter().all(|x| *x == v));
    let col = draws.column(0);
    assert!((col.mean().unwrap() - mean).abs() < 5.0 * (var / 1e5f64).sqrt());
    assert!((col.var(1.0) - var).abs() < 0.02 * var);
}

#[test]
fn marginal_likelihood_of_incomplete_rows_is_the_marginal_mixture() {
    let m = two_component_model();
    let x = array![[f64::NAN, 2.5], [1.0, 2.0]];
    let ll = m.marginal_log_likelihood(x.view()).unwrap();
    // Marginal of feature 2: 0.3 N(0, 2) + 0.7 N(3, 0.3).
    let n = |x: f64, mu: f64, var: f64| {
        (-(x - mu) * (x - mu) / (2.0 * var)).exp() / (2.0 * std::f64::consts::PI * var).sqrt()
    };
    let expect = (0.3 * n(2.5, 0.0, 2.0) + 0.7 * n(2.5, 3.0, 0.3)).ln();
    assert!((ll[0] - expect).abs() < 1e-12);
    let full = m.log_likelihood(&array![[1.0, 2.0]]).unwrap();
    assert_eq!(ll[1], full[0]);
    // Posterior weights given x2 follow Bayes' rule.
    let c = m.condition(&[None, Some(2.5)]).unwrap();
    let p1 = 0.7 * n(2.5, 3.0, 0.3) / (0.3 * n(2.5, 0.0, 2.0) + 0.7 * n(2.5, 3.0, 0.3));
    assert!((c.weights[1] - p1).abs() < 1e-12);
}

#[test]
fn chunked_and_whole_data_fits_agree() {
    let x = blobs(1000, 2);
    for t in CovarianceType::ALL {
        let p = GaussianMixture::params(3)
            .covariance(t)
            .seed(4)
            .tol(1e-8)
            .max_iter(50);
        let whole = p.fit(&x).unwrap();
        // Streaming: the first chunk initialises, so give the whole-data fit the same start.
        let chunks: Vec<Array2<f64>> = x
            .axis_chunks_iter(Axis(0), 1000)
            .map(|c| c.to_owned())
            .collect();
        let streamed_same = p
            .fit_chunks(|| chunks.clone().into_iter().map(Ok), &mut Silent)
            .unwrap();
        assert_eq!(
            whole.report.as_ref().unwrap().lower_bounds,
            streamed_same.report.as_ref().unwrap().lower_bounds
        );
        // Many small chunks from the same start give the same fit up to summation order.
        let init = InitParams {
            weights: Some(whole.weights.clone()),
            means: whole.components.means.clone(),
            precisions: Some(whole.components.precisions()),
        };
        let p2 = GaussianMixture::params(3)
            .covariance(t)
            .init_params(init)
            .tol(0.0)
            .max_iter(10);
        let a = p2.fit(&x).unwrap();
        let small: Vec<Array2<f64>> = x
            .axis_chunks_iter(Axis(0), 77)
            .map(|c| c.to_owned())
            .collect();
        let b = p2
            .fit_chunks(|| small.clone().into_iter().map(Ok), &mut Silent)
            .unwrap();
        let (la, lb) = (
            &a.report.as_ref().unwrap().lower_bounds,
            &b.report.as_ref().unwrap().lower_bounds,
        );
        for (u, v) in la.iter().zip(lb.iter()) {
            assert!((u - v).abs() < 1e-10 * u.abs(), "{t}: {u} vs {v}");
        }
        for (u, v) in a.components.means.iter().zip(b.components.means.iter()) {
            assert!((u - v).abs() < 1e-9, "{t}: mean {u} vs {v}");
        }
    }
}

#[test]
fn same_seed_same_model_and_restarts_really_restart() {
    let x = blobs(500, 3);
    let p = GaussianMixture::params(3)
        .init(InitMethod::Random)
        .n_init(4)
        .seed(9)
        .max_iter(5);
    let a = p.fit(&x).unwrap();
    let b = p.fit(&x).unwrap();
    assert_eq!(a, b, "same seed, same model, bit for bit");
    let r = a.report.as_ref().unwrap();
    assert_eq!(r.run_lower_bounds.len(), 4);
    let distinct: std::collections::BTreeSet<u64> =
        r.run_lower_bounds.iter().map(|v| v.to_bits()).collect();
    assert_eq!(
        distinct.len(),
        4,
        "each restart starts somewhere else: {:?}",
        r.run_lower_bounds
    );
    let best = r
        .run_lower_bounds
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(r.lower_bound, best);
    let c = p.clone().seed(10).fit(&x).unwrap();
    assert_ne!(a, c);
}

#[test]
fn warm_start_continues_where_the_fit_stopped() {
    let x = blobs(400, 4);
    let p = GaussianMixture::params(3)
        .seed(1)
        .tol(0.0)
        .init(InitMethod::Random);
    let ten = p.clone().max_iter(10).fit(&x).unwrap();
    let five = p.clone().max_iter(5).fit(&x).unwrap();
    let more = p.clone().max_iter(5).warm_start(&five).fit(&x).unwrap();
    let l10 = &ten.report.as_ref().unwrap().lower_bounds;
    let lm = &more.report.as_ref().unwrap().lower_bounds;
    for (u, v) in l10[5..].iter().zip(lm.iter()) {
        assert!((u - v).abs() < 1e-12 * u.abs());
    }
}

#[test]
fn integer_sample_weights_equal_repeated_rows() {
    let x = blobs(300, 5);
    let w: Array1<f64> = (0..300).map(|i| (i % 3) as f64).collect();
    let rows: Vec<usize> = (0..300)
        .flat_map(|i| std::iter::repeat_n(i, i % 3))
        .collect();
    let rep = x.select(Axis(0), &rows);
    // Both fits start from the same explicit parameters (a data-derived start would differ).
    let pa = GaussianMixture::params(3)
        .init_params(InitParams {
            weights: Some(Array1::from_elem(3, 1.0 / 3.0)),
            means: x.slice(s![0..3, ..]).to_owned(),
            precisions: Some(CovarianceParams::Full(Array3::from_shape_fn(
                (3, 3, 3),
                |(_, i, j)| if i == j { 0.5 } else { 0.0 },
            ))),
        })
        .tol(0.0)
        .max_iter(20);
    let wa = pa
        .fit_weighted(x.view(), Some(w.view()), &mut Silent)
        .unwrap();
    let ra = pa.fit(&rep).unwrap();
    for (u, v) in wa.components.means.iter().zip(ra.components.means.iter()) {
        assert!((u - v).abs() < 1e-9, "{u} vs {v}");
    }
    assert!(
        (wa.report.as_ref().unwrap().lower_bound - ra.report.as_ref().unwrap().lower_bound).abs()
            < 1e-10
    );
}

#[test]
fn a_component_with_no_data_keeps_its_parameters_and_says_so() {
    let x = blobs(300, 6);
    let means = array![[0.0, 0.0, 0.0], [4.0, 1.0, -2.0], [1e6, 1e6, 1e6]];
    let p = GaussianMixture::params(3)
        .init_params(InitParams {
            weights: None,
            means,
            precisions: None,
        })
        .covariance(CovarianceType::Diag)
        .max_iter(10);
    let m = p.fit(&x).unwrap();
    assert!(m.weights.iter().all(|w| w.is_finite()));
    assert!(m.components.means.iter().all(|v| v.is_finite()));
    assert_eq!(m.components.means.row(2).to_vec(), vec![1e6, 1e6, 1e6]);
    let r = m.report.as_ref().unwrap();
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("component 2 received no data")),
        "{:?}",
        r.warnings
    );
    assert!(m.log_likelihood(&x).unwrap().iter().all(|v| v.is_finite()));
}

#[test]
fn selection_picks_the_right_k_and_keeps_the_table() {
    let x = blobs(600, 7);
    let sel = genmodels::mixture::select_gaussian_mixture(
        &GaussianMixture::params(1).seed(0),
        &[1, 2, 3, 4, 5],
        &[CovarianceType::Full, CovarianceType::Diag],
        Criterion::Bic,
        x.view(),
        &mut Silent,
    )
    .unwrap();
    assert_eq!(sel.table.len(), 10);
    assert_eq!(sel.best.n_components(), 3);
    let best_bic = sel.table[sel.best_index].bic;
    assert!(sel.table.iter().all(|r| r.bic >= best_bic));
    assert_eq!(
        sel.best
            .report
            .as_ref()
            .unwrap()
            .selection
            .as_ref()
            .unwrap()
            .len(),
        10
    );
}

#[test]
fn bad_hyper_parameters_are_errors_before_any_work() {
    let x = blobs(30, 8);
    let e = GaussianMixture::params(0).fit(&x).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Param(ParamError::Invalid {
                name: "n_components",
                ..
            })
        ),
        "{e}"
    );
    let e = GaussianMixture::params(2).tol(-1.0).fit(&x).unwrap_err();
    assert!(
        matches!(e, Error::Param(ParamError::Invalid { name: "tol", .. })),
        "{e}"
    );
    let e = GaussianMixture::params(2)
        .reg_covar(f64::NAN)
        .fit(&x)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Param(ParamError::Invalid {
                name: "reg_covar",
                ..
            })
        ),
        "{e}"
    );
    let e = GaussianMixture::params(2).max_iter(0).fit(&x).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Param(ParamError::Invalid {
                name: "max_iter",
                ..
            })
        ),
        "{e}"
    );
    let e = GaussianMixture::params(2).n_init(0).fit(&x).unwrap_err();
    assert!(
        matches!(e, Error::Param(ParamError::Invalid { name: "n_init", .. })),
        "{e}"
    );
    let bad_init = InitParams {
        weights: None,
        means: Array2::zeros((3, 3)),
        precisions: None,
    };
    let e = GaussianMixture::params(2)
        .init_params(bad_init)
        .fit(&x)
        .unwrap_err();
    assert!(
        matches!(e, Error::Param(ParamError::InitShape { name: "means", .. })),
        "{e}"
    );
    let e = BernoulliMixture::params(0).fit(&x).unwrap_err();
    assert!(matches!(e, Error::Param(_)), "{e}");
}

#[test]
fn bad_data_is_an_error_never_a_panic_or_nan_model() {
    let e = GaussianMixture::params(1)
        .fit(&Array2::<f64>::zeros((0, 2)))
        .unwrap_err();
    assert!(matches!(e, Error::Data(DataError::Empty { .. })), "{e}");
    let mut x = blobs(20, 9);
    x[[4, 1]] = f64::NAN;
    let e = GaussianMixture::params(2).fit(&x).unwrap_err();
    assert!(
        matches!(e, Error::Data(DataError::NonFinite { row: 5, .. })),
        "{e}"
    );
    assert!(e.to_string().contains("row 5, column 2"), "{e}");
    x[[4, 1]] = f64::INFINITY;
    assert!(matches!(
        GaussianMixture::params(2).fit(&x).unwrap_err(),
        Error::Data(DataError::NonFinite { .. })
    ));
    let e = GaussianMixture::params(5).fit(&blobs(3, 1)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Data(DataError::TooFewRows {
                found: 3,
                needed: 5,
                ..
            })
        ),
        "{e}"
    );
    let e = BernoulliMixture::params(2)
        .fit(&array![[0.0, 1.0], [0.5, 1.0]])
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Data(DataError::Support {
                row: 2,
                column: 1,
                ..
            })
        ),
        "{e}"
    );
    // Scoring data of the wrong width.
    let m = two_component_model();
    assert!(matches!(
        m.log_likelihood(&Array2::zeros((2, 3))).unwrap_err(),
        Error::Data(DataError::Columns { .. })
    ));
}

#[test]
fn degenerate_but_valid_data_fits_to_a_finite_model() {
    let check = |m: &GaussianMixture, x: &Array2<f64>| {
        assert!(m.log_likelihood(x).unwrap().iter().all(|v| v.is_finite()));
        assert!(m.weights.iter().all(|v| v.is_finite()));
    };
    // One row, one component: the covariance is reg_covar.
    let one = array![[1.0, 2.0]];
    for t in CovarianceType::ALL {
        check(
            &GaussianMixture::params(1).covariance(t).fit(&one).unwrap(),
            &one,
        );
    }
    // A constant column.
    let mut x = blobs(100, 10);
    x.column_mut(1).fill(3.0);
    for t in CovarianceType::ALL {
        check(
            &GaussianMixture::params(2).covariance(t).fit(&x).unwrap(),
            &x,
        );
    }
    // Many duplicated points, more components than distinct points.
    let dup = Array2::from_shape_fn((50, 2), |(i, j)| ((i % 2) * 3 + j) as f64);
    for t in CovarianceType::ALL {
        check(
            &GaussianMixture::params(4)
                .covariance(t)
                .seed(1)
                .fit(&dup)
                .unwrap(),
            &dup,
        );
    }
    // Without regularisation a collapsed component is a clear numerical error, not NaN.
    let e = GaussianMixture::params(1)
        .reg_covar(0.0)
        .fit(&one)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Numerical(NumericalError::NotPositiveDefinite { .. })
        ),
        "{e}"
    );
    assert!(e.to_string().contains("increase reg_covar"), "{e}");
}

#[test]
fn probabilities_sum_to_one_and_predict_is_their_argmax() {
    let m = two_component_model();
    let x = m.sample(500, &mut rng_from_seed(1)).unwrap().x;
    let p = m.predict_proba(x.view()).unwrap();
    let labels = m.predict(x.view()).unwrap();
    for (row, l) in p.outer_iter().zip(labels.iter()) {
        assert!((row.sum() - 1.0).abs() < 1e-12);
        assert!(row.iter().all(|v| *v >= 0.0 && *v <= 1.0));
        assert!(row[*l] >= row[1 - *l]);
    }
}

#[test]
fn models_are_send_and_sync() {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<GaussianMixture>();
    is_send_sync::<BernoulliMixture>();
    is_send_sync::<genmodels::mixture::GaussianMixtureParams>();
}

#[test]
fn components_that_collapse_onto_repeated_values_are_flagged_and_passed_over() {
    // A group of 40 rows whose second feature is exactly 20.0 (rounded data), far from the rest.
    let mut x = blobs(300, 12);
    let mut rng = rng_from_seed(13);
    for i in 0..40 {
        x[[i, 0]] = 10.0 + rng.sample::<f64, _>(StandardNormal);
        x[[i, 1]] = 20.0;
        x[[i, 2]] = rng.sample::<f64, _>(StandardNormal);
    }
    let m = GaussianMixture::params(4)
        .covariance(CovarianceType::Diag)
        .seed(1)
        .fit(&x)
        .unwrap();
    let collapsed = m.components.collapsed_components();
    assert_eq!(collapsed.len(), 1, "{:?}", m.components.covariances);
    let r = m.report.as_ref().unwrap();
    assert!(
        r.warnings.iter().any(|w| w.contains("collapsed")),
        "{:?}",
        r.warnings
    );
    // The spike's likelihood would win BIC; selection passes it over for a usable candidate.
    let sel = genmodels::mixture::select_gaussian_mixture(
        &GaussianMixture::params(1).seed(1),
        &[1, 2, 3, 4, 5],
        &[CovarianceType::Diag, CovarianceType::Full],
        Criterion::Bic,
        x.view(),
        &mut Silent,
    )
    .unwrap();
    assert!(sel.table.iter().any(|r| r.collapsed));
    let chosen = &sel.table[sel.best_index];
    assert!(!chosen.collapsed);
    assert!(sel.best.components.collapsed_components().is_empty());
    let best_usable = sel
        .table
        .iter()
        .filter(|r| !r.collapsed && r.error.is_none())
        .map(|r| r.bic)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(chosen.bic, best_usable);
    // A well-spread fit is not flagged.
    let clean = GaussianMixture::params(3).fit(&blobs(300, 14)).unwrap();
    assert!(clean.components.collapsed_components().is_empty());
}
