//! Values so large that a Gaussian model's arithmetic overflows (`1e308`, whose square is
//! infinite) are bad input: an error naming the 1-based row and column, never a `−∞`/NaN
//! log-likelihood or NaN probabilities — when fitting, scoring, predicting, imputing, for
//! mixtures and for HMMs.

use genmodels::core::data::{Sequences, MAX_GAUSSIAN_MAGNITUDE};
use genmodels::core::{DataError, Error, LogLikelihood};
use genmodels::hmm::{GaussianInit, GaussianMixtureEmission, GmmHmm, Hmm, HmmParams};
use genmodels::mixture::{
    CovarianceParams, CovarianceType, GaussianComponents, GaussianMixture, Mixture,
};
use genmodels::prelude::*;
use ndarray::{array, Array2};

/// Two well-separated 2-D clusters.
fn blobs(n: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, 2), |(i, j)| {
        (i % 2) as f64 * 10.0 + ((i * 7 + j * 13) % 11) as f64 * 0.1
    })
}

/// A `TooLarge` error at (`row`, `column`), both 1-based.
#[track_caller]
fn assert_too_large<T: std::fmt::Debug>(r: genmodels::core::Result<T>, row: usize, column: usize) {
    let e = r.expect_err("a value too large for the model must be refused");
    match &e {
        Error::Data(DataError::TooLarge {
            row: r, column: c, ..
        }) => {
            assert_eq!((*r, c.as_str()), (row, column.to_string().as_str()), "{e}");
        }
        other => panic!("expected a too-large-value error, got {other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("row {row}, column {column}")),
        "{msg}"
    );
}

#[test]
fn scoring_or_predicting_a_huge_value_names_its_row_and_column() {
    let m = GaussianMixture::params(2).seed(1).fit(&blobs(40)).unwrap();
    let x = array![[0.5, 0.3], [1e308, 80.0], [10.0, 10.0]];
    assert_too_large(m.score(x.view()), 2, 1);
    assert_too_large(m.predict_proba(x.view()), 2, 1);
    assert_too_large(m.predict(x.view()), 2, 1);
    assert_too_large(m.log_likelihood(&x), 2, 1);
    let e = m.score(x.view()).unwrap_err().to_string();
    assert!(e.contains("value 1e308"), "{e}");
    // Negative too, and the second column.
    let x = array![[0.5, -1e200]];
    assert_too_large(m.score(x.view()), 1, 2);
    // At the limit itself the answer is a finite number.
    let x = array![[MAX_GAUSSIAN_MAGNITUDE, 0.0]];
    let s = m.score(x.view()).unwrap();
    assert!(s.is_finite() && s < -1e290, "{s}");
    let p = m.predict_proba(x.view()).unwrap();
    assert!(p.iter().all(|v| v.is_finite()), "{p}");
}

#[test]
fn an_overflow_below_the_limit_is_caught_from_the_log_likelihood() {
    // A component with variance 1e-20 puts 1e145 at 1e155 standard deviations: the squared
    // distance overflows although the value is within MAX_GAUSSIAN_MAGNITUDE.
    for cov in [
        CovarianceParams::Spherical(array![1e-20, 1e-20]),
        CovarianceParams::Diag(array![[1e-20, 1e-20], [1e-20, 1e-20]]),
        CovarianceParams::Full(array![
            [[1e-20, 0.0], [0.0, 1e-20]],
            [[1e-20, 0.0], [0.0, 1e-20]]
        ]),
        CovarianceParams::Tied(array![[1e-20, 0.0], [0.0, 1e-20]]),
    ] {
        let t = cov.covariance_type();
        let comp =
            GaussianComponents::from_covariances(array![[0.0, 0.0], [1.0, 1.0]], cov, 0.0).unwrap();
        let m = Mixture::new(array![0.5, 0.5], comp).unwrap();
        let x = array![[0.0, 0.0], [0.5, 1e145]];
        assert_too_large(m.score(x.view()), 2, 2);
        assert_too_large(m.predict_proba(x.view()), 2, 2);
        let e = m.score(x.view()).unwrap_err().to_string();
        assert!(e.contains("standard deviations"), "{t}: {e}");
        // The first row alone is fine.
        assert!(m.score(x.slice(ndarray::s![..1, ..])).unwrap().is_finite());
    }
}

#[test]
fn fitting_data_with_a_huge_value_names_its_row_and_column() {
    let mut x = blobs(40);
    x[[17, 1]] = 1e308;
    for cov in CovarianceType::ALL {
        assert_too_large(GaussianMixture::params(2).covariance(cov).fit(&x), 18, 2);
    }
    let data = Sequences::new(x, vec![20, 20]).unwrap();
    assert_too_large(
        HmmParams::new(2, GaussianInit::new(CovarianceType::Diag)).fit(&data),
        18,
        2,
    );
}

#[test]
fn imputing_or_marginalising_a_row_with_a_huge_value_names_it() {
    let m = GaussianMixture::params(2).seed(1).fit(&blobs(40)).unwrap();
    let x = array![[0.5, f64::NAN], [f64::NAN, 1e308]];
    assert_too_large(m.impute(x.view()), 2, 2);
    assert_too_large(m.marginal_log_likelihood(x.view()), 2, 2);
    assert_too_large(m.condition(&[Some(1e300), None]), 1, 1);
    // A conditional overflow below the limit: a tiny variance.
    let comp = GaussianComponents::from_covariances(
        array![[0.0, 0.0]],
        CovarianceParams::Diag(array![[1e-20, 1.0]]),
        0.0,
    )
    .unwrap();
    let tiny = Mixture::new(array![1.0], comp).unwrap();
    let x = array![[1.0, 2.0], [1e145, f64::NAN]];
    assert_too_large(tiny.impute(x.view()), 2, 1);
}

#[test]
fn hmm_rows_are_numbered_across_sequences() {
    let emission = GaussianComponents::from_covariances(
        array![[0.0], [3.0]],
        CovarianceParams::Diag(array![[1e-20], [1e-20]]),
        0.0,
    )
    .unwrap();
    let m = Hmm::new(array![0.5, 0.5], array![[0.9, 0.1], [0.2, 0.8]], emission).unwrap();
    // The overflow is at step 2 of the second sequence: row 5 of the data.
    let x = array![[0.0], [3.0], [0.0], [3.0], [1e145], [0.0]];
    let data = Sequences::new(x, vec![3, 3]).unwrap();
    assert_too_large(m.log_likelihood(&data), 5, 1);
    assert_too_large(m.predict_proba(&data), 5, 1);
    assert_too_large(m.decode(&data), 5, 1);
    // Beyond the limit: caught before any arithmetic.
    let x = array![[0.0], [1e200], [0.0]];
    assert_too_large(m.score(&Sequences::single(x).unwrap()), 2, 1);

    // A GMM-HMM: the same rule for its mixtures.
    let inner = GaussianComponents::from_covariances(
        array![[0.0], [1.0], [3.0], [4.0]],
        CovarianceParams::Spherical(array![1e-20, 1e-20, 1e-20, 1e-20]),
        0.0,
    )
    .unwrap();
    let emission = GaussianMixtureEmission {
        weights: array![[0.5, 0.5], [0.5, 0.5]],
        components: inner,
        covariance_update: Default::default(),
    };
    let g: GmmHmm = Hmm::new(array![0.5, 0.5], array![[0.9, 0.1], [0.2, 0.8]], emission).unwrap();
    let x = array![[0.0], [1e145]];
    assert_too_large(g.log_likelihood(&Sequences::single(x).unwrap()), 2, 1);
}

/// A categorical HMM's vocabulary is the largest code plus one: a code of 10^15 is a memory
/// error before the table is allocated, not an abort.
#[test]
fn a_huge_symbol_code_is_refused_before_allocating() {
    use genmodels::core::data::Sequences;
    use genmodels::hmm::{CategoricalInit, HmmParams};
    let x = ndarray::Array2::from_shape_vec((3, 1), vec![0.0, 1.0, 1e15]).unwrap();
    let seqs = Sequences::single(x).unwrap();
    let e = HmmParams::new(2, CategoricalInit::default())
        .fit(&seqs)
        .unwrap_err();
    assert!(matches!(e, genmodels::core::Error::Resource(_)), "{e}");
    assert!(e.to_string().contains("symbols"), "{e}");
}
